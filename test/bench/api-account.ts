/**
 * A synthetic SageMaker inference account served through the loopback AWS server (test/helpers/aws-server.ts), for
 * the API-usage benchmark (api.bench.ts): 2,000 endpoints over 50 teams, with their inventory in SageMaker and
 * Application Auto Scaling, their spend in Cost Explorer and their metrics in CloudWatch.
 *
 * Deterministic: every draw comes from a seeded generator (one stream per endpoint and variant) and the only clock is
 * the one the benchmark sets with `setNow`, so two runs serve the same bytes and count the same requests.
 *
 * What each service answers, and how it pages, follows the API models and the AWS CLI examples:
 * - SageMaker: ListEndpoints (MaxResults up to 100, newest first), DescribeEndpoint, DescribeEndpointConfig, ListTags,
 *   ListInferenceComponents (MaxResults up to 100). Endpoints are listed from creation until deletion.
 * - Application Auto Scaling: DescribeScalableTargets and DescribeScalingActivities (MaxResults up to 50),
 *   DescribeScalingPolicies (up to 10). Activities are kept six weeks and listed newest first; one per change of a
 *   variant's desired count, with the wording Application Auto Scaling uses.
 * - Cost Explorer: GetCostAndUsage DAILY grouped by TAG `team` and DIMENSION USAGE_TYPE, paged as Cost Explorer pages:
 *   at most `ceGroupsPerPage` groups a page, a day continuing on the next page when it does not fit, NextPageToken
 *   until the last. AWS does not document the page size; it is a parameter here. GetCostForecast.
 * - CloudTrail: LookupEvents by EventName (one lookup attribute a request, MaxResults up to 50, newest first) over
 *   the last 90 days: a CreateEndpoint per endpoint created in them, an UpdateEndpoint when it moved to a larger type.
 *   DescribeEndpointConfig answers an endpoint's earlier config too, as an account that keeps its configs does.
 * - CloudWatch: GetMetricData answers every query (empty series for what an endpoint does not publish: GPU metrics
 *   of CPU instances, Invocations of async endpoints), at most 500 queries a request, and pages at MaxDatapoints
 *   (default 100,800) returned points with NextToken, a query's points continuing on the next page as PartialData.
 *
 * `tsx test/bench/api-account.ts serve '<options json>'`, spawned with an IPC channel, serves the account from a child
 * process (see serveChild), so that the server's work runs on another core than the SDK's.
 */
import { pathToFileURL } from 'node:url';
import { SeededRandom } from '../../examples/seeded-random.ts';
import { INSTANCES, type InstanceSpec } from '../../lambdas/core/instances.ts';
import { addDays, daysOf } from '../../lambdas/core/period.ts';
import { type Handler, startAwsServer } from '../helpers/aws-server.ts';

export interface ApiAccountOptions {
  readonly endpoints: number;
  readonly teams: number;
  /** Groups in one GetCostAndUsage page (undocumented by AWS; an assumption of the benchmark). */
  readonly ceGroupsPerPage: number;
}

export const DEFAULT_API_ACCOUNT: ApiAccountOptions = { endpoints: 2000, teams: 50, ceGroupsPerPage: 1000 };

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** First simulated hour; endpoints older than this have run since before it. */
const SIM_START = '2026-08-01';
const T0 = Date.parse(`${SIM_START}T00:00:00Z`);
/** Simulated hours: through 2026-10-31. */
const HOURS = 92 * 24;
/** Application Auto Scaling keeps six weeks of scaling activities. */
const ACTIVITY_RETENTION_MS = 42 * DAY_MS;
const CLOUDTRAIL_MS = 90 * DAY_MS;
const NAMESPACE = 'sagemaker';
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const MAX_GMD_QUERIES = 500;
const MAX_GMD_DATAPOINTS = 100_800;

const sec = (ms: number): number => ms / 1000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

