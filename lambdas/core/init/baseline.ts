/**
 * The baseline a new budget file starts from: over the last closed days up to as-of, per proposed budget, its daily
 * spend (the median day and the peak day) as a run would count it under the budget's selector, and per endpoint its
 * cost per 1k inferences, p99 latency, utilisation and peak instances as a run judges them, over the same days.
 */
import type { BudgetFile } from '../budget.ts';
import { cycleContext } from '../evaluate/context.ts';
import { budgetEndpoints } from '../evaluate/endpoints.ts';
import { type Money, ZERO } from '../money.ts';
import { addDays, type DayClock, dayStartMs, daysOf, maxDay, minDay } from '../period.ts';
import { allocate, type BudgetSpend } from '../spend.ts';
import type { MetricName, MetricSeries, Snapshot } from '../types.ts';
import type { BudgetGroup, SeenEndpoint } from './groups.ts';

/** Days, inclusive, that a measurement covers. */
export interface DaySpan {
  readonly from: string;
  readonly to: string;
}

export interface SpendBaseline extends DaySpan {
  /** Days measured: those of the span with cost data in the account. */
  readonly days: number;
  readonly median: Money;
  readonly peak: Money;
  readonly peakDay: string;
  /** What the measured days spent above the median day, summed: the peaks a period must make room for. */
  readonly aboveMedian: Money;
  /** Set when the budget's first charge came after the window began: the days before it are not its baseline. */
  readonly since?: string;
}

export interface EndpointBaseline {
  readonly name: string;
  readonly invocations: number | null;
  readonly costPer1k: number | null;
  readonly latencyP99Ms: number | null;
  readonly utilization: number | null;
  readonly peakInstances: number | null;
  /** Days the p99 ModelLatency datapoints cover (a live account's hourly metrics reach back 7 days). */
  readonly latencyDays?: DaySpan;
  readonly utilizationDays?: DaySpan;
}

export interface GroupBaseline {
  readonly group: BudgetGroup;
  /** Undefined when no charge of the budget fell in the measured days. */
  readonly spend?: SpendBaseline;
  readonly endpoints: readonly EndpointBaseline[];
}

export interface Baseline extends DaySpan {
  readonly asOf: string;
  /** Days of the window with no cost row at all: left out of every median, never counted as zero. */
  readonly missing: readonly string[];
  /** Why cost data is missing, as its source said: the spend the baseline could not read. */
  readonly costGaps: readonly string[];
  /** Whether metrics were read at all. */
  readonly metrics: boolean;
  readonly groups: readonly GroupBaseline[];
}

/** The median of exact amounts; of an even count, the mean of the middle two (rounded down to the pico-unit). */
export function medianMoney(values: readonly Money[]): Money {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const n = sorted.length;
  if (n === 0) return ZERO;
  const hi = sorted[n >> 1] as Money;
  return n % 2 === 1 ? hi : ((sorted[(n >> 1) - 1] as Money) + hi) / 2n;
}

/** The measured days: `days` days ending on the last day with complete cost data, at as-of at the latest. */
function measuredWindow(snapshot: Snapshot, file: BudgetFile, days: number) {
  const ctx = cycleContext(snapshot, file);
  const complete =
    snapshot.costsCompleteThrough !== undefined && ctx.lastWithData !== undefined
      ? minDay(snapshot.costsCompleteThrough, ctx.lastWithData)
      : ctx.lastWithData;
  const to = complete ?? snapshot.asOf;
  const from = addDays(to, -(days - 1));
  const tz = file.billingPeriod.timezone;
  const alloc = allocate(snapshot.costs, file.budgets, ctx.clock, {
    endMs: dayStartMs(addDays(to, 1), tz),
    periodStart: from,
  });
  return { ctx, from, to, alloc };
}

/**
 * The endpoints that run today: those charged in the measured days, with their latest charge's tags, and those of
 * the inventory, with its tags under the charges' own. `file` takes every endpoint (`everyEndpointFile`).
 */
