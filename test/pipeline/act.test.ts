/**
 * The act step of the deployed cycle, whole: the synthesized state machine runs a cycle in which team-04's budget is
 * in an enforce tier and two of its endpoints carry `perf-budgets:managed=true` with registered scalable targets
 * (harness/actuation.ts). Act plans each resource, holds each plan against its guardrails and applies what they
 * allow through the loopback Application Auto Scaling, recording the state it replaces in the DynamoDB ledger first;
 * it publishes each budget's status to SSM. A second execution of the same day writes nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import type { ActionRecord, ScalingState } from '../../lambdas/core/plan/types.ts';
import { ActionsPayloadSchema, ActOutputSchema } from '../../lambdas/cycle/contract.ts';
import { AS_OF, ENFORCE_BUDGET, enforceBudgetFile, pipelineAccount } from './harness/account.ts';
import { MANAGED_ENDPOINTS } from './harness/actuation.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import type { Execution } from './harness/pipeline.ts';
import type { SnsMessage } from './harness/sns-server.ts';

interface Run {
  readonly execution: Execution;
  /** The JSON services' write requests during it. */
  readonly writes: readonly { target: string; input: Record<string, unknown> }[];
  /** The alerts published to the topic during it. */
  readonly alerts: readonly SnsMessage[];
}

let deployed: Deployed;
let ledger: DynamoDbLedger;
/** The engine's targets before the first execution, by resource id. */
let before: Map<string, { min: number; max: number }>;
const runs: Record<'first' | 'rerun' | 'regressed' | 'regressedRerun', Run | undefined> = {
  first: undefined,
  rerun: undefined,
  regressed: undefined,
  regressedRerun: undefined,
};
/** A change made on 2026-10-11 to the managed endpoint that keeps its team's policy, recorded as act records one. */
let injected: ActionRecord;
const REGRESSED = 'svc-0004-prod';
const CHANGED_AT = '2026-10-11T00:30:00.000Z';

async function runCycle(name: string): Promise<Run> {
  const { loopback, pipeline } = deployed;
  const from = loopback.aws.requests.length;
  const sns = loopback.sns.messages.length;
  const execution = await pipeline.run(name, { asOf: AS_OF });
  return {
    execution,
    writes: loopback.scalingWrites(from),
    alerts: loopback.sns.messages.slice(sns),
  };
}

const run = (name: keyof typeof runs): Run => {
  const r = runs[name];
  if (!r) throw new Error(`the ${name} execution did not run`);
  return r;
};

/** A state with its schedules in name order, as Application Auto Scaling lists them. */
const byName = (s: ScalingState): ScalingState => ({
  ...s,
  schedules: [...s.schedules].sort((a, b) => a.name.localeCompare(b.name)),
});

const acted = (e: Execution) => ActOutputSchema.parse(e.output?.acted);

beforeAll(async () => {
  const dir = inject('pipeline').assembly;
  deployed = await deploy(dir, enforceBudgetFile(pipelineAccount()));
  const { engine } = deployed.loopback.actuation;
  before = new Map(engine.state.targets.map((t) => [t.resourceId, { min: t.min, max: t.max }]));
  ledger = deployed.ledger;
  runs.first = await runCycle('act-first');
  runs.rerun = await runCycle('act-rerun');
  await injectRegression();
  runs.regressed = await runCycle('act-regressed');
  runs.regressedRerun = await runCycle('act-regressed-rerun');
}, 400_000);

/**
 * As if an earlier cycle had lowered svc-0004-prod's maximum on 2026-10-11 (the ledger holds the applied change,
 * Application Auto Scaling the new maximum) and its p99 had gone over the budget's ceiling since.
 */
async function injectRegression(): Promise<void> {
  const { actuation } = deployed.loopback;
  const payload = ActionsPayloadSchema.parse(
    await deployed.loopback.getJson(acted(run('first').execution).actionsKey),
  );
  const held = payload.actions.find((a) => a.resource.endpoint === REGRESSED);
  if (!held) throw new Error(`the first cycle planned nothing for ${REGRESSED}`);
  const target = held.before.target as { min: number; max: number };
  injected = {
    ...held,
    id: 'act-0123456789abcdef',
    kind: 'scaling',
    status: 'applied',
    reason: 'The change is within its guardrails and is made.',
    after: { ...held.before, target: { min: target.min, max: target.min + 1 } },
    asOf: '2026-10-10',
    createdAt: CHANGED_AT,
    appliedAt: CHANGED_AT,
    history: [
      { status: 'recommended', at: CHANGED_AT },
      { status: 'applied', at: CHANGED_AT, reason: 'The change is within its guardrails and is made.' },
    ],
  };
  await ledger.putAction(injected, 'absent');
  const t = actuation.engine.target(held.resource.resourceId, held.resource.dimension);
  if (!t) throw new Error(`${held.resource.resourceId} has no scalable target`);
  t.max = target.min + 1;
  actuation.regress(REGRESSED, Date.parse(CHANGED_AT) + 30 * 60_000, 40);
}

afterAll(async () => {
  await deployed?.close();
});

