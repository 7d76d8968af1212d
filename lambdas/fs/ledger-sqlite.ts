import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../core/errors.ts';
import type { ActionRecord, ActionStatus, ApprovalRecord } from '../core/plan/types.ts';
import { loadCostRecords, storeCostRecord } from '../core/records.ts';
import type { CostRecord } from '../core/types.ts';
import type {
  ActionLedger,
  AlertRecord,
  ApprovalAudit,
  CostDayCache,
  DailySpend,
  ExceptionSeen,
  InventoryDay,
  Ledger,
} from '../ports.ts';
import { ACTIONS_COLUMNS, ACTIONS_TABLE, SqliteActions } from './ledger-actions-sqlite.ts';
import { APPROVALS_COLUMNS, APPROVALS_TABLE, SqliteApprovals } from './ledger-approvals-sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  period TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, sent_at TEXT NOT NULL, summary TEXT, as_of TEXT,
  PRIMARY KEY (period, key, state)
);
CREATE TABLE IF NOT EXISTS closed_days (
  budget TEXT NOT NULL, day TEXT NOT NULL, amount TEXT NOT NULL,
  PRIMARY KEY (budget, day)
);
CREATE TABLE IF NOT EXISTS cost_days (
  source TEXT NOT NULL, day TEXT NOT NULL, records TEXT NOT NULL,
  PRIMARY KEY (source, day)
);
CREATE TABLE IF NOT EXISTS inventory_days (
  endpoint TEXT NOT NULL, day TEXT NOT NULL, variant TEXT NOT NULL, instance_type TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (endpoint, day, variant)
);
CREATE TABLE IF NOT EXISTS exceptions_seen (
  budget TEXT NOT NULL, reason TEXT NOT NULL, approved_by TEXT NOT NULL, expires TEXT NOT NULL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  PRIMARY KEY (budget, reason, expires)
);
${ACTIONS_TABLE}
${APPROVALS_TABLE}`;

/** The columns the ledger's statements read and write, per table. */
const COLUMNS: Record<string, readonly string[]> = {
  alerts: ['period', 'key', 'state', 'sent_at', 'summary', 'as_of'],
  closed_days: ['budget', 'day', 'amount'],
  cost_days: ['source', 'day', 'records'],
  inventory_days: ['endpoint', 'day', 'variant', 'instance_type', 'count'],
  exceptions_seen: ['budget', 'reason', 'approved_by', 'expires', 'first_seen', 'last_seen'],
  actions: ACTIONS_COLUMNS,
  approvals: APPROVALS_COLUMNS,
};

/**
 * Opens the ledger at `path` and makes sure it can be written, before a cycle writes any output: a corrupt,
 * foreign or read-only ledger is bad input naming its path, not a failure after the outputs are in place.
 */
export function openLedger(path: string): SqliteLedger {
  let ledger: SqliteLedger | undefined;
  try {
    ledger = new SqliteLedger(path);
    ledger.assertUsable();
    return ledger;
  } catch (err) {
    void ledger?.close();
    const why = err instanceof Error ? err.message : String(err);
    throw new InputError(
      `--state ${dirname(path)}: the ledger ${path} cannot be used (${why}); expected a writable ledger that perf-budgets wrote, or a new directory`,
      { file: path },
      { cause: err },
    );
  }
}

/** The embedded ledger of local runs: one SQLite file (default `.perf-budgets/ledger.db`). */
export class SqliteLedger implements Ledger, CostDayCache {
  private readonly db: Database.Database;
  private readonly actionRows: SqliteActions;
  private readonly approvalRows: SqliteApprovals;

  constructor(private readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    // ledgers written before alert summaries were kept
    const columns = this.db.prepare('PRAGMA table_info(alerts)').all() as { name: string }[];
    for (const column of ['summary', 'as_of']) {
      if (!columns.some((c) => c.name === column))
        this.db.exec(`ALTER TABLE alerts ADD COLUMN ${column} TEXT`);
    }
    this.actionRows = new SqliteActions(this.db, path);
    this.approvalRows = new SqliteApprovals(this.db, path);
  }

  actions(filter?: Parameters<ActionLedger['actions']>[0]): Promise<readonly ActionRecord[]> {
    return this.actionRows.actions(filter);
  }

  putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean> {
    return this.actionRows.putAction(record, expect);
  }

  recordApproval(record: ApprovalRecord): Promise<boolean> {
    return this.approvalRows.recordApproval(record);
  }

  approvals(filter?: Parameters<ApprovalAudit['approvals']>[0]): Promise<readonly ApprovalRecord[]> {
    return this.approvalRows.approvals(filter);
  }

  /**
   * Throws unless the ledger has the columns its statements use (a foreign database with a table of the same name
   * would otherwise fail the cycle after its outputs are written) and can take a write (takes the write lock and
   * gives it back).
   */
  assertUsable(): void {
    for (const [table, columns] of Object.entries(COLUMNS))
      this.db.prepare(`SELECT ${columns.join(', ')} FROM ${table} LIMIT 0`);
    this.db.exec('BEGIN IMMEDIATE; ROLLBACK');
  }

  async alerts(period: string): Promise<readonly AlertRecord[]> {
    const rows = this.db
      .prepare(
        'SELECT period, key, state, sent_at AS sentAt, summary, as_of AS asOf FROM alerts WHERE period = ? ORDER BY sent_at, key',
      )
      .all(period) as (AlertRecord & { summary: string | null; asOf: string | null })[];
    return rows.map(withoutNullSummary);
  }

  /** Every alert recorded for one budget, all periods, oldest first: the timeline of a review. */
  async budgetAlerts(budget: string): Promise<readonly AlertRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT period, key, state, sent_at AS sentAt, summary, as_of AS asOf FROM alerts
         WHERE instr(key, '|' || ? || '|') > 0 ORDER BY sent_at, period, key, state`,
      )
      .all(budget) as (AlertRecord & { summary: string | null; asOf: string | null })[];
    return rows.map(withoutNullSummary).filter((a) => a.key.split('|')[1] === budget);
  }

  /** The exceptions of one budget the ledger has seen, with the first and last day each was seen. */
  async budgetExceptions(
    budget: string,
  ): Promise<readonly (ExceptionSeen & { firstSeen: string; lastSeen: string })[]> {
    return this.db
      .prepare(
        `SELECT budget, reason, approved_by AS approvedBy, expires, first_seen AS firstSeen, last_seen AS lastSeen
         FROM exceptions_seen WHERE budget = ? ORDER BY first_seen, reason`,
      )
      .all(budget) as (ExceptionSeen & { firstSeen: string; lastSeen: string })[];
  }

  async commit(cycle: {
    alerts: readonly AlertRecord[];
    closedDays: readonly DailySpend[];
    exceptions: readonly ExceptionSeen[];
    inventory?: readonly InventoryDay[];
    asOf: string;
  }): Promise<readonly AlertRecord[]> {
    const insertAlert = this.db.prepare(
      'INSERT OR IGNORE INTO alerts (period, key, state, sent_at, summary, as_of) VALUES (@period, @key, @state, @sentAt, @summary, @asOf)',
    );
    const upsertDay = this.db.prepare(
      'INSERT INTO closed_days (budget, day, amount) VALUES (@budget, @day, @amount) ON CONFLICT (budget, day) DO UPDATE SET amount = excluded.amount',
    );
    const upsertException = this.db.prepare(
      `INSERT INTO exceptions_seen (budget, reason, approved_by, expires, first_seen, last_seen)
       VALUES (@budget, @reason, @approvedBy, @expires, @asOf, @asOf)
       ON CONFLICT (budget, reason, expires) DO UPDATE SET
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`,
    );
    const clearDay = this.db.prepare('DELETE FROM inventory_days WHERE endpoint = ? AND day = ?');
    const insertInventory = this.db.prepare(
      'INSERT OR REPLACE INTO inventory_days (endpoint, day, variant, instance_type, count) VALUES (@endpoint, @day, @variant, @instanceType, @count)',
    );
    const tx = this.db.transaction(() => {
      const fresh: AlertRecord[] = [];
      for (const a of cycle.alerts) {
        const row = { ...a, summary: a.summary ?? null, asOf: a.asOf ?? null };
        if (insertAlert.run(row).changes !== 1) continue;
        // the deliveries still owed, in the same transaction: an alert is never recorded without them
        for (const state of a.pending ?? []) insertAlert.run({ ...row, state });
        fresh.push(a);
      }
      for (const d of cycle.closedDays) upsertDay.run(d);
      for (const x of cycle.exceptions) upsertException.run({ ...x, asOf: cycle.asOf });
      // a day read again replaces what was read before, variants gone since included
      const inventory = cycle.inventory ?? [];
      for (const key of new Set(inventory.map((i) => `${i.endpoint}\u0000${i.day}`)))
        clearDay.run(...(key.split('\u0000') as [string, string]));
      for (const i of inventory) insertInventory.run(i);
      return fresh;
    });
    return tx();
  }

  async forget(alerts: readonly Pick<AlertRecord, 'period' | 'key' | 'state'>[]): Promise<void> {
    const del = this.db.prepare(
      'DELETE FROM alerts WHERE period = @period AND key = @key AND state = @state',
    );
    this.db.transaction(() => {
      for (const a of alerts) del.run({ period: a.period, key: a.key, state: a.state });
    })();
  }

  async inventory(endpoint: string, from: string, to: string): Promise<readonly InventoryDay[]> {
    return this.db
      .prepare(
        `SELECT day, endpoint, variant, instance_type AS instanceType, count FROM inventory_days
         WHERE endpoint = ? AND day >= ? AND day < ? ORDER BY day, variant`,
      )
      .all(endpoint, from, to) as InventoryDay[];
  }

  async dailySpend(budget: string, from: string, to: string): Promise<readonly DailySpend[]> {
    return this.db
      .prepare(
        'SELECT budget, day, amount FROM closed_days WHERE budget = ? AND day >= ? AND day < ? ORDER BY day',
      )
      .all(budget, from, to) as DailySpend[];
  }

  async getDays(
    source: string,
    days: readonly string[],
  ): Promise<ReadonlyMap<string, readonly CostRecord[]>> {
    const get = this.db.prepare('SELECT records FROM cost_days WHERE source = ? AND day = ?');
    const out = new Map<string, CostRecord[]>();
    for (const day of days) {
      const row = get.get(source, day) as { records: string } | undefined;
      if (row)
        out.set(day, loadCostRecords(JSON.parse(row.records), `${this.path} cost day ${source} ${day}`));
    }
    return out;
  }

  async putDays(source: string, days: ReadonlyMap<string, readonly CostRecord[]>): Promise<void> {
    const put = this.db.prepare(
      'INSERT INTO cost_days (source, day, records) VALUES (?, ?, ?) ON CONFLICT (source, day) DO UPDATE SET records = excluded.records',
    );
    this.db.transaction(() => {
      for (const [day, records] of days) put.run(source, day, JSON.stringify(records.map(storeCostRecord)));
    })();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function withoutNullSummary(r: AlertRecord & { summary: string | null; asOf: string | null }): AlertRecord {
  const { summary, asOf, ...rest } = r;
  return { ...rest, ...(summary === null ? {} : { summary }), ...(asOf === null ? {} : { asOf }) };
}
