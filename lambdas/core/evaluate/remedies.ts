/**
 * What a finding gets besides its verdict: why spend moved (the cause split against the baseline) and which
 * actions apply. Which actions fit which limit is the limit's own (`core/limits`); this sizes them on the budget.
 */
import { endpointLimits } from '../budget.ts';
import { explainChange } from '../cause.ts';
import type { RemedyInput } from '../limits/limit.ts';
import { spend } from '../limits/spend.ts';
import { toNumber } from '../money.ts';
import { addDays, daysBetween } from '../period.ts';
import type { BudgetSpend, EndpointSpend } from '../spend.ts';
import type { Action, Cause } from '../types.ts';
import type { Context } from './context.ts';
import { type EndpointView, invocationsPerDay } from './endpoints.ts';

/**
 * The change in spend of some endpoints of a budget (and, with `withOther`, its charges that name no endpoint),
 * from the baseline to the judging window, split by driver; undefined when there is nothing to split.
 */
export function causeFor(
  ctx: Context,
  view: BudgetSpend,
  endpoints: readonly EndpointSpend[],
  withOther: boolean,
  utilization?: number,
  idleBelow?: number,
): Cause | undefined {
  if (endpoints.length === 0 && !withOther) return undefined;
  return explainChange({
    endpoints,
    other: withOther ? view.other : undefined,
    baseline: ctx.baseline ?? { from: ctx.window.from, to: ctx.window.from },
    current: ctx.window,
    daysInPeriod: ctx.daysInPeriod,
    invocations: (name, w) => invocationsPerDay(ctx, name, w),
    utilization,
    idleBelow,
    currency: ctx.currency,
  });
}

/** The cause of one endpoint's spend change, its own part only; idle capacity is judged by its own floor. */
export function endpointCause(ctx: Context, view: BudgetSpend, x: EndpointView): Cause | undefined {
  if (!x.spend) return undefined;
  const floor = endpointLimits(view.budget, x.result.name, ctx.asOf).utilization?.min;
  return causeFor(ctx, view, [x.spend], false, x.result.utilization ?? undefined, floor);
}

/** What an endpoint limit chooses its remedy from. */
export function remedyInput(
  ctx: Context,
  view: BudgetSpend,
  x: EndpointView,
  observed: number,
  limit: number,
): RemedyInput {
  return {
    endpoint: x.result.name,
    observed,
    limit,
    action: x.action,
    cause: () => endpointCause(ctx, view, x),
  };
}

/** The viable actions on a budget's spend, largest saving first: what its spend findings and alerts recommend. */
export function spendRemedies(
  ctx: Context,
  view: BudgetSpend,
  endpoints: readonly EndpointView[],
  cause: Cause,
): Action[] {
  const training = [...view.training.entries()].filter(([d]) => d >= ctx.period.start);
  return spend.remedies({
    endpoints: endpoints.flatMap((x) => (x.action ? [x.action] : [])),
    cause,
    ...(training.length > 0
      ? {
          training: {
            spent: training.reduce((s, [, v]) => s + toNumber(v), 0),
            elapsedDays: Math.max(1, daysBetween(ctx.period.start, addDays(ctx.through, 1))),
          },
        }
      : {}),
    daysInPeriod: ctx.daysInPeriod,
    remainingDays: ctx.remainingDays,
    tier: view.budget.tier,
    currency: ctx.currency,
  });
}
