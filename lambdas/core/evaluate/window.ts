/**
 * The days an evaluation looks at: the billing period of as-of, the last day whose cost data is complete, the
 * judging window (the last 7 days to as-of, the period to date if shorter), the baseline a spend change is measured
 * against, and the history the forecast reads.
 */
import type { Window } from '../cause.ts';
import { InputError } from '../errors.ts';
import {
  addDays,
  type BillingPeriodConfig,
  type DayClock,
  daysBetween,
  daysOf,
  maxDay,
  minDay,
  type Period,
  periodContaining,
} from '../period.ts';
import type { CostRecord } from '../types.ts';

/** How far past the last cost row an as-of may lie before it is outside the data rather than a reporting lag. */
export const MAX_DATA_LAG_DAYS = 7;
/** Days of history the forecast looks at. */
export const FORECAST_HISTORY_DAYS = 120;
/** Days of the judging window. */
export const WINDOW_DAYS = 7;
/** Days of the previous period a baseline needs; failing that, days of this period before the window. */
const BASELINE_PREVIOUS_DAYS = 7;
const BASELINE_CURRENT_DAYS = 3;

/** The days the cost rows cover. */
export interface CostSpan {
  /** First and last day with a cost row (undefined: no rows at all). */
  readonly from: string | undefined;
  readonly last: string | undefined;
  /** Days up to as-of with at least one cost row. */
  readonly daysWithRows: ReadonlySet<string>;
}

export interface CycleWindow {
  readonly period: Period;
  readonly daysInPeriod: number;
  /** Last day with cost data used (inclusive): min(as-of, last day in the data), never before the period. */
  readonly through: string;
  /** Last day with cost rows up to as-of, whether complete or not. */
  readonly lastWithData: string | undefined;
  /** Days of the period after `through`, which the forecast covers. */
  readonly remainingDays: number;
  /** The judging window: its `to` is the day after `through`. */
  readonly window: Window;
  readonly baseline: Window | undefined;
  readonly historyDays: readonly string[];
}

export function costSpan(costs: readonly CostRecord[], clock: DayClock, asOfEndMs: number): CostSpan {
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  const daysWithRows = new Set<string>();
  for (const r of costs) {
    if (r.start < firstMs) firstMs = r.start;
    if (r.start > lastMs) lastMs = r.start;
    if (r.start < asOfEndMs) daysWithRows.add(clock.dayOf(r.start));
  }
  return {
    from: Number.isFinite(firstMs) ? clock.dayOf(firstMs) : undefined,
    last: Number.isFinite(lastMs) ? clock.dayOf(lastMs) : undefined,
    daysWithRows,
  };
}

/** Refuses an as-of before the cost data or too far past it: a typo, not a reporting lag. */
export function checkAsOf(asOf: string, span: CostSpan): void {
  if (span.from === undefined || span.last === undefined) return;
  if (asOf < span.from || daysBetween(span.last, asOf) > MAX_DATA_LAG_DAYS) {
    throw new InputError(
      `--as-of ${asOf} is outside the cost data (${span.from} to ${span.last}); pick a day in that range`,
    );
  }
}

/**
 * The baseline a change is measured against: the previous period when the data has a week of it, else the days of
 * this period before the window when there are three, else none.
 */
export function baselineWindow(
  costsFrom: string | undefined,
  period: Period,
  previous: Period,
  windowFrom: string,
): Window | undefined {
  if (costsFrom === undefined) return undefined;
  const prevFrom = maxDay(costsFrom, previous.start);
  const curFrom = maxDay(costsFrom, period.start);
  if (daysBetween(prevFrom, previous.end) >= BASELINE_PREVIOUS_DAYS)
    return { from: prevFrom, to: previous.end };
  if (daysBetween(curFrom, windowFrom) >= BASELINE_CURRENT_DAYS) return { from: curFrom, to: windowFrom };
  return undefined;
}

export function cycleWindow(input: {
  readonly asOf: string;
  readonly billingPeriod: BillingPeriodConfig;
  readonly span: CostSpan;
  /** Last day for which the cost source says it is complete, when it knows. */
  readonly costsCompleteThrough?: string;
}): CycleWindow {
  const { asOf, span } = input;
  const period = periodContaining(asOf, input.billingPeriod);
  const lastWithData = span.last === undefined ? undefined : minDay(span.last, asOf);
  const completeThrough =
    input.costsCompleteThrough !== undefined && lastWithData !== undefined
      ? minDay(input.costsCompleteThrough, lastWithData)
      : lastWithData;
  const beforePeriod = addDays(period.start, -1);
  const through = maxDay(completeThrough ?? beforePeriod, beforePeriod);
  const window: Window = {
    from: maxDay(addDays(asOf, -(WINDOW_DAYS - 1)), period.start),
    to: addDays(through, 1),
  };
  const previous = periodContaining(beforePeriod, input.billingPeriod);
  const historyStart =
    span.from === undefined ? period.start : maxDay(span.from, addDays(through, -FORECAST_HISTORY_DAYS));
  return {
    period,
    daysInPeriod: daysBetween(period.start, period.end),
    through,
    lastWithData,
    remainingDays: daysBetween(addDays(through, 1), period.end),
    window,
    baseline: baselineWindow(span.from, period, previous, window.from),
    historyDays: historyStart <= through ? daysOf(historyStart, addDays(through, 1)) : [],
  };
}
