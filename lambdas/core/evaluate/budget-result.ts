/** One budget's evaluation, composed of its parts: endpoints, spend and forecast, limits, completeness, exceptions. */
import { effectiveLimits } from '../budget.ts';
import { formatMoney, roundTo, toNumber } from '../money.ts';
import type { BudgetSpend } from '../spend.ts';
import type { Finding, Severity, Status } from '../types.ts';
import { incompleteFindings } from './completeness.ts';
import type { Context } from './context.ts';
import { exitFinding, limitFindings } from './endpoint-findings.ts';
import { budgetEndpoints, meanUtilization } from './endpoints.ts';
import { exceptionResults, expiredExceptionFindings } from './exceptions.ts';
import { causeFor, spendRemedies } from './remedies.ts';
import {
  budgetForecast,
  crossingDay,
  isSpendUnknown,
  judgeSpend,
  spendThresholds,
} from './spend-forecast.ts';
import type { BudgetResult } from './types.ts';

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function evaluateBudget(
  ctx: Context,
  view: BudgetSpend,
  accountGaps: readonly string[],
  /** What the selectors leave out or take twice (report-only findings). */
  coverage: readonly Finding[] = [],
): BudgetResult {
  const { budget } = view;
  const tier = ctx.file.tiers[budget.tier];
  const limits = effectiveLimits(budget, ctx.asOf);
  const cap = limits.spendPerPeriod;
  const endpoints = budgetEndpoints(ctx, view, limits);
  const { forecast, remaining } = budgetForecast(ctx, view);
  const unknown = isSpendUnknown(ctx, view, accountGaps);
  const spent = toNumber(view.spendToDate);
  const judged = cap !== undefined && !unknown;

  const cause = judged
    ? causeFor(
        ctx,
        view,
        [...view.endpoints.values()],
        true,
        meanUtilization(endpoints),
        limits.utilization?.min,
      )
    : undefined;
  const actions = cause ? spendRemedies(ctx, view, endpoints, cause) : [];
  const crossesCapOn =
    judged && forecast.expected > cap && spent <= cap ? crossingDay(ctx, spent, remaining, cap) : undefined;
  const spendVerdict: { readonly status: Status; readonly finding?: Finding } = judged
    ? judgeSpend(
        ctx,
        {
          budget: budget.name,
          spent: view.spendToDate,
          forecast,
          period: ctx.period,
          crossesCapOn,
          currency: ctx.currency,
        },
        cap,
        { cause, actions },
      )
    : { status: 'ok' };

  const perEndpoint = endpoints.map((x) => ({
    breaches: limitFindings(ctx, view, x),
    exit: exitFinding(ctx, view, x, tier),
  }));
  const exceptions = exceptionResults(budget, ctx.asOf);
  const findings: Finding[] = [
    ...(spendVerdict.finding ? [spendVerdict.finding] : []),
    // per endpoint: its limit breaches, then its exit criteria
    ...perEndpoint.flatMap(({ breaches, exit }) => (exit ? [...breaches, exit] : breaches)),
    ...incompleteFindings(ctx, view, limits, endpoints, accountGaps),
    ...expiredExceptionFindings(budget.name, exceptions, ctx.period.start),
    ...coverage,
  ].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const breached = spendVerdict.status === 'breached' || perEndpoint.some((x) => x.breaches.length > 0);

  return {
    name: budget.name,
    owner: budget.owner,
    tier: budget.tier,
    mode: tier?.mode ?? 'advise',
    environment: budget.environment,
    // unknown spend is never ok; a breached limit still says more than that
    status: breached ? 'breached' : unknown ? 'unknown' : spendVerdict.status,
    cap: cap ?? null,
    spendToDate: unknown ? null : roundTo(view.spendToDate),
    spendToDateExact: unknown ? null : formatMoney(view.spendToDate, 10),
    forecast: unknown ? { expected: null, low: null, high: null, method: forecast.method } : forecast,
    thresholds: spendThresholds(budget.alertAt, judged ? cap : undefined, spent, forecast.expected),
    cause: cause ?? null,
    actions,
    crossesCapOn: crossesCapOn ?? null,
    limits,
    exceptions,
    endpoints: endpoints.map((x) => x.result).sort((a, b) => b.spendToDate - a.spendToDate),
    findings,
  };
}
