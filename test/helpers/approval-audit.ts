import { describe, expect, it } from 'vitest';
import { approvalId } from '../../lambdas/core/plan/approval.ts';
import type { ApprovalRecord } from '../../lambdas/core/plan/types.ts';
import type { ApprovalAudit } from '../../lambdas/ports.ts';

/**
 * A decision on one action, with every field a record can hold, so that a round trip that loses any part of it
 * shows. `key` makes the id as the application layer does.
 */
export const approval = (key: string, parts: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  id: approvalId(key),
  outcome: 'approved',
  actionId: 'act-0001',
  budget: 'search-prod',
  endpoint: 'search-prod',
  by: 'U012ABCDEF',
  via: 'slack',
  at: '2026-10-10T06:00:00.000Z',
  detail: 'Approved by U012ABCDEF: scaling change act-0001 of search-prod/primary.',
  ...parts,
});

/** A refusal decided before any action was read: it names no action. */
export const refusal = (key: string, at: string): ApprovalRecord => ({
  id: approvalId(key),
  outcome: 'refused',
  reason: 'bad-signature',
  by: 'unverified:U0FORGED',
  via: 'slack',
  at,
  detail: 'The request signature does not match; nothing was changed.',
});

/**
 * The behaviour every ApprovalAudit keeps (SQLite locally, DynamoDB deployed). `open` gives a ledger on one fresh
 * store per test; called twice in a test, the second ledger is another writer on the same store.
 */
