import {
  type ActionContext,
  lowerMinInstances,
  raiseCapacity,
  raiseScalingTarget,
  retireIdleEndpoint,
  revertInstanceType,
  reviewModelLatency,
  rightSizeInstance,
  scheduleScaleDown,
} from './actions.ts';
import type { ApiUsageReport } from './api-usage.ts';
import { type BudgetFile, effectiveLimits, endpointLimits, type Limits } from './budget.ts';
import { explainChange, type Window } from './cause.ts';
import { InputError } from './errors.ts';
import { forecastRemaining } from './forecast.ts';
import { instanceSpec } from './instances.ts';
import { type EndpointMetrics, summarizeEndpointMetrics } from './metrics.ts';
import {
  displayMoney,
  displayUnitPrice,
  formatMoney,
  type Money,
  moneyFromNumber,
  roundTo,
  toNumber,
} from './money.ts';
import {
  addDays,
  DayClock,
  dayStartMs,
  daysBetween,
  daysOf,
  maxDay,
  minDay,
  type Period,
  periodContaining,
} from './period.ts';
import { ENDPOINT_RULES } from './rules.ts';
import { allocateSpend, type BudgetSpend, type EndpointSpend } from './spend.ts';
import type {
  Action,
  Cause,
  Finding,
  FindingKind,
  MetricSeries,
  Severity,
  Snapshot,
  Status,
} from './types.ts';

/** Share of on-demand training spend that Managed Spot Training typically saves (AWS quotes up to 90%). */
export const MANAGED_SPOT_SAVINGS = 0.7;
/** How far past the last cost row an as-of may lie before it is outside the data rather than a reporting lag. */
export const MAX_DATA_LAG_DAYS = 7;
/** Days of history the forecast looks at. */
export const FORECAST_HISTORY_DAYS = 120;
const WINDOW_DAYS = 7;
/** Metrics whose last datapoint is older than this before the end of as-of are partial. */
const METRICS_LAG_MS = 24 * 3_600_000;
const DEFAULT_TARGET_UTILIZATION = 0.7;

export interface EndpointResult {
  readonly name: string;
  /** How the endpoint's spend was tied to it: billing rows naming it, its cost-allocation tag, or an estimate. */
  readonly attribution: 'resource' | 'tag' | 'estimated' | null;
  readonly instanceType: string | null;
  readonly peakInstances: number | null;
  readonly spendToDate: number;
  readonly invocations: number | null;
  readonly costPer1k: number | null;
  readonly latencyP99Ms: number | null;
  readonly errorRate: number | null;
  readonly utilization: number | null;
}

export interface ExceptionResult {
  readonly reason: string;
  readonly approvedBy: string;
  readonly expires: string;
  readonly inForce: boolean;
  readonly endpoints?: readonly string[];
  readonly limits: Limits;
}

export interface BudgetResult {
  readonly name: string;
  readonly owner: string;
  readonly tier: string;
  readonly mode: string;
  readonly environment: string;
  readonly status: Status;
  readonly cap: number | null;
  /** Null when no cost data could be read for the budget: unknown spend is never reported as zero. */
  readonly spendToDate: number | null;
  /** Spend to date exact to 1e-10, for audit. */
  readonly spendToDateExact: string | null;
  readonly forecast: {
    readonly expected: number | null;
    readonly low: number | null;
    readonly high: number | null;
    readonly method: string;
  };
  /** alertAt fractions that actual and forecast spend have reached. */
  readonly thresholds: { readonly actual: readonly number[]; readonly forecast: readonly number[] };
  /**
   * Why the budget's spend moved against the baseline, split into drivers in currency units (null without a cap
   * or without cost data); the spend findings carry the same split.
   */
  readonly cause: Cause | null;
  /** The viable actions on the budget's spend, largest saving first (what its spend alerts recommend). */
  readonly actions: readonly Action[];
  /** The day the forecast crosses the cap, when it does within the period (null otherwise). */
  readonly crossesCapOn: string | null;
  readonly limits: Limits;
  readonly exceptions: readonly ExceptionResult[];
  readonly endpoints: readonly EndpointResult[];
  readonly findings: readonly Finding[];
}

/**
 * Cost Explorer's own forecast of the whole account for the rest of the period, beside ours (live runs): its mean in
 * currency units, or why it is missing.
 */
export type CostExplorerForecast =
  | { readonly from: string; readonly to: string; readonly metric: string; readonly mean: number }
  | { readonly from: string; readonly to: string; readonly error: string };

