/**
 * Attribution of spend to SageMaker endpoints. Plain Cost Explorer cannot group by resource, so an endpoint's spend
 * is known by the best of three methods:
 *
 * 1. `resource`: the row names its endpoint (a FOCUS/CUR resource id, or GetCostAndUsageWithResources for its
 *    last 14 days). Such rows also win for their days: an endpoint with resource-level spend on a day takes no
 *    share of an estimated split that day.
 * 2. `tag`: the row carries a cost-allocation tag whose value names an endpoint of the inventory.
 * 3. `estimated`: a day's spend of a hosting usage type (`Host:ml.<type>`) within one tag group is split across
 *    the endpoints that ran that type that day and belong to that group, in proportion to their instance-hours.
 *
 * Money is conserved exactly: a split allocates pico-units with the largest-remainder method, so its parts add up
 * to the row they came from. A row no method can place stays as it is, without an endpoint; nothing is dropped.
 */
import type { Money } from './money.ts';
import { hostingInstanceType } from './sagemaker.ts';
import type { CostRecord, EndpointInfo } from './types.ts';

export type AttributionMethod = 'resource' | 'tag' | 'estimated';

/**
 * Tag conditions the rows were told apart by, besides the group tag (Cost Explorer's tag queries): rows carrying
 * them were split off from the rest of their group, so the rest holds no spend of endpoints that carry them.
 */
export interface ResolvedTags {
  readonly tags: Readonly<Record<string, string>>;
  /** The group tag's values whose rows were told apart by these conditions; absent: every value, and untagged. */
  readonly groupValues?: readonly string[];
}

export interface AttributionOptions {
  /** Cost-allocation tag whose value is the endpoint name, where the account has one. */
  readonly endpointTag?: string;
  /**
   * The tag key the rows were grouped by (Cost Explorer returns one tag per row). A row without it is the untagged
   * group: its spend is split only across endpoints that lack the tag too.
   */
  readonly groupTag?: string;
  /** Conditions the rows of each group were told apart by (see ResolvedTags). */
  readonly resolvedTags?: readonly ResolvedTags[];
  /** The billing day (YYYY-MM-DD) of an instant, matching the days of `EndpointInfo.instanceHours`; UTC by default. */
  readonly dayOf?: (ms: number) => string;
}

export interface Attribution {
  readonly records: CostRecord[];
  /**
   * How each endpoint's spend was attributed. An endpoint placed by more than one method shows the least exact of
   * them, so that a figure that is partly estimated never reads as measured.
   */
  readonly attribution: Map<string, AttributionMethod>;
}

const RANK: Readonly<Record<AttributionMethod, number>> = { resource: 0, tag: 1, estimated: 2 };

/** Instance-hours as integer micro-hours: the weights of a split, exact in bigint. */
const HOUR_SCALE = 1_000_000;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Splits `amount` in proportion to non-negative integer `weights` so that the parts sum to `amount` exactly: each
 * part is the floor of its exact share, and the pico-units left over go one each to the parts with the largest
 * remainders (the earlier part on a tie). A negative amount (a credit) is split like its absolute value.
 * Throws when the weights are negative or all zero.
 */
export function allocate(amount: Money, weights: readonly bigint[]): Money[] {
  let total = 0n;
  for (const w of weights) {
    if (w < 0n) throw new RangeError(`negative weight ${w}`);
    total += w;
  }
  if (total === 0n) throw new RangeError('cannot split an amount by weights that are all zero');
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const parts: bigint[] = [];
  const remainders: bigint[] = [];
  let given = 0n;
  for (const w of weights) {
    const exact = abs * w;
    const part = exact / total;
    parts.push(part);
    remainders.push(exact % total);
    given += part;
  }
  let left = abs - given;
  if (left > 0n) {
    const order = weights.map((_, i) => i);
    order.sort((a, b) => {
      const ra = remainders[a] as bigint;
      const rb = remainders[b] as bigint;
      return ra === rb ? a - b : ra > rb ? -1 : 1;
    });
    for (const i of order) {
      if (left === 0n) break;
      parts[i] = (parts[i] as bigint) + 1n;
      left--;
    }
  }
  return negative ? parts.map((p) => -p) : parts;
}

/**
 * Billing region codes of usage type prefixes (`USE1-Host:ml.g5.xlarge` is us-east-1), so that a region's hosting
 * spend is split only across that region's endpoints.
 */
