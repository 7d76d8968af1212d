/**
 * The pre-deploy gate: what a template would do to each budget's period. Each endpoint of the template goes to the
 * budgets whose selectors take it (the same selectors as a run), and each budget touched is judged on its period
 * as it would end with the change:
 *
 * - with spend history (a ledger, cost files or the live account): the budget's forecast for the period as it runs
 *   today, plus what the change adds for the rest of the period. The change is the template against `--base` when
 *   given, else against what the history measured each endpoint to spend a day (an endpoint the history never saw
 *   is new and adds all of its cost);
 * - without history: the template's endpoints of the budget for a full period, said as such (the budget's other
 *   endpoints are not counted).
 *
 * A budget is over when that expected total passes its cap, with exceptions in force applied (an exception that lets
 * the change through is named); unknown when an endpoint of it cannot be priced or its spend could not be read.
 */
import {
  type Budget,
  type BudgetException,
  type BudgetFile,
  effectiveLimits,
  endpointLimits,
  exceptionsInForce,
} from '../budget.ts';
import { type Money, moneyFromNumber, scaleMoney, ZERO } from '../money.ts';
import { addDays, dayStartMs, maxDay, type Period } from '../period.ts';
import { SelectorMatcher } from '../selector.ts';
import {
  addRanges,
  type CostRange,
  type MeasuredEndpoint,
  overHours,
  type PricedEndpoint,
  subtractRanges,
  ZERO_RANGE,
} from './price.ts';
import type { PlannedEndpoint, UnresolvedValue } from './types.ts';

/** A budget's period as the history has it: spend to date and the forecast of the whole period. */
export interface BudgetHistory {
  /** Undefined when the budget's spend could not be read (the check cannot say it stays within its cap). */
  readonly spendToDate?: Money;
  readonly forecast?: { readonly expected: Money; readonly high: Money; readonly method: string };
}

export interface CheckHistory {
  /** Where the history came from: `ledger .perf-budgets`, `cost files`, `live account`. */
  readonly label: string;
  readonly budgets: ReadonlyMap<string, BudgetHistory>;
  readonly endpoints: ReadonlyMap<string, MeasuredEndpoint>;
}

export interface CheckInputs {
  readonly file: BudgetFile;
  /** The last day spent: the rest of the period starts the day after. */
  readonly asOf: string;
  readonly period: Period;
  readonly head: readonly PricedEndpoint[];
  /** The deployed version, when `--base` is given. */
  readonly base?: readonly PricedEndpoint[];
  readonly history?: CheckHistory;
}

/** `planned` when there is nothing to compare with (no --base, no history). */
export type ChangeKind = 'new' | 'changed' | 'unchanged' | 'removed' | 'planned';

export interface EndpointChange {
  readonly key: string;
  readonly kind: ChangeKind;
  /** The template's endpoint (absent when removed) and the base's (with --base). */
  readonly head?: PricedEndpoint;
  readonly base?: PricedEndpoint;
  /** The template's cost for the rest of the period and for a full period; absent when unpriced. */
  readonly rest?: CostRange;
  readonly full?: CostRange;
  /** What the change adds for the rest of the period (head minus base or measured); absent when unknown. */
  readonly added?: CostRange;
  /** What it was measured to spend as deployed, over the rest of the period, when that is the comparison. */
  readonly deployed?: Money;
  readonly budgets: readonly string[];
}

export type Verdict = 'within' | 'excepted' | 'over' | 'unknown' | 'no-cap';

export interface NamedException {
  readonly reason: string;
  readonly approvedBy: string;
  readonly expires: string;
  readonly spendPerPeriod?: number;
}

export interface BudgetCheck {
  readonly budget: string;
  readonly owner: string;
  readonly tier: string;
  readonly endpoints: readonly string[];
  readonly verdict: Verdict;
  /** The budget's own cap and the cap with exceptions in force. */
  readonly cap?: number;
  readonly effectiveCap?: number;
  readonly spendToDate?: Money;
  readonly forecast?: Money;
  /** The period's total with the change; absent when unknown. */
  readonly projected?: CostRange;
  /** What the change adds to the rest of the period, summed over the budget's endpoints. */
  readonly added?: CostRange;
  /** How `projected` was reached. */
  readonly basis: string;
  /** Expected total above the cap in force (over), or above the budget's own cap (excepted). */
  readonly gap?: Money;
  /** Exceptions in force that raise the cap this change needs. */
  readonly exceptions: readonly NamedException[];
  /** Exceptions that would have let it through but have expired. */
  readonly expired: readonly NamedException[];
  /** maxInstances passed by an endpoint's maximum capacity. */
  readonly instances: readonly { endpoint: string; max: number; limit: number }[];
  readonly problems: readonly string[];
}

