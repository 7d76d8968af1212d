/**
 * What the forecast's interval must carry beyond the noise around the current regime: the chance that the level
 * moves before the period ends (a resize, a new autoscaling minimum, a client joining or leaving, demand drifting).
 *
 * A regime's fit says nothing about its own end, but a component's history says how much its level has moved from
 * week to week. That movement is read as a random walk of the daily level: a relative variance per day, `r2`,
 * whose effect on the spend of the `h` days ahead grows as h^3 / 3 (each day's spend carries every step taken
 * before it). Early in a period the horizon is long, so the interval is widest then, as it should be.
 *
 * Values are scaled by the caller; a day without data is NaN and skipped.
 */

import { isKnown } from './forecast-regime.ts';
import { mean } from './stats.ts';

const WEEK = 7;
/**
 * What a component with little history is assumed to move: 1% of its level a day as a random walk (about 5% over
 * a month). History replaces it as it accrues: the prior counts as `PRIOR_WEEKS` observed week-to-week changes.
 */
const PRIOR_DRIFT_PER_DAY = 0.01;
const PRIOR_WEEKS = 4;
/**
 * Variance of the difference of two consecutive 7-day means of a random walk with unit variance per day:
 * (2n^2 + 1) / (3n) for n = 7.
 */
const WEEK_MEANS_PER_DAY = (2 * WEEK * WEEK + 1) / (3 * WEEK);

/**
 * The relative variance per day of the level of `x`, from the changes between consecutive whole weeks of its
 * history (counted back from its last day, weeks with a day missing left out), less what day-to-day noise of
 * variance `noise2` (same scale as `x`) puts into them, shrunk towards the prior.
 */
export function driftPerDay(x: readonly number[], noise2: number): number {
  const weeks: number[] = [];
  for (let end = x.length; end - WEEK >= 0; end -= WEEK) {
    const days = x.slice(end - WEEK, end);
    weeks.unshift(days.every(isKnown) ? mean(days) : Number.NaN);
  }
  const squares: number[] = [];
  for (let k = 1; k < weeks.length; k++) {
    const [a, b] = [weeks[k - 1] ?? Number.NaN, weeks[k] ?? Number.NaN];
    const level = (a + b) / 2;
    if (!(level > 0)) continue;
    // the noise of two weekly means is 2 sigma^2 / 7, relative to the level they sit at
    const change = ((b - a) / level) ** 2 - (2 * noise2) / WEEK / (level * level);
    // a level so small that its square underflows says nothing about how much it moves
    if (Number.isFinite(change)) squares.push(Math.max(0, change) / WEEK_MEANS_PER_DAY);
  }
  const prior = PRIOR_DRIFT_PER_DAY ** 2;
  return (PRIOR_WEEKS * prior + squares.reduce((a, s) => a + s, 0)) / (PRIOR_WEEKS + squares.length);
}

/**
 * Variance of the spend of the `horizon` days ahead, at `daily` a day, when the level walks with relative variance
 * `r2` a day: the sum over days 1..h of h-day partial sums, sum_{i<=h} (h - i + 1)^2 = h(h+1)(2h+1)/6.
 */
export function driftVariance(daily: number, r2: number, horizon: number): number {
  return daily * daily * r2 * ((horizon * (horizon + 1) * (2 * horizon + 1)) / 6);
}

/**
 * Variance of the gap between today's level and a flat fit over the last `days` days of a level at `level` that
 * walks with relative variance `r2` a day: the mean of k days lags by sum_{j<k} ((k - j) / k)^2 steps.
 */
export function lagVariance(level: number, r2: number, days: number): number {
  return (r2 * level * level * (days - 1) * (2 * days - 1)) / (6 * days);
}
