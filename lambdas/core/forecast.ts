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

import { mean, median, medianInPlace, sum } from './stats.ts';

export interface ComponentSeries {
  /** e.g. an endpoint name, or "other" for a budget's non-endpoint charges */
  readonly key: string;
  /**
   * Daily spend in currency units, oldest first; the last element is the as-of day (inclusive). Same length for
   * all components of one call. May include days of previous billing periods (history).
   */
  readonly values: readonly number[];
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

/** A new level must hold this many days: one day is a spike, two zero days after spending is a retirement. */
const MIN_NEW_LEVEL_DAYS = 2;
/** A shift must exceed this many noise sigmas, so ordinary day-to-day noise never moves the regime... */
const SHIFT_SIGMAS = 4;
/** ...and this share of the larger level: on near-noiseless spend, a change too small to matter is no new regime. */
const SHIFT_MIN_SHARE = 0.02;
/** Share of the days after a split (up to a week) that must sit on the new side of the midpoint of the levels. */
const PERSISTENCE = 0.8;
/** A step must explain each post-shift day this many sigmas better than a straight line, or it is a trend. */
const STEP_OVER_LINE_SIGMAS = 2;
/** Days each side of a split that a shift is judged on. */
const LOCAL_DAYS = 7;
const TREND_MIN_DAYS = 7;
/** Days at the end of a regime checked for a bend in the trend, and refitted alone when they are off the fit. */
const RECENT_DAYS = 14;
/** Days a bent regime keeps at least, so its level rests on more than a day or two. */
const MIN_BENT_DAYS = 4;
/** A slope seen over two weeks only is the least certain part of a forecast: it fades fast (half-life ~3 days). */
const BENT_DAMPING = 0.8;
/** Standard errors the recent days' mean residual must exceed to count as off the fit. */
const RECENT_BIAS_SIGMAS = 3;
/** A trend is kept only when its slope is this many standard errors from zero. */
const TREND_SIGNIFICANCE = 2;
/** Per-day damping of the trend: fitted slopes rarely persist undamped for a whole month (Gardner & McKenzie). */
const DAMPING = 0.98;
const WEEKLY_MIN_DAYS = 21;
/** A borrowed weekly rhythm must keep every weekday above this share of the level. */
const MIN_BORROWED_FACTOR = 0.2;
/** The weekly profile must remove at least half of the absolute day-to-day deviation to be kept. */
const WEEKLY_MAX_UNEXPLAINED = 0.5;
/** Days this many sigmas off the fit are spikes; a spike that recurs is spend, a one-off is ignored. */
const SPIKE_SIGMAS = 4;
/** ...and off by at least this share of the level, so cent-level jitter on a constant charge is not a spike. */
const SPIKE_MIN_SHARE = 0.1;
const RECURRING_SPIKES = 3;
const MAD_TO_SIGMA = 1.4826;
/**
 * Spend that has not moved for days can still move tomorrow (a scale-out, a deletion): the daily noise assumed
 * is at least this share of the level, so a perfectly steady series does not get a zero-width interval.
 */
const MIN_RELATIVE_SIGMA = 0.02;
/**
 * Each component is fitted on its values divided by their largest magnitude, and every test must pass by this
 * margin: exact ties (common in billing data: constant charges, a median halfway between two levels) then fall
 * the same way at any scale, so the forecast of k times the spend is k times the forecast.
 */
const MARGIN = 1e-9;

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
    if (!c.values.every(Number.isFinite))
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
  const scale = series.values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  if (scale === 0)
    return { key: series.key, remaining: 0, variance: 0, method: 'zero', trendPerDay: 0, level: 0 };
  const x = series.values.map((v) => v / scale);
  // Shifts are searched on deseasonalised values, so that a weekend dip is not taken for a retired endpoint.
  const weekly = weeklyProfile(x, 0);
  const adjusted = weekly ? x.map((v, t) => v - at(weekly, t % 7)) : x;
  const noise = diffNoise(adjusted);
  const shiftAt = lastLevelShift(adjusted, noise);
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
  if (x.length - start < WEEKLY_MIN_DAYS && !fit.weekly) {
    const borrowed = relativeWeekly(x.slice(0, start));
    if (borrowed) fit = fitRegime(x.slice(start), start, noise, borrowed);
  }
  const m = x.length - start;

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

  // Daily noise adds up over the horizon; the error of the fitted level (and slope) repeats on every day, which
  // is what makes a level seen for only a few days uncertain (OLS variances, used as an approximation).
  const sigma = Math.max(fit.sigma, MIN_RELATIVE_SIGMA * Math.abs(fit.level));
  const s2 = sigma * sigma;
  let variance = horizon * s2 + (s2 * horizon * horizon) / m;
  if (fit.slope !== 0) {
    const lever = (horizon * (m - 1)) / 2 + dampedSum;
    variance += (s2 * 12 * lever * lever) / (m * (m * m - 1));
  }

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
    ...(shiftAt !== undefined && { levelShiftAt: shiftAt }),
    trendPerDay: fit.slope * scale,
    level: fit.level * scale,
  };
}