export interface CycleResult {
  /** Requests a live cycle made per AWS API and what they cost (absent for file-based runs). */
  readonly apiUsage?: ApiUsageReport;
  readonly costExplorerForecast?: CostExplorerForecast;
  readonly asOf: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly currency: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly data: {
    readonly costsFrom: string | null;
    readonly costsThrough: string | null;
    readonly metrics: boolean;
  };
  readonly budgets: readonly BudgetResult[];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const STATUS_RANK: Record<Status, number> = { breached: 0, 'at-risk': 1, ok: 2 };

interface Context {
  readonly file: BudgetFile;
  readonly asOf: string;
  readonly period: Period;
  readonly daysInPeriod: number;
  /** Last day with cost data used (inclusive): min(as-of, last day in the data). */
  readonly through: string;
  readonly remainingDays: number;
  readonly window: Window;
  readonly baseline: Window | undefined;
  readonly historyDays: readonly string[];
  readonly metricsByEndpoint: ReadonlyMap<string, MetricSeries[]> | undefined;
  readonly currency: string;
  readonly snapshot: Snapshot;
  readonly clock: DayClock;
}

/** An endpoint's exact spend by day (undefined: no cost row that day). */
export interface DaySpend {
  get(day: string): Money | undefined;
}

export interface Evaluation {
  readonly result: CycleResult;
  /** Exact spend per budget per day (history and period), for the ledger's closed days and the reports. */
  readonly dailySpend: ReadonlyMap<string, ReadonlyMap<string, Money>>;
  /** Exact spend per budget, endpoint and day, for the reports' unit-cost trends. */
  readonly endpointDailySpend: ReadonlyMap<string, ReadonlyMap<string, DaySpend>>;
  /** Last day whose cost data is taken as complete. */
  readonly through: string;
}

/**
 * One evaluation: snapshot + budget file -> per budget status, forecast and findings, each finding with its cause
 * and viable actions. Pure: time is `snapshot.asOf`.
 */
export function evaluate(snapshot: Snapshot, file: BudgetFile): CycleResult {
  return evaluateCycle(snapshot, file).result;
}

export function evaluateCycle(snapshot: Snapshot, file: BudgetFile): Evaluation {
  const tz = file.billingPeriod.timezone;
  const period = periodContaining(snapshot.asOf, file.billingPeriod);
  const clock = new DayClock(tz);
  const asOfEndMs = dayStartMs(addDays(snapshot.asOf, 1), tz);

  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  const daysWithRows = new Set<string>();
  for (const r of snapshot.costs) {
    if (r.start < firstMs) firstMs = r.start;
    if (r.start > lastMs) lastMs = r.start;
  }
  const costsFrom = Number.isFinite(firstMs) ? clock.dayOf(firstMs) : undefined;
  const costsLast = Number.isFinite(lastMs) ? clock.dayOf(lastMs) : undefined;
  if (costsFrom !== undefined && costsLast !== undefined) {
    if (snapshot.asOf < costsFrom || daysBetween(costsLast, snapshot.asOf) > MAX_DATA_LAG_DAYS) {
      throw new InputError(
        `--as-of ${snapshot.asOf} is outside the cost data (${costsFrom} to ${costsLast}); pick a day in that range`,
      );
    }
  }
  for (const r of snapshot.costs) if (r.start < asOfEndMs) daysWithRows.add(clock.dayOf(r.start));

  const lastWithData = costsLast === undefined ? undefined : minDay(costsLast, snapshot.asOf);
  const completeThrough =
    snapshot.costsCompleteThrough !== undefined && lastWithData !== undefined
      ? minDay(snapshot.costsCompleteThrough, lastWithData)
      : lastWithData;
  const beforePeriod = addDays(period.start, -1);
  const through = maxDay(completeThrough ?? beforePeriod, beforePeriod);
  const window: Window = {
    from: maxDay(addDays(snapshot.asOf, -(WINDOW_DAYS - 1)), period.start),
    to: addDays(through, 1),
  };

  // The baseline a change is measured against: the previous period, or the days of this one before the window.
  const prevPeriod = periodContaining(beforePeriod, file.billingPeriod);
  let baseline: Window | undefined;
  if (costsFrom !== undefined) {
    const prevFrom = maxDay(costsFrom, prevPeriod.start);
    const curFrom = maxDay(costsFrom, period.start);
    if (daysBetween(prevFrom, prevPeriod.end) >= 7) baseline = { from: prevFrom, to: prevPeriod.end };
    else if (daysBetween(curFrom, window.from) >= 3) baseline = { from: curFrom, to: window.from };
  }

  const historyStart =
    costsFrom === undefined ? period.start : maxDay(costsFrom, addDays(through, -FORECAST_HISTORY_DAYS));

  let metricsByEndpoint: Map<string, MetricSeries[]> | undefined;
  if (snapshot.metrics) {
    metricsByEndpoint = new Map();
    for (const s of snapshot.metrics) {
      const list = metricsByEndpoint.get(s.endpoint) ?? [];
      list.push(s);
      metricsByEndpoint.set(s.endpoint, list);
    }
  }

  const ctx: Context = {
    file,
    asOf: snapshot.asOf,
    period,
    daysInPeriod: daysBetween(period.start, period.end),
    through: through,
    remainingDays: daysBetween(addDays(through, 1), period.end),
    window,
    baseline,
    historyDays: historyStart <= through ? daysOf(historyStart, addDays(through, 1)) : [],
    metricsByEndpoint,
    currency: snapshot.currency,
    snapshot,
    clock,
  };

  const views = allocateSpend(snapshot.costs, file.budgets, clock, {
    endMs: asOfEndMs,
    periodStart: period.start,
  });
  const gaps = dataGaps(ctx, costsFrom, costsLast, daysWithRows);
  const budgets = views.map((v) => evaluateBudget(ctx, v, gaps));
  budgets.sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      overage(b) - overage(a) ||
      a.name.localeCompare(b.name),
  );
  const dailySpend = new Map<string, Map<string, Money>>();
  const endpointDailySpend = new Map<string, Map<string, DaySpend>>();
  for (const v of views) {
    const days = new Map<string, Money>(v.other);
    const perEndpoint = new Map<string, DaySpend>();
    for (const e of v.endpoints.values()) {
      for (const [d, c] of e.days) days.set(d, (days.get(d) ?? 0n) + c.cost);
      // a view of the endpoint's own day map, not a copy: on a large account a copy is tens of MiB
      const own = e.days;
      perEndpoint.set(e.name, { get: (day) => own.get(day)?.cost });
    }
    dailySpend.set(v.budget.name, new Map([...days].sort(([a], [b]) => (a < b ? -1 : 1))));
    endpointDailySpend.set(v.budget.name, perEndpoint);
  }
  return {
    result: {
      asOf: snapshot.asOf,
      period: { start: period.start, end: period.end },
      currency: snapshot.currency,
      window: { start: window.from, end: window.to },
      data: {
        costsFrom: costsFrom ?? null,
        costsThrough: lastWithData ?? null,
        metrics: snapshot.metrics !== undefined,
      },
      budgets,
    },
    dailySpend,
    endpointDailySpend,
    through: through,
  };
}

