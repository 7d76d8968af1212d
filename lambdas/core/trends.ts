import { type Money, roundTo, toNumber } from './money.ts';
import { addDays, dayStartMs } from './period.ts';
import type { MetricSeries } from './types.ts';

/** One endpoint on one day. Null means no data that day, never zero. */
export interface EndpointDay {
  readonly day: string;
  /** Spend on the endpoint's own cost rows, to the cent; null when it has none that day. */
  readonly spend: number | null;
  /** Sum of Invocations over every variant; null when none was published that day. */
  readonly invocations: number | null;
  /** Spend / invocations x 1000; null when either is missing, invocations are 0, or the day's costs are partial. */
  readonly costPer1k: number | null;
  /**
   * Mean of the hourly ModelLatency p99s of every variant, each weighted by its variant's invocations in that hour
   * (a plain mean when no hour has invocations), in ms: how the evaluation judges its window.
   */
  readonly latencyP99Ms: number | null;
}

/** Consecutive days in the billing time zone, with the instant each starts (and the one after the last ends). */
export interface DayRange {
  readonly days: readonly string[];
  /** Epoch ms: `days.length + 1` bounds. */
  readonly bounds: readonly number[];
}

/** The days with their bounds, computed once for every endpoint: a time-zone conversion is slow. */
export function dayRange(days: readonly string[], timezone: string): DayRange {
  const bounds = days.map((d) => dayStartMs(d, timezone));
  if (days.length > 0) bounds.push(dayStartMs(addDays(days[days.length - 1] as string, 1), timezone));
  return { days, bounds };
}

export interface EndpointTrendInput {
  readonly range: DayRange;
  /** Every metric series of the endpoint (all variants); undefined when no metrics were collected. */
  readonly series: readonly MetricSeries[] | undefined;
  /** Exact spend of the endpoint per day; undefined when no cost row names it. */
  readonly spend: { get(day: string): Money | undefined } | undefined;
  /** Last day whose cost data is complete: cost per 1k is not computed on later (partial) days. */
  readonly completeThrough: string;
}

const HOUR = 3_600_000;
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** Index of the day containing `t` among `bounds` (day starts plus the end), or -1 outside them. */
function dayIndex(bounds: readonly number[], t: number): number {
  if (t < (bounds[0] as number) || t >= (bounds[bounds.length - 1] as number)) return -1;
  let lo = 0;
  let hi = bounds.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Daily cost per 1k inferences and p99 ModelLatency of one endpoint: what the report's trend charts draw against
 * the budget's limits. One pass over the endpoint's Invocations (Sum) and ModelLatency (p99) series.
 */
export function endpointDailyTrends(input: EndpointTrendInput): EndpointDay[] {
  const { days, bounds } = input.range;
  const n = days.length;

  const invocations: (number | null)[] = new Array(n).fill(null);
  const weighted = new Array<number>(n).fill(0);
  const weights = new Array<number>(n).fill(0);
  const plain = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  // invocations per variant and hour: what weighs that variant's p99 in that hour
  const invByVariantHour = new Map<string, Map<number, number>>();
  const hoursOf = (variant: string) => {
    let m = invByVariantHour.get(variant);
    if (!m) {
      m = new Map();
      invByVariantHour.set(variant, m);
    }
    return m;
  };

  const series = input.series ?? [];
  for (const s of series) {
    if (s.metric !== 'Invocations' || s.stat !== 'Sum') continue;
    const hours = hoursOf(s.variant);
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      const d = dayIndex(bounds, t);
      if (d < 0) continue;
      const v = s.v[i] as number;
      invocations[d] = (invocations[d] ?? 0) + v;
      const h = Math.floor(t / HOUR);
      hours.set(h, (hours.get(h) ?? 0) + v);
    }
  }
  for (const s of series) {
    if (s.metric !== 'ModelLatency' || s.stat !== 'p99') continue;
    const hours = invByVariantHour.get(s.variant);
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      const d = dayIndex(bounds, t);
      if (d < 0) continue;
      const ms = (s.v[i] as number) / 1000;
      const w = hours?.get(Math.floor(t / HOUR)) ?? 0;
      weighted[d] = (weighted[d] as number) + ms * w;
      weights[d] = (weights[d] as number) + w;
      plain[d] = (plain[d] as number) + ms;
      count[d] = (count[d] as number) + 1;
    }
  }

  return days.map((day, d) => {
    const cost = input.spend?.get(day);
    const inv = invocations[d] ?? null;
    const costPer1k =
      cost !== undefined && inv !== null && inv > 0 && day <= input.completeThrough
        ? round((toNumber(cost) / inv) * 1000, 6)
        : null;
    const c = count[d] as number;
    const w = weights[d] as number;
    return {
      day,
      spend: cost === undefined ? null : roundTo(cost),
      invocations: inv,
      costPer1k,
      latencyP99Ms: c === 0 ? null : round(w > 0 ? (weighted[d] as number) / w : (plain[d] as number) / c, 1),
    };
  });
}
