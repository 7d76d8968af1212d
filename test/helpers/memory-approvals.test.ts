import { beforeEach, describe } from 'vitest';
import { actionLedgerBehaviour } from './action-ledger.ts';
import { approvalAuditBehaviour } from './approval-audit.ts';
import { MemoryApprovalLedger, type MemoryStore, memoryStore } from './memory-approvals.ts';

let store: MemoryStore;

describe('MemoryApprovalLedger', () => {
  beforeEach(() => {
    store = memoryStore();
  });
  actionLedgerBehaviour(async () => new MemoryApprovalLedger(store));
  approvalAuditBehaviour(async () => new MemoryApprovalLedger(store));
});
