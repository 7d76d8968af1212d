import { summarizeEndpointMetrics } from './metrics.ts';
import { type Money, roundTo, toNumber } from './money.ts';
import { addDays, dayStartMs } from './period.ts';
import type { MetricSeries } from './types.ts';

/** One endpoint on one day. Null means no data that day, never zero. */
export interface EndpointDay {
  readonly day: string;
  /** Spend on the endpoint's own cost rows, cents; null when it has none that day. */
  readonly spend: number | null;
  /** Sum of Invocations over every variant; null when none was published that day. */
  readonly invocations: number | null;
  /** Spend / invocations x 1000; null when either is missing, invocations are 0, or the day's costs are partial. */
  readonly costPer1k: number | null;
  /** Invocation-weighted mean of the hourly ModelLatency p99s of every variant, ms (as the evaluation judges it). */
  readonly latencyP99Ms: number | null;
}

export interface EndpointTrendInput {
  /** Days to report, in order (billing time zone). */
  readonly days: readonly string[];
  readonly timezone: string;
  /** Every metric series of the endpoint (all variants); undefined when no metrics were collected. */
  readonly series: readonly MetricSeries[] | undefined;
  /** Exact spend of the endpoint per day; undefined when no cost row names it. */
  readonly spend: ReadonlyMap<string, Money> | undefined;
  /** Last day whose cost data is complete: cost per 1k is not computed on later (partial) days. */
  readonly completeThrough: string;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Daily cost per 1k inferences and p99 ModelLatency of one endpoint: what the report's trend charts draw against
 * the budget's limits. Each day is summarised with the same rules the evaluation applies to its window.
 */
export function endpointDailyTrends(input: EndpointTrendInput): EndpointDay[] {
  const latency = input.series?.filter((s) => s.metric === 'ModelLatency' || s.metric === 'Invocations');
  return input.days.map((day) => {
    const cost = input.spend?.get(day);
    const m = latency
      ? summarizeEndpointMetrics(
          latency,
          dayStartMs(day, input.timezone),
          dayStartMs(addDays(day, 1), input.timezone),
          undefined,
        )
      : undefined;
    const invocations = m?.invocations ?? null;
    const costPer1k =
      cost !== undefined && invocations !== null && invocations > 0 && day <= input.completeThrough
        ? round((toNumber(cost) / invocations) * 1000, 6)
        : null;
    return {
      day,
      spend: cost === undefined ? null : roundTo(cost),
      invocations,
      costPer1k,
      latencyP99Ms: m?.latencyP99Ms === undefined ? null : round(m.latencyP99Ms, 1),
    };
  });
}