const USAGE_REGIONS: Readonly<Record<string, string>> = {
  EU: 'eu-west-1',
  USE1: 'us-east-1',
  USE2: 'us-east-2',
  USW1: 'us-west-1',
  USW2: 'us-west-2',
  UGW1: 'us-gov-west-1',
  UGE1: 'us-gov-east-1',
  CAN1: 'ca-central-1',
  CAN2: 'ca-west-1',
  SAE1: 'sa-east-1',
  EUC1: 'eu-central-1',
  EUC2: 'eu-central-2',
  EUW1: 'eu-west-1',
  EUW2: 'eu-west-2',
  EUW3: 'eu-west-3',
  EUN1: 'eu-north-1',
  EUS1: 'eu-south-1',
  EUS2: 'eu-south-2',
  APE1: 'ap-east-1',
  APN1: 'ap-northeast-1',
  APN2: 'ap-northeast-2',
  APN3: 'ap-northeast-3',
  APS1: 'ap-southeast-1',
  APS2: 'ap-southeast-2',
  APS3: 'ap-south-1',
  APS4: 'ap-southeast-3',
  APS5: 'ap-south-2',
  APS6: 'ap-southeast-4',
  MES1: 'me-south-1',
  MEC1: 'me-central-1',
  AFS1: 'af-south-1',
  ILC1: 'il-central-1',
};

/** The region of a row: its own region field, else its usage type's prefix; undefined when neither says. */
function regionOf(r: CostRecord): string | undefined {
  if (r.region) return r.region;
  const dash = r.usageType?.indexOf('-') ?? -1;
  return dash > 0 ? USAGE_REGIONS[(r.usageType as string).slice(0, dash).toUpperCase()] : undefined;
}

/** Instance types an endpoint runs now, with their instance counts (a variant without a count runs at least one). */
function currentTypes(e: EndpointInfo): Map<string, number> {
  const out = new Map<string, number>();
  const variants = e.variants?.filter((v) => v.instanceType !== undefined) ?? [];
  if (variants.length > 0) {
    for (const v of variants) {
      const t = v.instanceType as string;
      out.set(t, (out.get(t) ?? 0) + (v.instanceCount ?? 1));
    }
  } else if (e.instanceType !== undefined) {
    out.set(e.instanceType, e.instanceCount ?? 1);
  }
  return out;
}

/**
 * Instance-hours of `type` an endpoint ran on `day`: from `instanceHours` when it covers the day, else the current
 * instance count for 24 hours (if the endpoint runs that type now and existed that day).
 */
function hoursOn(e: EndpointInfo, now: Map<string, number>, day: string, type: string): number {
  const byType = e.instanceHours?.[day];
  if (byType !== undefined) return byType[type] ?? 0;
  if (e.createdAt !== undefined && e.createdAt.slice(0, 10) > day) return 0;
  return (now.get(type) ?? 0) * 24;
}

interface Candidate {
  readonly info: EndpointInfo;
  readonly now: Map<string, number>;
}

function emptyTag(v: string | undefined): boolean {
  return v === undefined || v === '';
}

function carries(
  tags: Readonly<Record<string, string>>,
  conditions: Readonly<Record<string, string>>,
): boolean {
  for (const k in conditions) if (tags[k] !== conditions[k]) return false;
  return true;
}

/**
 * Whether an endpoint belongs to a row's tag group: it carries every tag of the row; for the untagged group, no
 * group tag; and no conditions that the row's group was told apart by and the row does not carry (those rows were
 * split off, and the endpoint's spend is in them).
 */
function inGroup(
  e: EndpointInfo,
  tags: Readonly<Record<string, string>>,
  groupTag: string | undefined,
  resolved: readonly ResolvedTags[],
): boolean {
  if (!carries(e.tags, tags)) return false;
  if (groupTag !== undefined && emptyTag(tags[groupTag]) && !emptyTag(e.tags[groupTag])) return false;
  const value = groupTag === undefined ? '' : (tags[groupTag] ?? '');
  for (const r of resolved) {
    if (r.groupValues !== undefined && !r.groupValues.includes(value)) continue;
    if (!carries(tags, r.tags) && carries(e.tags, r.tags)) return false;
  }
  return true;
}

