import type { Budget } from './budget.ts';
import { type Money, ZERO } from './money.ts';
import { addDays, type DayClock, dayStartMs } from './period.ts';
import { SelectorMatcher } from './selector.ts';
import type { CostRecord } from './types.ts';

export interface DayCost {
  cost: Money;
  /**
   * Instance usage of the endpoint (Host:ml.*), the part that autoscaling and instance choice drive, with what the
   * bill sets against it (a Savings Plan's negation, a discount, a refund of that usage).
   */
  hostingCost: Money;
  hours: number;
  /** Instance-hours and cost per instance type that day. */
  readonly types: TypeUses;
}

export interface TypeUse {
  hours: number;
  cost: Money;
}

/**
 * Instance-hours and cost per instance type of one endpoint's day, in the order the types were first billed. A day
 * nearly always bills one type: that one is kept without a map, which on a large account (an endpoint-day each)
 * would be tens of MiB.
 */
export class TypeUses implements Iterable<[string, TypeUse]> {
  private first: string | undefined;
  private use: TypeUse | undefined;
  private more: Map<string, TypeUse> | undefined;

  get(type: string): TypeUse | undefined {
    return this.more ? this.more.get(type) : type === this.first ? this.use : undefined;
  }

  get size(): number {
    return this.more ? this.more.size : this.use ? 1 : 0;
  }

  add(type: string, hours: number, cost: Money): void {
    let t = this.get(type);
    if (!t) {
      t = { hours: 0, cost: ZERO };
      if (this.use === undefined) {
        this.first = type;
        this.use = t;
      } else {
        this.more ??= new Map([[this.first as string, this.use]]);
        this.more.set(type, t);
      }
    }
    t.hours += hours;
    t.cost += cost;
  }