interface RegimeFit {
  readonly level: number;
  readonly slope: number;
  readonly weekly: readonly number[] | undefined;
  readonly sigma: number;
  readonly recurringSpikes: boolean;
}

/**
 * `w` is the current regime, starting at index `offset` of the series; `globalSigma` backs up a short window;
 * `borrowed` is a relative weekly profile (indexed by day % 7) for a regime too short to have its own.
 */
function fitRegime(
  w: readonly number[],
  offset: number,
  globalSigma: number,
  borrowed?: readonly number[],
): RegimeFit {
  const m = w.length;
  const own = m >= WEEKLY_MIN_DAYS ? weeklyProfile(w, offset) : undefined;
  const factor = (i: number) => 1 + at(borrowed ?? [], (offset + i) % 7);
  const y = own
    ? w.map((v, i) => v - at(own, (offset + i) % 7))
    : borrowed
      ? w.map((v, i) => v / factor(i))
      : w;

  const trend = m >= TREND_MIN_DAYS ? fitLine(y, theilSen(y)) : undefined;
  // The slope must stand out against the noise the forecast will carry, spikes included.
  const significant =
    trend &&
    Math.abs(trend.slope) > TREND_SIGNIFICANCE * trend.sigma * Math.sqrt(12 / (m * (m * m - 1))) + MARGIN;
  const { level, slope, sigma, recurringSpikes } = significant ? trend : fitLine(y, 0);
  // a borrowed relative profile becomes an additive one at the fitted level
  const weekly = own ?? borrowed?.map((q) => q * level);
  return {
    level,
    slope,
    weekly,
    sigma: m < TREND_MIN_DAYS ? Math.max(sigma, globalSigma) : sigma,
    recurringSpikes,
  };
}

/** Index in `y` (keeping at least `minAfter` days after it) where two flat levels fit `y` best. */
function bestSplit(y: readonly number[], minAfter: number): number {
  let best = 0;
  let bestCost = absDeviation(y, () => median(y));
  for (let s = 2; s <= y.length - minAfter; s++) {
    const before = y.slice(0, s);
    const after = y.slice(s);
    const cost = absDeviation(before, () => median(before)) + absDeviation(after, () => median(after));
    if (cost < bestCost - MARGIN) [best, bestCost] = [s, cost];
  }
  return best;
}

/**
 * Whether the last `k` days of the regime `w` lie systematically on one side of `fit`: their median residual
 * (robust to a one-day spike) exceeds its standard error (about 1.25 sigma / sqrt(k)) several times over.
 */
function offFit(w: readonly number[], fit: RegimeFit, offset: number, k: number): boolean {
  const m = w.length;
  const residuals: number[] = [];
  for (let i = m - k; i < m; i++) {
    const season = fit.weekly ? at(fit.weekly, (offset + i) % 7) : 0;
    residuals.push((w[i] ?? 0) - (fit.level - fit.slope * (m - 1 - i) + season));
  }
  const bias = Math.abs(median(residuals));
  return (
    bias > (RECENT_BIAS_SIGMAS * 1.2533 * fit.sigma) / Math.sqrt(k) + MARGIN &&
    bias > SHIFT_MIN_SHARE * Math.abs(fit.level) + MARGIN
  );
}

/** Level at the last day for a given slope, and the noise around that line. */
function fitLine(y: readonly number[], slope: number) {
  const m = y.length;
  // median(y_i + slope * days to the last day) is a robust intercept at the last day.
  let level = median(y.map((v, i) => v + slope * (m - 1 - i)));
  const residuals = y.map((v, i) => v - (level - slope * (m - 1 - i)));
  let sigma = MAD_TO_SIGMA * median(residuals.map(Math.abs));
  // Batch jobs, retraining and data transfer show as spikes on most days' near-constant spend: when they recur,
  // their average belongs in the forecast, and their spread in the interval.
  const threshold = Math.max(SPIKE_SIGMAS * sigma, SPIKE_MIN_SHARE * Math.abs(level)) + MARGIN;
  const recurringSpikes = residuals.filter((r) => Math.abs(r) > threshold).length >= RECURRING_SPIKES;
  if (recurringSpikes) {
    const shift = mean(residuals);
    level += shift;
    sigma = Math.sqrt(mean(residuals.map((r) => (r - shift) ** 2)));
  }
  return { level, slope, sigma, recurringSpikes };
}

/**
 * Start index of the most recent level shift, if any. Each day is tested as a split between the days just before
 * and just after it (a week after, as many before, at least 3), so that older regimes do not blur the test.
 * A shift passes at a few neighbouring days too; the latest one found is placed where two flat levels fit its
 * neighbourhood best.
 */
function lastLevelShift(y: readonly number[], sigma: number): number | undefined {
  const passing: number[] = [];
  for (let s = 2; s <= y.length - MIN_NEW_LEVEL_DAYS; s++) if (isStep(y, s, sigma)) passing.push(s);
  const last = passing.at(-1);
  if (last === undefined) return undefined;
  // The run of consecutive passing days that ends at the latest: one shift, not an older one nearby.
  let first = passing.length - 1;
  while (first > 0 && passing[first - 1] === (passing[first] ?? 0) - 1) first--;
  const near = passing.slice(first);
  const from = Math.max(0, (near[0] ?? last) - 3);
  const to = Math.min(y.length, last + 3);
  let best = last;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const s of near) {
    const before = y.slice(from, s);
    const after = y.slice(s, to);
    const cost = absDeviation(before, () => median(before)) + absDeviation(after, () => median(after));
    if (cost < bestCost - MARGIN) {
      bestCost = cost;
      best = s;
    }
  }
  return best;
}