class Rng extends SeededRandom {
  constructor(seed: string) {
    super(`perf-budgets-api-bench:${seed}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The fleet

type Env = 'prod' | 'staging' | 'dev';
type Kind = 'realtime' | 'async' | 'components';

const ENVIRONMENTS: readonly (readonly [Env, number])[] = [
  ['prod', 45],
  ['staging', 30],
  ['dev', 25],
];

const TYPES_BY_ENV: Record<Env, readonly (readonly [string, number])[]> = {
  prod: [
    ['ml.m5.large', 6],
    ['ml.m5.xlarge', 10],
    ['ml.m5.2xlarge', 6],
    ['ml.c5.xlarge', 8],
    ['ml.c5.2xlarge', 5],
    ['ml.r5.xlarge', 3],
    ['ml.g4dn.xlarge', 8],
    ['ml.g4dn.2xlarge', 3],
    ['ml.g5.xlarge', 9],
    ['ml.g5.2xlarge', 6],
    ['ml.g5.12xlarge', 2],
    ['ml.g6.xlarge', 4],
    ['ml.inf2.xlarge', 4],
    ['ml.p3.2xlarge', 0.5],
  ],
  staging: [
    ['ml.m5.large', 10],
    ['ml.m5.xlarge', 10],
    ['ml.c5.xlarge', 6],
    ['ml.g4dn.xlarge', 6],
    ['ml.g5.xlarge', 6],
    ['ml.inf2.xlarge', 2],
  ],
  dev: [
    ['ml.t2.medium', 8],
    ['ml.m5.large', 10],
    ['ml.m5.xlarge', 5],
    ['ml.c5.large', 4],
    ['ml.g4dn.xlarge', 4],
  ],
};

/** The larger type an endpoint may move to mid-history (a new endpoint config). */
const UPSIZE: Readonly<Record<string, string>> = {
  'ml.m5.large': 'ml.m5.xlarge',
  'ml.m5.xlarge': 'ml.m5.2xlarge',
  'ml.c5.xlarge': 'ml.c5.2xlarge',
  'ml.g4dn.xlarge': 'ml.g5.xlarge',
  'ml.g5.xlarge': 'ml.g5.2xlarge',
  'ml.t2.medium': 'ml.m5.large',
};

export interface VariantPlan {
  readonly name: string;
  readonly typeBefore: string;
  /** The type from `changeHour` on, when the endpoint moved to a larger one. */
  readonly typeAfter?: string;
  readonly changeHour: number;
  readonly weight: number;
  /** Registered with Application Auto Scaling (a scalable target and a target-tracking policy). */
  readonly autoscaled: boolean;
  readonly min: number;
  readonly max: number;
  readonly targetValue: number;
  /** Instances the traffic asks for at its daily mean, and its diurnal and weekly shape. */
  readonly demand: number;
  readonly amplitude: number;
  readonly phase: number;
  readonly weekend: number;
  /** Desired instance count per simulated hour; 0 when the endpoint is not in service. */
  readonly counts: Uint8Array;
}

export interface EndpointPlan {
  readonly index: number;
  readonly name: string;
  readonly arn: string;
  /** The `team` tag; a few endpoints are untagged and belong to no budget. */
  readonly team?: string;
  readonly env: Env;
  readonly kind: Kind;
  /** In service from createdMs until deletedMs (Infinity: never deleted). */
  readonly createdMs: number;
  readonly deletedMs: number;
  readonly variants: readonly VariantPlan[];
  readonly components: readonly string[];
  readonly latencyUs: number;
  readonly rpsPerInstance: number;
  readonly errorRate: number;
}

const typeAt = (v: VariantPlan, h: number): string =>
  v.typeAfter !== undefined && h >= v.changeHour ? v.typeAfter : v.typeBefore;

function specOf(type: string): InstanceSpec {
  const s = INSTANCES[type];
  if (!s) throw new Error(`unknown instance type ${type}`);
  return s;
}

/** Instances the traffic of `v` asks for in hour `h` (unrounded). */
function demandAt(v: VariantPlan, h: number): number {
  const ms = T0 + h * HOUR_MS;
  const hourOfDay = h % 24;
  const weekday = new Date(ms).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? v.weekend : 1;
  return v.demand * (1 + v.amplitude * Math.sin((2 * Math.PI * (hourOfDay - 9 + v.phase)) / 24)) * weekend;
}

function planVariant(
  rng: Rng,
  name: string,
  env: Env,
  kind: Kind,
  weight: number,
  createdHour: number,
  deletedHour: number,
): VariantPlan {
  const typeBefore = rng.pick(TYPES_BY_ENV[env]);
  const upsize = rng.next() < 0.03 ? UPSIZE[typeBefore] : undefined;
  const changeHour = upsize ? rng.int(35, 70) * 24 + rng.int(8, 18) : HOURS;
  const share = env === 'prod' ? 0.75 : env === 'staging' ? 0.5 : 0.25;
  // Endpoints served by inference components scale with SageMaker's managed instance scaling, not a target.
  const autoscaled = kind !== 'components' && rng.next() < share;
  const min = env === 'prod' ? (rng.next() < 0.6 ? 2 : 1) : 1;
  const demand = Math.max(0.2, rng.logNormal(env === 'prod' ? 2 : 0.8, 0.7) * weight);
  const max = autoscaled ? Math.max(min + 1, Math.ceil(demand * 2.5) + 1) : min;
  const plan = {
    name,
    typeBefore,
    ...(upsize ? { typeAfter: upsize } : {}),
    changeHour,
    weight,
    autoscaled,
    min,
    max,
    targetValue: Math.round(rng.between(300, 1500)),
    demand,
    amplitude: rng.between(0.2, 0.7),
    phase: rng.between(-3, 3),
    weekend: rng.between(0.55, 0.95),
    counts: new Uint8Array(HOURS),
  };
  for (let h = createdHour; h < Math.min(HOURS, deletedHour); h++) {
    plan.counts[h] = autoscaled ? Math.min(max, Math.max(min, Math.ceil(demandAt(plan, h)))) : min;
  }
  return plan;
}

function planFleet(o: ApiAccountOptions): EndpointPlan[] {
  const teams = Array.from({ length: o.teams }, (_, i) => `team-${String(i + 1).padStart(2, '0')}`);
  // Zipf-like team sizes: a few platform teams own many endpoints, most own a few dozen.
  const teamWeights = teams.map((t, i) => [t, 1 / (i + 1) ** 0.7] as const);
  const out: EndpointPlan[] = [];
  for (let i = 0; i < o.endpoints; i++) {
    const rng = new Rng(`endpoint:${i}`);
    const env = rng.pick(ENVIRONMENTS);
    const team = rng.next() < 0.01 ? undefined : rng.pick(teamWeights);
    const kind = rng.pick<Kind>([
      ['realtime', 98],
      ['async', 1],
      ['components', 1],
    ]);
    const name = `svc-${String(i + 1).padStart(4, '0')}-${env}`;
    // Most endpoints predate the simulation; 5% are created during it, 2% deleted.
    const createdHour = rng.next() < 0.05 ? rng.int(31, 70) * 24 + rng.int(8, 18) : 0;
    const deletedHour = rng.next() < 0.02 ? rng.int(20, 70) * 24 + rng.int(8, 18) : HOURS;
    const created = Math.min(createdHour, deletedHour - 48);
    const split = kind === 'realtime' && rng.next() < 0.05;
    const variants = split
      ? [
          planVariant(new Rng(`variant:${i}:primary`), 'primary', env, kind, 0.9, created, deletedHour),
          planVariant(new Rng(`variant:${i}:canary`), 'canary', env, kind, 0.1, created, deletedHour),
        ]
      : [planVariant(new Rng(`variant:${i}:AllTraffic`), 'AllTraffic', env, kind, 1, created, deletedHour)];
    const gpu = specOf((variants[0] as VariantPlan).typeBefore).gpus > 0;
    out.push({
      index: i,
      name,
      arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name}`,
      ...(team ? { team } : {}),
      env,
      kind,
      createdMs: created === 0 ? T0 - rng.int(30, 400) * DAY_MS : T0 + created * HOUR_MS,
      deletedMs: deletedHour >= HOURS ? Number.POSITIVE_INFINITY : T0 + deletedHour * HOUR_MS,
      variants,
      components:
        kind === 'components' ? Array.from({ length: rng.int(2, 4) }, (_, c) => `${name}-ic-${c + 1}`) : [],
      latencyUs: Math.round((gpu ? rng.logNormal(55, 0.5) : rng.logNormal(14, 0.5)) * 1000),
      rpsPerInstance: rng.logNormal(gpu ? 40 : 15, 0.5),
      errorRate: rng.logNormal(1e-4, 1),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scaling activities: one per change of a variant's desired count

interface Activity {
  readonly at: number;
  readonly endpoint: EndpointPlan;
  readonly variant: VariantPlan;
  readonly from: number;
  readonly to: number;
  readonly seq: number;
}

function planActivities(fleet: readonly EndpointPlan[]): Activity[] {
  const out: Activity[] = [];
  for (const e of fleet) {
    for (const v of e.variants) {
      if (!v.autoscaled) continue;
      for (let h = 1; h < HOURS; h++) {
        const before = v.counts[h - 1] as number;
        const now = v.counts[h] as number;
        if (before === 0 || now === 0 || before === now) continue;
        // alarms fire a few minutes into the hour
        out.push({
          at: T0 + h * HOUR_MS + ((e.index * 7 + h) % 13) * 60_000,
          endpoint: e,
          variant: v,
          from: before,
          to: now,
          seq: out.length,
        });
      }
    }
  }
  // newest first, as Application Auto Scaling lists them
  return out.sort((a, b) => b.at - a.at || b.seq - a.seq);
}

// ---------------------------------------------------------------------------------------------------------------
// Cost Explorer groups of one day: by team tag and usage type

interface CeGroup {
  readonly Keys: readonly [string, string];
  readonly Metrics: Record<string, { Amount: string; Unit: string }>;
}

interface DayGroups {
  readonly day: string;
  readonly groups: readonly {
    readonly keys: readonly [string, string];
    readonly amount: number;
    readonly quantity: number;
    readonly unit: string;
  }[];
}

function groupsOfDay(fleet: readonly EndpointPlan[], day: string): DayGroups {
  const first = Math.round((Date.parse(`${day}T00:00:00Z`) - T0) / HOUR_MS);
  const rows = new Map<string, { keys: [string, string]; amount: number; quantity: number; unit: string }>();
  const add = (team: string, usageType: string, amount: number, quantity: number, unit: string) => {
    const key = `${team}\u0000${usageType}`;
    const row = rows.get(key) ?? {
      keys: [`team$${team}`, usageType] as [string, string],
      amount: 0,
      quantity: 0,
      unit,
    };
    row.amount += amount;
    row.quantity += quantity;
    rows.set(key, row);
  };
  const teamHours = new Map<string, number>();
  if (first >= 0 && first + 24 <= HOURS) {
    for (const e of fleet) {
      const team = e.team ?? '';
      for (const v of e.variants) {
        const byType = new Map<string, number>();
        for (let h = first; h < first + 24; h++) {
          const n = v.counts[h] as number;
          if (n > 0) byType.set(typeAt(v, h), (byType.get(typeAt(v, h)) ?? 0) + n);
        }
        for (const [type, hours] of byType) {
          add(team, `USE1-Host:${type}`, hours * specOf(type).hourlyUsd, hours, 'Hrs');
          teamHours.set(team, (teamHours.get(team) ?? 0) + hours);
        }
      }
    }
  }
  for (const [team, hours] of teamHours) {
    // 30 GB of ML storage per instance, $0.14 a GB-month; model artefacts in S3, tagged with the team
    add(team, 'USE1-Host:VolumeUsage.gp2', (hours * 30 * 0.14) / 730, (hours * 30) / 730, 'GB-Mo');
    if (team !== '')
      add(team, 'USE1-TimedStorage-ByteHrs', (hours * 2 * 0.023) / 30, (hours * 2) / 30, 'GB-Mo');
  }
  if (first >= 0) add('', 'USE1-Notebk:ml.t3.medium', 24 * 0.05, 24, 'Hrs');
  const groups = [...rows.values()].sort(
    (a, b) => a.keys[0].localeCompare(b.keys[0]) || a.keys[1].localeCompare(b.keys[1]),
  );
  return { day, groups };
}

// ---------------------------------------------------------------------------------------------------------------
// CloudWatch values

interface MetricQueryInput {
  readonly Id: string;
  readonly MetricStat: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: readonly { readonly Name: string; readonly Value: string }[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

/** The value of one datapoint of a metric over [t, t + period), seconds; undefined: nothing published. */
function metricValue(
  e: EndpointPlan,
  v: VariantPlan,
  metric: string,
  stat: string,
  t: number,
  period: number,
): number | undefined {
  const h = Math.floor((t * 1000 + (period * 1000) / 2 - T0) / HOUR_MS);
  if (h < 0 || h >= HOURS) return undefined;
  const count = v.counts[h] as number;
  if (count === 0) return undefined;
  const spec = specOf(typeAt(v, h));
  const load = Math.min(1, demandAt(v, h) / count);
  const invocations = Math.round(load * count * e.rpsPerInstance * 0.6 * period);
  switch (metric) {
    case 'Invocations':
      return e.kind === 'async' ? undefined : invocations;
    case 'ModelLatency':
    case 'OverheadLatency': {
      const base = metric === 'ModelLatency' ? e.latencyUs : 2_000;
      const p = stat === 'p99' ? 2.2 : 1;
      return Math.round(base * p * (1 + 0.5 * Math.max(0, load - 0.65) ** 2));
    }
    case 'Invocation4XXErrors':
      return Math.round(invocations * 1e-4);
    case 'Invocation5XXErrors':
      return Math.round(invocations * e.errorRate);
    case 'CPUUtilization':
      return (
        Math.round((spec.gpus > 0 ? 0.05 + 0.25 * load : 0.03 + 0.9 * load) * 100 * spec.vcpu * 100) / 100
      );
    case 'MemoryUtilization':
      return Math.round((30 + 20 * load) * 100) / 100;
    case 'GPUUtilization':
      return spec.gpus > 0 ? Math.round(load * 90 * spec.gpus * 100) / 100 : undefined;
    case 'GPUMemoryUtilization':
      return spec.gpus > 0 ? Math.round((40 + 30 * load) * spec.gpus * 100) / 100 : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The account behind the server

const invalid = (message: string) => ({ awsError: 'ValidationException', message });

/** An opaque page token: the offset, bound to the request it continues. */
const tokenOf = (offset: string, scope: string): string =>
  Buffer.from(`${offset}|${scope}`).toString('base64url');
function offsetOf(token: unknown, scope: string): string | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  const [offset, bound] = Buffer.from(token, 'base64url').toString('utf8').split('|');
  if (bound !== scope) throw new Error(`page token of another request (${bound} != ${scope})`);
  return offset;
}

function page<T>(
  items: readonly T[],
  input: Record<string, unknown>,
  max: number,
  defaultSize: number,
  scope: string,
) {
  const size = Math.min(max, Number(input.MaxResults ?? defaultSize));
  const from = Number(offsetOf(input.NextToken, scope) ?? 0);
  const to = from + size;
  return {
    items: items.slice(from, to),
    ...(to < items.length ? { NextToken: tokenOf(String(to), scope) } : {}),
  };
}

export interface InventoryCounts {
  readonly endpoints: number;
  readonly variants: number;
  readonly configs: number;
  readonly components: number;
  readonly componentEndpoints: number;
  readonly targets: number;
  readonly policies: number;
  /** Scaling activities retained (six weeks back from now). */
  readonly activities: number;
  readonly asyncEndpoints: number;
  readonly untagged: number;
  /** CreateEndpoint and UpdateEndpoint events CloudTrail holds now (90 days back). */
  readonly creates: number;
  readonly updates: number;
}

export class ApiAccount {
  readonly fleet: readonly EndpointPlan[];
  private readonly byName: ReadonlyMap<string, EndpointPlan>;
  private readonly byArn: ReadonlyMap<string, EndpointPlan>;
  private readonly activities: readonly Activity[];
  private readonly days = new Map<string, DayGroups>();
  private nowMs = T0;
  private listed: EndpointPlan[] = [];
  private retained: readonly Activity[] = [];

  constructor(readonly options: ApiAccountOptions = DEFAULT_API_ACCOUNT) {
    this.fleet = planFleet(options);
    this.byName = new Map(this.fleet.map((e) => [e.name, e]));
    this.byArn = new Map(this.fleet.map((e) => [e.arn, e]));
    this.activities = planActivities(this.fleet);
    this.setNow(T0);
  }

  /** The instant the services answer at: what is listed, the current counts, the activities retained. */
  setNow(ms: number): void {
    this.nowMs = ms;
    this.listed = this.fleet
      .filter((e) => e.createdMs <= ms && ms < e.deletedMs)
      .sort((a, b) => b.createdMs - a.createdMs || a.name.localeCompare(b.name));
    this.retained = this.activities.filter((a) => a.at <= ms && a.at > ms - ACTIVITY_RETENTION_MS);
  }

  private hourNow(): number {
    return Math.min(HOURS - 1, Math.floor((this.nowMs - T0) / HOUR_MS));
  }

  /** The endpoints listed now. */
  inventory(): readonly EndpointPlan[] {
    return this.listed;
  }

  /** What the inventory APIs hold now: the figures their minimum request counts follow from. */
  counts(): InventoryCounts {
    const l = this.listed;
    const targets = l.flatMap((e) => e.variants.filter((v) => v.autoscaled));
    const components = l.filter((e) => e.kind === 'components');
    return {
      endpoints: l.length,
      variants: l.reduce((s, e) => s + e.variants.length, 0),
      // the current config of each endpoint, and the earlier one of those that moved and were created in CloudTrail's days
      configs: l.length + l.filter((e) => this.moved(e) && this.nowMs - e.createdMs <= CLOUDTRAIL_MS).length,
      components: components.reduce((s, e) => s + e.components.length, 0),
      componentEndpoints: components.length,
      targets: targets.length,
      policies: targets.length,
      activities: this.retained.length,
      asyncEndpoints: l.filter((e) => e.kind === 'async').length,
      untagged: l.filter((e) => e.team === undefined).length,
      creates: this.configEvents('CreateEndpoint').length,
      updates: this.configEvents('UpdateEndpoint').length,
    };
  }

  /** Retained scaling activities that started at or after `ms`. */
  activitiesSince(ms: number): number {
    return this.retained.filter((a) => a.at >= ms).length;
  }

  /** Cost Explorer groups of `day` (by team tag and usage type). */
  groupsOn(day: string): number {
    return this.dayGroups(day).groups.length;
  }

  private dayGroups(day: string): DayGroups {
    let d = this.days.get(day);
    if (!d) {
      d = groupsOfDay(this.fleet, day);
      this.days.set(day, d);
    }
    return d;
  }

  /** The team budgets: one per team tag, as a budget-file document. */
  budgetFile(): Record<string, unknown> {
    const teams = [...new Set(this.fleet.flatMap((e) => (e.team ? [e.team] : [])))].sort();
    return {
      version: 1,
      currency: 'USD',
      billingPeriod: { startDay: 1, timezone: 'UTC' },
      costMetric: 'billed',
      tiers: { production: { mode: 'advise' } },
      budgets: teams.map((team) => ({
        name: `${team}-inference`,
        owner: `${team}@example.com`,
        tier: 'production',
        environment: 'all',
        selector: { tags: { team } },
        limits: { spendPerPeriod: 50_000, latencyP99Ms: 250, errorRate: 0.01 },
      })),
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'SageMaker.ListEndpoints': (input) => {
        const p = page(this.listed, input, 100, 10, 'ListEndpoints');
        return {
          Endpoints: p.items.map((e) => ({
            EndpointName: e.name,
            EndpointArn: e.arn,
            CreationTime: sec(e.createdMs),
            LastModifiedTime: sec(e.createdMs),
            EndpointStatus: 'InService',
          })),
          ...(p.NextToken ? { NextToken: p.NextToken } : {}),
        };
      },
      'SageMaker.DescribeEndpoint': (input) => {
        const e = this.live(input.EndpointName);
        if (!e) return invalid(`Could not find endpoint "${String(input.EndpointName)}".`);
        const h = this.hourNow();
        return {
          EndpointName: e.name,
          EndpointArn: e.arn,
          EndpointConfigName: this.configName(e),
          ProductionVariants: e.variants.map((v) => ({
            VariantName: v.name,
            CurrentWeight: v.weight,
            DesiredWeight: v.weight,
            CurrentInstanceCount: v.counts[h],
            DesiredInstanceCount: v.counts[h],
            ...(e.kind === 'components'
              ? {
                  ManagedInstanceScaling: {
                    Status: 'ENABLED',
                    MinInstanceCount: v.min,
                    MaxInstanceCount: v.min + 2,
                  },
                }
              : {}),
          })),
          ...(e.kind === 'async' ? { AsyncInferenceConfig: this.asyncConfig(e) } : {}),
          EndpointStatus: 'InService',
          CreationTime: sec(e.createdMs),
          LastModifiedTime: sec(e.createdMs),
        };
      },
      'SageMaker.DescribeEndpointConfig': (input) => {
        const name = String(input.EndpointConfigName);
        const e = this.live(name.replace(/-config(-v2)?$/, ''));
        if (!e || (this.configName(e) !== name && name !== `${e.name}-config`))
          return invalid(`Could not find endpoint configuration "${name}".`);
        // the first config holds the types the endpoint was created with
        const h = name.endsWith('-v2') ? this.hourNow() : 0;
        return {
          EndpointConfigName: name,
          EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${name}`,
          ProductionVariants: e.variants.map((v) => ({
            VariantName: v.name,
            ...(e.kind === 'components' ? {} : { ModelName: `${e.name}-model` }),
            InitialInstanceCount: v.min,
            InstanceType: typeAt(v, h),
            InitialVariantWeight: v.weight,
            ...(e.kind === 'components'
              ? {
                  ManagedInstanceScaling: {
                    Status: 'ENABLED',
                    MinInstanceCount: v.min,
                    MaxInstanceCount: v.min + 2,
                  },
                }
              : {}),
          })),
          ...(e.kind === 'async' ? { AsyncInferenceConfig: this.asyncConfig(e) } : {}),
          CreationTime: sec(e.createdMs),
        };
      },
      'SageMaker.ListTags': (input) => {
        const e = this.byArn.get(String(input.ResourceArn));
        if (!e || !this.live(e.name))
          return invalid(`Could not find resource "${String(input.ResourceArn)}".`);
        const tags = [
          ...(e.team ? [{ Key: 'team', Value: e.team }] : []),
          { Key: 'env', Value: e.env },
          { Key: 'service', Value: e.name.slice(0, 8) },
        ];
        return { Tags: tags };
      },
      'SageMaker.ListInferenceComponents': (input) => {
        const all = this.listed.flatMap((e) => e.components.map((c) => ({ e, c })));
        const p = page(all, input, 100, 10, 'ListInferenceComponents');
        return {
          InferenceComponents: p.items.map(({ e, c }) => ({
            CreationTime: sec(e.createdMs),
            InferenceComponentArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:inference-component/${c}`,
            InferenceComponentName: c,
            EndpointArn: e.arn,
            EndpointName: e.name,
            VariantName: (e.variants[0] as VariantPlan).name,
            InferenceComponentStatus: 'InService',
            LastModifiedTime: sec(e.createdMs),
          })),
          ...(p.NextToken ? { NextToken: p.NextToken } : {}),
        };
      },
      'SageMaker.DescribeInferenceComponent': (input) => {
        const name = String(input.InferenceComponentName);
        const e = this.listed.find((x) => x.components.includes(name));
        if (!e) return invalid(`Could not find inference component "${name}".`);
        return {
          InferenceComponentName: name,
          InferenceComponentArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:inference-component/${name}`,
          EndpointName: e.name,
          EndpointArn: e.arn,
          VariantName: (e.variants[0] as VariantPlan).name,
          InferenceComponentStatus: 'InService',
          RuntimeConfig: { CurrentCopyCount: 1, DesiredCopyCount: 1 },
          CreationTime: sec(e.createdMs),
          LastModifiedTime: sec(e.createdMs),
        };
      },
      'AnyScaleFrontendService.DescribeScalableTargets': (input) => {
        if (input.ServiceNamespace !== NAMESPACE) return invalid('ServiceNamespace must be sagemaker here');
        const all = this.listed.flatMap((e) => e.variants.filter((v) => v.autoscaled).map((v) => ({ e, v })));
        const p = page(all, input, 50, 50, 'DescribeScalableTargets');
        return {
          ScalableTargets: p.items.map(({ e, v }) => ({
            ServiceNamespace: NAMESPACE,
            ScalableDimension: DIMENSION,
            ResourceId: `endpoint/${e.name}/variant/${v.name}`,
            MinCapacity: v.min,
            MaxCapacity: v.max,
            RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
            CreationTime: sec(e.createdMs),
            SuspendedState: {
              DynamicScalingInSuspended: false,
              DynamicScalingOutSuspended: false,
              ScheduledScalingSuspended: false,
            },
          })),
          ...(p.NextToken ? { NextToken: p.NextToken } : {}),
        };
      },
      'AnyScaleFrontendService.DescribeScalingPolicies': (input) => {
        if (input.ServiceNamespace !== NAMESPACE) return invalid('ServiceNamespace must be sagemaker here');
        const all = this.listed.flatMap((e) => e.variants.filter((v) => v.autoscaled).map((v) => ({ e, v })));
        const p = page(all, input, 10, 10, 'DescribeScalingPolicies');
        return {
          ScalingPolicies: p.items.map(({ e, v }) => {
            const id = `endpoint/${e.name}/variant/${v.name}`;
            return {
              PolicyARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:${e.index}:resource/sagemaker/${id}:policyName/${e.name}-invocations`,
              PolicyName: `${e.name}-invocations`,
              ServiceNamespace: NAMESPACE,
              ResourceId: id,
              ScalableDimension: DIMENSION,
              PolicyType: 'TargetTrackingScaling',
              TargetTrackingScalingPolicyConfiguration: {
                TargetValue: v.targetValue,
                PredefinedMetricSpecification: {
                  PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
                },
                ScaleOutCooldown: 60,
                ScaleInCooldown: 300,
              },
              Alarms: [],
              CreationTime: sec(e.createdMs),
            };
          }),
          ...(p.NextToken ? { NextToken: p.NextToken } : {}),
        };
      },
      'AnyScaleFrontendService.DescribeScalingActivities': (input) => {
        if (input.ServiceNamespace !== NAMESPACE) return invalid('ServiceNamespace must be sagemaker here');
        const p = page(this.retained, input, 50, 50, 'DescribeScalingActivities');
        return {
          ScalingActivities: p.items.map((a) => {
            const id = `endpoint/${a.endpoint.name}/variant/${a.variant.name}`;
            const high = a.to > a.from ? 'AlarmHigh' : 'AlarmLow';
            return {
              ActivityId: `act-${a.endpoint.index}-${a.seq}`,
              ServiceNamespace: NAMESPACE,
              ResourceId: id,
              ScalableDimension: DIMENSION,
              Description: `Setting desired instance count to ${a.to}.`,
              Cause: `monitor alarm TargetTracking-${id}-${high} in state ALARM triggered policy ${a.endpoint.name}-invocations`,
              StartTime: sec(a.at),
              EndTime: sec(a.at + 6 * 60_000),
              StatusCode: 'Successful',
              StatusMessage: `Successfully set desired instance count to ${a.to}. Change successfully fulfilled by sagemaker.`,
            };
          }),
          ...(p.NextToken ? { NextToken: p.NextToken } : {}),
        };
      },
      'CloudTrail_20131101.LookupEvents': (input) => this.lookupEvents(input),
      'AWSInsightsIndexService.GetCostAndUsage': (input) => this.costAndUsage(input),
      'AWSInsightsIndexService.GetCostForecast': (input) => {
        const period = input.TimePeriod as { Start: string; End: string };
        const days = daysOf(period.Start, period.End);
        const last = this.dayGroups(addDays(dayOf(this.nowMs), -1));
        const daily = last.groups.reduce((s, g) => s + g.amount, 0);
        return {
          Total: { Amount: (daily * days.length).toFixed(10), Unit: 'USD' },
          ForecastResultsByTime: [{ TimePeriod: period, MeanValue: (daily * days.length).toFixed(10) }],
        };
      },
      'GraniteServiceVersion20100801.GetMetricData': (input) => this.metricData(input),
    };
  }

