/**
 * The approval audit trail of the SQLite ledger: one row per decision or refusal in the `approvals` table (its
 * migration is the ledger's schema), the record as JSON text beside the columns it is found and ordered by.
 */
import type Database from 'better-sqlite3';
import { approvalBounds, assertStorableApproval, loadApprovalRecord } from '../core/plan/approval-record.ts';
import type { ApprovalRecord } from '../core/plan/types.ts';
import type { ApprovalAudit } from '../ports.ts';

export const APPROVALS_TABLE = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT NOT NULL PRIMARY KEY, action_id TEXT, at TEXT NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_by_action ON approvals (action_id, at);
CREATE INDEX IF NOT EXISTS approvals_by_at ON approvals (at);
`;

export const APPROVALS_COLUMNS = ['id', 'action_id', 'at', 'record'] as const;

export class SqliteApprovals implements ApprovalAudit {
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {}

  /** The primary key decides: of two writers of one id, the second inserts nothing. */
  async recordApproval(record: ApprovalRecord): Promise<boolean> {
    assertStorableApproval(record);
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO approvals (id, action_id, at, record) VALUES (@id, @actionId, @at, @record)',
    );
    const out = insert.run({
      id: record.id,
      actionId: record.actionId ?? null,
      at: record.at,
      record: JSON.stringify(record),
    });
    return out.changes === 1;
  }

  async approvals(
    filter: Parameters<ApprovalAudit['approvals']>[0] = {},
  ): Promise<readonly ApprovalRecord[]> {
    const { from, to } = approvalBounds(filter);
    const where: string[] = [];
    const args: string[] = [];
    const add = (clause: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    add('id = ?', filter.id);
    add('action_id = ?', filter.actionId);
    add('at >= ?', from);
    add('at < ?', to);
    const rows = this.db
      .prepare(
        `SELECT id, record FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at, id`,
      )
      .all(...args) as { id: string; record: string }[];
    return rows.map((r) => loadApprovalRecord(JSON.parse(r.record), `${this.path} approval ${r.id}`));
  }
}