function isStep(y: readonly number[], s: number, sigma: number): boolean {
  const after = y.slice(s, s + LOCAL_DAYS);
  const before = y.slice(Math.max(0, s - Math.max(after.length, 3)), s);
  const oldLevel = median(before);
  const newLevel = median(after);
  const jump = newLevel - oldLevel;
  const threshold = Math.max(
    SHIFT_SIGMAS * sigma,
    SHIFT_MIN_SHARE * Math.max(Math.abs(oldLevel), Math.abs(newLevel)),
  );
  if (!(Math.abs(jump) > threshold + MARGIN)) return false;
  const mid = (oldLevel + newLevel) / 2;
  const holding = after.filter((v) => (v - mid) * Math.sign(jump) > MARGIN).length;
  if (holding < Math.ceil(PERSISTENCE * after.length)) return false;
  const both = [...before, ...after];
  const stepCost = absDeviation(before, () => oldLevel) + absDeviation(after, () => newLevel);
  const lineCost = absDeviation(both, theilSenLine(both));
  return lineCost - stepCost > STEP_OVER_LINE_SIGMAS * sigma * after.length + MARGIN;
}

/**
 * Additive weekly profile indexed by (offset + i) % 7, centred on 0, or undefined when the series is too short
 * or the pattern does not explain enough. Deviations are taken from a centred 7-day mean, which cancels the
 * weekly pattern and follows trends and steps; medians per weekday keep one spike from shaping a weekday.
 */
function weeklyProfile(x: readonly number[], offset: number): number[] | undefined {
  if (x.length < WEEKLY_MIN_DAYS) return undefined;
  const byDay: number[][] = [[], [], [], [], [], [], []];
  const deviations: { day: number; r: number }[] = [];
  for (let t = 3; t < x.length - 3; t++) {
    const r = at(x, t) - mean(x.slice(t - 3, t + 4));
    const day = (offset + t) % 7;
    byDay[day]?.push(r);
    deviations.push({ day, r });
  }
  const raw = byDay.map(median);
  const centre = mean(raw);
  const profile = raw.map((p) => p - centre);
  const spread = sum(deviations.map((d) => Math.abs(d.r)));
  const unexplained = sum(deviations.map((d) => Math.abs(d.r - at(profile, d.day))));
  return spread > MARGIN && unexplained <= WEEKLY_MAX_UNEXPLAINED * spread ? profile : undefined;
}

/** The weekly profile of `x` relative to its mean level, when it has one the forecast can lean on. */
function relativeWeekly(x: readonly number[]): number[] | undefined {
  const profile = weeklyProfile(x, 0);
  const level = mean(x);
  if (!profile || !(level > 0)) return undefined;
  const relative = profile.map((p) => p / level);
  // a day at (almost) nothing cannot be scaled back up: such a rhythm is not borrowed
  return relative.every((q) => q > MIN_BORROWED_FACTOR - 1) ? relative : undefined;
}

/** Day-to-day noise: MAD of first differences, which a few level shifts or a trend hardly move. */
function diffNoise(y: readonly number[]): number {
  const diffs = y.slice(1).map((v, i) => v - at(y, i));
  if (diffs.length === 0) return 0;
  const centre = median(diffs);
  return (MAD_TO_SIGMA * median(diffs.map((d) => Math.abs(d - centre)))) / Math.SQRT2;
}

/** Theil–Sen slope: the median of all pairwise slopes, indifferent to a few outliers. */
function theilSen(y: readonly number[]): number {
  const n = (y.length * (y.length - 1)) / 2;
  if (n === 0) return 0;
  // one buffer for every call: a 90-day history has 4,005 pairs, and a cycle fits thousands of components
  if (slopeBuffer.length < n) slopeBuffer = new Float64Array(Math.max(n, 2 * slopeBuffer.length));
  let k = 0;
  for (let i = 0; i < y.length; i++) {
    for (let j = i + 1; j < y.length; j++) slopeBuffer[k++] = (at(y, j) - at(y, i)) / (j - i);
  }
  return medianInPlace(slopeBuffer.subarray(0, n));
}
let slopeBuffer = new Float64Array(4096);

function theilSenLine(y: readonly number[]): (i: number) => number {
  const slope = theilSen(y);
  const intercept = median(y.map((v, i) => v - slope * i));
  return (i) => intercept + slope * i;
}

function absDeviation(y: readonly number[], line: (i: number) => number): number {
  return sum(y.map((v, i) => Math.abs(v - line(i))));
}

function at(values: readonly number[], i: number): number {
  const v = values[i];
  if (v === undefined) throw new RangeError(`index ${i} outside 0..${values.length - 1}`);
  return v;
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
