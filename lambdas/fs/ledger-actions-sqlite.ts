/**
 * The actions of the SQLite ledger: one row per action in the `actions` table (its migration is the ledger's
 * schema), the record as JSON text beside the columns it is found and ordered by.
 */
import type Database from 'better-sqlite3';
import { assertStorableAction, loadActionRecord } from '../core/plan/action-record.ts';
import type { ActionRecord, ActionStatus } from '../core/plan/types.ts';
import type { ActionLedger } from '../ports.ts';

export const ACTIONS_TABLE = `
CREATE TABLE IF NOT EXISTS actions (
  id TEXT NOT NULL PRIMARY KEY, endpoint TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_endpoint ON actions (endpoint, created_at);
`;

export const ACTIONS_COLUMNS = ['id', 'endpoint', 'status', 'created_at', 'record'] as const;

export class SqliteActions implements ActionLedger {
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {}

  async actions(filter: Parameters<ActionLedger['actions']>[0] = {}): Promise<readonly ActionRecord[]> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.id !== undefined) {
      where.push('id = ?');
      args.push(filter.id);
    }
    if (filter.endpoint !== undefined) {
      where.push('endpoint = ?');
      args.push(filter.endpoint);
    }
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return [];
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      args.push(...filter.statuses);
    }
    const rows = this.db
      .prepare(
        `SELECT id, record FROM actions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC`,
      )
      .all(...args) as { id: string; record: string }[];
    return rows.map((r) => loadActionRecord(JSON.parse(r.record), `${this.path} action ${r.id}`));
  }

  /**
   * Reads the stored status and writes in one immediate transaction: the write lock is taken before the read, so
   * a second ledger on the same file waits and then finds the status the first one wrote.
   */
  async putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean> {
    assertStorableAction(record);
    const current = this.db.prepare('SELECT status FROM actions WHERE id = ?');
    const put = this.db.prepare(
      `INSERT INTO actions (id, endpoint, status, created_at, record) VALUES (@id, @endpoint, @status, @createdAt, @record)
       ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint, status = excluded.status,
         created_at = excluded.created_at, record = excluded.record`,
    );
    const tx = this.db.transaction(() => {
      const row = current.get(record.id) as { status: string } | undefined;
      if ((row?.status ?? 'absent') !== expect) return false;
      put.run({
        id: record.id,
        endpoint: record.resource.endpoint,
        status: record.status,
        createdAt: record.createdAt,
        record: JSON.stringify(record),
      });
      return true;
    });
    return tx.immediate();
  }
}