describe('a cycle with an enforce tier and managed endpoints', () => {
  it('succeeds, and act applies at least one change', () => {
    const { execution } = run('first');
    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    expect(acted(execution).applied.length, JSON.stringify(execution.output?.acted)).toBeGreaterThan(0);
    expect(acted(execution).failed).toEqual([]);
  });

  it('writes only the managed endpoints of the enforce tier, and exactly the guarded change', async () => {
    const { execution, writes } = run('first');
    const managed = MANAGED_ENDPOINTS.map((e) => `endpoint/${e}/`);
    for (const w of writes) {
      const id = String(w.input.ResourceId ?? w.input.AlarmName ?? '');
      expect(
        managed.some((m) => id.includes(m)),
        `${w.target} on ${id}`,
      ).toBe(true);
    }
    const { engine } = deployed.loopback.actuation;
    for (const id of acted(execution).applied) {
      const [rec] = await ledger.actions({ id });
      expect(rec?.status).toBe('applied');
      const r = rec as ActionRecord;
      expect(r.budget).toBe(ENFORCE_BUDGET);
      expect(r.appliedAt).toBeDefined();
      // the state it replaced, as it was before the cycle
      const prior = before.get(r.resource.resourceId) ?? null;
      expect(r.before.target).toEqual(prior);
      expect(r.before).toMatchObject({ targetTracking: null, wakeOnRequest: false, schedules: [] });
      // and Application Auto Scaling now holds the change the guard let through, read as act reads it
      const now = (await deployed.scaler().read([r.resource])).get(r.resource.resourceId);
      expect(now && byName(now.state)).toEqual(byName(r.after));
    }
    // a target no applied action names is as it was
    const changed = new Set(
      (await ledger.actions({ statuses: ['applied'] })).map((r) => r.resource.resourceId),
    );
    for (const t of engine.state.targets.filter((x) => !changed.has(x.resourceId)))
      expect({ min: t.min, max: t.max }).toEqual(before.get(t.resourceId));
  });

  it('stores the actions under actions/<asOf>/<runId>.json, parsing with the contract', async () => {
    const { execution } = run('first');
    const key = acted(execution).actionsKey;
    expect(key).toBe(`actions/${AS_OF}/act-first.json`);
    const payload = ActionsPayloadSchema.parse(await deployed.loopback.getJson(key));
    expect(payload.asOf).toBe(AS_OF);
    const applied = payload.actions.filter((a) => a.status === 'applied').map((a) => a.id);
    expect(applied.sort()).toEqual([...acted(execution).applied].sort());
  });

  it("publishes every budget's status to SSM", () => {
    const { parameters } = deployed.loopback.actuation.ssm;
    const file = enforceBudgetFile(pipelineAccount()) as { budgets: { name: string }[] };
    for (const b of file.budgets) {
      expect(parameters.get(`/perf-budgets/budgets/${b.name}/status`)?.value, b.name).toMatch(
        /^(ok|at-risk|breached|unknown)$/,
      );
    }
    expect(acted(run('first').execution).parameters).toEqual(
      expect.arrayContaining(file.budgets.map((b) => `/perf-budgets/budgets/${b.name}/status`)),
    );
  });
});

describe('the same cycle run again', () => {
  it('succeeds and writes nothing to Application Auto Scaling, CloudWatch alarms or SSM', () => {
    const { execution, writes } = run('rerun');
    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    expect(writes).toEqual([]);
    expect(acted(execution).applied).toEqual([]);
    expect(acted(execution).parameters).toEqual([]);
  });
});

describe('a cycle after a change that hurt', () => {
  it('rolls the change back to exactly the recorded state', async () => {
    const { execution, writes } = run('regressed');
    expect(execution.status, explain(execution)).toBe('SUCCEEDED');
    expect(acted(execution).rolledBack).toEqual([injected.id]);
    const [rec] = await ledger.actions({ id: injected.id });
    expect(rec?.status).toBe('rolled-back');
    const t = deployed.loopback.actuation.engine.target(
      injected.resource.resourceId,
      injected.resource.dimension,
    );
    expect(t && { min: t.min, max: t.max }).toEqual(injected.before.target);
    // the rollback is the only write: the team's own policy is left alone
    expect(writes.map((w) => [w.target, w.input.ResourceId])).toEqual([
      ['AnyScaleFrontendService.RegisterScalableTarget', injected.resource.resourceId],
    ]);
  });

  it('alerts the budget once on the topic that the change was rolled back, and why', () => {
    const rolled = (r: Run) => r.alerts.filter((m) => m.attributes.kind === 'change-rolled-back');
    const [alert, ...more] = rolled(run('regressed'));
    expect(more).toEqual([]);
    expect(alert?.attributes).toMatchObject({ budget: ENFORCE_BUDGET, transition: 'opened' });
    const body = JSON.parse(JSON.parse(alert?.message ?? '{}').default) as { alert: { message: string } };
    expect(body.alert.message).toContain(injected.id);
    expect(body.alert.message).toMatch(/p99/);
    expect(rolled(run('regressedRerun'))).toEqual([]);
    expect(run('regressedRerun').writes).toEqual([]);
  });
});
