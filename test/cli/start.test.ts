import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.ts';

const RECORDER = resolve(ROOT, 'test/helpers/loads/record.mjs');

/** Runs the real CLI with every module it loads recorded; returns its result and the loaded URLs. */
function loadsOf(args: readonly string[]) {
  const file = join(mkdtempSync(join(tmpdir(), 'pb-loads-')), 'loads.txt');
  const r = cli(args, { env: { NODE_OPTIONS: `--import ${RECORDER}`, PERF_BUDGETS_LOADS: file } });
  const urls = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  return { ...r, urls };
}

/** What only the commands that need it may load: the AWS SDK, Vega, SQLite, and the report, AWS and Slack code. */
const HEAVY = [
  /\/node_modules\/@aws-sdk\//,
  /\/node_modules\/@smithy\//,
  /\/node_modules\/vega/,
  /\/node_modules\/better-sqlite3\//,
  /\/lambdas\/report\//,
  /\/lambdas\/aws\//,
  /\/lambdas\/slack\//,
];
// the first few are enough to say what went wrong
const heavy = (urls: readonly string[]) => urls.filter((u) => HEAVY.some((h) => h.test(u))).slice(0, 8);

describe('the CLI start loads only what the command uses', () => {
  it('prints --help without the AWS SDK, Vega, SQLite or the report code', () => {
    const r = loadsOf(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: perf-budgets/);
    expect(r.stdout).toMatch(/validate/);
    expect(r.urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true);
    expect(heavy(r.urls)).toEqual([]);
  });

  it("prints a command's help without loading the command", () => {
    const r = loadsOf(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--fail-on <status>/);
    expect(heavy(r.urls)).toEqual([]);
    expect(r.urls.filter((u) => u.endsWith('/lambdas/cli/run.ts'))).toEqual([]);
  });

  it('validates a budget file without the AWS SDK, Vega, SQLite or the report code', () => {
    const r = loadsOf(['validate', 'examples/demo/budgets.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok \(6 budgets/);
    expect(r.urls.some((u) => /\/lambdas\/formats\/budget-file\.[jt]s$/.test(u))).toBe(true);
    expect(heavy(r.urls)).toEqual([]);
  });

  it('runs a cycle without Vega when it writes no report, and loads it when it writes one', () => {
    const vega = (urls: readonly string[]) => urls.filter((u) => /\/node_modules\/vega/.test(u)).slice(0, 3);
    const bare = loadsOf(['run', '--demo', '--no-state', '--format', 'json']);
    expect(bare.code).toBe(0);
    expect(JSON.parse(bare.stdout).budgets).toHaveLength(6);
    expect(vega(bare.urls)).toEqual([]);
    const out = join(mkdtempSync(join(tmpdir(), 'pb-loads-out-')), 'out');
    const written = loadsOf(['run', '--demo', '--no-state', '--format', 'json', '--out', out]);
    expect(written.code).toBe(0);
    expect(vega(written.urls)).not.toEqual([]);
  });

  it('loads the AWS SDK for a command that uses it (the record sees what a command loads)', () => {
    const r = loadsOf(['prices', '--region', 'us-east-1']);
    expect(r.code).toBe(0);
    expect(r.urls.some((u) => u.includes('/node_modules/@aws-sdk/client-pricing/'))).toBe(true);
  });
});
