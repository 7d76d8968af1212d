import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openLedger, SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import { approval, approvalAuditBehaviour } from '../helpers/approval-audit.ts';
import { action } from '../helpers/ledger.ts';
import { tempLedgerFile } from '../helpers/sqlite-ledger.ts';

const file = tempLedgerFile('perf-budgets-approvals-');

describe('SqliteLedger', () => {
  approvalAuditBehaviour(async () => file.ledger());

  it('adds the approvals table to a ledger written before approvals were kept, keeping its actions', async () => {
    const before = new SqliteLedger(file.path());
    await before.putAction(action('act-1'), 'absent');
    await before.close();
    const old = new Database(file.path());
    old.exec('DROP TABLE approvals');
    old.close();
    const l = file.closeAfter(openLedger(file.path()));
    expect(await l.recordApproval(approval('k1'))).toBe(true);
    expect(await l.approvals()).toEqual([approval('k1')]);
    expect((await l.actions()).map((r) => r.id)).toEqual(['act-1']);
  });

  it('refuses as bad input a database whose approvals table lacks the ledger columns', () => {
    const foreign = new Database(file.path());
    foreign.exec('CREATE TABLE approvals (id TEXT PRIMARY KEY, payload TEXT)');
    foreign.close();
    expect(() => openLedger(file.path())).toThrow(/cannot be used \(no such column: action_id/);
  });

  it('names the record when a stored approval has lost its shape', async () => {
    const l = file.ledger();
    const record = approval('k1');
    await l.recordApproval(record);
    const db = new Database(file.path());
    db.prepare("UPDATE approvals SET record = json_set(record, '$.outcome', 'done')").run();
    db.close();
    await expect(l.approvals({ actionId: 'act-0001' })).rejects.toThrow(
      `${file.path()} approval ${record.id}: stored approval record: outcome`,
    );
  });
});