  *[Symbol.iterator](): IterableIterator<[string, TypeUse]> {
    if (this.more) yield* this.more;
    else if (this.use) yield [this.first as string, this.use];
  }
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

/** Spend of the period to date that no budget's selector takes, by endpoint (its rows) or by service (the rest). */
export interface UnbudgetedGroup {
  readonly endpoint?: string;
  readonly service: string;
  amount: Money;
  /** Of which charges that carry no tag at all. */
  untagged: Money;
  /** The tags of its latest charge: what a selector would have to match. */
  tags: Readonly<Record<string, string>>;
  latestStart: number;
}

export interface UnbudgetedSpend {
  total: Money;
  untagged: Money;
  /** Keyed by `endpoint:<name>` or `service:<name>`. */
  readonly groups: Map<string, UnbudgetedGroup>;
}

/** Spend of the period to date that two budgets both take: counted in each. */
export interface Overlap {
  /** Indices of the two budgets in the allocation's views, `a < b`. */
  readonly a: number;
  readonly b: number;
  amount: Money;
  /** The endpoints among the charges counted twice. */
  readonly endpoints: Set<string>;
  /** Charges naming no endpoint counted twice. */
  otherCharges: number;
}

export interface Allocation {
  readonly views: BudgetSpend[];
  readonly unbudgeted: UnbudgetedSpend;
  readonly overlaps: Overlap[];
}

const HOUR = 3_600_000;

function dayCost(days: Map<string, DayCost>, day: string): DayCost {
  let d = days.get(day);
  if (!d) {
    d = { cost: ZERO, hostingCost: ZERO, hours: 0, types: new TypeUses() };
    days.set(day, d);
  }
  return d;
}

/** One billing day's part of a charge: its money, and its share of the charge's time (for instance-hours). */
export interface DayPart {
  readonly day: string;
  readonly amount: Money;
  readonly share: number;
}

/**
 * A charge spread over the billing days its charge period covers ([start, end), FOCUS's ChargePeriodStart/End), in
 * proportion to the time it covers in each, exactly: every part is a whole pico-unit and the parts sum to the charge
 * (largest remainder, the earlier day first on a tie). A charge within one day, or of no length, is one part.
 */
export function spreadOverDays(
  start: number,
  end: number,
  amount: Money,
  clock: DayClock,
  dayStart: (day: string) => number = (d) => dayStartMs(d, clock.timezone),
): DayPart[] {
  const first = clock.dayOf(start);
  if (end <= start || clock.dayOf(end - 1) === first) return [{ day: first, amount, share: 1 }];
  const days: string[] = [];
  const weights: number[] = [];
  for (let day = first, from = start; from < end; day = addDays(day, 1)) {
    const to = Math.min(end, dayStart(addDays(day, 1)));
    if (to > from) {
      days.push(day);
      weights.push(to - from);
    }
    from = to;
  }
  const total = BigInt(end - start);
  const abs = amount < 0n ? -amount : amount;
  const parts = weights.map((w) => abs * BigInt(w));
  const whole = parts.map((p) => p / total);
  let left = abs - whole.reduce((s, x) => s + x, 0n);
  const order = parts
    .map((p, i) => ({ i, rest: p % total }))
    .sort((x, y) => (x.rest === y.rest ? x.i - y.i : x.rest > y.rest ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) {
    const i = (order[k] as { i: number }).i;
    whole[i] = (whole[i] as bigint) + 1n;
  }
  const span = end - start;
  return days.map((day, i) => ({
    day,
    amount: amount < 0n ? -(whole[i] as bigint) : (whole[i] as bigint),
    share: (weights[i] as number) / span,
  }));
}

/** Whether a row's money belongs to hosting: instance usage with its hours, or what the bill sets against that usage. */
function isHosting(r: CostRecord): boolean {
  if (r.instanceType === undefined) return false;
  return r.usageHours !== undefined || (r.chargeCategory !== undefined && r.chargeCategory !== 'Usage');
}

function endpointOf(v: BudgetSpend, r: CostRecord & { endpoint: string }, day: string): EndpointSpend {
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
  return e;
}

/** Puts one day's part of a charge into a budget's spend; returns the endpoint it went to, if any. */
function place(
  v: BudgetSpend,
  r: CostRecord,
  day: string,
  amount: Money,
  share: number,
  periodStart: string,
): EndpointSpend | undefined {
  if (day >= periodStart) v.spendToDate += amount;
  if (r.endpoint === undefined) {
    v.other.set(day, (v.other.get(day) ?? ZERO) + amount);
    if (r.training) v.training.set(day, (v.training.get(day) ?? ZERO) + amount);
    return undefined;
  }
  const e = endpointOf(v, r as CostRecord & { endpoint: string }, day);
  const d = dayCost(e.days, day);
  d.cost += amount;
  if (!isHosting(r)) return e;
  const type = r.instanceType as string;
  const hours = r.usageHours === undefined ? 0 : r.usageHours * share;
  d.hostingCost += amount;
  d.hours += hours;
  d.types.add(type, hours, amount);
  return e;
}

/** What a hosting row says of the instances that ran, once per row whatever the days it covers. */
function noteInstances(e: EndpointSpend, r: CostRecord): void {
  if (r.instanceType === undefined || r.usageHours === undefined) return;
  if (r.start >= e.latestStart) {
    e.latestStart = r.start;
    e.latestType = r.instanceType;
    e.tags = r.tags;
  }
  if (r.end - r.start === HOUR) {
    e.hourlyInstances.set(r.start, (e.hourlyInstances.get(r.start) ?? 0) + r.usageHours);
  }
}

function tagKeyOf(tags: Readonly<Record<string, string>>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join('\u0001');
}

/** Spend that no budget takes, by endpoint or service. */
function noteUnbudgeted(u: UnbudgetedSpend, r: CostRecord, amount: Money, untagged: boolean): void {
  const key = r.endpoint === undefined ? `service:${r.service}` : `endpoint:${r.endpoint}`;
  let g = u.groups.get(key);
  if (!g) {
    g = {
      ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }),
      service: r.service,
      amount: ZERO,
      untagged: ZERO,
      tags: r.tags,
      latestStart: r.start,
    };
    u.groups.set(key, g);
  }
  if (r.start >= g.latestStart) {
    g.latestStart = r.start;
    g.tags = r.tags;
  }
  g.amount += amount;
  u.total += amount;
  if (untagged) {
    g.untagged += amount;
    u.untagged += amount;
  }
}

/** The budgets a row goes to, and the pairs of them that count it twice. */
interface Targets {
  readonly views: BudgetSpend[];
  readonly pairs: Overlap[];
}

