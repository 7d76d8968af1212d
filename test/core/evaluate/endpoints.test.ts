import { describe, expect, it } from 'vitest';
import { budgetEndpoints, memberEndpoints } from '../../../lambdas/core/evaluate/endpoints.ts';
import type { CostRecord, EndpointInfo, MetricSeries } from '../../../lambdas/core/types.ts';
import { hostingRows, series } from '../../helpers/build.ts';
import { budget, contextOf, file, snap, steady } from './fixtures.ts';

const inventory = (name: string, tags: Record<string, string> = {}): EndpointInfo => ({
  name,
  tags,
  instanceType: 'ml.m5.xlarge',
  instanceCount: 3,
});

function endpointsOf(
  costs: CostRecord[],
  opts: { metrics?: MetricSeries[]; inventory?: EndpointInfo[]; selector?: Record<string, unknown> } = {},
) {
  const b = budget({}, opts.selector ? { selector: opts.selector } : {});
  return contextOf(snap(costs, '2026-10-10', opts.metrics, { inventory: opts.inventory ?? [] }), file([b]));
}

/** api-a: 4 instances by day and 2 by night, 40 days from September 1. */
const hourlyRows = hostingRows({
  endpoint: 'api-a',
  from: '2026-09-01',
  days: 40,
  type: 'ml.m5.xlarge',
  instances: (h) => (h % 24 < 12 ? 4 : 2),
});

/** The same usage as one row a day, as Cost Explorer and daily exports bill it. */
const dailyRows: CostRecord[] = Array.from({ length: 40 }, (_, d) => {
  const hours = hourlyRows.slice(d * 24, d * 24 + 24);
  return {
    ...(hours[0] as CostRecord),
    end: (hours[23] as CostRecord).end,
    amount: hours.reduce((s, r) => s + r.amount, 0n),
    usageHours: hours.reduce((s, r) => s + (r.usageHours ?? 0), 0),
  };
});

describe('the endpoints of a budget', () => {
  it('are those with cost rows, then those of the inventory, then those known from metrics alone', () => {
    const { ctx, view } = endpointsOf(steady, {
      inventory: [inventory('api-b'), inventory('web-a')],
      metrics: [series('api-c', 'Invocations', 'Sum', '2026-10-01', 24, () => 1)],
    });
    expect([...memberEndpoints(ctx, view).keys()]).toEqual(['api-a', 'api-b', 'api-c']);
  });

  it('take an endpoint known from metrics alone only when the selector has no tags: metrics carry none', () => {
    const metrics = [series('api-c', 'Invocations', 'Sum', '2026-10-01', 24, () => 1)];
    const { ctx, view } = endpointsOf(steady, {
      metrics,
      selector: { endpoints: ['api-*'], tags: { team: 'api' } },
    });
    expect([...memberEndpoints(ctx, view).keys()]).toEqual([]);
  });
});

describe('the facts of an endpoint', () => {
  it('take the instance count of the inventory for an endpoint without cost rows', () => {
    const { ctx, view } = endpointsOf(steady, { inventory: [inventory('api-b')] });
    const [, b] = budgetEndpoints(ctx, view, {});
    expect(b?.result).toMatchObject({
      name: 'api-b',
      attribution: null,
      peakInstances: 3,
      spendToDate: 0,
      costPer1k: null,
    });
    expect(b?.action).toBeUndefined();
  });

  it('read the peak from hourly rows', () => {
    const { ctx, view } = endpointsOf(hourlyRows);
    expect(budgetEndpoints(ctx, view, {})[0]?.result.peakInstances).toBe(4);
  });

  it("never read a day's average as its peak when billing is daily: unknown, at least the average", () => {
    const { ctx, view } = endpointsOf(dailyRows);
    const [a] = budgetEndpoints(ctx, view, { maxInstances: 8 });
    // 72 instance-hours a day average 3 instances; the busiest hours ran 4
    expect(a?.result.peakInstances).toBeNull();
    expect(a?.peakFloor).toBe(3);
  });

  it('read the peak from Invocations over InvocationsPerInstance when billing is daily', () => {
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-09-01', 40 * 24, (h) => (h % 24 < 12 ? 4000 : 2000)),
      series('api-a', 'InvocationsPerInstance', 'Sum', '2026-09-01', 40 * 24, () => 1000),
    ];
    const { ctx, view } = endpointsOf(dailyRows, { metrics });
    const [a] = budgetEndpoints(ctx, view, { maxInstances: 8 });
    expect(a?.result.peakInstances).toBe(4);
    expect(a?.peakFloor).toBeUndefined();
  });

  it('judge a daily average over the ceiling as over it, whatever the hours hide', () => {
    const { ctx, view } = endpointsOf(dailyRows);
    const [a] = budgetEndpoints(ctx, view, { maxInstances: 2 });
    expect(a?.result.peakInstances).toBe(3);
    expect(a?.peakFloor).toBeUndefined();
  });

  it('know no peak, rather than a peak of 0, when the rows state no instance-hours', () => {
    const opaque = steady.map(({ instanceType: _t, usageHours: _h, usageType: _u, ...r }) => r);
    const { ctx, view } = endpointsOf(opaque);
    expect(budgetEndpoints(ctx, view, {})[0]?.result).toMatchObject({
      instanceType: null,
      peakInstances: null,
    });
  });

  it('size actions on the budget utilisation ceiling, or 70% without one', () => {
    const { ctx, view } = endpointsOf(steady);
    expect(budgetEndpoints(ctx, view, { utilization: { max: 0.8 } })[0]?.action?.targetUtilization).toBe(0.8);
    expect(budgetEndpoints(ctx, view, {})[0]?.action?.targetUtilization).toBe(0.7);
  });
});
