/**
 * Missing data is a finding, never a zero: a source that failed, days without cost rows, a selector that matches
 * nothing, limits that need metrics the cycle does not have, and metrics that stop before as-of. Each becomes an
 * `incomplete-data` finding saying which numbers are lower bounds and which limits are not judged.
 */
import type { Limits } from '../budget.ts';
import { incompleteData, spendUnknownKey } from '../limits/incomplete-data.ts';
import { ENDPOINT_LIMITS } from '../limits/index.ts';
import type { EndpointLimit } from '../limits/limit.ts';
import { MEASUREMENTS } from '../limits/measurements.ts';
import { addDays, daysOf, maxDay } from '../period.ts';
import type { BudgetSpend } from '../spend.ts';
import type { DataGap, Finding } from '../types.ts';
import { type Context, findingKey, windowText } from './context.ts';
import { type EndpointView, windowDays } from './endpoints.ts';
import { isSpendUnknown } from './spend-forecast.ts';

/** Metrics whose last datapoint is older than this before the end of as-of are partial. */
const METRICS_LAG_MS = 24 * 3_600_000;
/** Days without cost rows named one by one; the rest are counted. */
const MISSING_DAYS_SHOWN = 5;

const gapText = (g: DataGap) => `${g.source}${g.scope ? ` (${g.scope})` : ''}: ${g.message}`;

/** Account-wide holes in the inputs, shared by every budget (a hole about one endpoint is its budgets' only). */
export function accountGaps(ctx: Context): string[] {
  const out = ctx.snapshot.gaps.filter((g) => g.endpoint === undefined).map(gapText);
  const { from, last, daysWithRows } = ctx.span;
  if (from === undefined) {
    out.push('costs: the cost source returned no rows at all');
    return out;
  }
  if (last !== undefined && last < ctx.asOf) {
    out.push(
      `costs: data ends on ${last}, before as-of ${ctx.asOf}; spend after ${last} is unknown and left to the forecast`,
    );
  }
  const start = maxDay(from, ctx.period.start);
  if (start <= ctx.through) {
    const missing = daysOf(start, addDays(ctx.through, 1)).filter((d) => !daysWithRows.has(d));
    if (missing.length > 0) {
      const more = missing.length - MISSING_DAYS_SHOWN;
      out.push(
        `costs: no cost rows on ${missing.slice(0, MISSING_DAYS_SHOWN).join(', ')}${more > 0 ? ` and ${more} more days` : ''}`,
      );
    }
  }
  return out;
}

function incomplete(budget: string, message: string, scope?: string, key?: string): Finding {
  return {
    kind: 'incomplete-data',
    budget,
    endpoint: scope,
    severity: 'warning',
    message,
    actions: [incompleteData.remedy(scope)],
    key: key ?? findingKey('incomplete-data', budget, scope, message),
  };
}

/** Why a budget's spend is unknown: nothing read at all, nothing its selector takes, or nothing of this period. */
function spendUnknown(ctx: Context, view: BudgetSpend): Finding {
  const budget = view.budget.name;
  const noMatch = ctx.span.from !== undefined && view.endpoints.size === 0 && view.other.size === 0;
  const why =
    ctx.span.from === undefined
      ? 'no cost data could be read at all'
      : noMatch
        ? 'no cost rows match the selector'
        : `no cost data of the period from ${ctx.period.start} could be read`;
  const hint = noMatch ? ' Check the endpoint globs and tags.' : '';
  return incomplete(
    budget,
    `${budget}: ${why}; spend to date is unknown, not zero.${hint}`,
    undefined,
    spendUnknownKey(budget),
  );
}

/** The endpoint limits the budget sets that are judged on metrics. */
export function metricLimits(limits: Limits): EndpointLimit[] {
  return ENDPOINT_LIMITS.filter((l) => l.needs.length > 0 && limits[l.key] !== undefined);
}

/** What of the measurements the limits need is missing on an endpoint, in the order a finding lists them. */
export function missingMeasurements(x: EndpointView, judged: readonly EndpointLimit[]): string[] {
  if (judged.length > 0 && !x.metrics) return ['all metrics'];
  if (!x.metrics) return [];
  return MEASUREMENTS.filter(
    (m) => judged.some((l) => l.needs.includes(m)) && m.value(x.result) === null,
  ).map((m) => m.name(x.result));
}

/** Metrics that stop before as-of judge the endpoint on part of the window only. */
function metricsEndEarly(ctx: Context, name: string): string | undefined {
  let last = Number.NEGATIVE_INFINITY;
  for (const s of ctx.metricsByEndpoint?.get(name) ?? []) {
    if (s.t.length > 0) last = Math.max(last, s.t[s.t.length - 1] as number);
  }
  return last < ctx.asOfEndMs - METRICS_LAG_MS ? ctx.clock.dayOf(last) : undefined;
}

function endpointGap(
  ctx: Context,
  budget: string,
  x: EndpointView,
  judged: readonly EndpointLimit[],
): Finding | undefined {
  const name = x.result.name;
  const e = x.spend;
  if (!e)
    return incomplete(budget, `${name}: metrics but no cost rows; its spend is unknown, not zero.`, name);
  // an endpoint that cost nothing in the window is not judged, so nothing is missing
  if (!windowDays(ctx).some((d) => (e.days.get(d)?.cost ?? 0n) > 0n)) return undefined;
  const missing = missingMeasurements(x, judged);
  if (missing.length > 0) {
    return incomplete(
      budget,
      `${name}: no ${missing.join(', ')} in ${windowText(ctx)}; those limits are not judged.`,
      name,
    );
  }
  const end = x.metrics && judged.length > 0 ? metricsEndEarly(ctx, name) : undefined;
  return end === undefined
    ? undefined
    : incomplete(
        budget,
        `${name}: metrics end on ${end}, before as-of ${ctx.asOf}; its limits are judged on part of the window.`,
        name,
      );
}

/** The incomplete-data findings of one budget. */
export function incompleteFindings(
  ctx: Context,
  view: BudgetSpend,
  limits: Limits,
  endpoints: readonly EndpointView[],
  gaps: readonly string[],
): Finding[] {
  const budget = view.budget.name;
  const out = gaps.map((g) => incomplete(budget, `${budget}: ${g}`));
  const selected = new Set(endpoints.map((x) => x.result.name));
  for (const g of ctx.snapshot.gaps) {
    if (g.endpoint !== undefined && selected.has(g.endpoint))
      out.push(incomplete(budget, `${budget}: ${gapText(g)}`, g.endpoint));
  }
  if (isSpendUnknown(ctx, view, gaps)) out.push(spendUnknown(ctx, view));
  if (limits.maxInstances !== undefined) {
    for (const x of endpoints) {
      if (x.peakFloor === undefined) continue;
      out.push(
        incomplete(
          budget,
          `${x.result.name}: billing is not hourly and no InvocationsPerInstance metric gives the instance count, so its peak in ${windowText(ctx)} is unknown (at least ${x.peakFloor}); maxInstances is not judged.`,
          x.result.name,
        ),
      );
    }
  }
  const judged = metricLimits(limits);
  if (!ctx.metricsByEndpoint) {
    const keys = [...new Set(judged.map((l) => l.key))];
    if (keys.length > 0)
      out.push(incomplete(budget, `${budget}: no metrics given, so ${keys.join(', ')} cannot be judged.`));
    return out;
  }
  for (const x of endpoints) {
    const gap = endpointGap(ctx, budget, x, judged);
    if (gap) out.push(gap);
  }
  return out;
}