/**
 * One pass over the cost rows: each row goes to every budget whose selector takes it, by day in the billing time
 * zone; a charge that covers several days counts on each, in proportion. What starts on or after `endMs` (the day
 * after as-of) is ignored, so a complete file replays any day. Spend of the period that no budget takes, and spend
 * that two budgets both take, are kept apart for the report.
 */
export function allocate(
  records: readonly CostRecord[],
  budgets: readonly Budget[],
  clock: DayClock,
  opts: { endMs: number; periodStart: string },
): Allocation {
  const views: BudgetSpend[] = budgets.map((budget) => ({
    budget,
    matcher: new SelectorMatcher(budget),
    endpoints: new Map(),
    other: new Map(),
    training: new Map(),
    spendToDate: ZERO,
  }));
  const index = new Map(views.map((v, i) => [v, i]));
  const overlaps = new Map<string, Overlap>();
  const unbudgeted: UnbudgetedSpend = { total: ZERO, untagged: ZERO, groups: new Map() };
  const cache = new Map<string, Targets>();
  const tagKeys = new WeakMap<object, string>();
  const lastDay = clock.dayOf(opts.endMs - 1);
  const dayStarts = new Map<string, number>();
  const dayStart = (day: string): number => {
    let ms = dayStarts.get(day);
    if (ms === undefined) {
      ms = dayStartMs(day, clock.timezone);
      dayStarts.set(day, ms);
    }
    return ms;
  };
  const { periodStart } = opts;

  const targetsOf = (r: CostRecord, tk: string): Targets => {
    const key = `${r.endpoint ?? ''}\u0000${tk}`;
    let t = cache.get(key);
    if (!t) {
      const taking = views.filter((v) => v.matcher.matches(r.endpoint, r.tags));
      const pairs: Overlap[] = [];
      for (let i = 0; i < taking.length; i++) {
        for (let j = i + 1; j < taking.length; j++) {
          const a = index.get(taking[i] as BudgetSpend) as number;
          const b = index.get(taking[j] as BudgetSpend) as number;
          const id = `${a}/${b}`;
          let o = overlaps.get(id);
          if (!o) {
            o = { a, b, amount: ZERO, endpoints: new Set(), otherCharges: 0 };
            overlaps.set(id, o);
          }
          pairs.push(o);
        }
      }
      t = { views: taking, pairs };
      cache.set(key, t);
    }
    return t;
  };

  for (const r of records) {
    if (r.start >= opts.endMs) continue;
    let tk = tagKeys.get(r.tags);
    if (tk === undefined) {
      tk = tagKeyOf(r.tags);
      tagKeys.set(r.tags, tk);
    }
    const targets = targetsOf(r, tk);
    const day = clock.dayOf(r.start);
    // most rows lie within one day: one part, the whole charge
    const parts =
      r.end <= r.start || clock.dayOf(r.end - 1) === day
        ? undefined
        : spreadOverDays(r.start, r.end, r.amount, clock, dayStart).filter((p) => p.day <= lastDay);
    let inPeriod: Money = ZERO;
    let touchesPeriod = false;
    if (!parts) {
      touchesPeriod = day >= periodStart;
      if (touchesPeriod) inPeriod = r.amount;
    } else {
      for (const p of parts) {
        if (p.day < periodStart) continue;
        touchesPeriod = true;
        inPeriod += p.amount;
      }
    }

    if (targets.views.length === 0) {
      if (touchesPeriod) noteUnbudgeted(unbudgeted, r, inPeriod, tk === '');
      continue;
    }
    if (touchesPeriod) {
      for (const o of targets.pairs) {
        o.amount += inPeriod;
        if (r.endpoint === undefined) o.otherCharges++;
        else o.endpoints.add(r.endpoint);
      }
    }
    for (const v of targets.views) {
      let e: EndpointSpend | undefined;
      if (parts) for (const p of parts) e = place(v, r, p.day, p.amount, p.share, periodStart);
      else e = place(v, r, day, r.amount, 1, periodStart);
      if (e) noteInstances(e, r);
    }
  }
  const counted = [...overlaps.values()].filter((o) => o.endpoints.size > 0 || o.otherCharges > 0);
  return { views, unbudgeted, overlaps: counted };
}