  private live(name: unknown): EndpointPlan | undefined {
    const e = typeof name === 'string' ? this.byName.get(name) : undefined;
    return e && e.createdMs <= this.nowMs && this.nowMs < e.deletedMs ? e : undefined;
  }

  /** The endpoint's config now: a new one after it moved to a larger instance type. */
  private configName(e: EndpointPlan): string {
    return `${e.name}-config${this.moved(e) ? '-v2' : ''}`;
  }

  private moved(e: EndpointPlan): boolean {
    return this.movedAt(e) <= this.nowMs;
  }

  /** When the endpoint took its second config (its first variant to move), Infinity if it never does. */
  private movedAt(e: EndpointPlan): number {
    const hours = e.variants.filter((v) => v.typeAfter !== undefined).map((v) => v.changeHour);
    return hours.length === 0 ? Number.POSITIVE_INFINITY : T0 + Math.min(...hours) * HOUR_MS;
  }

  /** CloudTrail's events of one name in its 90 days up to now, newest first. */
  private configEvents(name: string, from = this.nowMs - CLOUDTRAIL_MS, to = this.nowMs) {
    const lo = Math.max(from, this.nowMs - CLOUDTRAIL_MS);
    const hi = Math.min(to, this.nowMs);
    return this.fleet
      .flatMap((e) =>
        name === 'CreateEndpoint'
          ? [{ e, at: e.createdMs, config: `${e.name}-config` }]
          : name === 'UpdateEndpoint'
            ? [{ e, at: this.movedAt(e), config: `${e.name}-config-v2` }]
            : [],
      )
      .filter((x) => x.at >= lo && x.at <= hi)
      .sort((a, b) => b.at - a.at || a.e.name.localeCompare(b.e.name));
  }