function overage(b: BudgetResult): number {
  if (b.cap === null || b.cap === 0) return 0;
  return Math.max(b.spendToDate ?? 0, b.forecast.expected ?? 0) / b.cap;
}

/** Account-wide holes in the cost data, shared by every budget. */
function dataGaps(
  ctx: Context,
  costsFrom: string | undefined,
  costsLast: string | undefined,
  daysWithRows: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const g of ctx.snapshot.gaps) out.push(`${g.source}${g.scope ? ` (${g.scope})` : ''}: ${g.message}`);
  if (costsFrom === undefined) {
    out.push('costs: the cost source returned no rows at all');
    return out;
  }
  if (costsLast !== undefined && costsLast < ctx.asOf) {
    out.push(
      `costs: data ends on ${costsLast}, before as-of ${ctx.asOf}; spend after ${costsLast} is unknown and left to the forecast`,
    );
  }
  const from = costsFrom > ctx.period.start ? costsFrom : ctx.period.start;
  if (from <= ctx.through) {
    const missing = daysOf(from, addDays(ctx.through, 1)).filter((d) => !daysWithRows.has(d));
    if (missing.length > 0) {
      out.push(
        `costs: no cost rows on ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more days` : ''}`,
      );
    }
  }
  return out;
}

function dailySeries(map: ReadonlyMap<string, Money>, days: readonly string[]): number[] {
  return days.map((d) => toNumber(map.get(d) ?? 0n));
}

function endpointDaily(e: EndpointSpend, days: readonly string[]): number[] {
  return days.map((d) => toNumber(e.days.get(d)?.cost ?? 0n));
}

function key(...parts: (string | number | undefined)[]): string {
  return parts.filter((p) => p !== undefined).join('|');
}

function evaluateBudget(ctx: Context, view: BudgetSpend, accountGaps: readonly string[]): BudgetResult {
  const { budget } = view;
  const tier = ctx.file.tiers[budget.tier];
  const mode = tier?.mode ?? 'advise';
  const limits = effectiveLimits(budget, ctx.asOf);
  const cap = limits.spendPerPeriod;
  const findings: Finding[] = [];
  const money = (x: number) => displayMoney(moneyFromNumber(x), ctx.currency);

  // Endpoints: every one the costs, the inventory or the metrics name that the selector takes.
  const endpoints = new Map<string, EndpointSpend | undefined>(view.endpoints);
  for (const inv of ctx.snapshot.inventory) {
    if (!endpoints.has(inv.name) && view.matcher.matches(inv.name, inv.tags))
      endpoints.set(inv.name, undefined);
  }
  if (ctx.metricsByEndpoint) {
    for (const name of ctx.metricsByEndpoint.keys()) {
      if (!endpoints.has(name) && !budget.selector.tags && view.matcher.matchesEndpointName(name)) {
        endpoints.set(name, undefined);
      }
    }
  }

  // Forecast.
  const components = [
    ...[...view.endpoints.values()].map((e) => ({ key: e.name, values: endpointDaily(e, ctx.historyDays) })),
    { key: '(other charges)', values: dailySeries(view.other, ctx.historyDays) },
  ];
  const fc = forecastRemaining(components, ctx.remainingDays);
  const spendToDate = roundTo(view.spendToDate);
  const spendNum = toNumber(view.spendToDate);
  const forecast = {
    expected: round(spendNum + fc.expected),
    low: round(spendNum + fc.low),
    high: round(spendNum + fc.high),
    method: fc.method,
  };
  // Spend is unknown, not zero, when nothing the selector takes was read at all, or when the cost source failed and
  // nothing of this period came through: the spend limits are then not judged.
  const inPeriod = (days: Iterable<string>) => [...days].some((d) => d >= ctx.period.start);
  const anyInPeriod =
    inPeriod(view.other.keys()) || [...view.endpoints.values()].some((e) => inPeriod(e.days.keys()));
  const costsFailed = accountGaps.some((g) => g.startsWith('costs'));
  const spendUnknown = (view.endpoints.size === 0 && view.other.size === 0) || (!anyInPeriod && costsFailed);

  // Per-endpoint metrics over the window.
  const fromMs = dayStartMs(ctx.window.from, ctx.period.timezone);
  const toMs = dayStartMs(addDays(ctx.asOf, 1), ctx.period.timezone);
  const windowDays = daysOf(ctx.window.from, ctx.window.to);
  const metrics = new Map<string, EndpointMetrics>();
  const invocationsIn = (name: string, w: Window): number | undefined => {
    const series = ctx.metricsByEndpoint?.get(name);
    if (!series) return undefined;
    const m = summarizeEndpointMetrics(
      series.filter((s) => s.metric === 'Invocations'),
      dayStartMs(w.from, ctx.period.timezone),
      dayStartMs(w.to, ctx.period.timezone),
      undefined,
    );
    return m.invocations === undefined ? undefined : m.invocations / Math.max(1, daysBetween(w.from, w.to));
  };

  const inventoryByName = new Map(ctx.snapshot.inventory.map((i) => [i.name, i]));
  const endpointResults: EndpointResult[] = [];
  const actionContexts = new Map<string, ActionContext>();
  const target = limits.utilization?.max ?? DEFAULT_TARGET_UTILIZATION;
  const production = /prod/i.test(budget.environment) || budget.tier === 'production';
  const minFloor = budget.scaling?.minInstances ?? 1;

  for (const [name, e] of endpoints) {
    const inv = inventoryByName.get(name);
    const type = e?.latestType ?? inv?.instanceType;
    const spec = type ? instanceSpec(type) : undefined;
    const series = ctx.metricsByEndpoint?.get(name);
    const m = series ? summarizeEndpointMetrics(series, fromMs, toMs, spec) : undefined;
    if (m) metrics.set(name, m);
    let windowSpend = 0;
    let periodSpend = 0n;
    let peak: number | null = null;
    if (e) {
      for (const d of windowDays) windowSpend += toNumber(e.days.get(d)?.cost ?? 0n);
      for (const [d, c] of e.days) if (d >= ctx.period.start) periodSpend += c.cost;
      for (const [t, n] of e.hourlyInstances) if (t >= fromMs && t < toMs) peak = Math.max(peak ?? 0, n);
      if (peak === null) {
        for (const d of windowDays) {
          const h = e.days.get(d)?.hours;
          if (h !== undefined) peak = Math.max(peak ?? 0, Math.round((h / 24) * 100) / 100);
        }
      }
    }
    const invocations = m?.invocations;
    // Unit cost divides the window's spend by the invocations of the same days: when the cost data lags as-of,
    // the days it lacks must not add invocations without their cost.
    const costWindowMs = dayStartMs(ctx.window.to, ctx.period.timezone);
    const costInvocations =
      series && costWindowMs < toMs
        ? summarizeEndpointMetrics(
            series.filter((x) => x.metric === 'Invocations'),
            fromMs,
            costWindowMs,
            undefined,
          ).invocations
        : invocations;
    endpointResults.push({
      name,
      attribution: inv?.attribution ?? (e ? 'resource' : null),
      instanceType: type ?? null,
      peakInstances: peak ?? inv?.instanceCount ?? null,
      spendToDate: roundTo(periodSpend),
      invocations: invocations ?? null,
      costPer1k:
        costInvocations && costInvocations > 0 ? round((windowSpend / costInvocations) * 1000, 6) : null,
      latencyP99Ms: m?.latencyP99Ms === undefined ? null : round(m.latencyP99Ms, 1),
      errorRate: m?.errorRate === undefined ? null : round(m.errorRate, 6),
      utilization: m?.utilization === undefined ? null : round(m.utilization, 4),
    });
    if (e) {
      actionContexts.set(name, {
        endpoint: e,
        metrics: m,
        windowDays,
        remainingDays: ctx.remainingDays,
        targetUtilization: target,
        minInstancesFloor: minFloor,
        scalingMin: inv?.scaling?.min,
        production,
        dayOf: (ms) => ctx.clock.dayOf(ms),
      });
    }
  }

  const meanUtil = (() => {
    const us = endpointResults.map((r) => r.utilization).filter((u): u is number => u !== null);
    return us.length ? us.reduce((a, b) => a + b, 0) / us.length : undefined;
  })();
  const causeFor = (
    eps: readonly EndpointSpend[],
    withOther: boolean,
    utilization?: number,
  ): Cause | undefined => {
    const base = ctx.baseline ?? { from: ctx.window.from, to: ctx.window.from };
    if (eps.length === 0 && !withOther) return undefined;
    return explainChange({
      endpoints: eps,
      other: withOther ? view.other : undefined,
      baseline: base,
      current: ctx.window,
      daysInPeriod: ctx.daysInPeriod,
      invocations: invocationsIn,
      utilization,
      currency: ctx.currency,
    });
  };

  // ---- spend against the cap ----
  let status: Status = 'ok';
  const spendActions = (cause: Cause | undefined): Action[] => {
    const out: Action[] = [];
    for (const ac of actionContexts.values()) {
      const perEndpoint = cause?.endpoints?.find((x) => x.endpoint === ac.endpoint.name);
      const revert = perEndpoint
        ? revertInstanceType(
            ac,
            perEndpoint.typeBefore,
            perEndpoint.typeAfter,
            perEndpoint.parts['instance-change'] ?? 0,
            ctx.daysInPeriod,
          )
        : undefined;
      const resize = rightSizeInstance(ac);
      // right-sizing back to the type it came from is the revert, said once
      const sameAsRevert =
        revert && resize && revert.change?.instanceType && resize.change?.instanceType
          ? (revert.change.instanceType as { to: string }).to ===
            (resize.change.instanceType as { to: string }).to
          : false;
      for (const a of [
        retireIdleEndpoint(ac),
        lowerMinInstances(ac),
        scheduleScaleDown(ac),
        raiseScalingTarget(ac),
        revert,
        sameAsRevert ? undefined : resize,
      ]) {
        if (a) out.push(a);
      }
    }
    const training = [...view.training.entries()].filter(([d]) => d >= ctx.period.start);
    if (training.length > 0) {
      const spent = training.reduce((s, [, v]) => s + toNumber(v), 0);
      const elapsed = Math.max(1, daysBetween(ctx.period.start, addDays(ctx.through, 1)));
      out.push({
        type: 'enable-managed-spot',
        estimatedSavings: round((spent / elapsed) * ctx.remainingDays * MANAGED_SPOT_SAVINGS),
        risk: 'low',
        description: `Turn on Managed Spot Training for ${budget.tier} training jobs: ${money(spent)} of on-demand training this period; spot typically saves ${Math.round(MANAGED_SPOT_SAVINGS * 100)}% (jobs need checkpointing).`,
        change: { managedSpotTraining: true, tier: budget.tier },
      });
    }
    return out.sort((a, b) => b.estimatedSavings - a.estimatedSavings);
  };

  const budgetCause =
    cap !== undefined && !spendUnknown ? causeFor([...view.endpoints.values()], true, meanUtil) : undefined;
  const budgetActions = budgetCause ? spendActions(budgetCause) : [];
  const crossesCapOn =
    cap !== undefined && !spendUnknown && forecast.expected > cap && spendNum <= cap
      ? crossingDay(ctx, spendNum, fc.expected, cap)
      : undefined;
  if (cap !== undefined && !spendUnknown) {
    if (view.spendToDate > moneyFromNumber(cap)) {
      status = 'breached';
      const cause = budgetCause;
      findings.push({
        kind: 'spend-breach',
        budget: budget.name,
        severity: 'critical',
        message: `${budget.name} has spent ${displayMoney(view.spendToDate, ctx.currency)} of its ${money(cap)} cap for ${ctx.period.start}..${addDays(ctx.period.end, -1)}, ${money(spendNum - cap)} over; forecast ${money(forecast.expected)}.`,
        observed: spendToDate,
        limit: cap,
        cause,
        actions: budgetActions,
        key: key('spend-breach', budget.name, ctx.period.start),
      });
    } else if (forecast.expected > cap) {
      status = 'at-risk';
      const cause = budgetCause;
      const crossing = crossesCapOn;
      findings.push({
        kind: 'spend-forecast',
        budget: budget.name,
        severity: forecast.low > cap ? 'critical' : 'warning',
        message: `${budget.name} is forecast to spend ${money(forecast.expected)} (${money(forecast.low)}–${money(forecast.high)}) against its ${money(cap)} cap, ${money(forecast.expected - cap)} over${crossing ? `; at this rate it crosses the cap on ${crossing}` : ''}. Spent so far: ${displayMoney(view.spendToDate, ctx.currency)}.`,
        observed: forecast.expected,
        limit: cap,
        cause,
        actions: budgetActions,
        key: key('spend-forecast', budget.name, ctx.period.start),
      });
    }
  }

  // ---- per-endpoint limits over the window ----
  const wording = { window: `${ctx.window.from}..${addDays(ctx.window.to, -1)}`, currency: ctx.currency };
  const viable = (...xs: (Action | undefined)[]) => xs.filter((a): a is Action => a !== undefined);
  /** What to do about each kind of breach, and why it happened where a spend split can say. */
  const remedies = (
    kind: FindingKind,
    r: EndpointResult,
    observed: number,
    limit: number,
  ): { actions: Action[]; cause?: Cause } => {
    const ac = actionContexts.get(r.name);
    const e = view.endpoints.get(r.name);
    switch (kind) {
      case 'unit-cost':
        return {
          actions: ac
            ? viable(
                retireIdleEndpoint(ac),
                lowerMinInstances(ac),
                raiseScalingTarget(ac),
                rightSizeInstance(ac),
              )
            : [],
          cause: e ? causeFor([e], false, r.utilization ?? undefined) : undefined,
        };
      case 'utilization-low': {
        const cause = e ? causeFor([e], false, r.utilization ?? undefined) : undefined;
        return {
          actions: ac
            ? viable(
                retireIdleEndpoint(ac),
                lowerMinInstances(ac),
                scheduleScaleDown(ac),
                rightSizeInstance(ac),
              )
            : [],
          // idle capacity is what a utilisation floor is about, whatever moved the spend
          cause: cause && { ...cause, primary: 'idle-capacity' },
        };
      }
      case 'latency':
        return { actions: ac ? [raiseCapacity(ac) ?? reviewModelLatency(ac, observed, limit)] : [] };
      case 'utilization-high':
        return { actions: ac ? viable(raiseCapacity(ac)) : [] };
      case 'error-rate':
        return {
          actions: [
            {
              type: 'investigate-errors',
              endpoint: r.name,
              estimatedSavings: 0,
              risk: 'low',
              description: `Look at ${r.name}'s Invocation4XXErrors/5XXErrors and its CloudWatch logs; 5XX with high utilisation means it needs capacity.`,
            },
          ],
        };
      case 'max-instances':
        return {
          actions: [
            {
              type: 'lower-max-instances',
              endpoint: r.name,
              estimatedSavings: 0,
              risk: 'medium',
              description: `Set the autoscaling maximum of ${r.name} to ${limit}, or raise the limit with an approved exception.`,
              change: { maxInstances: { from: observed, to: limit } },
            },
          ],
        };
      default:
        return { actions: [] };
    }
  };

  for (const r of endpointResults) {
    const lim = endpointLimits(budget, r.name, ctx.asOf);
    const ac = actionContexts.get(r.name);
    const e = view.endpoints.get(r.name);
    const facts = { ...r, worstHourP99Ms: metrics.get(r.name)?.worstHourP99Ms ?? null };
    for (const rule of ENDPOINT_RULES) {
      const v = rule.check(facts, lim);
      if (v.status !== 'breached') continue;
      status = 'breached';
      findings.push({
        kind: rule.kind,
        budget: budget.name,
        endpoint: r.name,
        severity: rule.severity(v.observed, v.limit),
        message: rule.message(facts, v.observed, v.limit, wording),
        observed: v.observed,
        limit: v.limit,
        ...remedies(rule.kind, r, v.observed, v.limit),
        key: key(rule.kind, budget.name, r.name),
      });
    }

    // Experiments end: exit criteria of the tier.
    const exit = tier?.exitCriteria;
    if (exit && e) {
      const age = daysBetween(e.firstDay, ctx.asOf) + 1;
      const reasons: string[] = [];
      if (exit.maxDays !== undefined && age > exit.maxDays)
        reasons.push(`running ${age} days, past its ${exit.maxDays}`);
      if (
        exit.maxCostPer1kInferences !== undefined &&
        r.costPer1k !== null &&
        r.costPer1k > exit.maxCostPer1kInferences
      ) {
        reasons.push(
          `costing ${displayUnitPrice(r.costPer1k, ctx.currency)} per 1k inferences, above ${displayUnitPrice(exit.maxCostPer1kInferences, ctx.currency)}`,
        );
      }
      if (reasons.length > 0 && ac) {
        const perDay =
          windowDays.reduce((s, d) => s + toNumber(e.days.get(d)?.cost ?? 0n), 0) / windowDays.length;
        // An exit criterion ends an experiment; it is not a budget limit, so it does not change the status.
        findings.push({
          budget: budget.name,
          kind: 'exit-criteria',
          endpoint: r.name,
          severity: 'warning',
          message: `Experiment ${r.name} meets its exit criteria: ${reasons.join('; ')}.`,
          cause: causeFor([e], false, r.utilization ?? undefined),
          actions: [
            {
              type: 'end-experiment',
              endpoint: r.name,
              estimatedSavings: round(perDay * ctx.remainingDays),
              risk: 'low',
              description: `End the experiment: delete ${r.name}, or promote it to a production budget.`,
              change: { delete: true },
            },
          ],
          key: key('exit-criteria', budget.name, r.name),
        });
      }
    }
  }

  // ---- missing data ----
  const incomplete = (message: string, scope?: string) =>
    findings.push({
      kind: 'incomplete-data',
      budget: budget.name,
      endpoint: scope,
      severity: 'warning',
      message,
      actions: [
        {
          type: 'restore-data',
          endpoint: scope,
          estimatedSavings: 0,
          risk: 'low',
          description:
            'Fix the source or re-run once the data is complete; until then these numbers are lower bounds.',
        },
      ],
      key: key('incomplete-data', budget.name, scope, message),
    });
  for (const g of accountGaps) incomplete(`${budget.name}: ${g}`);
  if (view.endpoints.size === 0 && view.other.size === 0) {
    incomplete(
      `${budget.name}: no cost rows match the selector; spend to date is unknown, not zero. Check the endpoint globs and tags.`,
    );
  }
  const metricLimits = (['costPer1kInferences', 'latencyP99Ms', 'errorRate', 'utilization'] as const).filter(
    (k) => limits[k] !== undefined,
  );
  if (!ctx.metricsByEndpoint) {
    if (metricLimits.length > 0) {
      incomplete(`${budget.name}: no metrics given, so ${metricLimits.join(', ')} cannot be judged.`);
    }
  } else {
    for (const r of endpointResults) {
      const m = metrics.get(r.name);
      const e = view.endpoints.get(r.name);
      const spentInWindow = e ? windowDays.some((d) => (e.days.get(d)?.cost ?? 0n) > 0n) : false;
      if (!e) {
        incomplete(`${r.name}: metrics but no cost rows; its spend is unknown, not zero.`, r.name);
        continue;
      }
      if (!spentInWindow) continue;
      const missing: string[] = [];
      if (metricLimits.length > 0 && !m) missing.push('all metrics');
      else if (m) {
        if (
          (limits.costPer1kInferences !== undefined || limits.errorRate !== undefined) &&
          r.invocations === null
        )
          missing.push('Invocations');
        if (limits.latencyP99Ms !== undefined && r.latencyP99Ms === null) missing.push('ModelLatency p99');
        if (limits.utilization !== undefined && r.utilization === null) {
          missing.push(
            r.instanceType && !instanceSpec(r.instanceType)
              ? `utilisation (unknown instance type ${r.instanceType})`
              : 'CPU/GPU utilisation',
          );
        }
      }
      if (missing.length > 0)
        incomplete(
          `${r.name}: no ${missing.join(', ')} in ${wording.window}; those limits are not judged.`,
          r.name,
        );
      else if (m && metricLimits.length > 0) {
        // metrics that stop before as-of judge the endpoint on part of the window only
        const series = ctx.metricsByEndpoint.get(r.name) ?? [];
        let last = Number.NEGATIVE_INFINITY;
        for (const x of series) if (x.t.length > 0) last = Math.max(last, x.t[x.t.length - 1] as number);
        const asOfEnd = dayStartMs(addDays(ctx.asOf, 1), ctx.period.timezone);
        if (last < asOfEnd - METRICS_LAG_MS) {
          incomplete(
            `${r.name}: metrics end on ${ctx.clock.dayOf(last)}, before as-of ${ctx.asOf}; its limits are judged on part of the window.`,
            r.name,
          );
        }
      }
    }
  }

  // ---- exceptions ----
  const exceptions: ExceptionResult[] = budget.exceptions.map((x) => ({
    reason: x.reason,
    approvedBy: x.approvedBy,
    expires: x.expires,
    inForce: x.expires >= ctx.asOf,
    ...(x.endpoints ? { endpoints: x.endpoints } : {}),
    limits: x.limits,
  }));
  for (const x of exceptions) {
    if (!x.inForce && x.expires >= addDays(ctx.period.start, -1)) {
      findings.push({
        kind: 'exception-expired',
        budget: budget.name,
        severity: 'info',
        message: `The exception "${x.reason}" (approved by ${x.approvedBy}) expired on ${x.expires}; the budget's own limits apply again.`,
        actions: [],
        key: key('exception-expired', budget.name, x.expires, x.reason),
      });
    }
  }

  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const alertAt = [...budget.alertAt].sort((a, b) => a - b);
  return {
    name: budget.name,
    owner: budget.owner,
    tier: budget.tier,
    mode,
    environment: budget.environment,
    status,
    cap: cap ?? null,
    spendToDate: spendUnknown ? null : spendToDate,
    spendToDateExact: spendUnknown ? null : formatMoney(view.spendToDate, 10),
    forecast: spendUnknown ? { expected: null, low: null, high: null, method: forecast.method } : forecast,
    thresholds: {
      actual: cap === undefined || spendUnknown ? [] : alertAt.filter((f) => spendNum >= f * cap),
      forecast: cap === undefined || spendUnknown ? [] : alertAt.filter((f) => forecast.expected >= f * cap),
    },
    cause: budgetCause ?? null,
    actions: budgetActions,
    crossesCapOn: crossesCapOn ?? null,
    limits,
    exceptions,
    endpoints: endpointResults.sort((a, b) => b.spendToDate - a.spendToDate),
    findings,
  };
}

/** The day spend is expected to cross the cap, spreading the forecast evenly over the remaining days. */
function crossingDay(ctx: Context, spent: number, remaining: number, cap: number): string | undefined {
  if (ctx.remainingDays <= 0 || remaining <= 0) return undefined;
  const perDay = remaining / ctx.remainingDays;
  const days = Math.ceil((cap - spent) / perDay);
  if (days < 1 || days > ctx.remainingDays) return undefined;
  return addDays(ctx.through, days);
}
