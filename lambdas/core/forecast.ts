/**
 * Period-end spend forecast with an interval.
 *
 * SageMaker hosting spend is mostly instance-hours: flat levels that step when an instance type or count changes
 * or an endpoint is created or deleted, a slope when autoscaling follows traffic growth, and often a weekly rhythm.
 * A fit over the whole history averages the old regime into the new one, so each component is forecast from its
 * current regime only: find the most recent level shift, then fit a robust level (median), a robust trend
 * (Theil–Sen) and a weekly profile on the days after it, each only when those days can support it.
 *
 * Daily values are plain numbers: a forecast sums at most a few hundred of them, far from where float drift
 * matters, and its result is an estimate, never a ledger amount.
 */

import {
  at,
  bestSplit,
  diffNoise,
  fitRegime,
  isKnown,
  known,
  levelShifts,
  offFit,
  relativeWeekly,
  TREND_MIN_DAYS,
  WEEKLY_MIN_DAYS,
  weeklyProfile,
} from './forecast-regime.ts';
import { driftPerDay, driftVariance, lagVariance } from './forecast-risk.ts';
import { sum } from './stats.ts';

export interface ComponentSeries {
  /** e.g. an endpoint name, or "other" for a budget's non-endpoint charges */
  readonly key: string;
  /**
   * Daily spend in currency units, oldest first; the last element is the as-of day (inclusive). Same length for
   * all components of one call. May include days of previous billing periods (history). `null` is a day without
   * data: the days before the component's first (its history starts where its data starts), and the days the cost
   * source did not cover (gaps, never read as $0).
   */
  readonly values: readonly (number | null)[];
}

export interface ComponentForecast {
  readonly key: string;
  /** Expected spend over the horizon. */
  readonly remaining: number;
  /** Variance of that spend (currency units squared); components combine by summing variances. */
  readonly variance: number;
  /**
   * What the fit used: "zero", or "level" plus "+trend", "+weekly", "+recurring-spikes", and "+recent" when the
   * regime was refitted on its last two weeks because the trend bent.
   */
  readonly method: string;
  /** Index into `values` of the first day of the current regime, when a level shift was found. */
  readonly levelShiftAt?: number;
  /**
   * Index into `values` of the first day the fit read: the series' first day, its last level shift, or where the
   * trend bent.
   */
  readonly regimeFrom: number;
  /** Fitted slope at as-of, before damping (0 when no trend is supported). */
  readonly trendPerDay: number;
  /** Fitted daily spend at as-of, without the weekly profile. */
  readonly level: number;
}

export interface ForecastResult {
  /** Projected spend for the `horizonDays` days after as-of (not including spend to date). */
  readonly expected: number;
  /** Lower bound of a central `coverage` interval (default 0.8), never below 0. */
  readonly low: number;
  readonly high: number;
  readonly method: string;
  readonly components: readonly ComponentForecast[];
}

export interface ForecastOptions {
  /** Probability mass of the central interval [low, high]; default 0.8. */
  readonly coverage?: number;
}

export const FORECAST_METHOD =
  'regime-robust: last level shift, median level, damped Theil-Sen trend, weekly profile';

/** Days at the end of a regime checked for a bend in the trend, and refitted alone when they are off the fit. */
const RECENT_DAYS = 14;
/** Days a bent regime keeps at least, so its level rests on more than a day or two. */
const MIN_BENT_DAYS = 4;
/** A slope seen over two weeks only is the least certain part of a forecast: it fades fast (half-life ~3 days). */
const BENT_DAMPING = 0.8;
/** Per-day damping of the trend: fitted slopes rarely persist undamped for a whole month (Gardner & McKenzie). */
const DAMPING = 0.98;
/**
 * Spend that has not moved for days can still move tomorrow (a scale-out, a deletion): the daily noise assumed
 * is at least this share of the level, so a perfectly steady series does not get a zero-width interval.
 */
const MIN_RELATIVE_SIGMA = 0.02;
/** A regime younger than a week has not shown its weekdays yet... */
const YOUNG_DAYS = 7;
/**
 * ...so each of its days is taken to be off its weekly mean by a quarter: traffic-driven spend commonly differs by
 * that much between weekdays and weekends.
 */
const YOUNG_RELATIVE_SIGMA = 0.25;

/**
 * Forecasts the spend of the `horizonDays` days after as-of, per component and in total. Components are assumed
 * independent: the interval of the total comes from the sum of their variances, under a normal approximation.
 */
export function forecastRemaining(
  components: readonly ComponentSeries[],
  horizonDays: number,
  opts: ForecastOptions = {},
): ForecastResult {
  const coverage = opts.coverage ?? 0.8;
  if (!(coverage > 0 && coverage < 1))
    throw new RangeError(`coverage must be between 0 and 1, got ${coverage}`);
  if (!Number.isInteger(horizonDays) || horizonDays < 0) {
    throw new RangeError(`horizonDays must be a whole number of days >= 0, got ${horizonDays}`);
  }
  const length = components[0]?.values.length ?? 0;
  for (const c of components) {
    if (c.values.length !== length) {
      throw new RangeError(`component "${c.key}" has ${c.values.length} days, the first has ${length}`);
    }
    if (!c.values.every((v) => v === null || Number.isFinite(v)))
      throw new RangeError(`component "${c.key}" has a non-finite daily value`);
  }

  const forecasts = components.map((c) => forecastComponent(c, horizonDays));
  const expected = sum(forecasts.map((f) => f.remaining));
  const halfWidth = normalQuantile((1 + coverage) / 2) * Math.sqrt(sum(forecasts.map((f) => f.variance)));
  return {
    expected,
    low: Math.max(0, expected - halfWidth),
    high: expected + halfWidth,
    method: FORECAST_METHOD,
    components: forecasts,
  };
}