  private lookupEvents(input: Record<string, unknown>) {
    const attributes = input.LookupAttributes as
      | { AttributeKey: string; AttributeValue: string }[]
      | undefined;
    if ((attributes?.length ?? 0) > 1) return invalid('LookupAttributes takes one attribute');
    const name = attributes?.[0]?.AttributeKey === 'EventName' ? attributes[0].AttributeValue : '';
    const from = input.StartTime === undefined ? 0 : Number(input.StartTime) * 1000;
    const to = input.EndTime === undefined ? this.nowMs : Number(input.EndTime) * 1000;
    const all = this.configEvents(name, from, to);
    const p = page(all, input, 50, 50, `LookupEvents ${name}`);
    return {
      Events: p.items.map(({ e, at, config }) => {
        const id = `${e.index.toString(16).padStart(8, '0')}-0000-4000-8000-${at.toString(16).padStart(12, '0')}`;
        const record = {
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            accountId: ACCOUNT,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ml-deployer/ci`,
          },
          eventTime: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          eventSource: 'sagemaker.amazonaws.com',
          eventName: name,
          awsRegion: REGION,
          sourceIPAddress: '203.0.113.10',
          userAgent: 'aws-cli/2.15.30',
          requestParameters: { endpointName: e.name, endpointConfigName: config },
          responseElements: { endpointArn: e.arn },
          eventID: id,
          readOnly: false,
          eventType: 'AwsApiCall',
          managementEvent: true,
          recipientAccountId: ACCOUNT,
          eventCategory: 'Management',
        };
        return {
          EventId: id,
          EventName: name,
          ReadOnly: 'false',
          EventTime: sec(at),
          EventSource: 'sagemaker.amazonaws.com',
          Username: 'ci',
          Resources: [{ ResourceType: 'AWS::SageMaker::Endpoint', ResourceName: e.name }],
          CloudTrailEvent: JSON.stringify(record),
        };
      }),
      ...(p.NextToken ? { NextToken: p.NextToken } : {}),
    };
  }

  private asyncConfig(e: EndpointPlan) {
    return {
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      OutputConfig: { S3OutputPath: `s3://example-inference-output/${e.name}/` },
    };
  }

  private costAndUsage(input: Record<string, unknown>) {
    const period = input.TimePeriod as { Start: string; End: string } | undefined;
    if (!period || !(period.Start < period.End)) return invalid('TimePeriod: Start must be before End');
    if (input.Granularity !== 'DAILY') return invalid('this account answers DAILY granularity only');
    const groupBy = JSON.stringify(input.GroupBy);
    if (
      groupBy !==
      JSON.stringify([
        { Type: 'TAG', Key: 'team' },
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
      ])
    ) {
      return invalid(`this account groups by TAG team and DIMENSION USAGE_TYPE, not ${groupBy}`);
    }
    const metrics = input.Metrics as string[];
    const costMetric = metrics.find((m) => m !== 'UsageQuantity') ?? 'UnblendedCost';
    const scope = `ce ${period.Start} ${period.End}`;
    const days = daysOf(period.Start, period.End).map((d) => this.dayGroups(d));
    // offset = day index and group index within it
    const [d0, g0] = (offsetOf(input.NextPageToken, scope) ?? '0:0').split(':').map(Number) as [
      number,
      number,
    ];
    // as Cost Explorer does: every day of the month still being billed is an estimate until the month is closed
    const openFrom = `${dayOf(this.nowMs).slice(0, 8)}01`;
    const results: {
      TimePeriod: { Start: string; End: string };
      Total: object;
      Groups: CeGroup[];
      Estimated: boolean;
    }[] = [];
    let room = this.options.ceGroupsPerPage;
    let d = d0;
    let g = g0;
    while (d < days.length && room > 0) {
      const day = days[d] as DayGroups;
      const take = day.groups.slice(g, g + room);
      results.push({
        TimePeriod: { Start: day.day, End: addDays(day.day, 1) },
        Total: {},
        Groups: take.map((x) => ({
          Keys: x.keys,
          Metrics: {
            [costMetric]: { Amount: x.amount.toFixed(10), Unit: 'USD' },
            UsageQuantity: { Amount: x.quantity.toFixed(10), Unit: x.unit },
          },
        })),
        Estimated: day.day >= openFrom,
      });
      room -= take.length;
      g += take.length;
      if (g >= day.groups.length) {
        d++;
        g = 0;
      }
    }
    return {
      GroupDefinitions: input.GroupBy,
      ResultsByTime: results,
      DimensionValueAttributes: [],
      ...(d < days.length ? { NextPageToken: tokenOf(`${d}:${g}`, scope) } : {}),
    };
  }

  private metricData(input: Record<string, unknown>) {
    const queries = input.MetricDataQueries as MetricQueryInput[] | undefined;
    if (!Array.isArray(queries) || queries.length === 0) return invalid('MetricDataQueries is required');
    if (queries.length > MAX_GMD_QUERIES) {
      return {
        awsError: 'ValidationError',
        message: `The collection MetricDataQueries must not have a size greater than ${MAX_GMD_QUERIES}.`,
      };
    }
    const start = Number(input.StartTime);
    const end = Number(input.EndTime);
    if (!(start < end)) return invalid('The parameter StartTime must be less than the parameter EndTime.');
    const maxPoints = Math.min(MAX_GMD_DATAPOINTS, Number(input.MaxDatapoints ?? MAX_GMD_DATAPOINTS));
    const scope = `gmd ${start} ${end} ${queries.length} ${queries[0]?.Id}`;
    const [q0, p0] = (offsetOf(input.NextToken, scope) ?? '0:0').split(':').map(Number) as [number, number];
    const results: {
      Id: string;
      Label: string;
      Timestamps: number[];
      Values: number[];
      StatusCode: string;
    }[] = [];
    let room = maxPoints;
    let q = q0;
    let p = p0;
    while (q < queries.length && room > 0) {
      const query = queries[q] as MetricQueryInput;
      const stat = query.MetricStat;
      const dims = new Map(stat.Metric.Dimensions.map((x) => [x.Name, x.Value]));
      const e = this.byName.get(dims.get('EndpointName') ?? '');
      const v = e?.variants.find((x) => x.name === dims.get('VariantName'));
      const ts: number[] = [];
      const vs: number[] = [];
      if (e && v) {
        for (let t = start; t < end; t += stat.Period) {
          const x = metricValue(e, v, stat.Metric.MetricName, stat.Stat, t, stat.Period);
          if (x === undefined) continue;
          ts.push(t);
          vs.push(x);
        }
      }
      const taken = Math.min(room, ts.length - p);
      const partial = p + taken < ts.length;
      results.push({
        Id: query.Id,
        Label: stat.Metric.MetricName,
        Timestamps: ts.slice(p, p + taken),
        Values: vs.slice(p, p + taken),
        // the rest of this query's points come on the next page
        StatusCode: partial ? 'PartialData' : 'Complete',
      });
      room -= taken;
      if (partial) {
        p += taken;
        break;
      }
      q++;
      p = 0;
    }
    return {
      MetricDataResults: results,
      Messages: [],
      ...(q < queries.length ? { NextToken: tokenOf(`${q}:${p}`, scope) } : {}),
    };
  }
}

/** The instant a daily cycle for `asOf` runs: 06:00 UTC the next day. */
export function cycleTime(asOf: string): number {
  return Date.parse(`${addDays(asOf, 1)}T06:00:00Z`);
}

// ---------------------------------------------------------------------------------------------------------------
// Serving from a child process, so that the server's work runs on another core than the SDK's

/** One request as the benchmark needs it: the operation, and for GetMetricData its period and query count. */
export interface ServedRequest {
  readonly target: string;
  readonly period?: number;
  readonly queries?: number;
}

/** What the benchmark asks the serving child: set the clock, or the requests received from index `from` on. */
export type ParentRequest =
  | { readonly type: 'setNow'; readonly ms: number }
  | { readonly type: 'log'; readonly from: number };
export type ParentMessage = ParentRequest & { readonly id: number };

export type ChildMessage =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'log'; readonly id: number; readonly requests: readonly ServedRequest[] };

/**
 * `tsx test/bench/api-account.ts serve '<options json>'` with an IPC channel: serves the account on a loopback port,
 * says `ready` with its URL, then answers `setNow` and `log` messages until the channel closes.
 */
async function serveChild(options: ApiAccountOptions): Promise<void> {
  const send = (m: ChildMessage) => process.send?.(m);
  const account = new ApiAccount(options);
  const server = await startAwsServer(account.handlers());
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'setNow') {
      account.setNow(m.ms);
      send({ type: 'done', id: m.id });
    } else {
      const requests = server.requests.slice(m.from).map((r): ServedRequest => {
        const q = r.input.MetricDataQueries as MetricQueryInput[] | undefined;
        return q
          ? { target: r.target, period: q[0]?.MetricStat.Period, queries: q.length }
          : { target: r.target };
      });
      send({ type: 'log', id: m.id, requests });
    }
  });
  process.on('disconnect', () => {
    void server.close();
  });
  send({ type: 'ready', url: server.url });
}

if (
  process.argv[2] === 'serve' &&
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  serveChild({
    ...DEFAULT_API_ACCOUNT,
    ...(JSON.parse(process.argv[3] ?? '{}') as Partial<ApiAccountOptions>),
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