/**
 * Gives each cost row the endpoint it belongs to where the data allows (see the module comment), and says for each
 * endpoint how. Attributed rows take the endpoint's inventory tags under their own (the row's tags win), so that a
 * budget selecting on tags finds an endpoint's spend even when billing grouped it by another tag. The sum of the
 * amounts is unchanged, to the pico-unit.
 */
export function attributeSpend(
  records: readonly CostRecord[],
  inventory: readonly EndpointInfo[],
  opts: AttributionOptions = {},
): Attribution {
  const dayOf = opts.dayOf ?? utcDay;
  const resolved = opts.resolvedTags ?? [];
  const byName = new Map<string, EndpointInfo>();
  const byType = new Map<string, Candidate[]>();
  for (const e of [...inventory].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    byName.set(e.name, e);
    const now = currentTypes(e);
    const types = new Set(now.keys());
    for (const day in e.instanceHours ?? {}) for (const t in e.instanceHours?.[day]) types.add(t);
    for (const t of types) {
      let list = byType.get(t);
      if (!list) {
        list = [];
        byType.set(t, list);
      }
      list.push({ info: e, now });
    }
  }

  const attribution = new Map<string, AttributionMethod>();
  const note = (endpoint: string, method: AttributionMethod) => {
    const had = attribution.get(endpoint);
    if (had === undefined || RANK[method] > RANK[had]) attribution.set(endpoint, method);
  };

  // Inventory tags under the row's own, one object per (endpoint, row tags) so that tag sets stay shared.
  const merged = new Map<string, WeakMap<object, Readonly<Record<string, string>>>>();
  const withInventoryTags = (endpoint: string, tags: Readonly<Record<string, string>>) => {
    const inv = byName.get(endpoint);
    if (inv === undefined || Object.keys(inv.tags).length === 0) return tags;
    let perTags = merged.get(endpoint);
    if (!perTags) {
      perTags = new WeakMap();
      merged.set(endpoint, perTags);
    }
    let out = perTags.get(tags);
    if (out === undefined) {
      out = Object.freeze({ ...inv.tags, ...tags });
      perTags.set(tags, out);
    }
    return out;
  };

  // Endpoints whose spend on a day is known from resource-level rows.
  const measured = new Set<string>();
  for (const r of records) if (r.endpoint !== undefined) measured.add(`${dayOf(r.start)}\u0000${r.endpoint}`);

  interface Split {
    readonly who: EndpointInfo[];
    readonly weights: bigint[];
    readonly total: bigint;
  }
  const splits = new Map<string, Split | null>();
  const splitFor = (r: CostRecord, day: string, type: string) => {
    const region = regionOf(r);
    const tagKey = Object.keys(r.tags)
      .sort()
      .map((k) => `${k}=${r.tags[k]}`)
      .join('\u0001');
    const key = `${day}\u0000${type}\u0000${region ?? ''}\u0000${tagKey}`;
    let split = splits.get(key);
    if (split !== undefined) return split;
    const who: EndpointInfo[] = [];
    const weights: bigint[] = [];
    for (const c of byType.get(type) ?? []) {
      const e = c.info;
      if (region !== undefined && e.region !== undefined && e.region !== region) continue;
      if (measured.has(`${day}\u0000${e.name}`)) continue;
      if (!inGroup(e, r.tags, opts.groupTag, resolved)) continue;
      const hours = hoursOn(e, c.now, day, type);
      if (!(hours > 0)) continue;
      who.push(e);
      weights.push(BigInt(Math.round(hours * HOUR_SCALE)));
    }
    const total = weights.reduce((sum, w) => sum + w, 0n);
    split = total > 0n ? { who, weights, total } : null;
    splits.set(key, split);
    return split;
  };

  const out: CostRecord[] = [];
  for (const r of records) {
    if (r.endpoint !== undefined) {
      note(r.endpoint, 'resource');
      const tags = withInventoryTags(r.endpoint, r.tags);
      out.push(tags === r.tags ? r : { ...r, tags });
      continue;
    }
    const tagged = opts.endpointTag === undefined ? undefined : r.tags[opts.endpointTag];
    if (tagged !== undefined && byName.has(tagged)) {
      note(tagged, 'tag');
      out.push({ ...r, endpoint: tagged, tags: withInventoryTags(tagged, r.tags) });
      continue;
    }
    const type = r.training ? undefined : (r.instanceType ?? hostingInstanceType(r.usageType));
    const split = type === undefined ? null : splitFor(r, dayOf(r.start), type);
    if (!split) {
      out.push(r);
      continue;
    }
    const parts = allocate(r.amount, split.weights);
    const hoursPerWeight = r.usageHours === undefined ? undefined : r.usageHours / Number(split.total);
    for (let i = 0; i < split.who.length; i++) {
      const name = (split.who[i] as EndpointInfo).name;
      note(name, 'estimated');
      const part: { -readonly [K in keyof CostRecord]: CostRecord[K] } = { ...r };
      part.amount = parts[i] as Money;
      part.endpoint = name;
      part.tags = withInventoryTags(name, r.tags);
      if (hoursPerWeight !== undefined) part.usageHours = hoursPerWeight * Number(split.weights[i]);
      out.push(part);
    }
  }
  return { records: out, attribution };
}

