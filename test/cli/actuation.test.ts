import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { type ActionRecord, TOOL_NAMES } from '../../lambdas/core/plan/types.ts';
import {
  type ActAccount,
  budgetsYaml,
  DAY1,
  LATENCY_CEILING_MS,
  resourceIdOf,
  WRITES,
} from '../helpers/act-account.ts';
import { cliAt, useActAccount } from '../helpers/act-cli.ts';
import type { AwsTestServer } from '../helpers/aws-server.ts';

/**
 * The act step against a loopback account (test/helpers/act-account.ts) through the real SDK clients and the CLI:
 * an enforce tier changes only its tagged endpoint, within its guardrails, recording the state it replaces; a rerun,
 * a dry run, an advise tier and `plan` write nothing; a regression after a change is rolled back by the next cycle
 * to exactly the recorded state; a change that holds is verified; `rollback ID` undoes a change by hand, once.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

let account: ActAccount;
let server: AwsTestServer;
let dir: string;

const cli = (args: readonly string[], atMs: number) => cliAt(account, args, atMs);

function budgets(yaml = budgetsYaml()): string {
  const path = join(dir, `budgets-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** One daily cycle of the live account at `atMs`, its result parsed. */
async function cycle(atMs: number, extra: readonly string[] = [], file = budgets()) {
  const r = await cli(
    ['run', '--aws', '--budgets', file, '--state', join(dir, 'state'), '--format', 'json', ...extra],
    atMs,
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CycleResult & { actions: ActionRecord[] };
}

async function ledger(): Promise<ActionRecord[]> {
  const r = await cli(['actions', '--state', join(dir, 'state'), '--format', 'json'], account.now);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ActionRecord[];
}

const writes = (from = 0) =>
  server.requests.slice(from).filter((r) => (WRITES as readonly string[]).includes(r.target));

describe('actuation against a loopback account', () => {
  const current = useActAccount('pb-act-');
  beforeEach(() => {
    ({ account, server, dir } = current());
  });

  it('changes only the tagged endpoint of the enforce tier, within its step, recording the state it replaces', async () => {
    const before = account.scalingOf('recs-a');
    const untouched = { b: account.scalingOf('recs-b'), chat: account.scalingOf('chat-a') };
    const result = await cycle(DAY1);

    const byEndpoint = (name: string) => result.actions.filter((a) => a.resource.endpoint === name);
    expect(byEndpoint('recs-a').map((a) => a.status)).toEqual(['applied']);
    expect(byEndpoint('recs-b').map((a) => a.reason?.split(':')[0])).toEqual(['not-managed']);
    expect(byEndpoint('recs-b').map((a) => a.status)).toEqual(['skipped']);
    expect(byEndpoint('chat-a').map((a) => a.status)).toEqual(['recommended']);

    // every write names recs-a, and recs-b and chat-a are as they were
    const written = writes();
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) expect(w.input.ResourceId).toBe(resourceIdOf('recs-a'));
    expect(account.scalingOf('recs-b')).toEqual(untouched.b);
    expect(account.scalingOf('chat-a')).toEqual(untouched.chat);

    // the minimum came down by at most half, under the tool's own policy; the other schedule is left alone
    const now = account.scalingOf('recs-a');
    const min = now.target?.min ?? 0;
    expect(min).toBeLessThan(4);
    expect(min).toBeGreaterThanOrEqual(2);
    expect(now.policies.map((p) => [p.name, p.type])).toEqual([
      [TOOL_NAMES.targetTracking, 'TargetTrackingScaling'],
    ]);
    expect(now.schedules).toEqual(before.schedules);

    const [rec, ...others] = (await ledger()).filter((a) => a.status === 'applied');
    expect(others).toEqual([]);
    expect(rec?.resource.endpoint).toBe('recs-a');
    // the record's before is what the engine held before the write: its target, no tool policy, no tool schedule
    expect(rec?.before).toEqual({
      target: before.target,
      targetTracking: null,
      wakeOnRequest: false,
      schedules: [],
    });
    expect(rec?.after.target).toEqual(now.target);
    expect(rec?.after.targetTracking?.targetValue).toBe(now.policies[0]?.config.TargetValue);
  }, 60_000);

  it('writes nothing when the same day runs again, and adds no ledger record', async () => {
    await cycle(DAY1);
    const first = await ledger();
    const from = server.requests.length;
    const again = await cycle(DAY1 + 2 * HOUR_MS);
    expect(writes(from)).toEqual([]);
    expect(server.requests.slice(from).filter((r) => r.target === 'AmazonSSM.PutParameter')).toEqual([]);
    expect(await ledger()).toEqual(first);
    // recs-a already holds what the plan wants; the others find their own records of the first run
    const ids = new Set(first.map((a) => a.id));
    expect(again.actions.filter((a) => !ids.has(a.id))).toEqual([]);
  }, 60_000);

  it('writes nothing with --dry-run, and shows what it would apply as skipped: dry-run', async () => {
    const result = await cycle(DAY1, ['--dry-run']);
    expect(writes()).toEqual([]);
    expect(server.requests.filter((r) => r.target === 'AmazonSSM.PutParameter')).toEqual([]);
    const recs = result.actions.find((a) => a.resource.endpoint === 'recs-a');
    expect([recs?.status, recs?.reason?.split(':')[0]]).toEqual(['skipped', 'dry-run']);
  }, 60_000);

  it('applies on a run after a --dry-run of the same day', async () => {
    await cycle(DAY1, ['--dry-run']);
    const result = await cycle(DAY1 + HOUR_MS);
    expect(result.actions.find((a) => a.resource.endpoint === 'recs-a')?.status).toBe('applied');
    expect(writes().length).toBeGreaterThan(0);
    expect(account.scalingOf('recs-a').policies.map((p) => p.name)).toEqual([TOOL_NAMES.targetTracking]);
  }, 60_000);

  it('writes nothing for a budget whose guardrails say dryRun', async () => {
    const result = await cycle(DAY1, [], budgets(budgetsYaml({ recsScaling: '{ dryRun: true }' })));
    expect(writes()).toEqual([]);
    const recs = result.actions.find((a) => a.resource.endpoint === 'recs-a');
    expect([recs?.status, recs?.reason?.split(':')[0]]).toEqual(['skipped', 'dry-run']);
  }, 60_000);

  it('writes nothing with plan --aws, not even to the ledger', async () => {
    const r = await cli(
      ['plan', '--aws', '--budgets', budgets(), '--state', join(dir, 'state'), '--format', 'json'],
      DAY1,
    );
    expect(r.code, r.stderr).toBe(0);
    const planned = JSON.parse(r.stdout) as ActionRecord[];
    expect(planned.find((a) => a.resource.endpoint === 'recs-a')?.reason?.split(':')[0]).toBe('dry-run');
    expect(writes()).toEqual([]);
    expect(await ledger()).toEqual([]);
  }, 60_000);

  it('rolls back a change whose p99 went over the ceiling, to exactly the recorded state, and says so', async () => {
    const before = account.scalingOf('recs-a');
    await cycle(DAY1);
    const [applied] = (await ledger()).filter((a) => a.status === 'applied');
    account.regress(DAY1 + HOUR_MS, ['recs-a'], LATENCY_CEILING_MS * 1.5);
    const from = server.requests.length;
    const result = await cycle(DAY1 + DAY_MS);

    expect(account.scalingOf('recs-a')).toEqual(before);
    for (const w of writes(from)) expect(w.input.ResourceId).toBe(resourceIdOf('recs-a'));
    const rec = (await ledger()).find((a) => a.id === applied?.id);
    expect(rec?.status).toBe('rolled-back');
    expect(rec?.reason).toMatch(/p99 .*over the 200 ms ceiling/);
    const finding = result.budgets
      .find((b) => b.name === 'recs')
      ?.findings.find((f) => f.kind === 'change-rolled-back');
    expect(finding?.message).toContain(applied?.id);
    // the rollback counts as a change: nothing new is applied to recs-a in the same cycle
    expect(result.actions.filter((a) => a.resource.endpoint === 'recs-a' && a.status === 'applied')).toEqual(
      [],
    );
  }, 60_000);

  it('verifies a change that held for its verification window, with what it measured', async () => {
    await cycle(DAY1);
    const after = account.scalingOf('recs-a');
    const [applied] = (await ledger()).filter((a) => a.status === 'applied');
    const from = server.requests.length;
    await cycle(DAY1 + DAY_MS);
    expect(writes(from)).toEqual([]);
    expect(account.scalingOf('recs-a')).toEqual(after);
    const rec = (await ledger()).find((a) => a.id === applied?.id);
    expect(rec?.status).toBe('verified');
    expect(rec?.measured?.hours).toBeGreaterThanOrEqual(12);
    expect(rec?.measured?.after.p99Ms).toBeLessThanOrEqual(LATENCY_CEILING_MS);
    expect(rec?.measured?.before.p99Ms).not.toBeNull();
  }, 60_000);

  it('rolls a change back by hand to exactly the recorded state, and refuses a second rollback', async () => {
    const before = account.scalingOf('recs-a');
    await cycle(DAY1);
    const [applied] = (await ledger()).filter((a) => a.status === 'applied');
    const args = ['rollback', applied?.id ?? '', '--state', join(dir, 'state')];
    const first = await cli(args, DAY1 + 3 * HOUR_MS);
    expect(first.code, first.stderr).toBe(0);
    expect(account.scalingOf('recs-a')).toEqual(before);
    expect((await ledger()).find((a) => a.id === applied?.id)?.status).toBe('rolled-back');

    const from = server.requests.length;
    const second = await cli(args, DAY1 + 4 * HOUR_MS);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('rolled-back');
    expect(writes(from)).toEqual([]);
  }, 60_000);
});
