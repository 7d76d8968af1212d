/**
 * Cost Explorer returns one tag per row when a query is grouped by a tag and USAGE_TYPE (two GroupBy keys at most),
 * but a budget may select on several: `team: search` and `env: prod` must find the team's S3 model artefacts of
 * prod, not of every environment. This module plans the fewest queries that tell every selector's rows apart, and
 * relabels the rows of the main query with what they tell.
 *
 * The plan. The main query groups by one tag G and USAGE_TYPE. A selector's condition on G is answered by the
 * grouping; its other conditions R are answered by one more query of the same grouping filtered to rows carrying R
 * (an And of Tags expressions, with G's values where every selector of R names one). Each query's rows then fall
 * into the main query's cells (day, G value, usage type) and are part of them. Selectors whose R overlap (`env: prod`
 * and `tier: gold`) also need the query of their union, or a row carrying both would be counted twice; the plan is
 * closed under such unions. G is the tag that needs the fewest queries (the endpoint tag when there is one). One
 * query costs one request per range and page ($0.01), so a cycle asks Cost Explorer (1 + queries) times per range.
 *
 * The alternatives, and why not: grouping by two tags drops USAGE_TYPE, which hosting spend needs to be placed on
 * endpoints, and still answers two keys only; cost categories would have to be created in the account (a write this
 * read-only tool never makes) and apply only from their creation on.
 *
 * The relabelling. In one cell, a row's labels are the plan's conditions it carries; the set of them is closed under
 * union, so each row carries a largest one. The amount of rows whose largest is X is X's query amount less that of
 * every larger condition set (from the largest down), and the rest of the cell carries none: each becomes one row
 * with the tags it carries. The main query's total is kept to the pico-unit; only labels change.
 */
import type { Expression } from '@aws-sdk/client-cost-explorer';
import type { ResolvedTags } from '../core/attribution.ts';
import { type Money, ZERO } from '../core/money.ts';
import type { CostRecord } from '../core/types.ts';

export type TagConditions = Readonly<Record<string, string>>;

export interface TagPlan {
  /** The tag the main query and every tag query group by, with USAGE_TYPE. */
  readonly groupTag: string | undefined;
  /** One query each, closed under the union of overlapping conditions. */
  readonly queries: readonly ResolvedTags[];
  /** Selector conditions left out to keep the queries at the limit: their spend is not told apart. */
  readonly unresolved: readonly ResolvedTags[];
}

/** Tag queries a cycle may add to the main query; past it a selector's conditions are reported, not asked. */
export const MAX_TAG_QUERIES = 20;

interface Element {
  readonly tags: TagConditions;
  /** Values of the group tag the query is asked for; undefined: every value, and untagged rows. */
  values: Set<string> | undefined;
}

const keyOf = (tags: TagConditions): string =>
  Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join('\u0001');

function compatible(a: TagConditions, b: TagConditions): boolean {
  for (const k in a) if (k in b && b[k] !== a[k]) return false;
  return true;
}

function intersect(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (a === undefined) return b === undefined ? undefined : new Set(b);
  if (b === undefined) return new Set(a);
  return new Set([...a].filter((v) => b.has(v)));
}

/** Adds the conditions for `values`; true when the family changed. */
function add(family: Map<string, Element>, tags: TagConditions, values: Set<string> | undefined): boolean {
  const key = keyOf(tags);
  const had = family.get(key);
  if (!had) {
    family.set(key, { tags, values: values === undefined ? undefined : new Set(values) });
    return true;
  }
  if (had.values === undefined) return false;
  if (values === undefined) {
    had.values = undefined;
    return true;
  }
  const before = had.values.size;
  for (const v of values) had.values.add(v);
  return had.values.size !== before;
}

/** Adds the union of every two overlapping elements until none is missing, or false past `max` elements. */
function close(family: Map<string, Element>, max: number): boolean {
  for (let changed = true; changed; ) {
    changed = false;
    const all = [...family.values()];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const a = all[i] as Element;
        const b = all[j] as Element;
        if (!compatible(a.tags, b.tags)) continue;
        const values = intersect(a.values, b.values);
        if (values !== undefined && values.size === 0) continue;
        if (add(family, { ...a.tags, ...b.tags }, values)) changed = true;
        if (family.size > max) return false;
      }
    }
  }
  return true;
}

