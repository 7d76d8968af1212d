/**
 * A budget's spend and forecast: spend to date, the forecast for the period (expected and an interval), whether
 * spend is known at all, the alertAt thresholds reached, the day the cap is crossed, and the spend finding.
 */
import { forecastCombined } from '../forecast-combine.ts';
import { type SpendFacts, spend } from '../limits/spend.ts';
import { type Money, toNumber } from '../money.ts';
import { addDays, daysBetween } from '../period.ts';
import type { BudgetSpend } from '../spend.ts';
import type { Action, Cause, Finding, Status } from '../types.ts';
import { type Context, findingKey, round } from './context.ts';
import type { BudgetResult, DaySpend } from './types.ts';

export interface BudgetForecast {
  /** Spend at period end: spend to date plus the forecast of the remaining days. */
  readonly forecast: {
    readonly expected: number;
    readonly low: number;
    readonly high: number;
    readonly method: string;
  };
  /** Expected spend of the remaining days alone. */
  readonly remaining: number;
}

export function budgetForecast(ctx: Context, view: BudgetSpend): BudgetForecast {
  // a day is covered when a cost row starts on it, or a charge of several days spreads onto it
  const spread = new Set([
    ...view.other.keys(),
    ...[...view.endpoints.values()].flatMap((e) => [...e.days.keys()]),
  ]);
  const covered = (d: string) => ctx.span.daysWithRows.has(d) || spread.has(d);
  // Each series starts on its own first day, and a day the cost source did not cover is a gap: zeros there would
  // read as spend that stopped, and move the forecast of every budget with a stray row far back in the file.
  const series = (amount: (day: string) => Money | undefined): (number | null)[] => {
    let started = false;
    return ctx.historyDays.map((d) => {
      const a = amount(d);
      started ||= a !== undefined;
      return started && covered(d) ? toNumber(a ?? 0n) : null;
    });
  };
  const components = [
    ...[...view.endpoints.values()].map((e) => ({
      key: e.name,
      values: series((d) => e.days.get(d)?.cost),
    })),
    { key: '(other charges)', values: series((d) => view.other.get(d)) },
  ];
  const elapsed = Math.max(0, daysBetween(ctx.period.start, ctx.through) + 1);
  const fc = forecastCombined(components, ctx.remainingDays, elapsed);
  const spent = toNumber(view.spendToDate);
  return {
    forecast: {
      expected: round(spent + fc.expected),
      low: round(spent + fc.low),
      high: round(spent + fc.high),
      method: fc.method,
    },
    remaining: fc.expected,
  };
}

/**
 * Spend is unknown, not zero, when nothing the selector takes was read at all, when the account's cost data has no
 * day of this period (an as-of past the data's end), or when the cost source failed and nothing of this period came
 * through: the spend limits are then not judged.
 */
export function isSpendUnknown(ctx: Context, view: BudgetSpend, accountGaps: readonly string[]): boolean {
  if (view.endpoints.size === 0 && view.other.size === 0) return true;
  if (noDataInPeriod(ctx)) return true;
  const inPeriod = (days: Iterable<string>) => [...days].some((d) => d >= ctx.period.start);
  const anyInPeriod =
    inPeriod(view.other.keys()) || [...view.endpoints.values()].some((e) => inPeriod(e.days.keys()));
  const costsFailed = accountGaps.some((g) => g.startsWith('costs'));
  return !anyInPeriod && costsFailed;
}

/** The account's cost data has no row in the period to as-of: nothing of the period was read. */
export function noDataInPeriod(ctx: Context): boolean {
  return ctx.lastWithData === undefined || ctx.lastWithData < ctx.period.start;
}

/** The day spend is expected to cross the cap, spreading the forecast evenly over the remaining days. */
export function crossingDay(ctx: Context, spent: number, remaining: number, cap: number): string | undefined {
  if (ctx.remainingDays <= 0 || remaining <= 0) return undefined;
  const perDay = remaining / ctx.remainingDays;
  const days = Math.ceil((cap - spent) / perDay);
  if (days < 1 || days > ctx.remainingDays) return undefined;
  return addDays(ctx.through, days);
}

/** The alertAt fractions of the cap that actual and forecast spend have reached (none when spend is not judged). */
export function spendThresholds(
  alertAt: readonly number[],
  cap: number | undefined,
  spent: number,
  expected: number,
): BudgetResult['thresholds'] {
  if (cap === undefined) return { actual: [], forecast: [] };
  const sorted = [...alertAt].sort((a, b) => a - b);
  return {
    actual: sorted.filter((f) => spent >= f * cap),
    forecast: sorted.filter((f) => expected >= f * cap),
  };
}

/** Spend against the cap: breached past it, at risk when the forecast is past it; the finding that says so. */
export function judgeSpend(
  ctx: Context,
  facts: SpendFacts,
  cap: number,
  remedy: { readonly cause: Cause | undefined; readonly actions: readonly Action[] },
): { readonly status: Status; readonly finding?: Finding } {
  const budget = facts.budget;
  const actual = spend.checkActual(facts, cap);
  if (actual.status === 'breached') {
    return {
      status: 'breached',
      finding: {
        kind: 'spend-breach',
        budget,
        severity: spend.severity.actual(facts, cap),
        message: spend.message.actual(facts, cap),
        observed: actual.observed,
        limit: actual.limit,
        cause: remedy.cause,
        actions: remedy.actions,
        key: findingKey('spend-breach', budget, ctx.period.start),
      },
    };
  }
  const forecast = spend.checkForecast(facts, cap);
  if (forecast.status !== 'breached') return { status: 'ok' };
  return {
    status: 'at-risk',
    finding: {
      kind: 'spend-forecast',
      budget,
      severity: spend.severity.forecast(facts, cap),
      message: spend.message.forecast(facts, cap),
      observed: forecast.observed,
      limit: forecast.limit,
      cause: remedy.cause,
      actions: remedy.actions,
      key: findingKey('spend-forecast', budget, ctx.period.start),
    },
  };
}

/** Exact spend per budget per day and per budget, endpoint and day, for the ledger and the reports. */
export function dailySpendOf(views: readonly BudgetSpend[]): {
  readonly dailySpend: Map<string, Map<string, Money>>;
  readonly endpointDailySpend: Map<string, Map<string, DaySpend>>;
} {
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
  return { dailySpend, endpointDailySpend };
}
