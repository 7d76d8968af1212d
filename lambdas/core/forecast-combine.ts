/**
 * The regime forecast (forecast.ts) leans on the run-rate where the budget's own history says the run-rate would
 * have done better.
 *
 * The regime forecast is right when the spend keeps its current level: clean steps (a resize, a new endpoint) and
 * steady, trending or weekly spend. It is wrong when levels come and go faster than they can be read: experiment
 * endpoints created and deleted within weeks, a few dollars of on-off usage. A run-rate (spend to date / days
 * elapsed) averages such churn. Which one a budget needs is not guessed from the shape of its series: both are
 * replayed on the days already seen (a rolling-origin backtest at weekly origins, each forecasting the days up to
 * as-of from what was known then): the run-rate takes the share of the regime forecast's error it would have saved
 * there. Only a material difference moves the weight: where both did equally well, the regime forecast stands. A
 * budget too young to replay averages the two when its period spans a level the regime forecast has left behind.
 *
 * Values and errors are plain numbers, as in forecast.ts.
 */

import {
  type ComponentSeries,
  type ForecastOptions,
  type ForecastResult,
  forecastRemaining,
} from './forecast.ts';

/** Origins replayed: 7, 14, 21 and 28 days before as-of. */
const ORIGINS = 4;
const ORIGIN_STEP_DAYS = 7;
/**
 * An origin is replayed only when the budget had three weeks of data by then: with less, the regime forecast had
 * no weekly rhythm to read, a handicap it no longer has at as-of.
 */
const MIN_DAYS_AT_ORIGIN = 21;
/**
 * Every replayed error counts as at least this (relative, added in squares), so that two forecasts that both did
 * well, one a little better, do not shift the weight: only a material difference is evidence.
 */
const MATERIAL_DIFFERENCE = 0.05;
/** The run-rate's weight when no origin could be replayed. */
const NO_EVIDENCE_WEIGHT = 0.5;
/** Days a new level must have been seen by an origin, as the regime forecast needs to take it for one. */
const SETTLE_DAYS = 2;
/** Relative errors are capped here, so that one origin over an almost empty window cannot decide alone. */
const MAX_RELATIVE_ERROR = 2;

export interface CombinedForecast extends ForecastResult {
  /** Expected spend of the horizon at the run-rate of the days elapsed in the period. */
  readonly runRate: number;
  /** Weight of the run-rate in `expected`, 0 (the regime forecast alone) to 1. */
  readonly runRateWeight: number;
}

/**
 * Forecasts the spend of the `horizonDays` days after as-of, as `forecastRemaining` does, leaning on the run-rate
 * of the last `elapsedDays` days (the period to date) by the weight that the budget's history supports.
 */
export function forecastCombined(
  components: readonly ComponentSeries[],
  horizonDays: number,
  elapsedDays: number,
  opts: ForecastOptions = {},
): CombinedForecast {
  const regime = forecastRemaining(components, horizonDays, opts);
  const totals = dailyTotals(components);
  const runRate = runRateOf(totals, totals.length - 1, elapsedDays) * horizonDays;
  // Where each component's current regime starts (a resize, a new or retired endpoint, traffic that starts to grow):
  // an origin in the first days after one is not replayed, since no forecast could have taken the new level yet.
  const steps = regime.components.map((c) => c.regimeFrom).filter((i) => i > 0);
  // Without a replayed origin, the run-rate adds something only where it spans a level the regime forecast has
  // left behind: then it is not known whether the new level lasts (a new endpoint) or not (on-off usage).
  const windowFrom = Math.max(0, totals.length - elapsedDays);
  const spansStep = steps.some((s) => totals.slice(windowFrom, s).some((v) => !Number.isNaN(v)));
  const weight =
    horizonDays > 0 && elapsedDays > 0
      ? runRateWeight(components, totals, horizonDays, elapsedDays, steps, opts, spansStep)
      : 0;
  if (weight === 0) return { ...regime, runRate, runRateWeight: 0 };
  const expected = (1 - weight) * regime.expected + weight * runRate;
  // The interval keeps the regime's spread and widens by the part of the disagreement the weight took up: the
  // history says one of the two is off by about that much.
  const spread = regime.high - regime.expected;
  const moved = weight * (runRate - regime.expected);
  const halfWidth = Math.sqrt(spread * spread + moved * moved);
  return {
    ...regime,
    expected,
    low: Math.max(0, expected - halfWidth),
    high: expected + halfWidth,
    runRate,
    runRateWeight: weight,
  };
}

/** The budget's spend per day, NaN on a day no component has data for. */
function dailyTotals(components: readonly ComponentSeries[]): number[] {
  const length = components[0]?.values.length ?? 0;
  const totals: number[] = [];
  for (let i = 0; i < length; i++) {
    let total = Number.NaN;
    for (const c of components) {
      const v = c.values[i];
      if (v !== null && v !== undefined) total = (Number.isNaN(total) ? 0 : total) + v;
    }
    totals.push(total);
  }
  return totals;
}

/** Mean spend a day over the `days` days up to `last` (inclusive) that have data. */
function runRateOf(totals: readonly number[], last: number, days: number): number {
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, last - days + 1); i <= last; i++) {
    const v = totals[i] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * The share of the regime forecast's squared error (relative, summed over the replayed origins) that the run-rate
 * would have saved, as a share of both: 0 when the run-rate did no better, 1 when it never erred and the regime did.
 */
function runRateWeight(
  components: readonly ComponentSeries[],
  totals: readonly number[],
  horizonDays: number,
  elapsedDays: number,
  steps: readonly number[],
  opts: ForecastOptions,
  spansStep: boolean,
): number {
  const last = totals.length - 1;
  let regimeErrors = 0;
  let runRateErrors = 0;
  for (let k = 1; k <= ORIGINS; k++) {
    const origin = last - k * ORIGIN_STEP_DAYS;
    if (origin < 0) break;
    if (steps.some((s) => s <= origin && origin < s + SETTLE_DAYS)) continue;
    if (totals.slice(0, origin + 1).filter((v) => !Number.isNaN(v)).length < MIN_DAYS_AT_ORIGIN) break;
    // the days from the origin to as-of, up to the horizon still to forecast
    const h = Math.min(horizonDays, k * ORIGIN_STEP_DAYS);
    // a day without data in the window is taken at the mean of the window's others
    const window = totals.slice(origin + 1, origin + 1 + h).filter((v) => !Number.isNaN(v));
    if (window.length === 0) continue;
    const actual = (window.reduce((a, v) => a + v, 0) * h) / window.length;
    if (!(actual > 0)) continue;
    const seen = components.map((c) => ({ key: c.key, values: c.values.slice(0, origin + 1) }));
    const regime = forecastRemaining(seen, h, opts).expected;
    const runRate = runRateOf(totals, origin, elapsedDays) * h;
    const relative = (x: number) =>
      Math.max(-MAX_RELATIVE_ERROR, Math.min(MAX_RELATIVE_ERROR, (x - actual) / actual));
    regimeErrors += relative(regime) ** 2 + MATERIAL_DIFFERENCE ** 2;
    runRateErrors += relative(runRate) ** 2 + MATERIAL_DIFFERENCE ** 2;
  }
  // With nothing replayed (a budget younger than its first origin), neither has shown itself better: the two are
  // averaged, the combination that is hardest to beat when weights cannot be estimated.
  if (regimeErrors === 0) return spansStep ? NO_EVIDENCE_WEIGHT : 0;
  return Math.max(0, (regimeErrors - runRateErrors) / (regimeErrors + runRateErrors));
}