function copy(family: Map<string, Element>): Map<string, Element> {
  return new Map(
    [...family].map(([k, e]) => [k, { tags: e.tags, values: e.values && new Set(e.values) }] as const),
  );
}

function resolved(e: Element): ResolvedTags {
  return {
    tags: e.tags,
    ...(e.values === undefined ? {} : { groupValues: [...e.values].sort() }),
  };
}

function planFor(groupTag: string, selectors: readonly TagConditions[], max: number): TagPlan {
  let family = new Map<string, Element>();
  const unresolved: ResolvedTags[] = [];
  for (const s of selectors) {
    const rest: Record<string, string> = {};
    for (const k of Object.keys(s).sort()) if (k !== groupTag) rest[k] = s[k] as string;
    if (Object.keys(rest).length === 0) continue;
    const values = s[groupTag] === undefined ? undefined : new Set([s[groupTag] as string]);
    const next = copy(family);
    add(next, Object.freeze(rest), values);
    if (next.size <= max && close(next, max)) family = next;
    else unresolved.push(resolved({ tags: rest, values }));
  }
  return { groupTag, queries: [...family.values()].map(resolved), unresolved };
}

/**
 * The queries that tell apart the rows of every selector's tags: grouped by the endpoint tag when there is one, else
 * by the selector tag that needs the fewest (the first in file order on a tie).
 */
export function planTagQueries(
  selectors: readonly TagConditions[],
  endpointTag?: string,
  max = MAX_TAG_QUERIES,
): TagPlan {
  const withTags = selectors.filter((s) => Object.keys(s).length > 0);
  const keys = [...new Set(withTags.flatMap((s) => Object.keys(s)))];
  const candidates = endpointTag !== undefined ? [endpointTag] : keys;
  let best: TagPlan | undefined;
  for (const g of candidates) {
    const plan = planFor(g, withTags, max);
    if (
      !best ||
      plan.unresolved.length < best.unresolved.length ||
      (plan.unresolved.length === best.unresolved.length && plan.queries.length < best.queries.length)
    ) {
      best = plan;
    }
  }
  return best ?? { groupTag: undefined, queries: [], unresolved: [] };
}

function tagIs(key: string, values: readonly string[]): Expression {
  return { Tags: { Key: key, Values: [...values], MatchOptions: ['EQUALS'] } };
}

/** The Filter of one tag query: every condition, and the group tag's values when the query names them. */
export function tagFilter(groupTag: string, q: ResolvedTags): Expression {
  const parts = Object.keys(q.tags)
    .sort()
    .map((k) => tagIs(k, [q.tags[k] as string]));
  if (q.groupValues) parts.unshift(tagIs(groupTag, q.groupValues));
  return parts.length === 1 ? (parts[0] as Expression) : { And: parts };
}

/** "env=prod and team search or chat", for findings. */
export function describeTags(groupTag: string | undefined, q: ResolvedTags): string {
  const conditions = Object.keys(q.tags)
    .sort()
    .map((k) => `${k}=${q.tags[k]}`);
  if (q.groupValues && groupTag !== undefined) {
    conditions.push(`${groupTag}=${q.groupValues.join(' or ')}`);
  }
  return conditions.join(' and ');
}

/** Whether a query tells apart the rows of a cell whose group tag has `value` ('' untagged). */
function activeIn(q: ResolvedTags, value: string): boolean {
  return q.groupValues === undefined || q.groupValues.includes(value);
}

function carries(tags: TagConditions, conditions: TagConditions): boolean {
  for (const k in conditions) if (tags[k] !== conditions[k]) return false;
  return true;
}

interface Cell {
  readonly rows: CostRecord[];
  amount: Money;
  hours: number | undefined;
}

function cellKey(r: CostRecord, groupTag: string, dayOf: (ms: number) => string): string {
  return `${dayOf(r.start)}\u0000${r.tags[groupTag] ?? ''}\u0000${r.usageType ?? ''}`;
}

