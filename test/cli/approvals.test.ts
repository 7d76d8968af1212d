import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import type { ActionRecord } from '../../lambdas/core/plan/types.ts';
import { type ActAccount, budgetsYaml, DAY1, WRITES } from '../helpers/act-account.ts';
import { cliAt, useActAccount } from '../helpers/act-cli.ts';
import type { AwsTestServer } from '../helpers/aws-server.ts';

/**
 * Approve mode from the command line, against a loopback account: the staging budget `recs` in approve mode with
 * one approver; its planned change waits, is refused to anyone else, applied once when the approver approves it,
 * and shown with who decided in `actions` and `review`.
 */
const HOUR = 3_600_000;
const APPROVER = 'ops@example.com';

let account: ActAccount;
let server: AwsTestServer;
let dir: string;
let file: string;

const cli = (args: readonly string[], atMs: number) => cliAt(account, args, atMs);
const state = () => join(dir, 'state');
const writes = (from = 0) =>
  server.requests.slice(from).filter((r) => (WRITES as readonly string[]).includes(r.target));

async function pendingId(): Promise<string> {
  const r = await cli(['run', '--aws', '--budgets', file, '--state', state(), '--format', 'json'], DAY1);
  expect(r.code, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout) as CycleResult & { actions: ActionRecord[] };
  const waiting = result.actions.filter((a) => a.status === 'pending-approval');
  expect(waiting.map((a) => a.resource.endpoint)).toEqual(['recs-a']);
  return waiting[0]?.id ?? '';
}

const decide = (verb: 'approve' | 'reject', id: string, as: string, at: number, extra: string[] = []) =>
  cli([verb, id, '--as', as, '--budgets', file, '--state', state(), ...extra], at);

describe('approve and reject from the command line', () => {
  const current = useActAccount('pb-approve-');
  beforeEach(() => {
    ({ account, server, dir } = current());
    file = join(dir, 'budgets.yaml');
    writeFileSync(
      file,
      budgetsYaml({ recsScaling: '{ mode: approve }' }).replace(
        '  - name: chat',
        `    approvers: [${APPROVER}, U0RECSLEAD]\n  - name: chat`,
      ),
    );
  });

  it('holds the change for an approver, refuses anyone else, and applies it once when approved', async () => {
    const before = account.scalingOf('recs-a');
    const id = await pendingId();
    expect(writes()).toEqual([]);

    const pending = await cli(['actions', '--pending', '--state', state(), '--format', 'json'], DAY1 + HOUR);
    expect((JSON.parse(pending.stdout) as ActionRecord[]).map((a) => a.id)).toEqual([id]);

    const outsider = await decide('approve', id, 'mallory@example.com', DAY1 + HOUR);
    expect(outsider.code).toBe(2);
    expect(outsider.stderr.trim().split('\n')).toHaveLength(1);
    expect(outsider.stderr).toMatch(
      /refused \(not-approver\): mallory@example\.com is not an approver of budget recs/,
    );
    expect(writes()).toEqual([]);

    const ok = await decide('approve', id, 'OPS@example.com', DAY1 + 2 * HOUR);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Approved by OPS@example\.com/);
    expect(ok.stdout).toMatch(/Applied: recs-a\/AllTraffic is now min \d+, max \d+ \(was min 4, max \d+\)/);
    expect(writes().length).toBeGreaterThan(0);
    expect(account.scalingOf('recs-a').target).not.toEqual(before.target);
    const n = writes().length;

    const again = await decide('approve', id, APPROVER, DAY1 + 3 * HOUR);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refused \(not-pending\): Action act-[0-9a-f]{16} is applied/);
    expect(writes()).toHaveLength(n);

    const listed = await cli(['actions', '--state', state()], DAY1 + 3 * HOUR);
    expect(listed.stdout).toContain(`approved by OPS@example.com at`);

    const review = await cli(
      ['review', '--budget', 'recs', '--state', state(), '--budgets', file],
      DAY1 + 4 * HOUR,
    );
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toMatch(/## Approvals and refusals/);
    expect(review.stdout).toMatch(/\| mallory@example\.com \| cli \| refused \(not-approver\) \| act-/);
    expect(review.stdout).toMatch(/\| OPS@example\.com \| cli \| approved \| act-/);
    expect(review.stdout).toMatch(/\| refused \(not-pending\) \|/);
  }, 60_000);

  it('rejects without writing, and the next cycle does not ask again for the same change', async () => {
    const id = await pendingId();
    const no = await decide('reject', id, 'U0RECSLEAD', DAY1 + HOUR);
    expect(no.code, no.stderr).toBe(0);
    expect(no.stdout).toMatch(/Rejected by U0RECSLEAD/);
    const r = await cli(
      ['run', '--aws', '--budgets', file, '--state', state(), '--format', 'json'],
      DAY1 + 2 * HOUR,
    );
    const result = JSON.parse(r.stdout) as CycleResult & { actions: ActionRecord[] };
    expect(result.actions.filter((a) => a.resource.endpoint === 'recs-a').map((a) => a.status)).toEqual([
      'rejected',
    ]);
    expect(writes()).toEqual([]);
  }, 60_000);

  it('records an approval with --no-apply and leaves the change to the next cycle', async () => {
    const id = await pendingId();
    const ok = await decide('approve', id, APPROVER, DAY1 + HOUR, ['--no-apply']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(writes()).toEqual([]);
    const r = await cli(
      ['run', '--aws', '--budgets', file, '--state', state(), '--format', 'json'],
      DAY1 + 2 * HOUR,
    );
    const result = JSON.parse(r.stdout) as CycleResult & { actions: ActionRecord[] };
    expect(result.actions.filter((a) => a.id === id).map((a) => a.status)).toEqual(['applied']);
    expect(writes().length).toBeGreaterThan(0);
  }, 60_000);

  it('refuses bad input in one line with exit 2, writing nothing', async () => {
    const id = await pendingId();
    const cases: [string[], RegExp][] = [
      [
        ['approve', 'act-123', '--as', APPROVER, '--budgets', file, '--state', state()],
        /expected an action id like act-/,
      ],
      [['approve', id, '--as', ' ', '--budgets', file, '--state', state()], /--as: expected an approver/],
      [
        ['approve', id, '--as', APPROVER, '--budgets', file, '--state', join(dir, 'none')],
        /no ledger at .*none/,
      ],
      [
        ['reject', id, '--as', APPROVER, '--budgets', join(dir, 'missing.yaml'), '--state', state()],
        /missing\.yaml/,
      ],
      [['approve', id, '--budgets', file, '--state', state()], /--as/],
      [
        ['approve', id, '--as', APPROVER, '--budgets', file, '--state', state(), '--table', 't'],
        /--state or --table/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, DAY1 + HOUR);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(join(dir, 'none'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['budgets.yaml', 'state']);
    expect(writes()).toEqual([]);
  }, 60_000);
});
