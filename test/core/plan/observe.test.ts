import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type BudgetFile, parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { cycleContext } from '../../../lambdas/core/evaluate/context.ts';
import { instanceSpec } from '../../../lambdas/core/instances.ts';
import { DayClock } from '../../../lambdas/core/period.ts';
import { observeResources } from '../../../lambdas/core/plan/observe.ts';
import { COMPONENT_DIMENSION, MANAGED_TAG } from '../../../lambdas/core/plan/types.ts';
import { SnapshotCodec, storeSnapshot } from '../../../lambdas/core/records.ts';
import { allocate } from '../../../lambdas/core/spend.ts';
import type { ComponentInfo, MetricSeries, Snapshot } from '../../../lambdas/core/types.ts';
import { hostingRows } from '../../helpers/build.ts';

const HOUR = 3_600_000;
const T = Date.parse('2026-10-15T10:00:00Z');
const TYPE = 'ml.g5.12xlarge';

function file(): BudgetFile {
  const parsed = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { experiment: { mode: 'enforce' } },
    budgets: [
      {
        name: 'research',
        owner: 'r@example.com',
        tier: 'experiment',
        environment: 'dev',
        selector: { endpoints: ['llm-*'] },
        limits: { spendPerPeriod: 1000 },
      },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.file;
}

const series = (component: string | undefined, values: number[]): MetricSeries => ({
  endpoint: 'llm-ic',
  variant: 'AllTraffic',
  ...(component ? { component } : {}),
  metric: 'Invocations',
  stat: 'Sum',
  t: Float64Array.from(values.map((_, i) => T + i * HOUR)),
  v: Float64Array.from(values),
  periodSeconds: 3600,
});

function snapshot(components: ComponentInfo[]): Snapshot {
  return {
    asOf: '2026-10-15',
    currency: 'USD',
    costs: [],
    metrics: [series(undefined, [500, 500, 500]), series('llama-ic', [300, 0, 120])],
    inventory: [
      {
        name: 'llm-ic',
        status: 'InService',
        tags: { [MANAGED_TAG]: 'true' },
        variants: [{ name: 'AllTraffic', instanceType: TYPE, instanceCount: 1 }],
        components,
      },
    ],
    gaps: [],
  };
}

const llama: ComponentInfo = {
  name: 'llama-ic',
  variant: 'AllTraffic',
  copies: 2,
  status: 'InService',
  acceleratorsPerCopy: 1,
  tags: { [MANAGED_TAG]: 'true' },
};

describe('observeResources: inference components', () => {
  it('makes each component a copy-count resource, its current copies held over the hours its metrics cover', () => {
    const x = observeResources(snapshot([llama]), file()).find((o) => o.resource.component === 'llama-ic');

    expect(x?.resource).toEqual({
      resourceId: 'inference-component/llama-ic',
      dimension: COMPONENT_DIMENSION,
      endpoint: 'llm-ic',
      variant: 'AllTraffic',
      component: 'llama-ic',
      instanceType: TYPE,
    });
    expect(x?.read().hours.map((h) => [h.instances, h.invocations])).toEqual([
      [2, 300],
      [2, 0],
      [2, 120],
    ]);
    // the list price of the instance over the 4 copies its 4 GPUs fit at one accelerator a copy
    expect(x?.ratePerInstanceHour).toBeCloseTo((instanceSpec(TYPE)?.hourlyUsd ?? Number.NaN) / 4, 9);
    expect(x?.endpoint.tags[MANAGED_TAG]).toBe('true');
  });

  it('prices a copy at the whole instance when the accelerators a copy holds are unknown', () => {
    const { acceleratorsPerCopy: _, ...unknown } = llama;
    const x = observeResources(snapshot([unknown]), file()).find((o) => o.resource.component === 'llama-ic');
    expect(x?.ratePerInstanceHour).toBe(instanceSpec(TYPE)?.hourlyUsd);
  });

  it('has no hours without a copy count, and says why', () => {
    const { copies: _, ...unknown } = llama;
    const x = observeResources(snapshot([unknown]), file()).find((o) => o.resource.component === 'llama-ic');
    expect(x?.read()).toEqual({ hours: [], missing: 'no copy count of the inference component' });
  });

  it('judges a component untagged or not in service as its endpoint would be, for the guard', () => {
    const x = observeResources(snapshot([{ ...llama, tags: {}, status: 'Updating' }]), file()).find(
      (o) => o.resource.component === 'llama-ic',
    );
    expect(x?.endpoint.tags[MANAGED_TAG]).toBeUndefined();
    expect(x?.endpoint.status).toBe('Updating');
    // the endpoint's instances follow its components (managed instance scaling): its variant is not planned
    const v = observeResources(snapshot([{ ...llama, tags: {} }]), file()).find((o) => !o.resource.component);
    expect(v).toBeUndefined();
  });

  it("keeps the component's series out of the endpoint's own figures", () => {
    const ctx = cycleContext(snapshot([llama]), file());
    expect(ctx.metricsByEndpoint?.get('llm-ic')?.map((s) => s.component)).toEqual([undefined]);
    expect(ctx.metricsByComponent.get('llama-ic')).toHaveLength(1);
  });

  it('carries components and component series through the stored snapshot', () => {
    const s = snapshot([llama]);
    const back = z.decode(SnapshotCodec, JSON.parse(JSON.stringify(storeSnapshot(s))));
    expect(back.inventory[0]?.components).toEqual([llama]);
    expect(back.metrics?.map((m) => m.component)).toEqual([undefined, 'llama-ic']);
  });
});

describe('observeResources: what it holds', () => {
  const billed = (price: number) =>
    hostingRows({ endpoint: 'llm-ic', from: '2026-10-13', days: 3, type: TYPE, instances: () => 1, price });
  const withCosts = (price: number): Snapshot => ({ ...snapshot([]), costs: billed(price) });
  const allocation = (s: Snapshot) =>
    allocate(s.costs, file().budgets, new DayClock('UTC'), {
      endMs: Date.parse('2026-10-16T00:00:00Z'),
      periodStart: '2026-10-01',
    });

  it("reads the evaluation's allocation of the costs when given one, instead of allocating the rows again", () => {
    const own = observeResources(withCosts(10), file());
    const shared = observeResources(withCosts(10), file(), allocation(withCosts(30)));
    expect(own[0]?.ratePerInstanceHour).toBeCloseTo(10, 9);
    // the rate comes from the allocation it was given, not from the snapshot's rows
    expect(shared[0]?.ratePerInstanceHour).toBeCloseTo(30, 9);
  });

  it("builds a resource's hours when they are read, afresh each time, so that no fleet of hours is held", () => {
    const [x] = observeResources(withCosts(10), file());
    const first = x?.read();
    const again = x?.read();
    // every billed hour of the three days (the hourly rows), metrics or not
    expect(first?.hours).toHaveLength(72);
    expect(again).toEqual(first);
    expect(again?.hours).not.toBe(first?.hours);
  });
});
