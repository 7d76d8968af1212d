import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';

/** SQLite ledgers in fresh temporary directories, closed after each test of the file that calls this. */
export function tempLedgers(prefix: string): () => SqliteLedger {
  const open: SqliteLedger[] = [];
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });
  return () => {
    const l = new SqliteLedger(join(mkdtempSync(join(tmpdir(), prefix)), 'ledger.db'));
    open.push(l);
    return l;
  };
}