function sumHours(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

function cells(records: readonly CostRecord[], groupTag: string, dayOf: (ms: number) => string) {
  const out = new Map<string, Cell>();
  for (const r of records) {
    const key = cellKey(r, groupTag, dayOf);
    const c = out.get(key);
    if (c) {
      c.rows.push(r);
      c.amount += r.amount;
      c.hours = sumHours(c.hours, r.usageHours);
    } else out.set(key, { rows: [r], amount: r.amount, hours: r.usageHours });
  }
  return out;
}

export interface Relabelled {
  readonly records: CostRecord[];
  /** Per query (by index): the spend of cells it could not tell apart because it did not load. */
  readonly atStake: ReadonlyMap<number, Money>;
}

/**
 * The main query's rows relabelled by the tag queries' rows of the same days (see the module comment). `byQuery[i]`
 * holds query i's rows of the days it loaded, `loaded[i]` those days; a cell a query should tell apart on a day it
 * did not load keeps its rows as they are, and its amount counts as at stake for that query.
 */
export function relabel(
  main: readonly CostRecord[],
  plan: TagPlan,
  byQuery: readonly (readonly CostRecord[])[],
  loaded: readonly ReadonlySet<string>[],
  dayOf: (ms: number) => string,
): Relabelled {
  const g = plan.groupTag;
  const atStake = new Map<number, Money>();
  if (g === undefined || plan.queries.length === 0) return { records: [...main], atStake };
  const parts = byQuery.map((rows) => cells(rows, g, dayOf));
  // larger condition sets first: each one's own amount is known before a smaller one subtracts it
  const order = plan.queries.map((_, i) => i);
  order.sort(
    (a, b) =>
      Object.keys(plan.queries[b]?.tags ?? {}).length - Object.keys(plan.queries[a]?.tags ?? {}).length,
  );
  const interned = new Map<string, TagConditions>();
  const tagsOf = (base: TagConditions, extra: TagConditions): TagConditions => {
    const merged = { ...base, ...extra };
    const key = keyOf(merged);
    let t = interned.get(key);
    if (!t) {
      t = Object.freeze(merged);
      interned.set(key, t);
    }
    return t;
  };

  const out: CostRecord[] = [];
  for (const [key, cell] of cells(main, g, dayOf)) {
    const template = cell.rows[0] as CostRecord;
    const day = dayOf(template.start);
    const value = template.tags[g] ?? '';
    const active = order.filter((i) => activeIn(plan.queries[i] as ResolvedTags, value));
    const missing = active.filter((i) => !loaded[i]?.has(day));
    if (active.length === 0 || missing.length > 0) {
      for (const i of missing) atStake.set(i, (atStake.get(i) ?? ZERO) + cell.amount);
      out.push(...cell.rows);
      continue;
    }
    const own = new Map<number, { amount: Money; hours: number | undefined }>();
    let restAmount = cell.amount;
    let restHours = cell.hours;
    for (const i of active) {
      const q = plan.queries[i] as ResolvedTags;
      const part = parts[i]?.get(key);
      let amount = part?.amount ?? ZERO;
      let hours = cell.hours === undefined ? undefined : (part?.hours ?? 0);
      for (const [j, larger] of own) {
        const lq = plan.queries[j] as ResolvedTags;
        if (Object.keys(lq.tags).length > Object.keys(q.tags).length && carries(lq.tags, q.tags)) {
          amount -= larger.amount;
          if (hours !== undefined) hours -= larger.hours ?? 0;
        }
      }
      own.set(i, { amount, hours });
      restAmount -= amount;
      if (restHours !== undefined && hours !== undefined) restHours -= hours;
    }
    let emitted = 0;
    for (const i of active) {
      const o = own.get(i) as { amount: Money; hours: number | undefined };
      if (o.amount === ZERO && !o.hours) continue;
      const tags = tagsOf(template.tags, (plan.queries[i] as ResolvedTags).tags);
      out.push(withAmount(template, o.amount, o.hours, tags));
      emitted++;
    }
    if (restAmount !== ZERO || restHours || emitted === 0) {
      out.push(withAmount(template, restAmount, restHours, template.tags));
    }
  }
  return { records: out, atStake };
}

function withAmount(
  r: CostRecord,
  amount: Money,
  hours: number | undefined,
  tags: TagConditions,
): CostRecord {
  const out: { -readonly [K in keyof CostRecord]: CostRecord[K] } = { ...r, amount, tags };
  if (hours === undefined) delete out.usageHours;
  else out.usageHours = hours;
  return out;
}
