/**
 * Which endpoint config each endpoint ran and since when, from CloudTrail's event history: LookupEvents for
 * CreateEndpoint and UpdateEndpoint (management events, kept 90 days in every account without a trail, free to read).
 * The inventory knows only an endpoint's current config; without this history the hours of an endpoint whose
 * instance type changed would all land on the new type, and the old type's spend on no endpoint.
 *
 * Requests: one LookupEvents per page of 50 events and event name (CloudTrail takes one lookup attribute a request,
 * and answers 2 requests a second per account and region: the SDK's retry strategy takes the throttling).
 */
import { type CloudTrailClient, type Event, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import type { DescribeEndpointConfigOutput } from '@aws-sdk/client-sagemaker';
import type { AwsFailureKind } from '../core/errors.ts';
import { sourceError } from './errors.ts';
import type { NextTokenPages } from './paging.ts';
import type { TypeChange } from './sagemaker-hours.ts';

/** How long CloudTrail keeps the events LookupEvents reads. */
export const CLOUDTRAIL_DAYS = 90;
/** The first instant (epoch ms) of CloudTrail's days up to `now`: from then on it holds every change. */
export function cloudTrailStart(now: number): number {
  return now - CLOUDTRAIL_DAYS * 86_400_000;
}
const EVENTS = ['CreateEndpoint', 'UpdateEndpoint'] as const;
export const LOOKUP_EVENTS = 'cloudtrail:LookupEvents';

/** An endpoint took a config at `at` (epoch ms): created with it, or updated to it. */
export interface ConfigChange {
  readonly at: number;
  readonly endpoint: string;
  readonly config: string;
  readonly event: (typeof EVENTS)[number];
}

/** The successful CreateEndpoint / UpdateEndpoint calls between `from` and `to` (epoch ms), by endpoint, in time order. */
async function readConfigChanges(
  client: CloudTrailClient,
  list: NextTokenPages,
  from: number,
  to: number,
): Promise<{ byEndpoint: Map<string, ConfigChange[]>; malformed: number }> {
  const byEndpoint = new Map<string, ConfigChange[]>();
  const seen = new Set<string>();
  let malformed = 0;
  for (const name of EVENTS) {
    const input = {
      LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: name }],
      StartTime: new Date(from),
      EndTime: new Date(to),
      MaxResults: 50,
    };
    for await (const page of list(LOOKUP_EVENTS, paginateLookupEvents, client, input)) {
      for (const e of page.Events ?? []) {
        if (e.EventId !== undefined && seen.has(e.EventId)) continue;
        if (e.EventId !== undefined) seen.add(e.EventId);
        const change = changeOf(e, name);
        if (change === null) continue;
        if (change === undefined) {
          malformed++;
          continue;
        }
        const changes = byEndpoint.get(change.endpoint) ?? [];
        changes.push(change);
        byEndpoint.set(change.endpoint, changes);
      }
    }
  }
  for (const changes of byEndpoint.values()) changes.sort((a, b) => a.at - b.at);
  return { byEndpoint, malformed };
}

/** The config changes of the 90 days up to `now`, or what kept them from being read, in words. */
export async function configChangesOrGaps(
  client: CloudTrailClient,
  list: NextTokenPages,
  now: number,
): Promise<{
  byEndpoint?: Map<string, ConfigChange[]>;
  problems: { kind: AwsFailureKind; message: string }[];
}> {
  try {
    const read = await readConfigChanges(client, list, cloudTrailStart(now), now);
    if (read.malformed === 0) return { byEndpoint: read.byEndpoint, problems: [] };
    const what = `${read.malformed} CreateEndpoint / UpdateEndpoint events name no endpoint, config or time`;
    const message = `${what}; those changes are not in the instance-type history`;
    return { byEndpoint: read.byEndpoint, problems: [{ kind: 'malformed', message }] };
  } catch (err) {
    const se = sourceError('inventory', LOOKUP_EVENTS, err);
    const unknown = 'instance-type changes are unknown, so hours are counted on each endpoint’s current type';
    return { problems: [{ kind: se.kind, message: `${se.message}; ${unknown}` }] };
  }
}

/**
 * The change one event records; null for a call that failed (it changed nothing), undefined when the event does not
 * say which endpoint took which config. `CloudTrailEvent` is the whole record as a JSON string.
 */
