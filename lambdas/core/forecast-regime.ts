/**
 * The current regime of one component's daily spend, for the forecast (forecast.ts): the most recent level shift,
 * and a robust level (median), a robust trend (Theil–Sen) and a weekly profile fitted on the days after it, each
 * only when those days can support it.
 *
 * Values are scaled to a largest magnitude of 1 by the caller. A day the cost source did not cover is `NaN`: every
 * statistic here skips it, so that a gap is neither a zero nor a reason to see a shift. Positions still count
 * calendar days, so weekdays and slopes stay where they are.
 */

import { mean, median, medianInPlace, sum } from './stats.ts';

/** A new level must hold this many days: one day is a spike, two zero days after spending is a retirement... */
const MIN_NEW_LEVEL_DAYS = 2;
/** ...but two days of a lower or higher spend may be a weekend: a level other than zero must hold longer. */
const MIN_NEW_SPENDING_DAYS = 3;
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
export const TREND_MIN_DAYS = 7;
/** Standard errors the recent days' mean residual must exceed to count as off the fit. */
const RECENT_BIAS_SIGMAS = 3;
/** A trend is kept only when its slope is this many standard errors from zero. */
const TREND_SIGNIFICANCE = 2;
export const WEEKLY_MIN_DAYS = 21;
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
 * Every test must pass by this margin: exact ties (common in billing data: constant charges, a median halfway
 * between two levels) then fall the same way at any scale, so the forecast of k times the spend is k times the
 * forecast.
 */
const MARGIN = 1e-9;

export const isKnown = (v: number): boolean => !Number.isNaN(v);
/** The days of `y` the cost source covered. */
export const known = (y: readonly number[]): number[] => y.filter(isKnown);

