import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failsGate } from '../../lambdas/cli/run-command.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const DEMO = join(ROOT, 'examples/demo');

describe('--fail-on', () => {
  it('fails either gate on a budget whose spend is unknown, and only the at-risk gate on one at risk', () => {
    const of = (...statuses: ('ok' | 'at-risk' | 'breached' | 'unknown')[]) =>
      statuses.map((status) => ({ status }));
    expect(failsGate('breach', of('ok', 'unknown'))).toBe(true);
    expect(failsGate('at-risk', of('unknown'))).toBe(true);
    expect(failsGate('breach', of('ok', 'at-risk'))).toBe(false);
    expect(failsGate('at-risk', of('ok', 'at-risk'))).toBe(true);
    expect(failsGate('breach', of('breached'))).toBe(true);
    expect(failsGate(undefined, of('breached', 'unknown'))).toBe(false);
  });

  it('exits 1 on a header-only cost file: its spend is unknown, not a pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-fail-on-'));
    const header = readFileSync(join(DEMO, 'data/costs.focus.csv'), 'utf8').split('\n')[0];
    const costs = join(dir, 'header-only.csv');
    writeFileSync(costs, `${header}\n`);
    const r = cli([
      'run',
      '--budgets',
      join(DEMO, 'budgets.yaml'),
      '--costs',
      costs,
      '--as-of',
      '2026-10-15',
      '--no-state',
      '--format',
      'json',
      '--fail-on',
      'breach',
    ]);
    const doc = JSON.parse(r.stdout) as CycleResult;
    expect(doc.budgets.length).toBeGreaterThan(0);
    expect(doc.budgets.every((b) => b.status === 'unknown' && b.spendToDate === null)).toBe(true);
    expect(r.code).toBe(1);
  });
});
