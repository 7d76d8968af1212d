import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliResult, cli, ROOT } from './cli.ts';

const DEMO = join(ROOT, 'examples/demo');
export const demoBudgets = join(DEMO, 'budgets.yaml');
export const demoCosts = join(DEMO, 'data/costs.focus.csv');
export const demoMetrics = join(DEMO, 'data/metrics.csv');

export interface RunInputs {
  budgets?: string;
  costs?: string | string[];
  metrics?: string;
  asOf?: string;
}

/** `run` on the demo's inputs, some replaced, writing to `where.out` and the ledger in `where.state`. */
export function runOn(
  args: RunInputs,
  where: { out: string; state: string },
  extra: string[] = [],
): CliResult {
  const costs = args.costs ?? demoCosts;
  return cli(
    [
      'run',
      '--budgets',
      args.budgets ?? demoBudgets,
      '--costs',
      ...(Array.isArray(costs) ? costs : [costs]),
      '--metrics',
      args.metrics ?? demoMetrics,
      '--as-of',
      args.asOf ?? '2026-10-15',
      '--out',
      where.out,
      '--state',
      where.state,
      ...extra,
    ],
    { timeoutMs: 60_000 },
  );
}

/** Runs `run` like `runOn` and checks the bad-input contract: one line, exit 2, nothing written. */
export function expectBadInput(
  args: RunInputs,
  pattern: RegExp,
  where: { out: string; state: string },
): void {
  const r = runOn(args, where);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(existsSync(where.out), 'nothing written to --out').toBe(false);
  expect(existsSync(where.state), 'nothing written to the ledger').toBe(false);
}