export interface RegimeFit {
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
export function fitRegime(
  w: readonly number[],
  offset: number,
  globalSigma: number,
  borrowed?: readonly number[],
): RegimeFit {
  const m = known(w).length;
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
export function bestSplit(y: readonly number[], minAfter: number): number {
  let best = 0;
  let bestCost = absDeviation(y, () => median(known(y)));
  for (let s = 2; s <= y.length - minAfter; s++) {
    const before = known(y.slice(0, s));
    const after = known(y.slice(s));
    const cost = absDeviation(before, () => median(before)) + absDeviation(after, () => median(after));
    if (cost < bestCost - MARGIN) [best, bestCost] = [s, cost];
  }
  return best;
}

/**
 * Whether the last `k` days of the regime `w` lie systematically on one side of `fit`: their median residual
 * (robust to a one-day spike) exceeds its standard error (about 1.25 sigma / sqrt(k)) several times over.
 */
export function offFit(w: readonly number[], fit: RegimeFit, offset: number, k: number): boolean {
  const m = w.length;
  const residuals: number[] = [];
  for (let i = m - k; i < m; i++) {
    const v = w[i] ?? Number.NaN;
    if (!isKnown(v)) continue;
    const season = fit.weekly ? at(fit.weekly, (offset + i) % 7) : 0;
    residuals.push(v - (fit.level - fit.slope * (m - 1 - i) + season));
  }
  if (residuals.length === 0) return false;
  const bias = Math.abs(median(residuals));
  return (
    bias > (RECENT_BIAS_SIGMAS * 1.2533 * fit.sigma) / Math.sqrt(residuals.length) + MARGIN &&
    bias > SHIFT_MIN_SHARE * Math.abs(fit.level) + MARGIN
  );
}

/** Level at the last day for a given slope, and the noise around that line. */
function fitLine(y: readonly number[], slope: number) {
  const m = y.length;
  const days: number[] = [];
  for (let i = 0; i < m; i++) if (isKnown(y[i] ?? Number.NaN)) days.push(i);
  // median(y_i + slope * days to the last day) is a robust intercept at the last day.
  let level = median(days.map((i) => at(y, i) + slope * (m - 1 - i)));
  const residuals = days.map((i) => at(y, i) - (level - slope * (m - 1 - i)));
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
 * Start indexes of the level shifts of `y` (`raw` is `y` before the weekly rhythm was taken out), oldest first. Each day is tested as a split between the days just
 * before and just after it (a week after, as many before, at least 3), so that older regimes do not blur the
 * test. A shift passes at a few neighbouring days too: each run of passing days is one shift, placed where two
 * flat levels fit its neighbourhood best.
 */
export function levelShifts(y: readonly number[], sigma: number, raw: readonly number[] = y): number[] {
  const passing: number[] = [];
  for (let s = 2; s <= y.length - MIN_NEW_LEVEL_DAYS; s++) {
    const held = y.length - s;
    if (held < MIN_NEW_SPENDING_DAYS && !raw.slice(s).every((v) => Math.abs(v) <= MARGIN)) continue;
    if (isStep(y, s, sigma)) passing.push(s);
  }
  const runs: number[][] = [];
  for (const s of passing) {
    const run = runs.at(-1);
    if (run && run.at(-1) === s - 1) run.push(s);
    else runs.push([s]);
  }
  return runs.map((near) => placeShift(y, near));
}

function placeShift(y: readonly number[], near: readonly number[]): number {
  const first = near[0] ?? 0;
  const last = near.at(-1) ?? first;
  const from = Math.max(0, first - 3);
  const to = Math.min(y.length, last + 3);
  let best = last;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const s of near) {
    const before = known(y.slice(from, s));
    const after = known(y.slice(s, to));
    const cost = absDeviation(before, () => median(before)) + absDeviation(after, () => median(after));
    if (cost < bestCost - MARGIN) {
      bestCost = cost;
      best = s;
    }
  }
  return best;
}

function isStep(y: readonly number[], s: number, sigma: number): boolean {
  if (!isKnown(y[s] ?? Number.NaN)) return false;
  const after = known(y.slice(s, s + LOCAL_DAYS));
  const before = known(y.slice(Math.max(0, s - Math.max(after.length, 3)), s));
  if (after.length < MIN_NEW_LEVEL_DAYS || before.length === 0) return false;
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
export function weeklyProfile(x: readonly number[], offset: number): number[] | undefined {
  if (known(x).length < WEEKLY_MIN_DAYS) return undefined;
  const byDay: number[][] = [[], [], [], [], [], [], []];
  const deviations: { day: number; r: number }[] = [];
  for (let t = 3; t < x.length - 3; t++) {
    const window = x.slice(t - 3, t + 4);
    if (!window.every(isKnown)) continue;
    const r = at(x, t) - mean(window);
    const day = (offset + t) % 7;
    byDay[day]?.push(r);
    deviations.push({ day, r });
  }
  if (byDay.some((d) => d.length === 0)) return undefined;
  const raw = byDay.map(median);
  const centre = mean(raw);
  const profile = raw.map((p) => p - centre);
  const spread = sum(deviations.map((d) => Math.abs(d.r)));
  const unexplained = sum(deviations.map((d) => Math.abs(d.r - at(profile, d.day))));
  return spread > MARGIN && unexplained <= WEEKLY_MAX_UNEXPLAINED * spread ? profile : undefined;
}

/** The weekly profile of `x` relative to its mean level, when it has one the forecast can lean on. */
export function relativeWeekly(x: readonly number[]): number[] | undefined {
  const profile = weeklyProfile(x, 0);
  const level = mean(known(x));
  if (!profile || !(level > 0)) return undefined;
  const relative = profile.map((p) => p / level);
  // a day at (almost) nothing cannot be scaled back up: such a rhythm is not borrowed
  return relative.every((q) => q > MIN_BORROWED_FACTOR - 1) ? relative : undefined;
}

/** Day-to-day noise: MAD of first differences, which a few level shifts or a trend hardly move. */
export function diffNoise(y: readonly number[]): number {
  const diffs: number[] = [];
  for (let i = 1; i < y.length; i++) {
    const d = at(y, i) - at(y, i - 1);
    if (isKnown(d)) diffs.push(d);
  }
  if (diffs.length === 0) return 0;
  const centre = median(diffs);
  return (MAD_TO_SIGMA * median(diffs.map((d) => Math.abs(d - centre)))) / Math.SQRT2;
}

/** Theil–Sen slope: the median of all pairwise slopes, indifferent to a few outliers. */
function theilSen(y: readonly number[]): number {
  const days: number[] = [];
  for (let i = 0; i < y.length; i++) if (isKnown(y[i] ?? Number.NaN)) days.push(i);
  const n = (days.length * (days.length - 1)) / 2;
  if (n === 0) return 0;
  // one buffer for every call: a 90-day history has 4,005 pairs, and a cycle fits thousands of components
  if (slopeBuffer.length < n) slopeBuffer = new Float64Array(Math.max(n, 2 * slopeBuffer.length));
  let k = 0;
  for (let a = 0; a < days.length; a++) {
    const i = days[a] as number;
    for (let b = a + 1; b < days.length; b++) {
      const j = days[b] as number;
      slopeBuffer[k++] = (at(y, j) - at(y, i)) / (j - i);
    }
  }
  return medianInPlace(slopeBuffer.subarray(0, n));
}
let slopeBuffer = new Float64Array(4096);

function theilSenLine(y: readonly number[]): (i: number) => number {
  const slope = theilSen(y);
  const intercept = median(y.map((v, i) => v - slope * i));
  return (i) => intercept + slope * i;
}

/** Sum of absolute deviations of the covered days of `y` from `line`. */
function absDeviation(y: readonly number[], line: (i: number) => number): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const v = at(y, i);
    if (isKnown(v)) total += Math.abs(v - line(i));
  }
  return total;
}

export function at(values: readonly number[], i: number): number {
  const v = values[i];
  if (v === undefined) throw new RangeError(`index ${i} outside 0..${values.length - 1}`);
  return v;
}
