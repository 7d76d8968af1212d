import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutoScalingWriter } from '../../lambdas/aws/autoscaling-writer.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import { moneyFromNumber } from '../../lambdas/core/money.ts';
import {
  COMPONENT_DIMENSION,
  componentResourceId,
  MANAGED_TAG,
  TOOL_NAMES,
} from '../../lambdas/core/plan/types.ts';
import type { CostRecord, EndpointInfo, MetricSeries, Snapshot } from '../../lambdas/core/types.ts';
import { actStep } from '../../lambdas/cycle/act.ts';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import { AutoScalingEngine } from '../helpers/autoscaling-engine.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';

/**
 * The act step on inference components, from the snapshot a live collect makes (the inventory's components and
 * their per-component metrics) to a loopback Application Auto Scaling and CloudWatch: an experiment tier that may
 * scale to zero takes its idle-at-night component to MinCapacity 0 with the wake-on-request policy, and only when
 * the endpoint and the component are tagged; the same tier's untagged twin is never written.
 */
const HOUR = 3_600_000;
const AS_OF = '2026-10-15';
const NOW = Date.parse('2026-10-16T06:00:00Z');
const TYPE = 'ml.g5.12xlarge';
const PRICE = 7.09;

const MANAGED = { [MANAGED_TAG]: 'true' };
const ENDPOINTS = [
  { name: 'exp-llm', component: 'exp-llm-ic', tags: MANAGED, componentTags: MANAGED },
  { name: 'exp-llm-b', component: 'exp-llm-b-ic', tags: {}, componentTags: {} },
] as const;

/** Invocations a minute at an hour of the day: busy in the day, none at all at night. */
function loadAt(hourOfDay: number): number {
  if (hourOfDay >= 9 && hourOfDay < 18) return 40 * (0.7 + 0.3 * Math.sin(((hourOfDay - 9) / 9) * Math.PI));
  if (hourOfDay >= 1 && hourOfDay < 7) return 0;
  return 10;
}

function snapshot(): Snapshot {
  const from = Date.parse('2026-09-20T00:00:00Z');
  const end = Date.parse(`${AS_OF}T00:00:00Z`) + 24 * HOUR;
  const costs: CostRecord[] = [];
  const metrics: MetricSeries[] = [];
  for (const e of ENDPOINTS) {
    for (let day = Date.parse('2026-10-01T00:00:00Z'); day < end; day += 24 * HOUR) {
      costs.push({
        start: day,
        end: day + 24 * HOUR,
        amount: moneyFromNumber(24 * PRICE),
        currency: 'USD',
        service: 'Amazon SageMaker',
        chargeCategory: 'Usage',
        usageType: `USE1-Host:${TYPE}`,
        endpoint: e.name,
        instanceType: TYPE,
        usageHours: 24,
        tags: { ...e.tags, team: 'research' },
      });
    }
    const t: number[] = [];
    for (let ms = from; ms < end; ms += HOUR) t.push(ms);
    const column = (f: (ms: number) => number) => Float64Array.from(t.map(f));
    const load = (ms: number) => loadAt(new Date(ms).getUTCHours());
    const series = (metric: MetricSeries['metric'], stat: string, v: Float64Array): MetricSeries => ({
      endpoint: e.name,
      variant: 'AllTraffic',
      component: e.component,
      metric,
      stat,
      t: Float64Array.from(t),
      v,
      periodSeconds: 3600,
    });
    metrics.push(
      series(
        'Invocations',
        'Sum',
        column((ms) => load(ms) * 60),
      ),
      // one copy: 300 ms idle, saturating at 120 invocations a minute
      series(
        'ModelLatency',
        'p99',
        column((ms) => (300 / (1 - load(ms) / 120)) * 1000),
      ),
      series(
        'Invocation5XXErrors',
        'Sum',
        column(() => 0),
      ),
      series(
        'NoCapacityInvocationFailures',
        'Sum',
        column(() => 0),
      ),
    );
  }
  const inventory: EndpointInfo[] = ENDPOINTS.map((e) => ({
    name: e.name,
    region: 'us-east-1',
    status: 'InService',
    instanceType: TYPE,
    instanceCount: 1,
    tags: { ...e.tags, team: 'research' },
    variants: [{ name: 'AllTraffic', instanceType: TYPE, instanceCount: 1 }],
    components: [
      {
        name: e.component,
        variant: 'AllTraffic',
        copies: 1,
        status: 'InService',
        acceleratorsPerCopy: 4,
        tags: e.componentTags,
      },
    ],
  }));
  return { asOf: AS_OF, currency: 'USD', costs, metrics, inventory, gaps: [] };
}

