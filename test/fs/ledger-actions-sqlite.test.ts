import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import { actionLedgerBehaviour } from '../helpers/action-ledger.ts';
import { action } from '../helpers/ledger.ts';
import { tempLedgerFile } from '../helpers/sqlite-ledger.ts';

const file = tempLedgerFile('perf-budgets-actions-');

describe('SqliteLedger', () => {
  actionLedgerBehaviour(async () => file.ledger());

  it('adds the actions table to a ledger written before actions were kept, keeping what it holds', async () => {
    const old = new Database(file.path());
    old.exec(`CREATE TABLE closed_days (budget TEXT NOT NULL, day TEXT NOT NULL, amount TEXT NOT NULL,
      PRIMARY KEY (budget, day)); INSERT INTO closed_days VALUES ('search-prod', '2026-10-01', '12.5')`);
    old.close();
    const l = file.closeAfter(openLedger(file.path()));
    expect(await l.putAction(action('act-1'), 'absent')).toBe(true);
    expect((await l.actions()).map((r) => r.id)).toEqual(['act-1']);
    expect(await l.dailySpend('search-prod', '2026-10-01', '2026-10-02')).toEqual([
      { budget: 'search-prod', day: '2026-10-01', amount: '12.5' },
    ]);
  });

  it('refuses as bad input a database whose actions table lacks the ledger columns', () => {
    const foreign = new Database(file.path());
    foreign.exec('CREATE TABLE actions (id TEXT PRIMARY KEY, payload TEXT)');
    foreign.close();
    expect(() => openLedger(file.path())).toThrow(/cannot be used \(no such column: endpoint/);
  });

  it('names the record when a stored action has lost its shape', async () => {
    const l = file.ledger();
    await l.putAction(action('act-1'), 'absent');
    const db = new Database(file.path());
    db.prepare("UPDATE actions SET record = json_set(record, '$.status', 'done')").run();
    db.close();
    await expect(l.actions()).rejects.toThrow(`${file.path()} action act-1: stored action record: status`);
  });
});
