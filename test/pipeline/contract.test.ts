/**
 * One account, two paths, one result: the CLI's live run (`perf-budgets run --aws`, pointed at the loopback services
 * through AWS_ENDPOINT_URL_*) and the deployed pipeline (the state machine over the Lambda bundles) must write the
 * same cycle.json for the same day. The deployed path's copy is the one the report Lambda writes beside the report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
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
  expect(viaLambdas).toEqual(viaCli);
});