export function endpointsSeen(snapshot: Snapshot, file: BudgetFile, days: number): SeenEndpoint[] {
  const { from, alloc } = measuredWindow(snapshot, file, days);
  const seen = new Map<string, Readonly<Record<string, string>>>();
  for (const view of alloc.views) {
    for (const e of view.endpoints.values()) {
      if ([...e.days.keys()].some((d) => d >= from)) seen.set(e.name, e.tags);
    }
  }
  for (const inv of snapshot.inventory) seen.set(inv.name, { ...inv.tags, ...seen.get(inv.name) });
  return [...seen].map(([name, tags]) => ({ name, tags }));
}

/** Measures `file`'s budgets (one per group, in the same order) over the measured days. */
export function measureBaseline(
  snapshot: Snapshot,
  file: BudgetFile,
  groups: readonly BudgetGroup[],
  days: number,
): Baseline {
  const { ctx, from, to, alloc } = measuredWindow(snapshot, file, days);
  const window = daysOf(from, addDays(to, 1));
  const missing = window.filter((d) => !ctx.span.daysWithRows.has(d));
  const measured = window.filter((d) => ctx.span.daysWithRows.has(d));
  const windowCtx = { ...ctx, window: { from, to: addDays(to, 1) } };
  const fromMs = dayStartMs(from, file.billingPeriod.timezone);
  const toMs = ctx.asOfEndMs;
  return {
    asOf: snapshot.asOf,
    from,
    to,
    missing,
    costGaps: snapshot.gaps.filter((g) => g.source === 'costs').map((g) => g.message),
    metrics: snapshot.metrics !== undefined,
    groups: alloc.views.map((view, i) => ({
      group: groups[i] as BudgetGroup,
      ...spendOf(view, measured, from),
      endpoints: budgetEndpoints(windowCtx, view, {}).map(({ result: r }) => {
        const series = ctx.metricsByEndpoint?.get(r.name) ?? [];
        const latencyDays = spanOf(series, ['ModelLatency'], fromMs, toMs, ctx.clock);
        const utilizationDays = spanOf(series, ['CPUUtilization', 'GPUUtilization'], fromMs, toMs, ctx.clock);
        return {
          name: r.name,
          invocations: r.invocations,
          costPer1k: r.costPer1k,
          latencyP99Ms: r.latencyP99Ms,
          utilization: r.utilization,
          peakInstances: r.peakInstances,
          ...(latencyDays ? { latencyDays } : {}),
          ...(utilizationDays ? { utilizationDays } : {}),
        };
      }),
    })),
  };
}

/** A budget's daily spend over the measured days from its first charge on, the days without any cost data left out. */
function spendOf(view: BudgetSpend, measured: readonly string[], from: string): { spend?: SpendBaseline } {
  const daily = new Map<string, Money>();
  const add = (day: string, amount: Money) => daily.set(day, (daily.get(day) ?? ZERO) + amount);
  for (const e of view.endpoints.values()) for (const [d, c] of e.days) add(d, c.cost);
  for (const [d, amount] of view.other) add(d, amount);
  let first: string | undefined;
  for (const d of daily.keys()) if (first === undefined || d < first) first = d;
  if (first === undefined) return {};
  const since = maxDay(first, from);
  const days = measured.filter((d) => d >= since);
  if (days.length === 0) return {};
  const amounts = days.map((d) => daily.get(d) ?? ZERO);
  const median = medianMoney(amounts);
  let peakAt = 0;
  amounts.forEach((a, i) => {
    if (a > (amounts[peakAt] as Money)) peakAt = i;
  });
  let aboveMedian = ZERO;
  for (const a of amounts) if (a > median) aboveMedian += a - median;
  return {
    spend: {
      from: days[0] as string,
      to: days[days.length - 1] as string,
      days: days.length,
      median,
      peak: amounts[peakAt] as Money,
      peakDay: days[peakAt] as string,
      aboveMedian,
      ...(since > from ? { since } : {}),
    },
  };
}

/** The first and last day with a datapoint of one of `metrics` in [fromMs, toMs). */
function spanOf(
  series: readonly MetricSeries[],
  metrics: readonly MetricName[],
  fromMs: number,
  toMs: number,
  clock: DayClock,
): DaySpan | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    if (!metrics.includes(s.metric)) continue;
    for (const t of s.t) {
      if (t < fromMs || t >= toMs) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  return Number.isFinite(lo) ? { from: clock.dayOf(lo), to: clock.dayOf(hi) } : undefined;
}
