import { describe, expect, it } from 'vitest';
import type { ActionLedger } from '../../lambdas/ports.ts';
import { action, moved } from './ledger.ts';

/**
 * The behaviour every ActionLedger keeps (SQLite locally, DynamoDB deployed). `open` gives a ledger on one fresh
 * store per test; called twice in a test, the second ledger is another writer on the same store.
 */
export function actionLedgerBehaviour(open: () => Promise<ActionLedger>): void {
  describe('actions', () => {
    it('gives back a record exactly as it was put, before and after states, history and measurements', async () => {
      const l = await open();
      const record = action('act-0001');
      expect(await l.putAction(record, 'absent')).toBe(true);
      expect(await l.actions({ id: 'act-0001' })).toEqual([record]);
    });

    it('moves an action through its lifecycle only from the status it expects', async () => {
      const l = await open();
      const recommended = action('act-0001', { status: 'recommended', history: [] });
      expect(await l.putAction(recommended, 'absent')).toBe(true);
      expect(await l.putAction(recommended, 'absent')).toBe(false);
      const applied = moved(recommended, 'applied', '2026-10-10T06:00:05.000Z');
      expect(await l.putAction(applied, 'pending-approval')).toBe(false);
      expect(await l.putAction(applied, 'recommended')).toBe(true);
      const verified = moved(applied, 'verified', '2026-10-11T06:00:00.000Z');
      expect(await l.putAction(verified, 'applied')).toBe(true);
      expect(await l.actions({ id: 'act-0001' })).toEqual([verified]);
    });

    it('rolls an applied action back once only: a second rollback finds it moved and writes nothing', async () => {
      const l = await open();
      const applied = action('act-0001');
      await l.putAction(applied, 'absent');
      const rolledBack = { ...moved(applied, 'rolled-back', '2026-10-11T06:00:00.000Z'), reason: 'p99 over' };
      expect(await l.putAction(rolledBack, 'applied')).toBe(true);
      const again = { ...moved(applied, 'rolled-back', '2026-10-11T07:00:00.000Z'), reason: 'by hand' };
      expect(await l.putAction(again, 'applied')).toBe(false);
      expect(await l.actions({ id: 'act-0001' })).toEqual([rolledBack]);
    });

    it('lets exactly one of two writers at once record a new action', async () => {
      const [a, b] = [await open(), await open()];
      const first = action('act-0001', { reason: 'first' });
      const second = action('act-0001', { reason: 'second' });
      const won = await Promise.all([a.putAction(first, 'absent'), b.putAction(second, 'absent')]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await a.actions({ id: 'act-0001' })).toEqual([won[0] ? first : second]);
    });

    it('lets exactly one of two writers at once move an applied action', async () => {
      const [a, b] = [await open(), await open()];
      const applied = action('act-0001');
      await a.putAction(applied, 'absent');
      const verified = moved(applied, 'verified', '2026-10-11T06:00:00.000Z');
      const rolledBack = moved(applied, 'rolled-back', '2026-10-11T06:00:00.000Z');
      const won = await Promise.all([a.putAction(verified, 'applied'), b.putAction(rolledBack, 'applied')]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const [stored] = await b.actions({ id: 'act-0001' });
      expect(stored).toEqual(won[0] ? verified : rolledBack);
      expect(await b.actions({ statuses: ['applied'] })).toEqual([]);
    });

    it('moves a pending action to approved once: a second mover at once finds it moved and writes nothing', async () => {
      const [a, b] = [await open(), await open()];
      const pending = action('act-0001', {
        status: 'pending-approval',
        appliedAt: undefined,
        history: [{ status: 'pending-approval', at: '2026-10-10T06:00:00.000Z' }],
      });
      await a.putAction(pending, 'absent');
      const approved = moved(pending, 'approved', '2026-10-10T07:00:00.000Z');
      const rejected = moved(pending, 'rejected', '2026-10-10T07:00:00.000Z');
      const won = await Promise.all([
        a.putAction(approved, 'pending-approval'),
        b.putAction(rejected, 'pending-approval'),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = won[0] ? approved : rejected;
      const loser = won[0] ? rejected : approved;
      expect(await b.actions({ id: 'act-0001' })).toEqual([winner]);
      expect(await b.actions({ statuses: [winner.status] })).toEqual([winner]);
      expect(await b.actions({ statuses: ['pending-approval', loser.status] })).toEqual([]);
      expect(await b.putAction(loser, 'pending-approval')).toBe(false);
      expect(await a.actions()).toEqual([winner]);
    });

    it('lists approved and rejected actions by status, and moves an approved one on to applied', async () => {
      const l = await open();
      const at = (id: string, status: 'approved' | 'rejected', createdAt: string) =>
        action(id, { status, createdAt, appliedAt: undefined, history: [] });
      const approved = at('act-1', 'approved', '2026-10-10T01:00:00.000Z');
      const rejected = at('act-2', 'rejected', '2026-10-10T02:00:00.000Z');
      for (const r of [approved, rejected]) await l.putAction(r, 'absent');
      expect(await l.actions({ statuses: ['approved'] })).toEqual([approved]);
      expect(await l.actions({ statuses: ['rejected'] })).toEqual([rejected]);
      expect((await l.actions()).map((r) => r.id)).toEqual(['act-2', 'act-1']);
      const applied = moved(approved, 'applied', '2026-10-10T03:00:00.000Z');
      expect(await l.putAction(applied, 'approved')).toBe(true);
      expect(await l.actions({ statuses: ['approved'] })).toEqual([]);
      expect(await l.actions({ statuses: ['applied', 'rejected'] })).toEqual([rejected, applied]);
    });

    it('lists actions newest first by creation, then by id', async () => {
      const l = await open();
      const at = (id: string, createdAt: string) => action(id, { createdAt });
      for (const r of [
        at('act-b', '2026-10-10T06:00:00.000Z'),
        at('act-c', '2026-10-11T06:00:00.000Z'),
        at('act-a', '2026-10-10T06:00:00.000Z'),
        at('act-d', '2026-10-09T23:59:59.999Z'),
      ])
        await l.putAction(r, 'absent');
      expect((await l.actions()).map((r) => r.id)).toEqual(['act-c', 'act-b', 'act-a', 'act-d']);
    });

    it('filters by status, endpoint and id, each alone and together', async () => {
      const l = await open();
      await l.putAction(action('act-1', { createdAt: '2026-10-10T01:00:00.000Z' }), 'absent');
      await l.putAction(
        action('act-2', { status: 'verified', createdAt: '2026-10-10T02:00:00.000Z' }),
        'absent',
      );
      await l.putAction(
        action('act-3', { status: 'skipped', createdAt: '2026-10-10T03:00:00.000Z' }, 'chat-prod'),
        'absent',
      );
      await l.putAction(action('act-4', { createdAt: '2026-10-10T04:00:00.000Z' }, 'chat-prod'), 'absent');
      const ids = async (f: Parameters<ActionLedger['actions']>[0]) => (await l.actions(f)).map((r) => r.id);
      expect(await ids({ statuses: ['applied'] })).toEqual(['act-4', 'act-1']);
      expect(await ids({ statuses: ['verified', 'skipped'] })).toEqual(['act-3', 'act-2']);
      expect(await ids({ statuses: [] })).toEqual([]);
      expect(await ids({ endpoint: 'search-prod' })).toEqual(['act-2', 'act-1']);
      expect(await ids({ endpoint: 'chat-prod', statuses: ['applied'] })).toEqual(['act-4']);
      expect(await ids({ id: 'act-3' })).toEqual(['act-3']);
      expect(await ids({ id: 'act-3', endpoint: 'search-prod' })).toEqual([]);
      expect(await ids({ id: 'act-3', statuses: ['skipped'] })).toEqual(['act-3']);
      expect(await ids({ id: 'act-none' })).toEqual([]);
      expect(await ids({ endpoint: 'none' })).toEqual([]);
    });

    it('keeps endpoints apart whose names hold the separators of keys', async () => {
      const l = await open();
      const odd = action('act-1', {}, 'a#b%23c');
      await l.putAction(odd, 'absent');
      await l.putAction(action('act-2', {}, 'a#b#c'), 'absent');
      await l.putAction(action('act-3', {}, 'a'), 'absent');
      expect(await l.actions({ endpoint: 'a#b%23c' })).toEqual([odd]);
      expect((await l.actions({ endpoint: 'a#b#c' })).map((r) => r.id)).toEqual(['act-2']);
      expect((await l.actions({ endpoint: 'a' })).map((r) => r.id)).toEqual(['act-3']);
    });

    it('refuses a record whose creation instant would not order by its text', async () => {
      const l = await open();
      await expect(
        l.putAction(action('act-1', { createdAt: '2026-10-10T06:00:00Z' }), 'absent'),
      ).rejects.toThrow(/createdAt must be an ISO instant/);
      expect(await l.actions()).toEqual([]);
    });
  });
}
