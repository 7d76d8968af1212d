import { assertStorableAction, loadActionRecord } from '../../lambdas/core/plan/action-record.ts';
import {
  assertStorableApproval,
  loadApprovalRecord,
  selectApprovals,
} from '../../lambdas/core/plan/approval-record.ts';
import type { ActionRecord, ActionStatus, ApprovalRecord } from '../../lambdas/core/plan/types.ts';
import type { ActionLedger, ApprovalAudit } from '../../lambdas/ports.ts';

/** What an in-memory ledger holds: records as stored text, so that no caller shares an object with the store. */
export interface MemoryStore {
  readonly actions: Map<string, string>;
  readonly approvals: Map<string, string>;
}

export const memoryStore = (): MemoryStore => ({ actions: new Map(), approvals: new Map() });

/**
 * The actions and the approval audit of a ledger, in memory, for unit tests of what reads and writes them: writes
 * are conditional as in SQLite and DynamoDB (a put checks the stored status, an audit record is written once), and
 * each check and write happens in one turn of the event loop, so requests run at once interleave between calls as
 * they would against a table. Several ledgers on one store are several writers.
 */
export class MemoryApprovalLedger implements ActionLedger, ApprovalAudit {
  constructor(readonly store: MemoryStore = memoryStore()) {}

  async actions(filter: Parameters<ActionLedger['actions']>[0] = {}): Promise<readonly ActionRecord[]> {
    if (filter.statuses?.length === 0) return [];
    return [...this.store.actions.values()]
      .map((text) => loadActionRecord(JSON.parse(text), 'memory ledger'))
      .filter(
        (r) =>
          (filter.id === undefined || r.id === filter.id) &&
          (filter.endpoint === undefined || r.resource.endpoint === filter.endpoint) &&
          (filter.statuses === undefined || filter.statuses.includes(r.status)),
      )
      .sort((a, b) => (b.createdAt === a.createdAt ? cmp(b.id, a.id) : cmp(b.createdAt, a.createdAt)));
  }

  async putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean> {
    assertStorableAction(record);
    const stored = this.store.actions.get(record.id);
    const status = stored === undefined ? 'absent' : (JSON.parse(stored) as ActionRecord).status;
    if (status !== expect) return false;
    this.store.actions.set(record.id, JSON.stringify(record));
    return true;
  }

  async recordApproval(record: ApprovalRecord): Promise<boolean> {
    assertStorableApproval(record);
    if (this.store.approvals.has(record.id)) return false;
    this.store.approvals.set(record.id, JSON.stringify(record));
    return true;
  }

  async approvals(
    filter: Parameters<ApprovalAudit['approvals']>[0] = {},
  ): Promise<readonly ApprovalRecord[]> {
    const stored = [...this.store.approvals.values()];
    return selectApprovals(
      stored.map((text) => loadApprovalRecord(JSON.parse(text), 'memory ledger')),
      filter,
    );
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
