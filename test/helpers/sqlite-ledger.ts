import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';

/**
 * A fresh ledger path in a temporary directory for each test of the file, and the ledgers opened on it closed and
 * the directory removed after it. `ledger()` opens another ledger on the same file (another writer).
 */
export function tempLedgerFile(prefix: string): {
  readonly path: () => string;
  readonly ledger: () => SqliteLedger;
  readonly closeAfter: <T extends SqliteLedger>(l: T) => T;
} {
  let dir: string;
  let path: string;
  const open: SqliteLedger[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    path = join(dir, 'ledger.db');
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const closeAfter = <T extends SqliteLedger>(l: T): T => {
    open.push(l);
    return l;
  };
  return { path: () => path, ledger: () => closeAfter(new SqliteLedger(path)), closeAfter };
}