function budgets(): BudgetFile {
  const parsed = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: {
      experiment: {
        mode: 'enforce',
        guardrails: { scaleToZero: true, cooldownHours: 24, schedules: false },
      },
    },
    budgets: [
      {
        name: 'research',
        owner: 'research@example.com',
        tier: 'experiment',
        environment: 'dev',
        selector: { tags: { team: 'research' } },
        limits: { spendPerPeriod: 20000, latencyP99Ms: 2000 },
      },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.file;
}

let server: AwsTestServer;
let engine: AutoScalingEngine;
const ledgers: SqliteLedger[] = [];

beforeAll(async () => {
  server = await startAwsServer(
    new Proxy({}, { get: (_t, target: string) => engine.handlers()[target] }) as never,
  );
});
afterAll(() => server.close());
afterEach(async () => {
  for (const l of ledgers.splice(0)) await l.close();
});

function setup() {
  engine = new AutoScalingEngine(() => Math.floor(NOW / 1000));
  server.requests.length = 0;
  for (const e of ENDPOINTS) {
    engine.seedTarget({
      resourceId: componentResourceId(e.component),
      dimension: COMPONENT_DIMENSION,
      min: 1,
      max: 2,
      tags: e.componentTags,
    });
  }
  const common = { region: 'us-east-1', endpoint: server.url, maxAttempts: 1 };
  const scaler = new AutoScalingWriter({
    autoscaling: new ApplicationAutoScalingClient(common),
    cloudwatch: new CloudWatchClient(common),
    usage: new ApiUsage(),
  });
  const ledger = new SqliteLedger(join(mkdtempSync(join(tmpdir(), 'act-ic-')), 'ledger.db'));
  ledgers.push(ledger);
  return { scaler, ledger };
}

describe('the act step on inference components', () => {
  it('scales the idle component of a tagged endpoint to zero, woken on request, and leaves the untagged one', async () => {
    const { scaler, ledger } = setup();
    const file = budgets();
    const snap = snapshot();
    const result = evaluate(snap, file);

    const out = await actStep({ file, snapshot: snap, result, scaler, ledger, now: NOW });

    const of = (c: string) => out.actions.filter((a) => a.resource.component === c);
    const [applied, ...more] = of('exp-llm-ic');
    expect(more).toEqual([]);
    expect(applied).toMatchObject({
      status: 'applied',
      kind: 'scale-to-zero',
      resource: { resourceId: componentResourceId('exp-llm-ic'), dimension: COMPONENT_DIMENSION },
      before: { target: { min: 1, max: 2 }, wakeOnRequest: false },
      after: { target: { min: 0 }, wakeOnRequest: true },
    });
    expect(of('exp-llm-b-ic').map((a) => [a.status, a.reason?.split(':')[0]])).toEqual([
      ['skipped', 'not-managed'],
    ]);

    // what the engine now holds: MinCapacity 0, the tool's target tracking on copies and its wake-on-request step
    const id = componentResourceId('exp-llm-ic');
    expect(engine.target(id, COMPONENT_DIMENSION)?.min).toBe(0);
    const policies = engine.state.policies.filter((p) => p.resourceId === id).map((p) => [p.name, p.type]);
    expect(policies.sort()).toEqual([
      [TOOL_NAMES.targetTracking, 'TargetTrackingScaling'],
      [TOOL_NAMES.wakeOnRequest, 'StepScaling'],
    ]);
    const alarm = server.requests.find((r) => r.target.endsWith('.PutMetricAlarm'));
    expect(alarm?.input).toMatchObject({
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'exp-llm-ic' }],
    });
    // nothing written names the untagged component
    const untagged = componentResourceId('exp-llm-b-ic');
    const written = server.requests.filter((r) => !r.target.includes('.Describe'));
    expect(written.length).toBeGreaterThan(0);
    for (const r of written) expect(r.input.ResourceId).not.toBe(untagged);
    expect(engine.target(untagged, COMPONENT_DIMENSION)).toMatchObject({ min: 1, max: 2 });
  }, 60_000);

  it('holds a component whose endpoint is tagged but not the component itself: its permission check would refuse', async () => {
    const { scaler, ledger } = setup();
    const file = budgets();
    const base = snapshot();
    const snap: Snapshot = {
      ...base,
      inventory: base.inventory.map((e) => ({
        ...e,
        components: e.components?.map((c) => ({ ...c, tags: {} })),
      })),
    };

    const out = await actStep({
      file,
      snapshot: snap,
      result: evaluate(snap, file),
      scaler,
      ledger,
      now: NOW,
    });

    const mine = out.actions.filter((a) => a.resource.component === 'exp-llm-ic');
    expect(mine.map((a) => [a.status, a.reason?.split(':')[0]])).toEqual([['skipped', 'not-managed']]);
    expect(out.applied).toEqual([]);
  }, 60_000);
});