export function approvalAuditBehaviour(open: () => Promise<ApprovalAudit>): void {
  describe('approvals', () => {
    it('gives back a record exactly as it was recorded, by id, by action and in the whole trail', async () => {
      const l = await open();
      const record = approval('k1');
      expect(await l.recordApproval(record)).toBe(true);
      expect(await l.approvals({ id: record.id })).toEqual([record]);
      expect(await l.approvals({ actionId: 'act-0001' })).toEqual([record]);
      expect(await l.approvals()).toEqual([record]);
    });

    it('records an id once: the same request seen again is refused and the first record stays', async () => {
      const l = await open();
      const first = approval('k1');
      expect(await l.recordApproval(first)).toBe(true);
      expect(await l.recordApproval({ ...first, outcome: 'rejected', at: '2026-10-10T07:00:00.000Z' })).toBe(
        false,
      );
      expect(await l.approvals()).toEqual([first]);
      expect(await l.approvals({ actionId: 'act-0001' })).toEqual([first]);
    });

    it('lets exactly one of two writers at once record the same id, and keeps no trace of the other', async () => {
      const [a, b] = [await open(), await open()];
      const first = approval('k1', { by: 'U0FIRST' });
      const second = approval('k1', { by: 'U0SECOND', at: '2026-11-02T00:00:00.000Z' });
      const won = await Promise.all([a.recordApproval(first), b.recordApproval(second)]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = won[0] ? first : second;
      expect(await b.approvals({ id: first.id })).toEqual([winner]);
      expect(await a.approvals({ actionId: 'act-0001' })).toEqual([winner]);
      expect(await a.approvals()).toEqual([winner]);
    });

    it('lists records oldest first, then by id, across months and for one action', async () => {
      const l = await open();
      const records = [
        approval('k-nov', { at: '2026-11-01T00:00:00.000Z' }),
        approval('k-oct-b', { at: '2026-10-10T06:00:00.000Z' }),
        refusal('k-sep', '2026-09-30T23:59:59.999Z'),
        approval('k-oct-a', { at: '2026-10-10T06:00:00.000Z' }),
        approval('k-other', { at: '2026-10-01T00:00:00.000Z', actionId: 'act-0002' }),
      ];
      for (const r of records) await l.recordApproval(r);
      const [nov, octB, sep, octA, other] = records.map((r) => r.id);
      const sameInstant = [octA, octB].sort();
      expect((await l.approvals()).map((r) => r.id)).toEqual([sep, other, ...sameInstant, nov]);
      expect((await l.approvals({ actionId: 'act-0001' })).map((r) => r.id)).toEqual([...sameInstant, nov]);
    });

    it('selects [from, to): a record made at `from` is in, one made at `to` is out, across month ends', async () => {
      const l = await open();
      const at = ['2026-09-30T23:59:59.999Z', '2026-10-01T00:00:00.000Z', '2026-10-31T23:59:59.999Z'];
      const records = [...at, '2026-11-01T00:00:00.000Z'].map((t, i) => approval(`k${i}`, { at: t }));
      for (const r of records) await l.recordApproval(r);
      const ats = async (f: Parameters<ApprovalAudit['approvals']>[0]) =>
        (await l.approvals(f)).map((r) => r.at);
      expect(await ats({ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' })).toEqual([
        '2026-10-01T00:00:00.000Z',
        '2026-10-31T23:59:59.999Z',
      ]);
      expect(await ats({ from: '2026-09-30T23:59:59.999Z', to: '2026-10-01T00:00:00.000Z' })).toEqual([
        '2026-09-30T23:59:59.999Z',
      ]);
      expect(await ats({ from: '2026-10-31T23:59:59.999Z' })).toEqual([
        '2026-10-31T23:59:59.999Z',
        '2026-11-01T00:00:00.000Z',
      ]);
      expect(await ats({ to: '2026-10-01T00:00:00.000Z' })).toEqual(['2026-09-30T23:59:59.999Z']);
      expect(await ats({ from: '2026-10-15T00:00:00.000Z', to: '2026-10-15T00:00:00.000Z' })).toEqual([]);
      expect(await ats({ from: '2026-11-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' })).toEqual([]);
    });

    it('reads a bound given as a day or with an offset as the instant it names', async () => {
      const l = await open();
      for (const [i, t] of ['2026-10-09T23:00:00.000Z', '2026-10-10T00:00:00.000Z'].entries())
        await l.recordApproval(approval(`k${i}`, { at: t }));
      const ats = async (f: Parameters<ApprovalAudit['approvals']>[0]) =>
        (await l.approvals(f)).map((r) => r.at);
      expect(await ats({ from: '2026-10-10' })).toEqual(['2026-10-10T00:00:00.000Z']);
      expect(await ats({ to: '2026-10-10T01:30:00+02:00' })).toEqual(['2026-10-09T23:00:00.000Z']);
    });

    it('refuses a bound that is no instant instead of selecting by its text', async () => {
      const l = await open();
      await expect(l.approvals({ from: 'yesterday' })).rejects.toThrow(
        /approvals: from must be an ISO instant/,
      );
      await expect(l.approvals({ to: '2026-13-01' })).rejects.toThrow(/approvals: to must be an ISO instant/);
    });

    it('applies every condition given: action and range together, id and action together', async () => {
      const l = await open();
      const early = approval('k1', { at: '2026-10-01T00:00:00.000Z' });
      const late = approval('k2', { at: '2026-10-20T00:00:00.000Z' });
      const otherAction = approval('k3', { at: '2026-10-20T00:00:00.000Z', actionId: 'act-0002' });
      for (const r of [early, late, otherAction]) await l.recordApproval(r);
      expect(await l.approvals({ actionId: 'act-0001', from: '2026-10-10T00:00:00.000Z' })).toEqual([late]);
      expect(await l.approvals({ actionId: 'act-0002', id: late.id })).toEqual([]);
      expect(await l.approvals({ id: late.id, to: '2026-10-10T00:00:00.000Z' })).toEqual([]);
      expect(await l.approvals({ id: approvalId('never') })).toEqual([]);
      expect(await l.approvals({ actionId: 'act-none' })).toEqual([]);
    });

    it('keeps a refusal that names no action in the trail and under no action', async () => {
      const l = await open();
      const r = refusal('k1', '2026-10-10T06:00:00.000Z');
      expect(await l.recordApproval(r)).toBe(true);
      expect(await l.approvals({ from: '2026-10-01T00:00:00.000Z' })).toEqual([r]);
      expect(await l.approvals({ actionId: 'act-0001' })).toEqual([]);
    });

    it('keeps actions apart whose ids hold the separators of keys', async () => {
      const l = await open();
      const odd = approval('k1', { actionId: 'a#b%23c', outcome: 'refused', reason: 'unknown-action' });
      await l.recordApproval(odd);
      await l.recordApproval(
        approval('k2', { actionId: 'a#b#c', outcome: 'refused', reason: 'unknown-action' }),
      );
      expect(await l.approvals({ actionId: 'a#b%23c' })).toEqual([odd]);
      expect(await l.approvals({ actionId: 'a' })).toEqual([]);
    });

    it.each([
      ['an id not made by approvalId', { id: 'apr-1' }, /stored approval record: id/],
      ['a refusal without its reason', { outcome: 'refused' as const }, /reason: a refusal needs its reason/],
      [
        'an approval with a reason',
        { reason: 'replay' as const },
        /reason: an approved record has no reason/,
      ],
      [
        'an approval naming no action',
        { actionId: undefined },
        /actionId: an approved record names its action/,
      ],
      ['an unknown channel', { via: 'email' as never }, /stored approval record: via/],
      [
        'an instant not in Date.toISOString form',
        { at: '2026-10-10T06:00:00Z' },
        /at must be an ISO instant/,
      ],
      ['an action id longer than any key holds', { actionId: 'a'.repeat(257) }, /actionId/],
    ])('refuses to store %s', async (_, parts, error) => {
      const l = await open();
      await expect(l.recordApproval(approval('k1', parts))).rejects.toThrow(error);
      expect(await l.approvals()).toEqual([]);
    });
  });
}
