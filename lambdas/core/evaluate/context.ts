/** What every part of an evaluation reads: the budget file, the snapshot, and the days it looks at. */
import type { BudgetFile } from '../budget.ts';
import { addDays, DayClock, dayStartMs } from '../period.ts';
import type { MetricSeries, Snapshot } from '../types.ts';
import { type CostSpan, type CycleWindow, checkAsOf, costSpan, cycleWindow } from './window.ts';

export interface Context extends CycleWindow {
  readonly file: BudgetFile;
  readonly asOf: string;
  readonly currency: string;
  readonly snapshot: Snapshot;
  readonly clock: DayClock;
  /** Start of the day after as-of (epoch ms): what starts from then on is not "to date". */
  readonly asOfEndMs: number;
  /**
   * The snapshot's metric series per endpoint, its inference components' left out (their invocations are the
   * variant's too); undefined for a cost-only run.
   */
  readonly metricsByEndpoint: ReadonlyMap<string, MetricSeries[]> | undefined;
  /** The inference components' series per component name (the planner's, never the endpoint's figures). */
  readonly metricsByComponent: ReadonlyMap<string, MetricSeries[]>;
  readonly span: CostSpan;
}

/** The context of one evaluation; refuses an as-of outside complete cost data. */
export function cycleContext(snapshot: Snapshot, file: BudgetFile): Context {
  const tz = file.billingPeriod.timezone;
  const clock = new DayClock(tz);
  const asOfEndMs = dayStartMs(addDays(snapshot.asOf, 1), tz);
  const span = costSpan(snapshot.costs, clock, asOfEndMs);
  // a source that failed explains data ending early: that is incomplete data, not a mistyped day
  if (!snapshot.gaps.some((g) => g.source === 'costs')) checkAsOf(snapshot.asOf, span);
  return {
    ...cycleWindow({
      asOf: snapshot.asOf,
      billingPeriod: file.billingPeriod,
      span,
      costsCompleteThrough: snapshot.costsCompleteThrough,
    }),
    file,
    asOf: snapshot.asOf,
    currency: snapshot.currency,
    snapshot,
    clock,
    asOfEndMs,
    metricsByEndpoint: snapshot.metrics
      ? groupBy(
          snapshot.metrics.filter((s) => s.component === undefined),
          (s) => s.endpoint,
        )
      : undefined,
    metricsByComponent: groupBy(
      (snapshot.metrics ?? []).filter((s) => s.component !== undefined),
      (s) => s.component ?? '',
    ),
    span,
  };
}

function groupBy(
  series: readonly MetricSeries[],
  key: (s: MetricSeries) => string,
): Map<string, MetricSeries[]> {
  const out = new Map<string, MetricSeries[]>();
  for (const s of series) {
    const list = out.get(key(s)) ?? [];
    list.push(s);
    out.set(key(s), list);
  }
  return out;
}

/** A finding's stable identity for alert de-duplication: its kind, budget, endpoint and threshold. */
export function findingKey(...parts: (string | number | undefined)[]): string {
  return parts.filter((p) => p !== undefined).join('|');
}

/** The judging window as people read it: `2026-10-09..2026-10-15`. */
export function windowText(ctx: Context): string {
  return `${ctx.window.from}..${addDays(ctx.window.to, -1)}`;
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
