import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../lambdas/core/plan/types.ts';
import { actionLedgerBehaviour } from './action-ledger.ts';
import { MemoryApprovalLedger, type MemoryStore, memoryStore } from './memory-approvals.ts';

let store: MemoryStore;

const record = (id: string, at: string, actionId = 'act-1'): ApprovalRecord => ({
  id,
  outcome: 'approved',
  actionId,
  by: 'U012ABCDEF',
  via: 'slack',
  at,
  detail: 'Approved.',
});

describe('MemoryApprovalLedger', () => {
  beforeEach(() => {
    store = memoryStore();
  });
  actionLedgerBehaviour(async () => new MemoryApprovalLedger(store));

  it('writes an audit record once: the same id again is refused and changes nothing', async () => {
    const l = new MemoryApprovalLedger();
    expect(await l.recordApproval(record('apr-1', '2026-11-20T06:00:00.000Z'))).toBe(true);
    expect(
      await l.recordApproval({ ...record('apr-1', '2026-11-20T07:00:00.000Z'), outcome: 'refused' }),
    ).toBe(false);
    expect(await l.approvals()).toEqual([record('apr-1', '2026-11-20T06:00:00.000Z')]);
  });

  it('lists audit records oldest first, by action, id and time range', async () => {
    const l = new MemoryApprovalLedger();
    await l.recordApproval(record('apr-2', '2026-11-20T07:00:00.000Z'));
    await l.recordApproval(record('apr-1', '2026-11-20T06:00:00.000Z', 'act-2'));
    await l.recordApproval(record('apr-3', '2026-11-20T08:00:00.000Z'));
    const ids = async (f: Parameters<MemoryApprovalLedger['approvals']>[0]) =>
      (await l.approvals(f)).map((r) => r.id);
    expect(await ids({})).toEqual(['apr-1', 'apr-2', 'apr-3']);
    expect(await ids({ actionId: 'act-1' })).toEqual(['apr-2', 'apr-3']);
    expect(await ids({ id: 'apr-3' })).toEqual(['apr-3']);
    expect(await ids({ from: '2026-11-20T07:00:00.000Z', to: '2026-11-20T08:00:00.000Z' })).toEqual([
      'apr-2',
    ]);
  });
});
