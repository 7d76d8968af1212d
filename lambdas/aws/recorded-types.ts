/**
 * The instance types earlier cycles recorded in the ledger (one inventory a day: endpoint, variant, type, count),
 * joined to what CloudTrail says, for the times CloudTrail cannot date: before its 90 days, before the first change
 * it holds when that change is an update, under a config deleted since, or all along when it could not be read.
 *
 * A day's record is the inventory read after the day ended (the cycle of a day runs once it is over), so it gives
 * the type in force from the end of that day until the next change. Where CloudTrail is complete (its 90 days, read
 * without error) a record holds until CloudTrail's next change; before that, until the next record.
 */
import type { DescribeEndpointConfigOutput, DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import { addDays, dayStartMs } from '../core/period.ts';
import type { InventoryDay, InventoryHistory } from '../ports.ts';
import { mapLimit } from './concurrency.ts';
import {
  type ConfigChange,
  cloudTrailStart,
  LOOKUP_EVENTS,
  type TypeHistory,
  typeHistories,
  unknownBeforeText,
  unknownConfigText,
} from './endpoint-history.ts';
import type { HoursWindow, TypeChange } from './sagemaker-hours.ts';

/** Two records further apart than a day and an hour (a DST day is 25 hours) leave a day between them unrecorded. */
const NEXT_DAY_MS = 25 * 3_600_000;

export interface RecordedTypesInput {
  readonly endpoint: string;
  /** The endpoint's variants now, with their current types. */
  readonly variants: readonly { readonly name: string; readonly instanceType?: string }[];
  /** CloudTrail's history of the endpoint; undefined when it holds no change of it (or could not be read). */
  readonly history: TypeHistory | undefined;
  /** From when CloudTrail's changes are complete (epoch ms); undefined when it could not be read. */
  readonly cloudTrailFrom: number | undefined;
  /** The first instant whose hours count (the window's start, or the endpoint's creation if later). */
  readonly windowFrom: number;
  /** The days the ledger recorded for the endpoint, any order. */
  readonly days: readonly InventoryDay[];
  /** The instant a billing day ends. */
  readonly dayEnd: (day: string) => number;
}

export interface RecordedTypes {
  /** Per variant, the types it ran (see `TypeChange`): CloudTrail's changes, with the ledger's records where it is silent. */
  readonly types: Map<string, TypeChange[]>;
  /** What neither CloudTrail nor the ledger can say, in words. */
  readonly unknown: string[];
}

/** A day's records as the type in force from the day's end, per variant. */
interface Reading {
  readonly end: number;
  readonly byVariant: ReadonlyMap<string, string>;
}

function recordsOf(days: readonly InventoryDay[], dayEnd: (day: string) => number): Reading[] {
  const byDay = new Map<string, Map<string, string>>();
  for (const d of days) {
    const m = byDay.get(d.day) ?? new Map<string, string>();
    m.set(d.variant, d.instanceType);
    byDay.set(d.day, m);
  }
  return [...byDay]
    .map(([day, byVariant]) => ({ end: dayEnd(day), byVariant }))
    .sort((a, b) => a.end - b.end);
}

/** A variant's recorded type: its own, or the day's only one when the day has a single variant (a renamed variant). */
function typeOn(r: Reading, variant: string): string | undefined {
  return r.byVariant.get(variant) ?? (r.byVariant.size === 1 ? [...r.byVariant.values()][0] : undefined);
}

/** The type a record read while a config was in force (from `from` to `to`) gives that config's variant. */
function recordedIn(
  records: readonly Reading[],
  variant: string,
  from: number,
  to: number,
): string | undefined {
  let type: string | undefined;
  for (const r of records) if (r.end >= from && r.end < to) type = typeOn(r, variant) ?? type;
  return type;
}

/**
 * Whether the records say which type ran at every instant from `from` to `to`, the first change CloudTrail holds.
 * CloudTrail holds every change since `cloudTrailFrom`, so one record read from then on dates all that time; before
 * it, a record at or before `from` and one every day after it, until CloudTrail takes over.
 */
function covers(
  records: readonly Reading[],
  from: number,
  to: number,
  cloudTrailFrom: number | undefined,
): boolean {
  if (to <= from) return true;
  const since = cloudTrailFrom ?? Number.POSITIVE_INFINITY;
  const ends = records.map((r) => r.end).filter((e) => e <= to);
  if (since <= from) return ends.some((e) => e >= since);
  const start = ends.filter((e) => e <= from).pop();
  if (start === undefined) return false;
  let last = start;
  for (const p of [...ends.filter((e) => e > start), to]) {
    if (last >= since) return true;
    if (p - last > NEXT_DAY_MS) return false;
    last = p;
  }
  return true;
}

/** One variant's types: records before CloudTrail's first change (or throughout without one), then CloudTrail's. */
function variantTypes(
  variant: { readonly name: string; readonly instanceType?: string },
  changes: readonly TypeChange[],
  history: TypeHistory | undefined,
  cloudTrailFrom: number | undefined,
  records: readonly Reading[],
): { list: TypeChange[]; filled: Set<number> } {
  const first = changes[0];
  // before a creation nothing ran; before an update, or with no change in CloudTrail's days, the records speak
  const boundary = first
    ? history?.before
      ? first.at
      : Number.NEGATIVE_INFINITY
    : (cloudTrailFrom ?? Number.POSITIVE_INFINITY);
  const since = cloudTrailFrom ?? Number.POSITIVE_INFINITY;
  const list: TypeChange[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const type = r.end <= boundary ? typeOn(r, variant.name) : undefined;
    if (type === undefined) continue;
    // CloudTrail shows no change between its start and the boundary: a record read then holds from its start
    const at = r.end >= since ? Math.max(since, previous) : r.end;
    if (list[list.length - 1]?.type !== type) list.push({ at, type });
    previous = r.end;
  }
  const filled = new Set<number>();
  if (!first) {
    const last = list[list.length - 1];
    const lastEnd = records.filter((r) => r.end <= boundary).pop()?.end;
    if (last && lastEnd !== undefined && variant.instanceType && last.type !== variant.instanceType)
      list.push({ at: lastEnd, type: variant.instanceType });
    return { list, filled };
  }
  changes.forEach((c, i) => {
    const next = changes[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const recorded = c.type === undefined ? recordedIn(records, variant.name, c.at, next) : undefined;
    if (recorded !== undefined) filled.add(c.at);
    list.push({ at: c.at, type: c.type ?? recorded });
  });
  return { list, filled };
}

/** The types of one endpoint's variants from CloudTrail and the ledger, and what stays unknown. */
export function recordedTypes(input: RecordedTypesInput): RecordedTypes {
  const { endpoint, history, cloudTrailFrom } = input;
  const records = recordsOf(input.days, input.dayEnd);
  const types = new Map<string, TypeChange[]>();
  const filledBy = new Map<number, number>();
  for (const v of input.variants) {
    const { list, filled } = variantTypes(
      v,
      history?.types.get(v.name) ?? [],
      history,
      cloudTrailFrom,
      records,
    );
    if (list.length > 0) types.set(v.name, list);
    for (const at of filled) filledBy.set(at, (filledBy.get(at) ?? 0) + 1);
  }
  const unknown: string[] = [];
  const before = history?.before;
  if (before && !covers(records, input.windowFrom, before.at, cloudTrailFrom))
    unknown.push(unknownBeforeText(endpoint, before));
  const allFilled = (c: ConfigChange) => (filledBy.get(c.at) ?? 0) >= input.variants.length;
  for (const c of history?.unknownConfigs ?? [])
    if (!allFilled(c)) unknown.push(unknownConfigText(endpoint, c));
  return { types, unknown };
}

/** An endpoint as the type history needs it: its variants now, and when it was created. */
export interface EndpointVariants {
  readonly name: string;
  readonly variants: readonly { readonly name: string; readonly instanceType?: string }[];
  readonly createdMs?: number;
}

/** An endpoint's production variants with the types its current config gives them. */
export function endpointVariants(
  name: string,
  endpoint: DescribeEndpointOutput,
  config: DescribeEndpointConfigOutput | undefined,
  createdMs: number | undefined,
): EndpointVariants {
  const typeOf = new Map((config?.ProductionVariants ?? []).map((v) => [v.VariantName, v.InstanceType]));
  const variants = (endpoint.ProductionVariants ?? []).map((v) => {
    const type = typeOf.get(v.VariantName);
    return { name: v.VariantName ?? '', ...(type ? { instanceType: type } : {}) };
  });
  return { name, variants, ...(createdMs === undefined ? {} : { createdMs }) };
}

/**
 * The types of every endpoint's variants over the window, reading the ledger only for the endpoints CloudTrail
 * leaves something unknown about. A ledger that cannot be read is a gap of the endpoint, and CloudTrail alone speaks.
 */
export async function endpointTypes(o: {
  readonly endpoints: readonly EndpointVariants[];
  /** CloudTrail's config changes of its 90 days to `now`, by endpoint; undefined when it could not be read. */
  readonly changes: ReadonlyMap<string, readonly ConfigChange[]> | undefined;
  /** Describes a config (shared with the inventory's cache). */
  readonly describe: (config: string) => Promise<DescribeEndpointConfigOutput>;
  readonly now: number;
  readonly window: HoursWindow;
  readonly ledger: InventoryHistory | undefined;
  readonly timezone: string;
  readonly concurrency: number;
}): Promise<{
  types: Map<string, Map<string, TypeChange[]>>;
  unknown: { endpoint: string; api: string; message: string }[];
}> {
  const histories = o.changes
    ? await typeHistories(
        o.endpoints.map((e) => ({ name: e.name, variants: e.variants.map((v) => v.name) })),
        o.changes,
        o.describe,
      )
    : undefined;
  const cloudTrailFrom = o.changes ? cloudTrailStart(o.now) : undefined;
  const first = o.window.days[0]?.day;
  const last = o.window.days[o.window.days.length - 1]?.day;
  const dayEnd = (day: string) => dayStartMs(addDays(day, 1), o.timezone);
  const types = new Map<string, Map<string, TypeChange[]>>();
  const unknown: { endpoint: string; api: string; message: string }[] = [];
  await mapLimit(o.endpoints, o.concurrency, async (e) => {
    const history = histories?.get(e.name);
    const silent =
      cloudTrailFrom === undefined ||
      o.window.from < cloudTrailFrom ||
      history?.before !== undefined ||
      (history?.unknownConfigs.length ?? 0) > 0;
    let days: readonly InventoryDay[] = [];
    if (o.ledger && silent && first && last) {
      try {
        // the day before the window: its record is the type in force when the window starts
        days = await o.ledger.inventory(e.name, addDays(first, -1), addDays(last, 1));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        unknown.push({
          endpoint: e.name,
          api: 'ledger',
          message: `endpoint ${e.name}: the instance types earlier cycles recorded could not be read (${why})`,
        });
      }
    }
    const r = recordedTypes({
      endpoint: e.name,
      variants: e.variants,
      history,
      cloudTrailFrom,
      windowFrom: Math.max(o.window.from, e.createdMs ?? o.window.from),
      days,
      dayEnd,
    });
    types.set(e.name, r.types);
    for (const message of r.unknown) unknown.push({ endpoint: e.name, api: LOOKUP_EVENTS, message });
  });
  return { types, unknown };
}
