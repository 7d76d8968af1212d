/** The findings of one endpoint: every endpoint limit of the registry, then the experiment tier's exit criteria. */
import { endpointLimits, type Tier } from '../budget.ts';
import { exitCriteria } from '../limits/exit-criteria.ts';
import { ENDPOINT_LIMITS } from '../limits/index.ts';
import { toNumber } from '../money.ts';
import { daysBetween } from '../period.ts';
import type { BudgetSpend } from '../spend.ts';
import type { Finding } from '../types.ts';
import { type Context, findingKey, windowText } from './context.ts';
import { type EndpointView, windowDays } from './endpoints.ts';
import { endpointCause, remedyInput } from './remedies.ts';

/** The endpoint's limit breaches over the window (exceptions in force for it applied). */
export function limitFindings(ctx: Context, view: BudgetSpend, x: EndpointView): Finding[] {
  const budget = view.budget.name;
  const r = x.result;
  const limits = endpointLimits(view.budget, r.name, ctx.asOf);
  const facts = { ...r, worstHourP99Ms: x.metrics?.worstHourP99Ms ?? null };
  const wording = { window: windowText(ctx), currency: ctx.currency };
  const out: Finding[] = [];
  for (const limit of ENDPOINT_LIMITS) {
    const v = limit.check(facts, limits);
    if (v.status !== 'breached') continue;
    out.push({
      kind: limit.kind,
      budget,
      endpoint: r.name,
      severity: limit.severity(v.observed, v.limit),
      message: limit.message(facts, v.observed, v.limit, wording),
      observed: v.observed,
      limit: v.limit,
      ...limit.remedies(remedyInput(ctx, view, x, v.observed, v.limit)),
      key: findingKey(limit.kind, budget, r.name),
    });
  }
  return out;
}

/** An experiment endpoint past its tier's exit criteria; it does not change the budget's status. */
export function exitFinding(
  ctx: Context,
  view: BudgetSpend,
  x: EndpointView,
  tier: Tier | undefined,
): Finding | undefined {
  const e = x.spend;
  if (!tier?.exitCriteria || !e || !x.action) return undefined;
  const facts = {
    name: x.result.name,
    ageDays: daysBetween(e.firstDay, ctx.asOf) + 1,
    costPer1k: x.result.costPer1k,
  };
  const v = exitCriteria.check(facts, tier.exitCriteria);
  if (v.status !== 'breached') return undefined;
  const days = windowDays(ctx);
  const perDay = days.reduce((s, d) => s + toNumber(e.days.get(d)?.cost ?? 0n), 0) / days.length;
  return {
    budget: view.budget.name,
    kind: 'exit-criteria',
    endpoint: facts.name,
    severity: exitCriteria.severity(),
    message: exitCriteria.message(facts, v.reasons, ctx.currency),
    cause: endpointCause(ctx, view, x),
    actions: exitCriteria.remedies({ endpoint: facts.name, perDay, remainingDays: ctx.remainingDays }),
    key: findingKey('exit-criteria', view.budget.name, facts.name),
  };
}