/**
 * Folds resource-level rows (GetCostAndUsageWithResources, grouped by resource and usage type) into the rows of
 * the tag-grouped query for the same days. For each day and hosting usage type that the resource rows fully name
 * (every one of them an endpoint), the tag-grouped rows are replaced by one row per endpoint. The replacement
 * carries the tag-grouped rows' total exactly, split in proportion to the resource amounts, so that the two
 * queries' separate rounding never changes a total. Other resource rows (storage, data transfer, rows without an
 * endpoint) are dropped: the tag-grouped query already counts them, with their tags.
 *
 * `days` are the days for which both queries loaded; other days are left alone.
 */
export function mergeResourceLevel(
  records: readonly CostRecord[],
  resourceRows: readonly CostRecord[],
  days: ReadonlySet<string>,
  dayOf: (ms: number) => string = utcDay,
): CostRecord[] {
  const byKey = new Map<string, { rows: CostRecord[]; complete: boolean }>();
  for (const r of resourceRows) {
    if (r.usageType === undefined || hostingInstanceType(r.usageType) === undefined) continue;
    const day = dayOf(r.start);
    if (!days.has(day)) continue;
    const key = `${day}\u0000${r.usageType}`;
    let g = byKey.get(key);
    if (!g) {
      g = { rows: [], complete: true };
      byKey.set(key, g);
    }
    g.rows.push(r);
    if (r.endpoint === undefined) g.complete = false;
  }
  if (byKey.size === 0) return [...records];

  const replaced = new Map<string, CostRecord[]>();
  for (const r of records) {
    if (r.endpoint !== undefined || r.usageType === undefined) continue;
    const key = `${dayOf(r.start)}\u0000${r.usageType}`;
    const g = byKey.get(key);
    if (!g?.complete) continue;
    const list = replaced.get(key) ?? [];
    list.push(r);
    replaced.set(key, list);
  }

  const out: CostRecord[] = [];
  const emitted = new Set<string>();
  for (const r of records) {
    const key =
      r.endpoint === undefined && r.usageType !== undefined ? `${dayOf(r.start)}\u0000${r.usageType}` : '';
    const main = replaced.get(key);
    const rows = byKey.get(key)?.rows;
    const parts = main && rows ? resourceParts(main, rows) : undefined;
    if (!parts) {
      out.push(r);
      continue;
    }
    if (emitted.has(key)) continue;
    emitted.add(key);
    out.push(...parts);
  }
  return out;
}

/** The resource rows carrying the main rows' total exactly, or undefined when their amounts cannot weigh a split. */
function resourceParts(main: readonly CostRecord[], rows: readonly CostRecord[]): CostRecord[] | undefined {
  let total = 0n;
  for (const m of main) total += m.amount;
  let resourceTotal = 0n;
  let negative = false;
  for (const r of rows) {
    resourceTotal += r.amount;
    if (r.amount < 0n) negative = true;
  }
  let amounts: Money[];
  if (resourceTotal === total) amounts = rows.map((r) => r.amount);
  else if (!negative && resourceTotal > 0n)
    amounts = allocate(
      total,
      rows.map((r) => r.amount),
    );
  else return undefined;
  // One tag group for the whole usage type that day: its tags hold for every resource in it.
  const first = main[0]?.tags ?? {};
  const sameTags = main.every((m) => sameTagSet(m.tags, first));
  return rows.map((r, i) => ({
    ...r,
    amount: amounts[i] as Money,
    tags: sameTags ? { ...first, ...r.tags } : r.tags,
  }));
}

function sameTagSet(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