export interface CheckResult {
  readonly asOf: string;
  readonly period: Period;
  readonly restHours: number;
  readonly fullHours: number;
  readonly history?: string;
  readonly endpoints: readonly EndpointChange[];
  readonly budgets: readonly BudgetCheck[];
  /** Endpoints no budget takes. */
  readonly unbudgeted: readonly string[];
  readonly unpriced: readonly UnresolvedValue[];
  readonly pass: boolean;
}

const hoursBetween = (from: string, to: string, tz: string): number =>
  (dayStartMs(to, tz) - dayStartMs(from, tz)) / 3_600_000;

const named = (e: BudgetException): NamedException => ({
  reason: e.reason,
  approvedBy: e.approvedBy,
  expires: e.expires,
  ...(e.limits.spendPerPeriod !== undefined ? { spendPerPeriod: e.limits.spendPerPeriod } : {}),
});

function changes(inputs: CheckInputs, restHours: number, fullHours: number): EndpointChange[] {
  const base = new Map((inputs.base ?? []).map((p) => [p.key, p]));
  const restDays = restHours / 24;
  const out: EndpointChange[] = [];
  for (const head of inputs.head) {
    const was = base.get(head.key);
    base.delete(head.key);
    const rest = head.hourly && overHours(head.hourly, restHours);
    const full = head.hourly && overHours(head.hourly, fullHours);
    const measured = inputs.history?.endpoints.get(head.key);
    let added: CostRange | undefined;
    let deployed: Money | undefined;
    if (inputs.base) {
      const wasRest = was ? was.hourly && overHours(was.hourly, restHours) : ZERO_RANGE;
      added = rest && wasRest && subtractRanges(rest, wasRest);
    } else if (inputs.history) {
      // an endpoint the history never saw is new; one it saw without its spend leaves the change unknown
      deployed = !measured
        ? ZERO
        : measured.dailySpend === undefined
          ? undefined
          : scaleMoney(measured.dailySpend, restDays);
      added =
        rest && deployed !== undefined
          ? subtractRanges(rest, { min: deployed, expected: deployed, max: deployed })
          : undefined;
    }
    const kind: ChangeKind = inputs.base
      ? !was
        ? 'new'
        : sameCapacity(was.endpoint, head.endpoint)
          ? 'unchanged'
          : 'changed'
      : !inputs.history
        ? 'planned'
        : measured
          ? 'changed'
          : 'new';
    out.push({
      key: head.key,
      kind,
      head,
      ...(was ? { base: was } : {}),
      ...(rest ? { rest, full } : {}),
      ...(added ? { added } : {}),
      ...(deployed !== undefined ? { deployed } : {}),
      budgets: [],
    });
  }
  for (const was of base.values()) {
    const wasRest = was.hourly && overHours(was.hourly, restHours);
    out.push({
      key: was.key,
      kind: 'removed',
      base: was,
      ...(wasRest ? { added: subtractRanges(ZERO_RANGE, wasRest) } : {}),
      budgets: [],
    });
  }
  return out;
}

/** Same variants at the same types and capacities: the change does not touch what it costs. */
function sameCapacity(a: PlannedEndpoint, b: PlannedEndpoint): boolean {
  return JSON.stringify(a.variants) === JSON.stringify(b.variants) && a.region === b.region;
}

const planned = (c: EndpointChange): PlannedEndpoint | undefined => (c.head ?? c.base)?.endpoint;

export function judgeCheck(inputs: CheckInputs): CheckResult {
  const tz = inputs.file.billingPeriod.timezone;
  const restFrom = maxDay(addDays(inputs.asOf, 1), inputs.period.start);
  const restHours = Math.max(0, hoursBetween(restFrom, inputs.period.end, tz));
  const fullHours = hoursBetween(inputs.period.start, inputs.period.end, tz);
  const all = changes(inputs, restHours, fullHours);
  const byBudget = new Map<string, EndpointChange[]>();
  const endpoints = all.map((c) => {
    const e = planned(c) as PlannedEndpoint;
    const budgets = inputs.file.budgets
      .filter((b) => new SelectorMatcher(b).matches(e.name, e.tags))
      .map((b) => b.name);
    const withBudgets = { ...c, budgets };
    for (const b of budgets) byBudget.set(b, [...(byBudget.get(b) ?? []), withBudgets]);
    return withBudgets;
  });
  const budgets = inputs.file.budgets
    .filter((b) => byBudget.has(b.name))
    .map((b) => judgeBudget(b, byBudget.get(b.name) ?? [], inputs));
  const unpriced = [
    ...new Map(
      all
        .flatMap((c) => [...(c.head?.unpriced ?? []), ...(c.base?.unpriced ?? [])])
        .map((u) => [`${u.path}\n${u.why}`, u]),
    ).values(),
  ];
  return {
    asOf: inputs.asOf,
    period: inputs.period,
    restHours,
    fullHours,
    ...(inputs.history ? { history: inputs.history.label } : {}),
    endpoints,
    budgets,
    unbudgeted: endpoints.filter((c) => c.budgets.length === 0 && c.kind !== 'removed').map((c) => c.key),
    unpriced,
    pass: budgets.every((b) => b.verdict !== 'over' && b.verdict !== 'unknown'),
  };
}

