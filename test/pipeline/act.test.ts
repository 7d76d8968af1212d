/**
 * The act step of the deployed cycle, whole: the synthesized state machine runs a cycle in which team-04's budget is
 * in an enforce tier and two of its endpoints carry `perf-budgets:managed=true` with registered scalable targets
 * (harness/actuation.ts). Act plans each resource, holds each plan against its guardrails and applies what they
 * allow through the loopback Application Auto Scaling, recording the state it replaces in the DynamoDB ledger first;
 * it publishes each budget's status to SSM. A second execution of the same day writes nothing.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AutoScalingWriter } from '../../lambdas/aws/autoscaling-writer.ts';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import type { ActionRecord, ScalingState } from '../../lambdas/core/plan/types.ts';
import { ActionsPayloadSchema, ActOutputSchema } from '../../lambdas/cycle/contract.ts';
import { AS_OF, ENFORCE_BUDGET, enforceBudgetFile, pipelineAccount } from './harness/account.ts';
import { MANAGED_ENDPOINTS } from './harness/actuation.ts';
import { Assembly } from './harness/assembly.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import type { Execution } from './harness/pipeline.ts';

/** Application Auto Scaling and CloudWatch operations that change something. */
const WRITES =
  /^(AnyScaleFrontendService\.(Register|Deregister|Put|Delete|Tag)|GraniteServiceVersion20100801\.(PutMetricAlarm|DeleteAlarms))/;

interface Run {
  readonly execution: Execution;
  /** The JSON services' write requests during it. */
  readonly writes: readonly { target: string; input: Record<string, unknown> }[];
}

let deployed: Deployed;
let ledger: DynamoDbLedger;
let dynamo: DynamoDBClient;
/** The engine's targets before the first execution, by resource id. */
let before: Map<string, { min: number; max: number }>;
const runs: Record<'first' | 'rerun', Run | undefined> = { first: undefined, rerun: undefined };

async function runCycle(name: string): Promise<Run> {
  const { loopback, pipeline } = deployed;
  const from = loopback.aws.requests.length;
  const execution = await pipeline.run(name, { asOf: AS_OF });
  return { execution, writes: loopback.aws.requests.slice(from).filter((r) => WRITES.test(r.target)) };
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

/** The scaler act uses, pointed at the loopback services: reads Application Auto Scaling as act does. */
function scaler(): AutoScalingWriter {
  const { env } = deployed.loopback;
  const common = {
    region: env.AWS_REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  return new AutoScalingWriter({
    autoscaling: new ApplicationAutoScalingClient({
      ...common,
      endpoint: env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING,
    }),
    cloudwatch: new CloudWatchClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH }),
    usage: new ApiUsage(),
  });
}

beforeAll(async () => {
  const dir = inject('pipeline').assembly;
  deployed = await deploy(dir, enforceBudgetFile(pipelineAccount()));
  const { engine } = deployed.loopback.actuation;
  before = new Map(engine.state.targets.map((t) => [t.resourceId, { min: t.min, max: t.max }]));
  dynamo = new DynamoDBClient({
    region: deployed.loopback.env.AWS_REGION,
    endpoint: deployed.loopback.env.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  ledger = new DynamoDbLedger(new Assembly(dir).table().name, {
    client: DynamoDBDocumentClient.from(dynamo),
  });
  runs.first = await runCycle('act-first');
  runs.rerun = await runCycle('act-rerun');
}, 300_000);

afterAll(async () => {
  dynamo?.destroy();
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
      const now = (await scaler().read([r.resource])).get(r.resource.resourceId);
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
