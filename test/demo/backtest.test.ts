import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotOfFiles } from '../../lambdas/cli/run.ts';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { ROOT } from '../helpers/cli.ts';

const DEMO = join(ROOT, 'examples/demo');
const truth = JSON.parse(readFileSync(join(DEMO, 'demo.json'), 'utf8')).truth.monthTotals as Record<
  string,
  string
>;

/**
 * Replays October on the demo account day by day (as-of is an argument, so a complete file replays any day) and
 * compares the period-end forecast with the month that happened, against a run-rate (spend to date / days elapsed
 * x days in the month).
 */
describe('forecast backtest on the demo account', () => {
  let file: BudgetFile;
  let snapshot: Snapshot;
  beforeAll(async () => {
    file = await loadBudgetFile(join(DEMO, 'budgets.yaml'));
    snapshot = await snapshotOfFiles(
      file,
      { costs: [join(DEMO, 'data/costs.focus.csv')], metrics: join(DEMO, 'data/metrics.csv') },
      { now: new Date(0) },
    );
  });

  const errors = (day: number) => {
    const r = evaluate({ ...snapshot, asOf: `2026-10-${String(day).padStart(2, '0')}` }, file);
    let ours = 0;
    let runRate = 0;
    for (const b of r.budgets) {
      const actual = Number(truth[b.name]);
      ours += Math.abs((b.forecast.expected ?? 0) - actual) / actual;
      runRate += Math.abs(((b.spendToDate ?? 0) / day) * 31 - actual) / actual;
    }
    return { ours: ours / r.budgets.length, runRate: runRate / r.budgets.length };
  };

  it.each([8, 10, 12, 15, 18, 20, 22, 25])('as of October %i, errs less than a run-rate', (day) => {
    const e = errors(day);
    expect(e.ours).toBeLessThan(e.runRate);
  });

  it('errs under 5% on average from mid-month on', () => {
    for (const day of [15, 18, 20, 22, 25]) expect(errors(day).ours).toBeLessThan(0.05);
  });
});
