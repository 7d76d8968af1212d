import { vi } from 'vitest';
import { main } from '../../lambdas/cli/main.ts';
import type { ActAccount } from './act-account.ts';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process at `atMs` (the account answers at that instant too), with what it printed. */
export async function cliAt(account: ActAccount, args: readonly string[], atMs: number): Promise<Run> {
  account.now = atMs;
  vi.setSystemTime(atMs);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