function judgeBudget(budget: Budget, mine: readonly EndpointChange[], inputs: CheckInputs): BudgetCheck {
  const problems: string[] = [];
  for (const c of mine) {
    for (const u of [...(c.head?.unpriced ?? []), ...(inputs.base ? (c.base?.unpriced ?? []) : [])])
      problems.push(`${c.key} is not priced: ${u.path}: ${u.why}`);
  }
  if (!inputs.base && inputs.history) {
    for (const c of mine) {
      if (c.rest && !c.added)
        problems.push(
          `${c.key}: the ${inputs.history.label} does not say what it spends as deployed; give --base with the deployed template`,
        );
    }
  }
  const history = inputs.history?.budgets.get(budget.name);
  if (inputs.history && (history?.spendToDate === undefined || history.forecast === undefined))
    problems.push(`${budget.name}: its spend could not be read from the ${inputs.history.label}`);

  const sum = (pick: (c: EndpointChange) => CostRange | undefined): CostRange | undefined => {
    const ranges = mine.map(pick);
    if (ranges.some((r) => r === undefined)) return undefined;
    return (ranges as CostRange[]).reduce(addRanges, ZERO_RANGE);
  };
  const added = inputs.base || inputs.history ? sum((c) => c.added) : undefined;
  let projected: CostRange | undefined;
  let basis: string;
  if (inputs.history && history?.forecast) {
    const f = history.forecast;
    projected = added && {
      min: f.expected + added.min,
      expected: f.expected + added.expected,
      max: f.high + added.max,
    };
    basis = `forecast of the period as it runs (${f.method}), plus what the change adds for the rest of it`;
  } else if (inputs.history) {
    basis = 'the budget’s spend is unknown';
  } else {
    projected = sum((c) => (c.kind === 'removed' ? ZERO_RANGE : c.full));
    basis =
      'no spend history: the template’s endpoints of the budget for a full period (its other endpoints are not counted)';
  }

  const limits = effectiveLimits(budget, inputs.asOf);
  const cap = budget.limits.spendPerPeriod;
  const effectiveCap = limits.spendPerPeriod;
  const instances = mine.flatMap((c) => {
    const e = c.head?.endpoint;
    if (!e) return [];
    const limit = endpointLimits(budget, e.name ?? '', inputs.asOf).maxInstances;
    const max = e.variants.reduce((s, v) => s + (v.kind === 'instances' ? v.max : 0), 0);
    return limit !== undefined && max > limit ? [{ endpoint: c.key, max, limit }] : [];
  });
  const raising = exceptionsInForce(budget, inputs.asOf).filter(
    (e) => !e.endpoints && e.limits.spendPerPeriod !== undefined,
  );
  const expiredRaising = budget.exceptions.filter(
    (e) => e.expires < inputs.asOf && !e.endpoints && e.limits.spendPerPeriod !== undefined,
  );

  let verdict: Verdict;
  let gap: Money | undefined;
  let exceptions: NamedException[] = [];
  let expired: NamedException[] = [];
  if (problems.length > 0 || projected === undefined) {
    verdict = 'unknown';
  } else if (effectiveCap === undefined) {
    verdict = instances.length > 0 ? 'over' : 'no-cap';
  } else {
    const capMoney = moneyFromNumber(effectiveCap);
    const own = cap === undefined ? undefined : moneyFromNumber(cap);
    if (projected.expected > capMoney || instances.length > 0) {
      verdict = 'over';
      if (projected.expected > capMoney) gap = projected.expected - capMoney;
      expired = expiredRaising
        .filter((e) => moneyFromNumber(e.limits.spendPerPeriod ?? 0) >= projected.expected)
        .map(named);
    } else if (own !== undefined && projected.expected > own) {
      verdict = 'excepted';
      gap = projected.expected - own;
      exceptions = raising.map(named);
    } else verdict = 'within';
  }
  return {
    budget: budget.name,
    owner: budget.owner,
    tier: budget.tier,
    endpoints: mine.map((c) => c.key),
    verdict,
    ...(cap !== undefined ? { cap } : {}),
    ...(effectiveCap !== undefined ? { effectiveCap } : {}),
    ...(history?.spendToDate !== undefined ? { spendToDate: history.spendToDate } : {}),
    ...(history?.forecast ? { forecast: history.forecast.expected } : {}),
    ...(projected ? { projected } : {}),
    ...(added ? { added } : {}),
    basis,
    ...(gap !== undefined ? { gap } : {}),
    exceptions,
    expired,
    instances,
    problems,
  };
}
