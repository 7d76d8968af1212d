import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/perf-budgets.js');
/** The CLI the tests run is the sources under test, never a build of them that may be older. */
const FROM_SOURCE = { PERF_BUDGETS_FROM_SOURCE: '1' };

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI in a child process, as a user would. */
export function cli(
  args: readonly string[],
  opts: { cwd?: string; env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...FROM_SOURCE, NO_COLOR: '1', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
    // a hang is killed and shows as code -1
    ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the real CLI in a child process without blocking this one: what a test needs when this process also serves
 * the loopback AWS account the CLI talks to.
 */
export function cliAsync(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...FROM_SOURCE, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}
