import { describe, expect, it } from 'vitest';
import {
  accountGaps,
  incompleteFindings,
  metricLimits,
  missingMeasurements,
} from '../../../lambdas/core/evaluate/completeness.ts';
import type { EndpointView } from '../../../lambdas/core/evaluate/endpoints.ts';
import { budgetEndpoints } from '../../../lambdas/core/evaluate/endpoints.ts';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import type { EndpointMetrics } from '../../../lambdas/core/metrics.ts';
import type { DataGap } from '../../../lambdas/core/types.ts';
import { dailyRow, hostingRows, series } from '../../helpers/build.ts';
import { endpointResult } from '../../helpers/results.ts';
import { budget, contextOf, file, snap, steady } from './fixtures.ts';

const METRICS: EndpointMetrics = { hours: new Map(), present: new Set() };
/** An endpoint with metrics (`null`: without any) whose results are those given. */
const view = (over: Parameters<typeof endpointResult>[1], metrics: EndpointMetrics | null = METRICS) =>
  ({
    result: endpointResult('api-a', over),
    spend: undefined,
    metrics: metrics ?? undefined,
    action: undefined,
  }) as EndpointView;

describe('account-wide gaps', () => {
  const gapsOf = (
    costs = steady,
    asOf = '2026-10-10',
    gaps: { source: 'costs'; scope?: string; message: string }[] = [],
  ) => accountGaps(contextOf(snap(costs, asOf, undefined, { gaps }), file([budget({})])).ctx);

  it('passes on what a source reported, with its scope', () => {
    expect(
      gapsOf(steady, '2026-10-10', [{ source: 'costs', scope: 'us-east-1', message: 'throttled' }]),
    ).toEqual(['costs (us-east-1): throttled']);
  });

  it('says when there is no cost row at all, and nothing else', () => {
    expect(gapsOf([], '2026-10-10')).toEqual(['costs: the cost source returned no rows at all']);
  });

  it('says when the cost data ends before as-of', () => {
    const rows = steady.filter((r) => r.start < Date.parse('2026-10-08'));
    expect(gapsOf(rows)).toEqual([
      'costs: data ends on 2026-10-07, before as-of 2026-10-10; spend after 2026-10-07 is unknown and left to the forecast',
    ]);
  });

  it('names the first five days of the period without a cost row and counts the rest', () => {
    const holes = steady.filter((r) => {
      const day = new Date(r.start).toISOString().slice(0, 10);
      return day < '2026-10-02' || day > '2026-10-08';
    });
    expect(gapsOf(holes)).toEqual([
      'costs: no cost rows on 2026-10-02, 2026-10-03, 2026-10-04, 2026-10-05, 2026-10-06 and 2 more days',
    ]);
  });
});

describe('a gap about one endpoint', () => {
  const web = hostingRows({
    endpoint: 'web-a',
    from: '2026-09-01',
    days: 61,
    type: 'ml.m5.xlarge',
    instances: () => 1,
  });
  const budgets = file([
    budget({ spendPerPeriod: 1000 }),
    budget({ spendPerPeriod: 1000 }, { name: 'web', selector: { endpoints: ['web-*'] } }),
  ]);
  const incompleteOf = (gaps: DataGap[]) =>
    Object.fromEntries(
      evaluate(snap([...steady, ...web], '2026-10-10', undefined, { gaps }), budgets).budgets.map((b) => [
        b.name,
        b.findings.filter((f) => f.kind === 'incomplete-data').map((f) => [f.endpoint, f.message]),
      ]),
    );
  const resize: DataGap = {
    source: 'inventory',
    scope: 'web-a',
    endpoint: 'web-a',
    message: 'CloudTrail does not say which type web-a ran before 2026-09-20',
  };

  it('warns only the budgets that select that endpoint, naming it', () => {
    expect(incompleteOf([resize])).toEqual({
      api: [],
      web: [
        ['web-a', 'web: inventory (web-a): CloudTrail does not say which type web-a ran before 2026-09-20'],
      ],
    });
  });

  it('warns no budget when none selects it', () => {
    expect(incompleteOf([{ ...resize, scope: 'batch-a', endpoint: 'batch-a' }])).toEqual({
      api: [],
      web: [],
    });
  });

  it('warns every budget when it names no endpoint', () => {
    const { endpoint: _, ...accountWide } = resize;
    const found = incompleteOf([accountWide]);
    expect(found.api).toHaveLength(1);
    expect(found.web).toHaveLength(1);
  });
});

