/**
 * One account, two paths, one result: the CLI's live run (`perf-budgets run --aws`, pointed at the loopback services
 * through AWS_ENDPOINT_URL_*) and the deployed pipeline (the state machine over the Lambda bundles) must write the
 * same cycle.json for the same day (its actions too, apart from the instants they were made at). The deployed path's
 * copy is the one the report Lambda writes beside the report. And every step of the deployed cycle gets the event
 * its schema reads and returns what its output schema says.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type * as z from 'zod';
import {
  ActOutputSchema,
  CollectEventSchema,
  CollectOutputSchema,
  EvaluateEventSchema,
  EvaluateOutputSchema,
  FindingsEventSchema,
  NotifyEventSchema,
  NotifyOutputSchema,
  ReportEventSchema,
  ReportOutputSchema,
} from '../../lambdas/cycle/contract.ts';
import { AS_OF } from './harness/account.ts';
import { type CommandRun, environmentWithoutAws, runCommand } from './harness/command.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import { ROOT } from './harness/lambda.ts';
import type { Execution } from './harness/pipeline.ts';

/** `npx perf-budgets ...` as a user runs it, with the environment `env` adds (and none of the caller's AWS_*). */
function perfBudgets(args: readonly string[], env: Readonly<Record<string, string>>): Promise<CommandRun> {
  return runCommand('npx', ['perf-budgets', ...args], {
    cwd: ROOT,
    env: { ...environmentWithoutAws(), NO_COLOR: '1', ...env },
  });
}

let deployed: Deployed;
let out: string;
let cli: CommandRun;
let execution: Execution;

beforeAll(async () => {
  const { assembly, budgets } = inject('pipeline');
  deployed = await deploy(assembly);
  out = mkdtempSync(join(tmpdir(), 'perf-budgets-contract-'));
  cli = await perfBudgets(
    ['run', '--aws', '--budgets', budgets, '--as-of', AS_OF, '--out', out, '--no-state', '--format', 'json'],
    deployed.loopback.env,
  );
  execution = await deployed.pipeline.run('contract', { asOf: AS_OF, report: true });
}, 300_000);

afterAll(async () => {
  await deployed?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

it('runs the CLI live run and the deployed cycle to the end', () => {
  expect(cli.code, cli.output.slice(-3000)).toBe(0);
  expect(execution.status, explain(execution)).toBe('SUCCEEDED');
});

it("writes the same cycle.json through the CLI's live run and through the deployed pipeline", async () => {
  const viaCli = JSON.parse(readFileSync(join(out, 'cycle.json'), 'utf8')) as unknown;
  const viaLambdas = await deployed.loopback.getJson(`reports/2026-10-01/${AS_OF}/cycle.json`);
  expect(withoutInstants(viaLambdas)).toEqual(withoutInstants(viaCli));
  // the same plans: the advise tiers' recommendations
  expect((viaLambdas as { actions?: unknown[] }).actions?.length).toBeGreaterThan(0);
});

/** The event and the output schema of each function of the cycle. */
const STEP_SCHEMAS: Readonly<Record<string, readonly [z.ZodType, z.ZodType]>> = {
  Collect: [CollectEventSchema, CollectOutputSchema],
  Evaluate: [EvaluateEventSchema, EvaluateOutputSchema],
  Act: [FindingsEventSchema, ActOutputSchema],
  Notify: [NotifyEventSchema, NotifyOutputSchema],
  Report: [ReportEventSchema, ReportOutputSchema],
};

it('gives every step the event its schema reads, with nothing it ignores, and gets back what its output schema says', () => {
  expect(new Set(execution.invocations.map((i) => i.function))).toEqual(new Set(Object.keys(STEP_SCHEMAS)));
  for (const i of execution.invocations) {
    const [event, output] = STEP_SCHEMAS[i.function] as readonly [z.ZodType, z.ZodType];
    expect(event.safeParse(i.event).error, `${i.function} event`).toBeUndefined();
    // the event schemas let unknown keys through: the state machine must not send any
    const known = Object.keys((event as unknown as { shape: object }).shape);
    expect(
      Object.keys(i.event as object).filter((k) => !known.includes(k)),
      `${i.function} event`,
    ).toEqual([]);
    expect(output.safeParse(i.result).error, `${i.function} output`).toBeUndefined();
  }
  // notify and the report got act's actions
  const actionsKey = ActOutputSchema.parse(execution.output?.acted).actionsKey;
  for (const f of ['Notify', 'Report'])
    expect(execution.invocations.find((i) => i.function === f)?.event).toMatchObject({ actionsKey });
});

/** `value` with the instants an action was created, applied or moved at taken out: each run has its own. */
function withoutInstants(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) =>
    ['createdAt', 'appliedAt', 'at'].includes(key) && typeof v === 'string' ? '<instant>' : v,
  );
}
