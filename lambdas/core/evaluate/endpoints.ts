/**
 * Per-endpoint facts of a budget over the judging window: which endpoints it has, their spend, peak instances,
 * invocations, unit cost, latency, errors and utilisation, and what their actions are sized on.
 */
import type { ActionContext } from '../actions.ts';
import type { Budget, Limits } from '../budget.ts';
import type { Window } from '../cause.ts';
import { instanceSpec } from '../instances.ts';
import { type EndpointMetrics, summarizeEndpointMetrics } from '../metrics.ts';
import { roundTo, toNumber } from '../money.ts';
import { dayStartMs, daysBetween, daysOf } from '../period.ts';
import type { BudgetSpend, EndpointSpend } from '../spend.ts';
import type { EndpointInfo, MetricSeries } from '../types.ts';
import { type Context, round } from './context.ts';
import type { EndpointResult } from './types.ts';

/** The utilisation autoscaling aims at when the budget sets no ceiling. */
const DEFAULT_TARGET_UTILIZATION = 0.7;

/** One endpoint of a budget, as the limits and remedies see it. */
export interface EndpointView {
  readonly result: EndpointResult;
  /** Its cost rows; undefined when only the inventory or the metrics name it. */
  readonly spend: EndpointSpend | undefined;
  readonly metrics: EndpointMetrics | undefined;
  /** What its actions are sized on; undefined without cost rows. */
  readonly action: ActionContext | undefined;
  /**
   * Set when billing is not hourly and no metric gives the instance count, so the peak is unknown: the busiest day's
   * average, rounded up, which the peak is at least.
   */
  readonly peakFloor?: number;
}

/** The judging window of a budget's endpoints, and the guardrails its actions keep. */
interface Scope {
  readonly fromMs: number;
  readonly toMs: number;
  /** End of the days with cost data: unit cost divides their spend by their invocations only. */
  readonly costToMs: number;
  readonly windowDays: readonly string[];
  readonly targetUtilization: number;
  readonly minInstancesFloor: number;
  readonly production: boolean;
  readonly maxInstances: number | undefined;
}

/** The days of the judging window, from its first day to the last with cost data. */
export function windowDays(ctx: Context): string[] {
  return daysOf(ctx.window.from, ctx.window.to);
}

/** Every endpoint the costs, the inventory or the metrics name that the budget's selector takes, in that order. */
export function memberEndpoints(ctx: Context, view: BudgetSpend): Map<string, EndpointSpend | undefined> {
  const endpoints = new Map<string, EndpointSpend | undefined>(view.endpoints);
  for (const inv of ctx.snapshot.inventory) {
    if (!endpoints.has(inv.name) && view.matcher.matches(inv.name, inv.tags))
      endpoints.set(inv.name, undefined);
  }
  // metrics carry no tags: a tag selector cannot take an endpoint known from its metrics alone
  for (const name of ctx.metricsByEndpoint?.keys() ?? []) {
    if (!endpoints.has(name) && !view.budget.selector.tags && view.matcher.matchesEndpointName(name)) {
      endpoints.set(name, undefined);
    }
  }
  return endpoints;
}

/** The facts of every endpoint of a budget, in the order `memberEndpoints` gives them. */
export function budgetEndpoints(ctx: Context, view: BudgetSpend, limits: Limits): EndpointView[] {
  const scope = budgetScope(ctx, view.budget, limits);
  const inventory = new Map(ctx.snapshot.inventory.map((i) => [i.name, i]));
  return [...memberEndpoints(ctx, view)].map(([name, e]) =>
    endpointView(ctx, scope, name, e, inventory.get(name)),
  );
}

function budgetScope(ctx: Context, budget: Budget, limits: Limits): Scope {
  const tz = ctx.period.timezone;
  return {
    fromMs: dayStartMs(ctx.window.from, tz),
    toMs: ctx.asOfEndMs,
    costToMs: dayStartMs(ctx.window.to, tz),
    windowDays: windowDays(ctx),
    targetUtilization: limits.utilization?.max ?? DEFAULT_TARGET_UTILIZATION,
    minInstancesFloor: budget.scaling?.minInstances ?? 1,
    production: /prod/i.test(budget.environment) || budget.tier === 'production',
    maxInstances: limits.maxInstances,
  };
}

function endpointView(
  ctx: Context,
  scope: Scope,
  name: string,
  e: EndpointSpend | undefined,
  inv: EndpointInfo | undefined,
): EndpointView {
  const type = e?.latestType ?? inv?.instanceType;
  const series = ctx.metricsByEndpoint?.get(name);
  const m = series
    ? summarizeEndpointMetrics(series, scope.fromMs, scope.toMs, type ? instanceSpec(type) : undefined)
    : undefined;
  const windowSpend = e ? scope.windowDays.reduce((s, d) => s + toNumber(e.days.get(d)?.cost ?? 0n), 0) : 0;
  const costInvocations = unitCostInvocations(scope, series, m?.invocations);
  const peak: Peak = e ? instancePeak(e, scope, series) : { value: null };
  // an unknown peak whose floor is already over the ceiling is a breach all the same
  const over =
    peak.floor !== undefined && scope.maxInstances !== undefined && peak.floor > scope.maxInstances
      ? peak.floor
      : undefined;
  const result: EndpointResult = {
    name,
    attribution: inv?.attribution ?? (e ? 'resource' : null),
    instanceType: type ?? null,
    peakInstances: peak.value ?? over ?? (peak.floor === undefined ? (inv?.instanceCount ?? null) : null),
    spendToDate: e ? periodSpend(e, ctx.period.start) : 0,
    invocations: m?.invocations ?? null,
    costPer1k:
      costInvocations && costInvocations > 0 ? round((windowSpend / costInvocations) * 1000, 6) : null,
    latencyP99Ms: m?.latencyP99Ms === undefined ? null : round(m.latencyP99Ms, 1),
    errorRate: m?.errorRate === undefined ? null : round(m.errorRate, 6),
    utilization: m?.utilization === undefined ? null : round(m.utilization, 4),
  };
  const action: ActionContext | undefined = e && {
    endpoint: e,
    metrics: m,
    windowDays: scope.windowDays,
    remainingDays: ctx.remainingDays,
    targetUtilization: scope.targetUtilization,
    minInstancesFloor: scope.minInstancesFloor,
    scalingMin: inv?.scaling?.min,
    production: scope.production,
    dayOf: (ms) => ctx.clock.dayOf(ms),
  };
  return {
    result,
    spend: e,
    metrics: m,
    action,
    ...(peak.floor !== undefined && over === undefined ? { peakFloor: peak.floor } : {}),
  };
}