describe('limits that need metrics', () => {
  it('are those the budget sets among the limits judged on metrics, once per budget-file key', () => {
    expect(metricLimits({ maxInstances: 3, spendPerPeriod: 100 })).toEqual([]);
    expect(metricLimits({ errorRate: 0.01, utilization: { min: 0.2, max: 0.8 } }).map((l) => l.kind)).toEqual(
      ['error-rate', 'utilization-low', 'utilization-high'],
    );
  });

  it('list what is missing in a fixed order, whatever order the limits come in', () => {
    const judged = metricLimits({ latencyP99Ms: 100, errorRate: 0.01, utilization: { min: 0.2 } });
    const nothing = { invocations: null, latencyP99Ms: null, utilization: null };
    expect(missingMeasurements(view(nothing), judged)).toEqual([
      'Invocations',
      'ModelLatency p99',
      'CPU/GPU utilisation',
    ]);
    expect(missingMeasurements(view({ ...nothing, instanceType: 'ml.zz9.huge' }), judged)).toContain(
      'utilisation (unknown instance type ml.zz9.huge)',
    );
    expect(missingMeasurements(view({}), judged)).toEqual([]);
  });

  it('miss all metrics when the endpoint has none, and nothing when no limit needs them', () => {
    expect(missingMeasurements(view({}, null), metricLimits({ latencyP99Ms: 1 }))).toEqual(['all metrics']);
    expect(missingMeasurements(view({}, null), metricLimits({ maxInstances: 1 }))).toEqual([]);
  });
});

describe('the incomplete-data findings of a budget', () => {
  const findingsOf = (
    costs: typeof steady,
    limits: Record<string, unknown>,
    metrics?: ReturnType<typeof series>[],
  ) => {
    const { ctx, view: v } = contextOf(snap(costs, '2026-10-10', metrics), file([budget(limits)]));
    const endpoints = budgetEndpoints(ctx, v, v.budget.limits);
    return incompleteFindings(ctx, v, v.budget.limits, endpoints, accountGaps(ctx));
  };

  it('names the limits a cost-only run cannot judge, and restores data as their action', () => {
    const [f] = findingsOf(steady, {
      latencyP99Ms: 100,
      utilization: { min: 0.1, max: 0.9 },
      maxInstances: 4,
    });
    expect(f).toMatchObject({
      kind: 'incomplete-data',
      budget: 'api',
      severity: 'warning',
      message: 'api: no metrics given, so latencyP99Ms, utilization cannot be judged.',
      key: 'incomplete-data|api|api: no metrics given, so latencyP99Ms, utilization cannot be judged.',
    });
    expect(f?.actions.map((a) => a.type)).toEqual(['restore-data']);
  });

  it('never takes a selector that matches nothing as zero spend', () => {
    const messages = findingsOf([dailyRow({ day: '2026-10-09', amount: 5 })], {}).map((f) => f.message);
    expect(messages).toContain(
      'api: no cost rows match the selector; spend to date is unknown, not zero. Check the endpoint globs and tags.',
    );
  });

  it('says when an endpoint has metrics but no cost rows', () => {
    const metrics = [series('api-b', 'Invocations', 'Sum', '2026-09-01', 40 * 24, () => 1)];
    const gap = findingsOf(steady, {}, metrics).find((f) => f.endpoint === 'api-b');
    expect(gap?.message).toBe('api-b: metrics but no cost rows; its spend is unknown, not zero.');
  });

  it('leaves out an endpoint that cost nothing in the window', () => {
    // api-a stopped at the end of September; api-b runs on
    const gone = hostingRows({
      endpoint: 'api-a',
      from: '2026-09-01',
      days: 30,
      type: 'ml.m5.xlarge',
      instances: () => 1,
    });
    const costs = [...gone, ...steady.map((r) => ({ ...r, endpoint: 'api-b' }))];
    const metrics = ['api-a', 'api-b'].map((e) =>
      series(e, 'Invocations', 'Sum', '2026-09-01', 40 * 24, () => 1),
    );
    expect(findingsOf(costs, { latencyP99Ms: 100 }, metrics).map((f) => f.endpoint)).toEqual(['api-b']);
  });

  it('names what is missing of an endpoint that cost something in the window', () => {
    const metrics = [series('api-a', 'Invocations', 'Sum', '2026-09-01', 40 * 24, () => 1)];
    expect(
      findingsOf(steady, { latencyP99Ms: 100, costPer1kInferences: 1 }, metrics).map((f) => f.message),
    ).toEqual(['api-a: no ModelLatency p99 in 2026-10-04..2026-10-10; those limits are not judged.']);
  });
});
