import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../lambdas/cli/main.ts';
import { ActAccount, REGION } from './act-account.ts';
import { type AwsTestServer, startAwsServer } from './aws-server.ts';

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

export interface ActAccountTest {
  /** This test's account, its loopback server and a fresh temporary directory. */
  readonly account: ActAccount;
  readonly server: AwsTestServer;
  readonly dir: string;
}

/**
 * A fresh loopback account for each test of the file that calls this, reached by the SDK through AWS_ENDPOINT_URL,
 * with the clock faked so that the CLI and the account agree on the time.
 */
export function useActAccount(prefix: string): () => ActAccountTest {
  let current: ActAccountTest | undefined;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const account = new ActAccount();
    const server = await startAwsServer(account.handlers());
    current = { account, server, dir: mkdtempSync(join(tmpdir(), prefix)) };
    vi.stubEnv('AWS_ENDPOINT_URL', server.url);
    vi.stubEnv('AWS_REGION', REGION);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
  });
  afterEach(async () => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    await current?.server.close();
  });
  return () => {
    if (!current) throw new Error('useActAccount: no test is running');
    return current;
  };
}