function periodSpend(e: EndpointSpend, periodStart: string): number {
  let total = 0n;
  for (const [d, c] of e.days) if (d >= periodStart) total += c.cost;
  return roundTo(total);
}

/** What the window says of an endpoint's peak instance count: the value when measured, else the floor it is at least. */
interface Peak {
  readonly value: number | null;
  readonly floor?: number;
}

/**
 * Most instances running in an hour of the window: from hourly hosting rows; where billing is daily (Cost Explorer,
 * daily exports), from the metrics (Invocations over InvocationsPerInstance), never below the busiest day's average;
 * without those metrics the peak is unknown: a day's average hides its busiest hour.
 */
function instancePeak(e: EndpointSpend, scope: Scope, series: readonly MetricSeries[] | undefined): Peak {
  let peak: number | null = null;
  for (const [t, n] of e.hourlyInstances)
    if (t >= scope.fromMs && t < scope.toMs) peak = Math.max(peak ?? 0, n);
  if (peak !== null) return { value: peak };
  let average: number | undefined;
  for (const d of scope.windowDays) {
    // a day whose rows state no instance-hours (storage only, or hosting without hours) says nothing of instances
    const h = e.days.get(d)?.hours;
    if (h !== undefined && h > 0) average = Math.max(average ?? 0, h / 24);
  }
  if (average === undefined) return { value: null };
  // instance counts are whole: a day that averaged 6.54 ran 7 in some hour
  const floor = Math.ceil(average - 1e-9);
  const measured = series ? peakFromMetrics(series, scope) : undefined;
  return measured === undefined ? { value: null, floor } : { value: Math.max(measured, floor) };
}

/**
 * Most instances in an hour of the window by the metrics: each variant's Invocations over its InvocationsPerInstance
 * (CloudWatch divides by the instances in service), summed over the variants. Hours without traffic say nothing.
 */
function peakFromMetrics(series: readonly MetricSeries[], scope: Scope): number | undefined {
  const invocations = new Map<string, number>();
  for (const s of series) {
    if (s.metric !== 'Invocations' || s.stat !== 'Sum') continue;
    s.t.forEach((t, i) => {
      if (t >= scope.fromMs && t < scope.toMs) invocations.set(`${s.variant}\u0000${t}`, s.v[i] as number);
    });
  }
  const instances = new Map<number, number>();
  for (const s of series) {
    if (s.metric !== 'InvocationsPerInstance' || s.stat !== 'Sum') continue;
    s.t.forEach((t, i) => {
      const perInstance = s.v[i] as number;
      const n = invocations.get(`${s.variant}\u0000${t}`);
      if (n === undefined || !(n > 0) || !(perInstance > 0)) return;
      instances.set(t, (instances.get(t) ?? 0) + n / perInstance);
    });
  }
  if (instances.size === 0) return undefined;
  return Math.round(Math.max(...instances.values()) * 100) / 100;
}

/**
 * The invocations unit cost divides by: those of the days with cost data. When the cost data lags as-of, the days
 * it lacks must not add invocations without their cost.
 */
function unitCostInvocations(
  scope: Scope,
  series: readonly MetricSeries[] | undefined,
  invocations: number | undefined,
): number | undefined {
  if (!series || scope.costToMs >= scope.toMs) return invocations;
  return summarizeEndpointMetrics(
    series.filter((x) => x.metric === 'Invocations'),
    scope.fromMs,
    scope.costToMs,
    undefined,
  ).invocations;
}

/** An endpoint's invocations per day over a window, for the cause split (undefined: not measured). */
export function invocationsPerDay(ctx: Context, name: string, w: Window): number | undefined {
  const series = ctx.metricsByEndpoint?.get(name);
  if (!series) return undefined;
  const tz = ctx.period.timezone;
  const m = summarizeEndpointMetrics(
    series.filter((s) => s.metric === 'Invocations'),
    dayStartMs(w.from, tz),
    dayStartMs(w.to, tz),
    undefined,
  );
  return m.invocations === undefined ? undefined : m.invocations / Math.max(1, daysBetween(w.from, w.to));
}

/** The mean utilisation of the endpoints that measured one. */
export function meanUtilization(endpoints: readonly EndpointView[]): number | undefined {
  const us = endpoints.map((x) => x.result.utilization).filter((u): u is number => u !== null);
  return us.length ? us.reduce((a, b) => a + b, 0) / us.length : undefined;
}
