import type { Budget } from './budget.ts';
import { type Money, ZERO } from './money.ts';
import type { DayClock } from './period.ts';
import { SelectorMatcher } from './selector.ts';
import type { CostRecord } from './types.ts';

export interface DayCost {
  cost: Money;
  /** Instance usage of the endpoint (Host:ml.*), the part that autoscaling and instance choice drive. */
  hostingCost: Money;
  hours: number;
  /** Instance-hours and cost per instance type that day. */
  readonly types: Map<string, { hours: number; cost: Money }>;
}

export interface EndpointSpend {
  readonly name: string;
  tags: Readonly<Record<string, string>>;
  readonly days: Map<string, DayCost>;
  /** Instances running in each hour (epoch ms of the hour), from hourly hosting rows. */
  readonly hourlyInstances: Map<number, number>;
  firstDay: string;
  lastDay: string;
  /** Instance type of the latest hosting row. */
  latestType?: string;
  latestStart: number;
}

export interface BudgetSpend {
  readonly budget: Budget;
  readonly matcher: SelectorMatcher;
  readonly endpoints: Map<string, EndpointSpend>;
  /** Charges the budget selects that name no endpoint (storage, artefacts, training, data transfer), per day. */
  readonly other: Map<string, Money>;
  /** On-demand SageMaker training charges per day (the managed-spot lever). */
  readonly training: Map<string, Money>;
  /** Exact spend from period start through the last day with cost data (inclusive). */
  spendToDate: Money;
}

const HOUR = 3_600_000;

function dayCost(days: Map<string, DayCost>, day: string): DayCost {
  let d = days.get(day);
  if (!d) {
    d = { cost: ZERO, hostingCost: ZERO, hours: 0, types: new Map() };
    days.set(day, d);
  }
  return d;
}

/**
 * One pass over the cost rows: each row goes to every budget whose selector takes it, by day in the billing time
 * zone. Rows starting on or after `endMs` (the day after as-of) are ignored, so a complete file replays any day.
 */
export function allocateSpend(
  records: readonly CostRecord[],
  budgets: readonly Budget[],
  clock: DayClock,
  opts: { endMs: number; periodStart: string },
): BudgetSpend[] {
  const views: BudgetSpend[] = budgets.map((budget) => ({
    budget,
    matcher: new SelectorMatcher(budget),
    endpoints: new Map(),
    other: new Map(),
    training: new Map(),
    spendToDate: ZERO,
  }));
  const cache = new Map<string, BudgetSpend[]>();
  const tagKeys = new WeakMap<object, string>();

  for (const r of records) {
    if (r.start >= opts.endMs) continue;
    let tk = tagKeys.get(r.tags);
    if (tk === undefined) {
      tk = Object.keys(r.tags)
        .sort()
        .map((k) => `${k}=${r.tags[k]}`)
        .join('\u0001');
      tagKeys.set(r.tags, tk);
    }
    const key = `${r.endpoint ?? ''}\u0000${tk}`;
    let targets = cache.get(key);
    if (!targets) {
      targets = views.filter((v) => v.matcher.matches(r.endpoint, r.tags));
      cache.set(key, targets);
    }
    if (targets.length === 0) continue;

    const day = clock.dayOf(r.start);
    for (const v of targets) {
      if (day >= opts.periodStart) v.spendToDate += r.amount;
      if (r.endpoint === undefined) {
        v.other.set(day, (v.other.get(day) ?? ZERO) + r.amount);
        if (r.training) v.training.set(day, (v.training.get(day) ?? ZERO) + r.amount);
        continue;
      }
      let e = v.endpoints.get(r.endpoint);
      if (!e) {
        e = {
          name: r.endpoint,
          tags: r.tags,
          days: new Map(),
          hourlyInstances: new Map(),
          firstDay: day,
          lastDay: day,
          latestStart: r.start,
        };
        v.endpoints.set(r.endpoint, e);
      }
      if (day < e.firstDay) e.firstDay = day;
      if (day > e.lastDay) e.lastDay = day;
      const d = dayCost(e.days, day);
      d.cost += r.amount;
      if (r.instanceType !== undefined && r.usageHours !== undefined) {
        d.hostingCost += r.amount;
        d.hours += r.usageHours;
        const t = d.types.get(r.instanceType) ?? { hours: 0, cost: ZERO };
        t.hours += r.usageHours;
        t.cost += r.amount;
        d.types.set(r.instanceType, t);
        if (r.start >= e.latestStart) {
          e.latestStart = r.start;
          e.latestType = r.instanceType;
          e.tags = r.tags;
        }
        if (r.end - r.start === HOUR) {
          e.hourlyInstances.set(r.start, (e.hourlyInstances.get(r.start) ?? 0) + r.usageHours);
        }
      }
    }
  }
  return views;
}