function changeOf(e: Event, name: ConfigChange['event']): ConfigChange | null | undefined {
  let record: unknown;
  try {
    record = JSON.parse(e.CloudTrailEvent ?? '');
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as { errorCode?: unknown; eventTime?: unknown; requestParameters?: unknown };
  if (r.errorCode !== undefined) return null;
  const params = (r.requestParameters ?? {}) as { endpointName?: unknown; endpointConfigName?: unknown };
  const at =
    e.EventTime?.getTime() ?? (typeof r.eventTime === 'string' ? Date.parse(r.eventTime) : Number.NaN);
  if (
    typeof params.endpointName !== 'string' ||
    typeof params.endpointConfigName !== 'string' ||
    !Number.isFinite(at)
  ) {
    return undefined;
  }
  return { at, endpoint: params.endpointName, config: params.endpointConfigName, event: name };
}

/** The instance type of each variant of one config, by variant name; undefined where the config could not be read. */
export type ConfigTypes = (config: string) => ReadonlyMap<string, string> | undefined;

export interface TypeHistory {
  /** Per current variant name, the type it ran from each change on (see `TypeChange`). */
  readonly types: Map<string, TypeChange[]>;
  /** The first change known, when it is an update: which type ran before it CloudTrail does not say. */
  readonly before?: ConfigChange;
  /** The changes to configs whose instance types are unknown (deleted since): their hours are left out. */
  readonly unknownConfigs: readonly ConfigChange[];
}

/** What the history cannot say about the time before its first change, in words. */
export function unknownBeforeText(endpoint: string, first: ConfigChange): string {
  return `endpoint ${endpoint} took config ${first.config} on ${new Date(first.at).toISOString()}; CloudTrail's ${CLOUDTRAIL_DAYS} days do not say which instance type it ran before, so its hours before then are counted on that config's type`;
}

/** What the history cannot say about a config whose types are unknown, in words. */
export function unknownConfigText(endpoint: string, c: ConfigChange): string {
  return `endpoint ${endpoint}: the instance types of config ${c.config} (taken ${new Date(c.at).toISOString()}) are unknown, so its hours under that config are left out`;
}

/**
 * The instance types one endpoint's variants ran, from its config changes in time order. A variant takes the type
 * its config names for it, or the config's only type when the config has a single variant (a renamed variant).
 * When the first change known is an update, what ran before it is not known: its hours are counted on the type it
 * moved to, as without any history, and the history says so (`before`).
 */
function typeHistory(
  changes: readonly ConfigChange[],
  variants: readonly string[],
  typesOf: ConfigTypes,
): TypeHistory {
  const types = new Map<string, TypeChange[]>();
  const unknownConfigs: ConfigChange[] = [];
  const first = changes[0];
  if (!first) return { types, unknownConfigs };
  for (const c of changes) {
    const cfg = typesOf(c.config);
    if (!cfg) unknownConfigs.push(c);
    const only = cfg?.size === 1 ? [...cfg.values()][0] : undefined;
    for (const v of variants) {
      const list = types.get(v) ?? [];
      list.push({ at: c.at, type: cfg?.get(v) ?? only });
      types.set(v, list);
    }
  }
  return { types, ...(first.event === 'UpdateEndpoint' ? { before: first } : {}), unknownConfigs };
}

/**
 * The type histories of the endpoints that changed config, each config described once (`describe` may share a cache
 * with the inventory); a config that cannot be described (deleted since) has unknown types.
 */
export async function typeHistories(
  endpoints: readonly { readonly name: string; readonly variants: readonly string[] }[],
  changes: ReadonlyMap<string, readonly ConfigChange[]>,
  describe: (config: string) => Promise<DescribeEndpointConfigOutput>,
): Promise<Map<string, TypeHistory>> {
  const types = new Map<string, Promise<ReadonlyMap<string, string> | undefined>>();
  const typesOf = (config: string) => {
    let pending = types.get(config);
    if (!pending) {
      pending = describe(config).then(
        (out) => {
          const byVariant = new Map<string, string>();
          for (const v of out.ProductionVariants ?? [])
            if (v.VariantName && v.InstanceType) byVariant.set(v.VariantName, v.InstanceType);
          return byVariant;
        },
        () => undefined,
      );
      types.set(config, pending);
    }
    return pending;
  };
  const out = new Map<string, TypeHistory>();
  for (const e of endpoints) {
    const list = changes.get(e.name);
    if (!list?.length) continue;
    const read = new Map<string, ReadonlyMap<string, string> | undefined>();
    for (const c of list) read.set(c.config, await typesOf(c.config));
    out.set(
      e.name,
      typeHistory(list, e.variants, (c) => read.get(c)),
    );
  }
  return out;
}
