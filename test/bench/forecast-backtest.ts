/**
 * The forecast backtest of `npm run bench:forecast` (and of test/core/forecast.backtest.test.ts): replays billing
 * months at days 7, 14 and 21 through `evaluate` (as-of is an argument, so a complete snapshot replays any day) and
 * compares each budget's period-end forecast with the month that happened, beside a run-rate (spend to date / days
 * elapsed x days in the month) and the previous month's total.
 *
 * Three sources, all shipped with the project:
 * - `servegen-6m`: six months of the account of forecast-account.ts (ServeGen traffic turned into autoscaled spend);
 * - `demo`: October on the demo account (examples/demo), the same traffic under the demo's scenario;
 * - `cost-explorer`: February and March 2024 of the real Cost Explorer daily sample
 *   (test/fixtures/cost-explorer/cloudtoolbox-daily-by-service.json), the account's spend without Tax as one budget.
 */
import { join } from 'node:path';
import { snapshotOfFiles } from '../../lambdas/cli/run.ts';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { addDays, daysBetween } from '../../lambdas/core/period.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { loadCostExplorerJson } from '../../lambdas/formats/cost-explorer-file.ts';
import { FORECAST_MONTHS, readForecastAccount, tagBudgets } from './forecast-account.ts';

export const FORECAST_DAYS = [7, 14, 21] as const;
/** The interval's intended coverage, as the README states it. */
export const STATED_COVERAGE = 0.8;

export interface Case {
  readonly source: string;
  readonly budget: string;
  readonly month: string;
  readonly day: number;
  /** The month's actual total. */
  readonly truth: number;
  readonly expected: number;
  readonly low: number;
  readonly high: number;
  readonly runRate: number;
  /** The previous month's total, when the data has it. */
  readonly lastPeriod: number | undefined;
}

const monthStart = (month: string) => `${month}-01`;
const nextMonth = (month: string) => addDays(monthStart(month), 32).slice(0, 7);
const monthEnd = (month: string) => addDays(monthStart(nextMonth(month)), -1);
const prevMonth = (month: string) => addDays(monthStart(month), -1).slice(0, 7);

/** Replays `months` of one snapshot at `days`; a budget whose month total is not positive is left out. */
export function backtest(
  source: string,
  snapshot: Snapshot,
  file: BudgetFile,
  months: readonly string[],
  days: readonly number[] = FORECAST_DAYS,
): Case[] {
  const at = (asOf: string): CycleResult => evaluate({ ...snapshot, asOf }, file);
  const totals = (result: CycleResult) => new Map(result.budgets.map((b) => [b.name, b.spendToDate ?? 0]));
  const dataFrom = snapshot.costs.reduce((a, r) => Math.min(a, r.start), Number.POSITIVE_INFINITY);
  const cases: Case[] = [];
  for (const month of months) {
    const truth = totals(at(monthEnd(month)));
    const previousKnown = Date.parse(`${monthStart(prevMonth(month))}T00:00:00Z`) >= dataFrom;
    const last = previousKnown ? totals(at(monthEnd(prevMonth(month)))) : undefined;
    const length = daysBetween(monthStart(month), monthStart(nextMonth(month)));
    for (const day of days) {
      const result = at(`${month}-${String(day).padStart(2, '0')}`);
      for (const b of result.budgets) {
        const actual = truth.get(b.name) ?? 0;
        if (!(actual > 0)) continue;
        cases.push({
          source,
          budget: b.name,
          month,
          day,
          truth: actual,
          expected: b.forecast.expected ?? 0,
          low: b.forecast.low ?? 0,
          high: b.forecast.high ?? 0,
          runRate: ((b.spendToDate ?? 0) / day) * length,
          lastPeriod: last?.get(b.name),
        });
      }
    }
  }
  return cases;
}

export async function allCases(repo: string): Promise<Case[]> {
  const account = readForecastAccount(repo);
  const demoDir = join(repo, 'examples/demo');
  const demoFile = await loadBudgetFile(join(demoDir, 'budgets.yaml'));
  const demo = await snapshotOfFiles(
    demoFile,
    { costs: [join(demoDir, 'data/costs.focus.csv')], metrics: join(demoDir, 'data/metrics.csv') },
    { now: new Date(0) },
  );
  const ce = await costExplorerAccount(repo);
  return [
    ...backtest('servegen-6m', account.snapshot, account.file, FORECAST_MONTHS),
    ...backtest('demo', demo, demoFile, ['2026-10']),
    ...backtest('cost-explorer', ce.snapshot, ce.file, ['2024-02', '2024-03']),
  ];
}

/** The real Cost Explorer sample as one budget: every row but Tax, tagged so that a budget selects them all. */
async function costExplorerAccount(repo: string): Promise<{ snapshot: Snapshot; file: BudgetFile }> {
  const path = join(repo, 'test/fixtures/cost-explorer/cloudtoolbox-daily-by-service.json');
  const load = await loadCostExplorerJson(path, { costMetric: 'billed' });
  const tags = { account: 'cloudtoolbox' };
  const costs = load.records.filter((r) => r.service !== 'Tax').map((r) => ({ ...r, tags }));
  return {
    snapshot: {
      asOf: '2024-03-31',
      currency: 'USD',
      costs,
      inventory: [],
      gaps: [],
      ...(load.completeThrough && { costsCompleteThrough: load.completeThrough }),
    },
    file: tagBudgets([{ name: 'cloudtoolbox', tier: 'production', tags, cap: 20 }]),
  };
}

export interface Summary {
  readonly cases: number;
  /** Mean absolute error of the period total, as a share of the actual total. */
  readonly ours: number;
  readonly runRate: number;
  /** Median absolute error, as a share of the actual total: one tiny account's misses do not swamp it. */
  readonly oursMedian: number;
  readonly runRateMedian: number;
  /** Over the cases that have a previous period (`lastCases` of them). */
  readonly lastPeriod: number;
  readonly lastCases: number;
  /** Share of cases whose actual total fell inside [low, high]. */
  readonly coverage: number;
  /** Mean half-width of the interval, as a share of the actual total. */
  readonly halfWidth: number;
}

export function summarise(cases: readonly Case[]): Summary {
  const mean = (xs: readonly number[]) =>
    xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
  const error = (x: number, c: Case) => Math.abs(x - c.truth) / c.truth;
  const median = (xs: readonly number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    if (sorted.length === 0) return Number.NaN;
    return sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const withLast = cases.filter((c) => c.lastPeriod !== undefined);
  return {
    cases: cases.length,
    ours: mean(cases.map((c) => error(c.expected, c))),
    runRate: mean(cases.map((c) => error(c.runRate, c))),
    oursMedian: median(cases.map((c) => error(c.expected, c))),
    runRateMedian: median(cases.map((c) => error(c.runRate, c))),
    lastPeriod: mean(withLast.map((c) => error(c.lastPeriod ?? 0, c))),
    lastCases: withLast.length,
    coverage: mean(cases.map((c) => (c.low <= c.truth && c.truth <= c.high ? 1 : 0))),
    halfWidth: mean(cases.map((c) => (c.high - c.low) / 2 / c.truth)),
  };
}
