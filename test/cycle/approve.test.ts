import { beforeAll, describe, expect, it } from 'vitest';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { NO_SCALING, type ScalingState } from '../../lambdas/core/plan/types.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { actStep } from '../../lambdas/cycle/act.ts';
import { applyApproved, decideApproval } from '../../lambdas/cycle/approve.ts';
import type { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import { demoSnapshot, withInventory } from '../helpers/demo.ts';
import { MemoryScaler } from '../helpers/memory-scaler.ts';
import { tempLedgers } from '../helpers/temp-ledgers.ts';

/**
 * Approve mode through the application layer, on the demo account with an in-memory Application Auto Scaling:
 * chat-prod (the production tier, approve mode, approvers U0PLATFORM1 and platform-lead@example.com) is opted in
 * and in service, so its planned change waits for an approver.
 */
const CHAT = 'chat-prod';
const RESOURCE = `endpoint/${CHAT}/variant/AllTraffic`;
const NOW = Date.parse('2026-10-16T06:00:00Z');
const H = 3_600_000;
const APPROVER = 'U0PLATFORM1';

let file: BudgetFile;
let snapshot: Snapshot;
let result: CycleResult;
const chatState: ScalingState = { ...NO_SCALING, target: { min: 4, max: 8 } };

beforeAll(async () => {
  const demo = await demoSnapshot();
  file = demo.file;
  snapshot = withInventory(demo.snapshot, CHAT);
  result = evaluate(snapshot, file);
});

const ledger = tempLedgers('approve-');
function scaler(): MemoryScaler {
  const s = new MemoryScaler();
  s.states.set(RESOURCE, chatState);
  return s;
}
const nextDay = (r: CycleResult, days = 1): CycleResult => {
  const d = new Date(`${r.asOf}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return { ...r, asOf: d.toISOString().slice(0, 10) };
};
const withTier = (over: Record<string, unknown>): BudgetFile => ({
  ...file,
  tiers: { ...file.tiers, production: { ...file.tiers.production, ...over } as BudgetFile['tiers'][string] },
});

/** One cycle that leaves chat-prod's change waiting; its id. */
async function pendingChange(l: SqliteLedger, s: MemoryScaler, f = file, now = NOW, r = result) {
  const out = await actStep({ file: f, snapshot, result: r, scaler: s, ledger: l, now });
  const waiting = out.actions.filter((a) => a.resource.endpoint === CHAT && a.status === 'pending-approval');
  expect(waiting).toHaveLength(1);
  return waiting[0]?.id ?? '';
}

const approve = (l: SqliteLedger, id: string, by = APPROVER, now = NOW + H, key = `k|${id}|${by}|${now}`) =>
  decideApproval({
    request: { actionId: id, decision: 'approve', by, via: 'slack', key },
    file,
    ledger: l,
    now,
  });

describe('approve mode', () => {
  it('writes nothing while a change waits, and applies it once the next cycle after it is approved', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    expect(s.writes).toEqual([]);

    const r = await approve(l, id);
    expect(r).toMatchObject({ outcome: 'approved', action: { status: 'approved' } });
    expect(r.action?.history.at(-1)).toMatchObject({ status: 'approved', by: APPROVER });
    expect(s.writes).toEqual([]);

    const later = await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW + 2 * H });
    expect(later.applied).toContain(id);
    expect(s.writes).toHaveLength(1);
    const [stored] = await l.actions({ id });
    expect(stored?.status).toBe('applied');
    expect(s.states.get(RESOURCE)).toEqual(stored?.after);
    expect(stored?.history.map((e) => e.status)).toEqual([
      'recommended',
      'pending-approval',
      'approved',
      'applied',
    ]);

    // a rerun finds it applied: nothing is written again, nothing asked again
    s.writes.length = 0;
    const again = await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW + 3 * H });
    expect(s.writes).toEqual([]);
    expect(again.actions.filter((a) => a.status === 'pending-approval')).toEqual([]);
    expect((await l.approvals({ actionId: id })).map((a) => [a.outcome, a.by])).toEqual([
      ['approved', APPROVER],
    ]);
  });

  it('moves a change once when two approvals arrive at once, and applies it once when two appliers race', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    const both = await Promise.all([
      approve(l, id, APPROVER, NOW + H, 'first'),
      approve(l, id, 'platform-lead@example.com', NOW + H, 'second'),
    ]);
    expect(both.map((b) => b.outcome).sort()).toEqual(['approved', 'refused']);
    expect(both.find((b) => b.outcome === 'refused')?.reason).toBe('not-pending');

    const applied = await Promise.all([
      applyApproved({ id, file, ledger: l, scaler: s, now: NOW + 2 * H }),
      applyApproved({ id, file, ledger: l, scaler: s, now: NOW + 2 * H }),
    ]);
    expect(applied.map((a) => a.status).sort()).toEqual(['applied', 'not-approved']);
    expect(s.writes).toHaveLength(1);
    expect(await l.approvals({ actionId: id })).toHaveLength(2);
  });

  it('refuses a replay, a person who is not an approver, an unknown action and a decided one, recording each', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    const outsider = await approve(l, id, 'U0SOMEONE9');
    expect(outsider).toMatchObject({ outcome: 'refused', reason: 'not-approver' });
    expect((await l.actions({ id }))[0]?.status).toBe('pending-approval');
    const unknown = await approve(l, 'act-ffffffffffffffff');
    expect(unknown).toMatchObject({ outcome: 'refused', reason: 'unknown-action' });

    const first = await approve(l, id, APPROVER, NOW + H, 'one-request');
    expect(first.outcome).toBe('approved');
    const replay = await approve(l, id, APPROVER, NOW + H + 1000, 'one-request');
    expect(replay).toMatchObject({ outcome: 'refused', reason: 'replay' });
    const rejectLate = await decideApproval({
      request: { actionId: id, decision: 'reject', by: APPROVER, via: 'cli', key: 'another' },
      file,
      ledger: l,
      now: NOW + 2 * H,
    });
    expect(rejectLate).toMatchObject({ outcome: 'refused', reason: 'not-pending' });
    expect(rejectLate.detail).toMatch(/is approved \(approved by U0PLATFORM1/);

    const audit = await l.approvals({
      from: new Date(NOW).toISOString(),
      to: new Date(NOW + 3 * H).toISOString(),
    });
    expect(audit.map((a) => a.reason ?? a.outcome)).toEqual([
      'not-approver',
      'unknown-action',
      'approved',
      'replay',
      'not-pending',
    ]);
    expect(s.writes).toEqual([]);
  });

  it('expires a change nobody approved in time; the approval after that is refused and the next cycle asks afresh', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    const late = await approve(l, id, APPROVER, NOW + 25 * H);
    expect(late).toMatchObject({ outcome: 'refused', reason: 'expired', action: { status: 'expired' } });
    expect(s.writes).toEqual([]);

    const tomorrow = nextDay(result);
    const fresh = await pendingChange(l, s, file, NOW + 26 * H, tomorrow);
    expect(fresh).not.toBe(id);
  });

  it('expires a pending change at the first cycle past its time', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    const out = await actStep({
      file,
      snapshot,
      result: nextDay(result),
      scaler: s,
      ledger: l,
      now: NOW + 25 * H,
    });
    expect(out.actions.find((a) => a.id === id)?.status).toBe('expired');
    expect((await l.actions({ id }))[0]?.reason).toMatch(/nobody approved it within 24 h/);
    // and the day's plan asks afresh, under its own id
    const asked = out.actions.filter((a) => a.resource.endpoint === CHAT && a.status === 'pending-approval');
    expect(asked.map((a) => a.id)).not.toContain(id);
    expect(asked).toHaveLength(1);
  });

  it('asks once: the same change still waiting is not asked again the next day, and a rejected one stands', async () => {
    const s = scaler();
    const l = ledger();
    const patient = withTier({ guardrails: { approvalHours: 72 } });
    const id = await pendingChange(l, s, patient);
    const tomorrow = await actStep({
      file: patient,
      snapshot,
      result: nextDay(result),
      scaler: s,
      ledger: l,
      now: NOW + 24 * H,
    });
    const chat = tomorrow.actions.filter((a) => a.resource.endpoint === CHAT);
    expect(chat.map((a) => [a.id, a.status])).toEqual([[id, 'pending-approval']]);

    await decideApproval({
      request: { actionId: id, decision: 'reject', by: APPROVER, via: 'cli', key: 'no' },
      file: patient,
      ledger: l,
      now: NOW + 25 * H,
    });
    const after = await actStep({
      file: patient,
      snapshot,
      result: nextDay(result, 2),
      scaler: s,
      ledger: l,
      now: NOW + 48 * H,
    });
    expect(after.actions.filter((a) => a.resource.endpoint === CHAT).map((a) => a.status)).toEqual([
      'rejected',
    ]);
    expect(s.writes).toEqual([]);
  });

  it('supersedes a waiting change when the next cycle plans another one for the resource', async () => {
    const s = scaler();
    const l = ledger();
    const patient = withTier({ guardrails: { approvalHours: 72 } });
    const id = await pendingChange(l, s, patient);
    s.states.set(RESOURCE, { ...NO_SCALING, target: { min: 5, max: 8 } });
    const fresh = await pendingChange(l, s, patient, NOW + 24 * H, nextDay(result));
    expect(fresh).not.toBe(id);
    const [old] = await l.actions({ id });
    expect(old?.status).toBe('expired');
    expect(old?.reason).toBe(`superseded by ${fresh}, planned on newer evidence`);
  });

  it('writes nothing when the scaling changed since the plan, and holds an approved change in a freeze window', async () => {
    const s = scaler();
    const l = ledger();
    const id = await pendingChange(l, s);
    await approve(l, id);
    s.states.set(RESOURCE, { ...NO_SCALING, target: { min: 6, max: 8 } });
    const stale = await applyApproved({ id, file, ledger: l, scaler: s, now: NOW + 2 * H });
    expect(stale.status).toBe('failed');
    expect(stale.detail).toMatch(
      /changed since the change was planned \(min 4, max 8 then, min 6, max 8 now\)/,
    );
    expect(s.writes).toEqual([]);

    const s2 = scaler();
    const l2 = ledger();
    const frozen = withTier({ guardrails: { freeze: [{ cron: '0 0 * * *', durationHours: 24 }] } });
    // planned outside the freeze (the tier had none), approved, then applied while one is open
    const id2 = await pendingChange(l2, s2);
    await approve(l2, id2);
    const held = await applyApproved({ id: id2, file: frozen, ledger: l2, scaler: s2, now: NOW + 2 * H });
    expect(held.status).toBe('held');
    expect(held.detail).toMatch(/held \(freeze\)/);
    expect((await l2.actions({ id: id2 }))[0]?.status).toBe('approved');
    expect(s2.writes).toEqual([]);
  });
});