/**
 * The naive baseline, for comparison: spend to date in the period / days elapsed * days in period, minus spend
 * to date.
 */
export function runRateRemaining(periodToDate: readonly number[], horizonDays: number): number {
  if (periodToDate.length === 0) return 0;
  return (sum(periodToDate) / periodToDate.length) * horizonDays;
}

function forecastComponent(series: ComponentSeries, horizon: number): ComponentForecast {
  // The series starts where its data starts; a day without data is NaN from here on, which every fit skips.
  const lead = series.values.findIndex((v) => v !== null);
  const values = lead < 0 ? [] : series.values.slice(lead).map((v) => v ?? Number.NaN);
  // A series that starts inside the history starts on the day its resource was created, billed for part of that
  // day only: the level is read from the full days after it, when there are any.
  if (lead > 0 && known(values).length > 1) values[0] = Number.NaN;
  const scale = values.reduce((a, v) => (isKnown(v) ? Math.max(a, Math.abs(v)) : a), 0);
  if (scale === 0)
    return {
      key: series.key,
      remaining: 0,
      variance: 0,
      method: 'zero',
      regimeFrom: Math.max(0, lead),
      trendPerDay: 0,
      level: 0,
    };
  const x = values.map((v) => v / scale);
  // Shifts are searched on deseasonalised values, so that a weekend dip is not taken for a retired endpoint.
  const weekly = weeklyProfile(x, 0);
  const adjusted = weekly ? x.map((v, t) => v - at(weekly, t % 7)) : x;
  const noise = diffNoise(adjusted);
  const shiftAt = levelShifts(adjusted, noise, x).at(-1);
  let start = shiftAt ?? 0;
  let fit = fitRegime(x.slice(start), start, noise);
  let damping = DAMPING;
  let bent = false;
  // A trend that bends (traffic starts to grow after a flat month) is no level shift, and one line over the whole
  // regime lags it. When the recent days sit persistently off the fit, the regime is refitted on them alone.
  const recent = Math.min(RECENT_DAYS, Math.floor((x.length - start) / 2));
  const regime = x.slice(start);
  if (
    recent >= TREND_MIN_DAYS &&
    (offFit(regime, fit, start, TREND_MIN_DAYS) || offFit(regime, fit, start, recent))
  ) {
    // the bend is placed where two flat levels fit the recent days best; the new regime starts there
    const from = x.length - recent;
    start = from + bestSplit(x.slice(from), MIN_BENT_DAYS);
    fit = fitRegime(x.slice(start), start, noise);
    damping = BENT_DAMPING;
    bent = true;
  }
  // A regime too short to show its own weekly rhythm borrows the one of the days before it, relative to their
  // level: traffic keeps its weekdays when an instance type or count changes.
  if (known(x.slice(start)).length < WEEKLY_MIN_DAYS && !fit.weekly) {
    const borrowed = relativeWeekly(x.slice(0, start));
    if (borrowed) fit = fitRegime(x.slice(start), start, noise, borrowed);
  }
  const m = Math.max(1, known(x.slice(start)).length);

  // Daily noise adds up over the horizon; the error of the fitted level (and slope) repeats on every day, which
  // is what makes a level seen for only a few days uncertain (OLS variances, used as an approximation).
  // A level seen on fewer days than a week may sit on busy or quiet days, unless a weekly rhythm places them or
  // weeks of history before it show there is none.
  const unplaced = m < YOUNG_DAYS && !fit.weekly && known(x.slice(0, start)).length < WEEKLY_MIN_DAYS;
  const floor = unplaced ? YOUNG_RELATIVE_SIGMA : MIN_RELATIVE_SIGMA;
  const sigma = Math.max(fit.sigma, floor * Math.abs(fit.level));
  const s2 = sigma * sigma;

  let remaining = 0;
  let damped = 0;
  let dampedSum = 0;
  let power = 1;
  for (let h = 1; h <= horizon; h++) {
    power *= damping;
    damped += power;
    dampedSum += damped;
    const season = fit.weekly ? at(fit.weekly, (x.length - 1 + h) % 7) : 0;
    remaining += Math.max(0, fit.level + fit.slope * damped + season);
  }

  // The level walks as much as this component's level has walked before: a fit over the regime's days lags
  // today's level (a fitted slope follows a walk only in part), and the level can move again before the period
  // ends.
  const r2 = driftPerDay(x, noise * noise);
  let variance = horizon * s2 + horizon * horizon * (s2 / m + lagVariance(fit.level, r2, m));
  if (fit.slope !== 0) {
    const lever = (horizon * (m - 1)) / 2 + dampedSum;
    variance += (s2 * 12 * lever * lever) / (m * (m * m - 1));
  }
  if (horizon > 0) variance += driftVariance(remaining / horizon, r2, horizon);

  const method = [
    'level',
    fit.slope !== 0 && 'trend',
    fit.weekly && 'weekly',
    fit.recurringSpikes && 'recurring-spikes',
    bent && 'recent',
  ]
    .filter(Boolean)
    .join('+');
  return {
    key: series.key,
    remaining: remaining * scale,
    variance: variance * scale * scale,
    method,
    ...(shiftAt !== undefined && { levelShiftAt: lead + shiftAt }),
    regimeFrom: lead + start,
    trendPerDay: fit.slope * scale,
    level: fit.level * scale,
  };
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9). */
function normalQuantile(p: number): number {
  const [a1, a2, a3, a4, a5, a6] = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const [b1, b2, b3, b4, b5] = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const [c1, c2, c3, c4, c5, c6] = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const [d1, d2, d3, d4] = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q) /
    (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1)
  );
}
