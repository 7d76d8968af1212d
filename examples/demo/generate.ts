/**
 * The demo account: two months (2026-09-01 .. 2026-10-31) of a SageMaker inference account, derived from real
 * production traffic (ServeGen, `traffic-servegen.csv`) x an autoscaling capacity model x list prices.
 *
 *   npx tsx examples/demo/generate.ts [outDir] [--verbose] [--lenient]
 *
 * outDir defaults to this folder. --verbose prints every limit check and per-endpoint statistics; --lenient writes
 * the files even when the scenario no longer produces the statuses it intends (to tune it).
 *
 * Deterministic: the only input is the traffic file, randomness comes from seeded generators, no clock is read.
 * Writes budgets.yaml, demo.json (with the truth of the simulated scenario), data/costs.focus.csv and
 * data/metrics.csv. It checks that every budget comes out with the status the scenario intends and fails otherwise.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { INSTANCES, type InstanceSpec } from '../../lambdas/core/instances.ts';
import { formatMoney, type Money, parseMoney } from '../../lambdas/core/money.ts';
import type { CauseKind, FindingKind, Status } from '../../lambdas/core/types.ts';
import { SeededRandom } from '../seeded-random.ts';

// ---------------------------------------------------------------------------------------------------------------
// Calendar

export const HISTORY_START = '2026-09-01';
export const HISTORY_END = '2026-11-01'; // exclusive
export const AS_OF = '2026-10-15';
export const PERIOD = { start: '2026-10-01', end: '2026-11-01', timezone: 'UTC' } as const;
const BASELINE = { start: '2026-09-01', end: '2026-10-01' } as const;

const HOUR_MS = 3_600_000;
const T0 = Date.parse(`${HISTORY_START}T00:00:00Z`);
const HOURS = (Date.parse(`${HISTORY_END}T00:00:00Z`) - T0) / HOUR_MS;
const DAYS = HOURS / 24;

/** Hour index (0 = 2026-09-01 00:00 UTC) of "YYYY-MM-DD HH:MM" UTC; fractional inside an hour. */
function at(utc: string): number {
  return (Date.parse(`${utc.replace(' ', 'T')}:00Z`) - T0) / HOUR_MS;
}
const dayIndex = (day: string): number => at(`${day} 00:00`) / 24;
const isoHour = (h: number): string => new Date(T0 + h * HOUR_MS).toISOString().replace('.000Z', 'Z');
const focusTime = (h: number): string => isoHour(h).replace('T', ' ').replace('Z', '');
const dayOf = (h: number): string => isoHour(h).slice(0, 10);

/** The billing month containing hour `h`: its first hour and its length in hours. */
function monthOf(h: number): { start: number; end: number } {
  const d = new Date(T0 + h * HOUR_MS);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { start: (start - T0) / HOUR_MS, end: (end - T0) / HOUR_MS };
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic: the ServeGen clients, their clock read as US Eastern local time

/** The trace's clock is read as local time in us-east-1 (EDT, UTC-4, all through September and October 2026). */
const TRACE_UTC_OFFSET_HOURS = 4;
/** Trace days 4-5 and 11-12 are weekend dips, so trace day 0 is a Tuesday, as is 2026-09-01. */
const TRACE_HOURS = 336;

export function parseTraffic(csv: string): Map<string, number[]> {
  const lines = csv.trim().split('\n');
  if (lines[0] !== 'client,hour,rate_req_per_s') throw new Error('traffic-servegen.csv: unexpected header');
  const out = new Map<string, number[]>();
  for (const line of lines.slice(1)) {
    const [client = '', hour = '', rate = ''] = line.split(',');
    const series = out.get(client) ?? new Array<number>(TRACE_HOURS).fill(Number.NaN);
    series[Number(hour)] = Number(rate);
    out.set(client, series);
  }
  for (const [client, series] of out) {
    if (series.some((r) => !Number.isFinite(r))) throw new Error(`traffic-servegen.csv: ${client} has gaps`);
  }
  return out;
}

/** The client's rate at history hour h, normalised to a mean of 1 over the trace. */
function profile(series: readonly number[]): (h: number) => number {
  const mean = series.reduce((a, b) => a + b, 0) / series.length;
  return (h) => {
    const i = (((h - TRACE_UTC_OFFSET_HOURS) % TRACE_HOURS) + TRACE_HOURS) % TRACE_HOURS;
    return (series[i] ?? 0) / mean;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded randomness: one stream per endpoint and purpose, so that changing one part leaves the rest alone

class Rng extends SeededRandom {
  constructor(seed: string) {
    super(`perf-budgets-demo:${seed}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The scenario

interface Phase<T> {
  /** Hour index from which the value holds (fractional: inside that hour). */
  readonly from: number;
  readonly value: T;
}
const phaseAt = <T>(phases: readonly Phase<T>[], h: number): T => {
  let v = phases[0]?.value;
  for (const p of phases) if (Math.floor(p.from) <= h) v = p.value;
  if (v === undefined) throw new Error('empty phase list');
  return v;
};

interface ModelVersion {
  /** The deployed model, for people reading the scenario. */
  readonly version: string;
  /** ModelLatency at low load, milliseconds. */
  readonly p99Ms: number;
  readonly avgMs: number;
  /** Requests per second one instance serves at 100% utilisation. */
  readonly maxRps: number;
}

interface EndpointPlan {
  readonly name: string;
  readonly team: string;
  readonly env: string;
  /** Opted in to changes made by the tool: tagged `perf-budgets:managed=true`. */
  readonly managed?: boolean;
  readonly client: string;
  /** Mean request rate (req/s) the client's trace is scaled to. */
  readonly meanRps: number;
  /** Traffic multiplier over time (1 when absent). */
  readonly growth?: (h: number) => number;
  /** Hour the endpoint went InService; absent when it predates the history. */
  readonly created?: number;
  readonly instanceType: readonly Phase<string>[];
  readonly minInstances: readonly Phase<number>[];
  readonly maxInstances: number;
  /** Target-tracking value of SageMakerVariantInvocationsPerInstance (per minute, as AWS defines it). */
  readonly targetInvocationsPerInstancePerMinute: number;
  readonly model: readonly Phase<ModelVersion>[];
  /** Host memory the model server holds, GiB. */
  readonly hostMemoryGiB: number;
  /** vCPUs busy at idle and per unit of utilisation (tokenisation, pre/post-processing). */
  readonly cpuIdle: number;
  readonly cpuPerUtil: number;
  /** ML storage volume per instance, GiB. */
  readonly volumeGiB: number;
}

interface Incident {
  readonly budget: string;
  readonly endpoint: string;
  readonly incident: string;
  readonly expectedFinding: FindingKind;
  readonly causePrimary: CauseKind | null;
  readonly startsAt: number;
}

interface BudgetPlan {
  readonly name: string;
  readonly owner: string;
  readonly tier: 'production' | 'experiment';
  readonly environment: string;
  readonly endpoints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly limits: {
    readonly spendPerPeriod: number;
    readonly costPer1kInferences?: number;
    readonly latencyP99Ms?: number;
    readonly errorRate?: number;
    readonly utilization?: { readonly min?: number; readonly max?: number };
    readonly maxInstances?: number;
  };
  readonly scaling?: Readonly<Record<string, number>>;
  readonly exceptions?: readonly {
    readonly reason: string;
    readonly approvedBy: string;
    readonly expires: string;
    readonly limits: Readonly<Record<string, number>>;
  }[];
  /** What the budget covers, for the comment above it in budgets.yaml. */
  readonly purpose: string;
  readonly intended: Status;
  /** What happens to it in the scenario (for the README and the generator's summary, not for the budget file). */
  readonly story: string;
}

const CHAT_MIN_RAISED = at('2026-10-06 16:00');
const SEARCH_RAMP_START = at('2026-10-01 00:00');
const RANK_TYPE_CHANGE = at('2026-10-08 15:00');
const CANARY_CREATED = at('2026-10-09 15:15');
const EMBED_V3 = at('2026-10-10 13:00');

/** Search traffic: +65% over the first two weeks of October (a catalogue launch), then +10% more by month end. */
const searchGrowth = (h: number): number => {
  const days = (h - SEARCH_RAMP_START) / 24;
  if (days <= 0) return 1;
  return 1 + 0.65 * Math.min(1, days / 14) + 0.1 * Math.max(0, Math.min(1, (days - 14) / 17));
};

const ms = (version: string, p99Ms: number, avgMs: number, maxRps: number): ModelVersion => ({
  version,
  p99Ms,
  avgMs,
  maxRps,
});

export const ENDPOINTS: readonly EndpointPlan[] = [
  {
    name: 'chat-prod',
    team: 'chat',
    env: 'prod',
    managed: true,
    client: 'chunk-48',
    meanRps: 4,
    instanceType: [{ from: 0, value: 'ml.g5.2xlarge' }],
    minInstances: [
      { from: 0, value: 1 },
      { from: CHAT_MIN_RAISED, value: 4 },
    ],
    maxInstances: 8,
    targetInvocationsPerInstancePerMinute: 200,
    model: [{ from: 0, value: ms('assistant-7b-v5', 1900, 720, 5) }],
    hostMemoryGiB: 7,
    cpuIdle: 0.3,
    cpuPerUtil: 1.5,
    volumeGiB: 100,
  },
  {
    name: 'search-prod',
    team: 'search',
    env: 'prod',
    client: 'chunk-100',
    meanRps: 100,
    growth: searchGrowth,
    instanceType: [{ from: 0, value: 'ml.g4dn.xlarge' }],
    minInstances: [{ from: 0, value: 2 }],
    maxInstances: 20,
    targetInvocationsPerInstancePerMinute: 1800,
    model: [{ from: 0, value: ms('query-encoder-v7', 34, 11, 50) }],
    hostMemoryGiB: 4,
    cpuIdle: 0.2,
    cpuPerUtil: 1.2,
    volumeGiB: 30,
  },
  {
    name: 'search-prod-b',
    team: 'search',
    env: 'prod',
    client: 'chunk-21',
    meanRps: 60,
    growth: searchGrowth,
    instanceType: [{ from: 0, value: 'ml.g4dn.xlarge' }],
    minInstances: [{ from: 0, value: 2 }],
    maxInstances: 20,
    targetInvocationsPerInstancePerMinute: 1800,
    model: [{ from: 0, value: ms('query-encoder-v8-candidate', 31, 10, 50) }],
    hostMemoryGiB: 4,
    cpuIdle: 0.2,
    cpuPerUtil: 1.2,
    volumeGiB: 30,
  },
  {
    name: 'rank-prod',
    team: 'ranking',
    env: 'prod',
    client: 'chunk-56',
    meanRps: 30,
    instanceType: [
      { from: 0, value: 'ml.g5.xlarge' },
      { from: RANK_TYPE_CHANGE, value: 'ml.g5.4xlarge' },
    ],
    minInstances: [{ from: 0, value: 2 }],
    maxInstances: 10,
    targetInvocationsPerInstancePerMinute: 720,
    model: [{ from: 0, value: ms('cross-encoder-v12', 28, 9, 20) }],
    hostMemoryGiB: 5,
    cpuIdle: 0.4,
    cpuPerUtil: 1.6,
    volumeGiB: 50,
  },
  {
    name: 'embed-prod',
    team: 'embeddings',
    env: 'prod',
    client: 'chunk-41',
    meanRps: 40,
    instanceType: [{ from: 0, value: 'ml.g4dn.xlarge' }],
    minInstances: [{ from: 0, value: 1 }],
    maxInstances: 20,
    targetInvocationsPerInstancePerMinute: 1200,
    model: [
      { from: 0, value: ms('text-embed-v2', 18, 7, 45) },
      { from: EMBED_V3, value: ms('text-embed-v3-large', 64, 24, 28) },
    ],
    hostMemoryGiB: 4,
    cpuIdle: 0.2,
    cpuPerUtil: 1.0,
    volumeGiB: 30,
  },
  {
    name: 'fraud-prod',
    team: 'fraud',
    env: 'prod',
    client: 'chunk-112',
    meanRps: 150,
    instanceType: [{ from: 0, value: 'ml.c5.xlarge' }],
    minInstances: [{ from: 0, value: 2 }],
    maxInstances: 16,
    targetInvocationsPerInstancePerMinute: 3600,
    model: [{ from: 0, value: ms('txn-gbdt-v31', 9, 3, 110) }],
    hostMemoryGiB: 2.5,
    cpuIdle: 0.1,
    cpuPerUtil: 3.8,
    volumeGiB: 20,
  },
  {
    name: 'exp-llm-canary',
    team: 'chat',
    env: 'experiment',
    managed: true,
    client: 'chunk-15',
    meanRps: 1.2,
    created: CANARY_CREATED,
    instanceType: [{ from: 0, value: 'ml.g5.12xlarge' }],
    minInstances: [{ from: 0, value: 2 }],
    maxInstances: 2,
    targetInvocationsPerInstancePerMinute: 120,
    model: [{ from: 0, value: ms('assistant-34b-rc1', 4200, 1600, 4) }],
    hostMemoryGiB: 30,
    cpuIdle: 1,
    cpuPerUtil: 3,
    volumeGiB: 300,
  },
];

export const BUDGETS: readonly BudgetPlan[] = [
  {
    name: 'chat-prod',
    owner: 'chat-team@example.com',
    tier: 'production',
    environment: 'prod',
    endpoints: ['chat-*'],
    tags: { team: 'chat', env: 'prod' },
    limits: {
      spendPerPeriod: 3000,
      costPer1kInferences: 0.6,
      latencyP99Ms: 4000,
      errorRate: 0.01,
      utilization: { min: 0.3, max: 0.85 },
      maxInstances: 8,
    },
    scaling: { minInstances: 1, maxInstances: 8, maxStepPercent: 50, cooldownMinutes: 30 },
    purpose: 'Internal LLM assistant (office hours, US East)',
    intended: 'breached',
    story: 'min capacity raised from 1 to 4 on 2026-10-06: nights hold 4 idle GPUs',
  },
  {
    name: 'search-prod',
    owner: 'search-team@example.com',
    tier: 'production',
    environment: 'prod',
    endpoints: ['search-prod*'],
    tags: { team: 'search', env: 'prod' },
    limits: {
      spendPerPeriod: 4500,
      costPer1kInferences: 0.015,
      latencyP99Ms: 120,
      errorRate: 0.01,
      utilization: { min: 0.25, max: 0.85 },
      maxInstances: 16,
    },
    scaling: { minInstances: 2, maxInstances: 20, maxStepPercent: 50, cooldownMinutes: 15 },
    exceptions: [
      {
        reason: 'Autumn catalogue launch: scaling headroom while traffic grows',
        approvedBy: 'vp-engineering@example.com',
        expires: '2026-11-15',
        limits: { maxInstances: 24 },
      },
    ],
    purpose: 'Semantic search query encoders (two endpoints, one per ranking arm)',
    intended: 'at-risk',
    story: 'traffic grows ~65% from 2026-10-01; autoscaling adds instances in proportion',
  },
  {
    name: 'rank-prod',
    owner: 'ranking-team@example.com',
    tier: 'production',
    environment: 'prod',
    endpoints: ['rank-*'],
    tags: { team: 'ranking', env: 'prod' },
    limits: {
      spendPerPeriod: 4500,
      costPer1kInferences: 0.08,
      latencyP99Ms: 80,
      errorRate: 0.01,
      utilization: { max: 0.85 },
      maxInstances: 10,
    },
    scaling: { minInstances: 2, maxInstances: 10, maxStepPercent: 50, cooldownMinutes: 15 },
    purpose: 'Search result re-ranking (cross-encoder) and its nightly retraining',
    intended: 'at-risk',
    story: 'instance type changed from ml.g5.xlarge to ml.g5.4xlarge on 2026-10-08, same count, same traffic',
  },
  {
    name: 'embed-prod',
    owner: 'embeddings-team@example.com',
    tier: 'production',
    environment: 'prod',
    endpoints: ['embed-*'],
    tags: { team: 'embeddings', env: 'prod' },
    limits: {
      spendPerPeriod: 2500,
      costPer1kInferences: 0.03,
      latencyP99Ms: 50,
      errorRate: 0.01,
      utilization: { min: 0.2, max: 0.85 },
      maxInstances: 20,
    },
    exceptions: [
      {
        reason: 'text-embed-v3 rollout: latency ceiling raised while batching is tuned',
        approvedBy: 'head-of-ml@example.com',
        expires: '2026-09-30',
        limits: { latencyP99Ms: 90 },
      },
    ],
    purpose: 'Document embeddings for the catalogue and support articles',
    intended: 'breached',
    story:
      'text-embed-v3-large deployed 2026-10-10: p99 above 50 ms, and its latency exception expired 2026-09-30',
  },
  {
    name: 'fraud-prod',
    owner: 'fraud-team@example.com',
    tier: 'production',
    environment: 'prod',
    endpoints: ['fraud-*'],
    tags: { team: 'fraud', env: 'prod' },
    limits: {
      spendPerPeriod: 900,
      costPer1kInferences: 0.004,
      latencyP99Ms: 50,
      errorRate: 0.005,
      utilization: { min: 0.15, max: 0.85 },
      maxInstances: 16,
    },
    purpose: 'Card transaction scoring (gradient-boosted trees on CPU)',
    intended: 'ok',
    story: 'healthy: every limit comfortably met',
  },
  {
    name: 'exp-llm-canary',
    owner: 'chat-team@example.com',
    tier: 'experiment',
    environment: 'experiment',
    endpoints: ['exp-*'],
    tags: { env: 'experiment' },
    limits: { spendPerPeriod: 4000, costPer1kInferences: 5, latencyP99Ms: 10000, errorRate: 0.02 },
    purpose: 'Canary of the next assistant model, before it replaces chat-prod',
    intended: 'at-risk',
    story: 'new 2x ml.g5.12xlarge canary created 2026-10-09, serving a trickle of traffic',
  },
];

const INCIDENTS: readonly Incident[] = [
  {
    budget: 'chat-prod',
    endpoint: 'chat-prod',
    incident:
      'Autoscaling min capacity raised from 1 to 4 for launch readiness; traffic unchanged, nights hold 4 instances',
    expectedFinding: 'spend-forecast',
    causePrimary: 'idle-capacity',
    startsAt: CHAT_MIN_RAISED,
  },
  {
    budget: 'chat-prod',
    endpoint: 'chat-prod',
    incident: 'Night utilisation of the 4 minimum instances falls to a few percent',
    expectedFinding: 'utilization-low',
    causePrimary: null,
    startsAt: CHAT_MIN_RAISED,
  },
  {
    budget: 'search-prod',
    endpoint: 'search-prod',
    incident:
      'Traffic grows ~65% over two weeks with the same daily shape; autoscaling adds instances in proportion',
    expectedFinding: 'spend-forecast',
    causePrimary: 'traffic',
    startsAt: SEARCH_RAMP_START,
  },
  {
    budget: 'rank-prod',
    endpoint: 'rank-prod',
    incident: 'Instance type changed from ml.g5.xlarge to ml.g5.4xlarge at the same count; traffic flat',
    expectedFinding: 'spend-forecast',
    causePrimary: 'instance-change',
    startsAt: RANK_TYPE_CHANGE,
  },
  {
    budget: 'exp-llm-canary',
    endpoint: 'exp-llm-canary',
    incident: 'New experiment endpoint on 2x ml.g5.12xlarge, absent in September',
    expectedFinding: 'spend-forecast',
    causePrimary: 'new-endpoint',
    startsAt: CANARY_CREATED,
  },
  {
    budget: 'exp-llm-canary',
    endpoint: 'exp-llm-canary',
    incident: 'Cost per 1k inferences of the canary far above the experiment tier exit criterion',
    expectedFinding: 'exit-criteria',
    causePrimary: null,
    startsAt: CANARY_CREATED,
  },
  {
    budget: 'embed-prod',
    endpoint: 'embed-prod',
    incident: 'Heavier model version deployed; p99 ModelLatency rises above the limit, spend unchanged',
    expectedFinding: 'latency',
    causePrimary: null,
    startsAt: EMBED_V3,
  },
  {
    budget: 'embed-prod',
    endpoint: 'embed-prod',
    incident: 'The latency exception for the v3 rollout expired on 2026-09-30; the rollout slipped past it',
    expectedFinding: 'exception-expired',
    causePrimary: null,
    startsAt: at('2026-10-01 00:00'),
  },
];

interface TierPlan {
  readonly mode: 'advise' | 'approve' | 'enforce';
  readonly exitCriteria?: { readonly maxDays: number; readonly maxCostPer1kInferences: number };
  /** Who may approve the tier's changes: a Slack member id and an email. */
  readonly approvers?: readonly string[];
}
const TIERS: Readonly<Record<BudgetPlan['tier'], TierPlan>> = {
  production: { mode: 'approve', approvers: ['U0PLATFORM1', 'platform-lead@example.com'] },
  experiment: { mode: 'enforce', exitCriteria: { maxDays: 14, maxCostPer1kInferences: 0.5 } },
};

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const REGION_NAME = 'US East (N. Virginia)';

// ---------------------------------------------------------------------------------------------------------------
// Capacity model

interface EndpointHour {
  readonly h: number;
  readonly instances: number;
  /** Instance-hours billed this hour per instance type (a type change bills both fleets in its hour). */
  readonly billed: readonly { readonly type: string; readonly hours: number }[];
  readonly invocations: number;
  readonly utilization: number;
  readonly modelP99Us: number;
  readonly modelAvgUs: number;
  readonly overheadP99Us: number;
  readonly errors4xx: number;
  readonly errors5xx: number;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly gpuPercent?: number;
}

function specOf(type: string): InstanceSpec {
  const s = INSTANCES[type];
  if (!s) throw new Error(`unknown instance type ${type}`);
  return s;
}

function simulate(plan: EndpointPlan, series: readonly number[]): EndpointHour[] {
  const shape = profile(series);
  const rngRate = new Rng(`${plan.name}:rate`);
  const rngLatency = new Rng(`${plan.name}:latency`);
  const rngErrors = new Rng(`${plan.name}:errors`);
  const rngUtil = new Rng(`${plan.name}:utilization`);
  const first = plan.created === undefined ? 0 : Math.floor(plan.created);
  const targetRps = plan.targetInvocationsPerInstancePerMinute / 60;
  const out: EndpointHour[] = [];
  let prevDesired = 0;
  for (let h = first; h < HOURS; h++) {
    const liveShare = plan.created !== undefined && h === first ? first + 1 - plan.created : 1;
    const rate = plan.meanRps * shape(h) * (plan.growth?.(h) ?? 1) * rngRate.jitter(0.04);
    const min = phaseAt(plan.minInstances, h);
    const desired = Math.max(1, Math.ceil(rate / targetRps));
    // Target tracking scales out within the hour and in only after a cooldown: one hour of lag.
    const instances = Math.min(plan.maxInstances, Math.max(min, desired, h === first ? 0 : prevDesired));
    prevDesired = desired;

    const type = phaseAt(plan.instanceType, h);
    const spec = specOf(type);
    const billed = [{ type, hours: instances * liveShare }];
    const next = plan.instanceType.find((p) => Math.floor(p.from) === h + 1);
    // Blue/green deployment: the new fleet comes up half an hour before traffic shifts to it.
    if (next) billed.push({ type: next.value, hours: instances * 0.5 });

    const model = phaseAt(plan.model, h);
    const u = (rate / (instances * model.maxRps)) * rngUtil.jitter(0.03);
    const uq = Math.min(u, 0.95);
    const queue = (uq / (1 - uq)) ** 1.5;
    const invocations = Math.round(rate * 3600 * liveShare);
    const gpus = spec.gpus;
    out.push({
      h,
      instances,
      billed,
      invocations,
      utilization: u,
      modelP99Us: Math.round(model.p99Ms * 1000 * (1 + 0.1 * queue) * rngLatency.jitter(0.04)),
      modelAvgUs: Math.round(model.avgMs * 1000 * (1 + 0.06 * queue) * rngLatency.jitter(0.02)),
      overheadP99Us: Math.round(3200 * rngLatency.jitter(0.12)),
      errors4xx: Math.round(invocations * 0.0006 * rngErrors.jitter(0.3)),
      errors5xx: Math.round(invocations * 0.00012 * rngErrors.jitter(0.5)),
      cpuPercent:
        gpus > 0
          ? round2(100 * (plan.cpuIdle + plan.cpuPerUtil * u))
          : round2(100 * Math.min(spec.vcpu, plan.cpuIdle + plan.cpuPerUtil * u)),
      memoryPercent: round2((100 * plan.hostMemoryGiB * (1 + 0.05 * u)) / spec.memoryGiB),
      ...(gpus > 0 ? { gpuPercent: round2(100 * gpus * Math.min(1, u)) } : {}),
    });
  }
  return out;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

// ---------------------------------------------------------------------------------------------------------------
// Exact money: quantities and prices as bigint pico-units (lambdas/core/money.ts), rows rounded to 10 decimals

const PICO = 10n ** 12n;
const money = (text: string): Money => {
  const m = parseMoney(text);
  if (m === undefined) throw new Error(`not a decimal: ${text}`);
  return m;
};
const priceOf = (usd: number): Money => money(String(usd));
/** a x b (both pico-units) rounded half up to 10 decimals, as pico-units. */
const times = (a: Money, b: Money): Money => ((a * b + 50n * PICO) / (100n * PICO)) * 100n;
/** a / n rounded half up to 10 decimals. */
const divide = (a: Money, n: bigint): Money => ((a + 50n * n) / (100n * n)) * 100n;
/** Exact decimal text with up to 10 decimals and no trailing zeros ("7.04", "1.0305555556", "96"). */
const dec10 = (m: Money): string => formatMoney(m, 10).replace(/\.?0+$/, '');
const qtyOf = (x: number): Money => money(x.toFixed(10));

// ---------------------------------------------------------------------------------------------------------------
// FOCUS 1.0 rows, as AWS Data Exports writes them

const FOCUS_COLUMNS = [
  'BilledCost',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeDescription',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'ConsumedQuantity',
  'ConsumedUnit',
  'EffectiveCost',
  'ListCost',
  'ListUnitPrice',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'RegionId',
  'ResourceId',
  'ResourceName',
  'ServiceCategory',
  'ServiceName',
  'SkuId',
  'SubAccountId',
  'Tags',
  'x_ServiceCode',
  'x_UsageType',
] as const;

interface CostRow {
  readonly start: number;
  readonly end: number;
  readonly cost: Money;
  readonly category: 'Usage' | 'Tax';
  readonly description: string;
  readonly quantity?: Money;
  readonly unit?: string;
  readonly unitPrice?: Money;
  readonly resourceId?: string;
  readonly serviceName: string;
  readonly serviceCategory: string;
  readonly serviceCode: string;
  readonly usageType?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A SKU id in AWS's style (16 upper-case letters and digits), stable per usage type. */
function skuOf(usageType: string): string {
  const rng = new Rng(`sku:${usageType}`);
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
}

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function focusLine(r: CostRow): string {
  const month = monthOf(r.start);
  const tags = Object.keys(r.tags).length
    ? JSON.stringify(Object.fromEntries(Object.entries(r.tags).map(([k, v]) => [`user:${k}`, v])))
    : '';
  const cost = dec10(r.cost);
  const values: Record<(typeof FOCUS_COLUMNS)[number], string> = {
    BilledCost: cost,
    BillingCurrency: 'USD',
    BillingPeriodEnd: focusTime(month.end),
    BillingPeriodStart: focusTime(month.start),
    ChargeCategory: r.category,
    ChargeDescription: r.description,
    ChargePeriodEnd: focusTime(r.end),
    ChargePeriodStart: focusTime(r.start),
    ConsumedQuantity: r.quantity === undefined ? '' : dec10(r.quantity),
    ConsumedUnit: r.unit ?? '',
    EffectiveCost: cost,
    ListCost: cost,
    ListUnitPrice: r.unitPrice === undefined ? '' : dec10(r.unitPrice),
    PricingQuantity: r.quantity === undefined ? '' : dec10(r.quantity),
    PricingUnit: r.unit ?? '',
    ProviderName: 'AWS',
    RegionId: r.category === 'Usage' ? REGION : '',
    ResourceId: r.resourceId ?? '',
    ResourceName: '',
    ServiceCategory: r.serviceCategory,
    ServiceName: r.serviceName,
    SkuId: r.usageType ? skuOf(r.usageType) : '',
    SubAccountId: ACCOUNT,
    Tags: tags,
    x_ServiceCode: r.serviceCode,
    x_UsageType: r.usageType ?? '',
  };
  return FOCUS_COLUMNS.map((c) => csvField(values[c])).join(',');
}

const SAGEMAKER = {
  serviceName: 'Amazon SageMaker',
  serviceCategory: 'AI and Machine Learning',
  serviceCode: 'AmazonSageMaker',
} as const;
const endpointArn = (name: string): string => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name}`;

/** The tags of an endpoint's rows: its team and environment, and the opt-in to the tool's changes where given. */
const endpointTags = (plan: EndpointPlan): Record<string, string> => ({
  team: plan.team,
  env: plan.env,
  ...(plan.managed ? { 'perf-budgets:managed': 'true' } : {}),
});

function hostingRows(plan: EndpointPlan, hours: readonly EndpointHour[]): CostRow[] {
  const tags = endpointTags(plan);
  const rows: CostRow[] = [];
  for (const e of hours) {
    for (const b of e.billed) {
      const price = priceOf(specOf(b.type).hourlyUsd);
      const quantity = qtyOf(b.hours);
      rows.push({
        start: e.h,
        end: e.h + 1,
        cost: times(quantity, price),
        category: 'Usage',
        description: `$${dec10(price)} per Hosting ${b.type} hour in ${REGION_NAME}`,
        quantity,
        unit: 'Hrs',
        unitPrice: price,
        resourceId: endpointArn(plan.name),
        ...SAGEMAKER,
        usageType: `USE1-Host:${b.type}`,
        tags,
      });
    }
  }
  return rows;
}

/** Endpoint ML storage: one daily row per endpoint, GB-months prorated by the hour. */
function volumeRows(plan: EndpointPlan, hours: readonly EndpointHour[]): CostRow[] {
  const price = priceOf(0.14);
  const byDay = new Map<number, number>();
  for (const e of hours) {
    const d = Math.floor(e.h / 24);
    byDay.set(d, (byDay.get(d) ?? 0) + e.billed.reduce((s, b) => s + b.hours, 0));
  }
  return [...byDay].map(([d, instanceHours]) => {
    const month = monthOf(d * 24);
    const gbHours = money(String(instanceHours * plan.volumeGiB));
    const quantity = divide(gbHours, BigInt(month.end - month.start));
    return {
      start: d * 24,
      end: d * 24 + 24,
      cost: times(quantity, price),
      category: 'Usage',
      description: `$0.14 per GB-Mo of Endpoint ML storage in ${REGION_NAME}`,
      quantity,
      unit: 'GB-Mo',
      unitPrice: price,
      resourceId: endpointArn(plan.name),
      ...SAGEMAKER,
      usageType: 'USE1-Host:VolumeUsage.gp2',
      tags: endpointTags(plan),
    };
  });
}

/** Model artefacts in S3: one bucket per production team, growing as model versions accumulate. */
const BUCKETS: readonly { team: string; gb: number; growthGbPerDay: number }[] = [
  { team: 'chat', gb: 1800, growthGbPerDay: 14 },
  { team: 'search', gb: 420, growthGbPerDay: 3 },
  { team: 'ranking', gb: 960, growthGbPerDay: 9 },
  { team: 'embeddings', gb: 310, growthGbPerDay: 2 },
  { team: 'fraud', gb: 120, growthGbPerDay: 0.5 },
];

function s3Rows(): CostRow[] {
  const price = priceOf(0.023);
  const rows: CostRow[] = [];
  for (const b of BUCKETS) {
    for (let d = 0; d < DAYS; d++) {
      const month = monthOf(d * 24);
      const quantity = divide(
        money(String(b.gb + b.growthGbPerDay * d)),
        BigInt((month.end - month.start) / 24),
      );
      rows.push({
        start: d * 24,
        end: d * 24 + 24,
        cost: times(quantity, price),
        category: 'Usage',
        description: '$0.023 per GB - first 50 TB / month of storage used',
        quantity,
        unit: 'GB-Mo',
        unitPrice: price,
        resourceId: `acme-ml-artifacts-${b.team}`,
        serviceName: 'Amazon Simple Storage Service',
        serviceCategory: 'Storage',
        serviceCode: 'AmazonS3',
        usageType: 'TimedStorage-ByteHrs',
        tags: { team: b.team, env: 'prod' },
      });
    }
  }
  return rows;
}

/** Nightly learning-to-rank retraining on an on-demand ml.p3.2xlarge: the managed-spot lever. */
function trainingRows(): CostRow[] {
  const type = 'ml.p3.2xlarge';
  const price = priceOf(specOf(type).hourlyUsd);
  const rng = new Rng('training:rank-ltr');
  const rows: CostRow[] = [];
  for (let d = 0; d < DAYS; d++) {
    // Job length in steps of 3 minutes (0.05 h), so quantities stay exact decimals.
    const steps = 50 + Math.floor(rng.next() * 40);
    const job = `rank-ltr-${dayOf(d * 24).replace(/-/g, '')}`;
    for (let i = 0; i * 20 < steps; i++) {
      const hours = Math.min(20, steps - i * 20) / 20;
      const quantity = money(hours.toFixed(2));
      const h = d * 24 + 3 + i;
      rows.push({
        start: h,
        end: h + 1,
        cost: times(quantity, price),
        category: 'Usage',
        description: `$${dec10(price)} per Training ${type} hour in ${REGION_NAME}`,
        quantity,
        unit: 'Hrs',
        unitPrice: price,
        resourceId: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${job}`,
        ...SAGEMAKER,
        usageType: `USE1-Train:${type}`,
        tags: { team: 'ranking', env: 'prod' },
      });
    }
  }
  return rows;
}

/** Untagged charges that belong to no budget: a small EC2 fleet and CloudWatch. */
function otherRows(): CostRow[] {
  const rng = new Rng('other-services');
  const rows: CostRow[] = [];
  const ec2 = priceOf(0.192);
  const cwRequests = priceOf(0.00001);
  for (let d = 0; d < DAYS; d++) {
    const ec2Hours = money(String(72 + (d % 7 === 5 || d % 7 === 6 ? 0 : 24)));
    rows.push({
      start: d * 24,
      end: d * 24 + 24,
      cost: times(ec2Hours, ec2),
      category: 'Usage',
      description: `$0.192 per On Demand Linux m5.xlarge Instance Hour`,
      quantity: ec2Hours,
      unit: 'Hrs',
      unitPrice: ec2,
      resourceId: 'i-0f3a9c2e71b5d4a86',
      serviceName: 'Amazon Elastic Compute Cloud',
      serviceCategory: 'Compute',
      serviceCode: 'AmazonEC2',
      usageType: 'BoxUsage:m5.xlarge',
      tags: {},
    });
    const requests = money(String(380_000 + Math.floor(rng.next() * 60_000)));
    rows.push({
      start: d * 24,
      end: d * 24 + 24,
      cost: times(requests, cwRequests),
      category: 'Usage',
      description: '$0.01 per 1,000 metrics requested using GetMetricData API - US East (Northern Virginia)',
      quantity: requests,
      unit: 'Metrics',
      unitPrice: cwRequests,
      serviceName: 'AmazonCloudWatch',
      serviceCategory: 'Management and Governance',
      serviceCode: 'AmazonCloudWatch',
      usageType: 'CW:GMD-Metrics',
      tags: {},
    });
  }
  return rows;
}

/** Sales tax, one row per service and month, dated the first of the month (6% of the month's usage). */
function taxRows(usage: readonly CostRow[]): CostRow[] {
  const byMonthService = new Map<string, { start: number; end: number; row: CostRow; total: Money }>();
  for (const r of usage) {
    const m = monthOf(r.start);
    const key = `${m.start}|${r.serviceCode}`;
    const acc = byMonthService.get(key) ?? { ...m, row: r, total: 0n };
    acc.total += r.cost;
    byMonthService.set(key, acc);
  }
  return [...byMonthService.values()].map(({ start, end, row, total }) => ({
    start,
    end,
    cost: ((total * 6n) / 100n / (PICO / 100n)) * (PICO / 100n),
    category: 'Tax',
    description: `Tax for product code ${row.serviceCode}`,
    serviceName: row.serviceName,
    serviceCategory: row.serviceCategory,
    serviceCode: row.serviceCode,
    tags: {},
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics

const METRICS_HEADER = 'timestamp,endpoint,variant,metric,stat,value';

function metricLines(plan: EndpointPlan, hours: readonly EndpointHour[]): string[] {
  const lines: string[] = [];
  for (const e of hours) {
    const p = `${isoHour(e.h)},${plan.name},AllTraffic,`;
    lines.push(
      `${p}Invocations,Sum,${e.invocations}`,
      `${p}ModelLatency,p99,${e.modelP99Us}`,
      `${p}ModelLatency,Average,${e.modelAvgUs}`,
      `${p}OverheadLatency,p99,${e.overheadP99Us}`,
      `${p}Invocation4XXErrors,Sum,${e.errors4xx}`,
      `${p}Invocation5XXErrors,Sum,${e.errors5xx}`,
      `${p}CPUUtilization,Average,${e.cpuPercent}`,
      `${p}MemoryUtilization,Average,${e.memoryPercent}`,
    );
    if (e.gpuPercent !== undefined) lines.push(`${p}GPUUtilization,Average,${e.gpuPercent}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Budget file

function yamlBudgets(): string {
  const flow = (o: object): string =>
    `{ ${Object.entries(o)
      .map(
        ([k, v]) =>
          `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'object' && v !== null ? flow(v) : v}`,
      )
      .join(', ')} }`;
  const out = [
    "# The demo account's budget file (written by examples/demo/generate.ts; edit the scenario there).",
    'version: 1',
    'currency: USD',
    'billingPeriod: { startDay: 1, timezone: UTC }',
    'costMetric: billed',
    'tiers:',
    `  production: ${flow(TIERS.production)}`,
    `  experiment: ${flow(TIERS.experiment)}`,
    'notifications:',
    `  sns: { topicArn: "arn:aws:sns:${REGION}:${ACCOUNT}:perf-budgets-alerts" }`,
    '  slack: { channel: "#ml-cost" }',
    'budgets:',
  ];
  for (const b of BUDGETS) {
    const { utilization, ...scalar } = b.limits;
    out.push(
      `  # ${b.purpose}`,
      `  - name: ${b.name}`,
      `    owner: ${b.owner}`,
      `    tier: ${b.tier}`,
      `    environment: ${b.environment}`,
      '    selector:',
      `      endpoints: [${b.endpoints.map((e) => `"${e}"`).join(', ')}]`,
      `      tags: ${flow(b.tags)}`,
      '    limits:',
      ...Object.entries(scalar).map(([k, v]) => `      ${k}: ${v}`),
      ...(utilization ? [`      utilization: ${flow(utilization)}`] : []),
      '    alertAt: [0.5, 0.8, 1.0]',
      ...(b.scaling ? [`    scaling: ${flow(b.scaling)}`] : []),
    );
    if (b.exceptions?.length) {
      out.push('    exceptions:');
      for (const e of b.exceptions) {
        out.push(
          `      - reason: "${e.reason}"`,
          `        approvedBy: ${e.approvedBy}`,
          `        expires: ${e.expires}`,
          `        limits: ${flow(e.limits)}`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks: every budget must come out as the scenario intends, whatever reasonable forecast or aggregation a tool uses

type Verdict = 'violated' | 'met' | 'unclear';

interface LimitCheck {
  readonly limit: string;
  /** The finding a tool raises when the limit is violated. */
  readonly finding: FindingKind;
  readonly limitValue: number;
  /** The observed value under each aggregation a tool may reasonably use. */
  readonly observed: Readonly<Record<string, number>>;
  readonly verdict: Verdict;
}

export interface BudgetCheck {
  readonly name: string;
  readonly status: Status | 'unclear';
  readonly septemberSpend: string;
  readonly spendToDate: string;
  readonly octoberSpend: string;
  readonly checks: readonly LimitCheck[];
}

const usd = (m: Money): number => Number(m) / Number(PICO);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] ?? 0)
    : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};

/**
 * Three-valued judgement with margins: `violated` when every aggregation is past the limit by `over`,
 * `met` when every aggregation is inside it by `under`, `unclear` otherwise (the scenario must then be retuned).
 */
function judge(
  limit: string,
  finding: FindingKind,
  limitValue: number,
  observed: Record<string, number>,
  direction: 'above' | 'below',
  margins: { over: number; under: number },
): LimitCheck {
  const values = Object.values(observed);
  const past = (v: number, f: number) => (direction === 'above' ? v > limitValue * f : v < limitValue * f);
  const violated = values.every((v) => past(v, 1 + (direction === 'above' ? margins.over : -margins.over)));
  const met = values.every((v) => !past(v, 1 - (direction === 'above' ? margins.under : -margins.under)));
  return { limit, finding, limitValue, observed, verdict: violated ? 'violated' : met ? 'met' : 'unclear' };
}

function checkBudget(
  b: BudgetPlan,
  rows: readonly CostRow[],
  sims: ReadonlyMap<string, EndpointHour[]>,
): BudgetCheck {
  const mine = rows.filter((r) => r.category === 'Usage' && matches(b, r));
  const spend = (from: number, to: number, pred: (r: CostRow) => boolean = () => true): Money =>
    mine.filter((r) => r.start >= from && r.start < to && pred(r)).reduce((s, r) => s + r.cost, 0n);
  const periodStart = dayIndex(PERIOD.start) * 24;
  const periodEnd = dayIndex(PERIOD.end) * 24;
  const asOfEnd = (dayIndex(AS_OF) + 1) * 24;
  const last7Start = asOfEnd - 7 * 24;
  const periodDays = (periodEnd - periodStart) / 24;
  const daysToDate = (asOfEnd - periodStart) / 24;
  const toDate = spend(periodStart, asOfEnd);

  const limits: BudgetPlan['limits'] = Object.assign(
    { ...b.limits },
    ...(b.exceptions ?? []).filter((e) => e.expires >= AS_OF).map((e) => e.limits),
  );
  const cap = limits.spendPerPeriod;
  const checks: LimitCheck[] = [
    judge('spendPerPeriod (to date)', 'spend-breach', cap, { toDate: usd(toDate) }, 'above', {
      over: 0,
      under: 0.2,
    }),
    judge(
      'spendPerPeriod (forecast)',
      'spend-forecast',
      cap,
      {
        periodAverage: (usd(toDate) / daysToDate) * periodDays,
        last7RunRate: usd(toDate) + (usd(spend(last7Start, asOfEnd)) / 7) * (periodDays - daysToDate),
      },
      'above',
      { over: 0.05, under: 0.2 },
    ),
  ];

  const endpoints = ENDPOINTS.filter((e) =>
    matches(b, { tags: { team: e.team, env: e.env }, endpoint: e.name }),
  );
  const hoursIn = (from: number, to: number) =>
    endpoints.flatMap((e) => (sims.get(e.name) ?? []).filter((x) => x.h >= from && x.h < to));
  const unitCost = (from: number, to: number) => {
    const hosting = spend(from, to, (r) => r.resourceId?.includes(':endpoint/') === true);
    return (usd(hosting) / hoursIn(from, to).reduce((s, x) => s + x.invocations, 0)) * 1000;
  };
  const errorRate = (from: number, to: number) => {
    const hs = hoursIn(from, to);
    return hs.reduce((s, x) => s + x.errors4xx + x.errors5xx, 0) / hs.reduce((s, x) => s + x.invocations, 0);
  };
  const last7 = hoursIn(last7Start, asOfEnd);
  const unit = { last7: unitCost(last7Start, asOfEnd), periodToDate: unitCost(periodStart, asOfEnd) };
  if (limits.costPer1kInferences !== undefined) {
    checks.push(
      judge('costPer1kInferences', 'unit-cost', limits.costPer1kInferences, unit, 'above', {
        over: 0.05,
        under: 0.1,
      }),
    );
  }
  if (limits.latencyP99Ms !== undefined) {
    const p99 = last7.map((x) => x.modelP99Us / 1000);
    const observed = {
      maxHourlyWithOverhead: Math.max(...last7.map((x) => (x.modelP99Us + x.overheadP99Us) / 1000)),
      medianHourly: median(p99),
      meanHourly: mean(p99),
    };
    checks.push(
      judge('latencyP99Ms', 'latency', limits.latencyP99Ms, observed, 'above', { over: 0, under: 0.1 }),
    );
  }
  if (limits.errorRate !== undefined) {
    const observed = { last7: errorRate(last7Start, asOfEnd), periodToDate: errorRate(periodStart, asOfEnd) };
    checks.push(
      judge('errorRate', 'error-rate', limits.errorRate, observed, 'above', { over: 0, under: 0.5 }),
    );
  }
  const utilization = {
    meanHourly: mean(last7.map((x) => x.utilization)),
    instanceWeighted:
      last7.reduce((s, x) => s + x.utilization * x.instances, 0) / last7.reduce((s, x) => s + x.instances, 0),
  };
  if (limits.utilization?.min !== undefined) {
    checks.push(
      judge('utilization.min', 'utilization-low', limits.utilization.min, utilization, 'below', {
        over: 0.1,
        under: 0.1,
      }),
    );
  }
  if (limits.utilization?.max !== undefined) {
    const observed = { ...utilization, maxHourly: Math.max(...last7.map((x) => x.utilization)) };
    checks.push(
      judge('utilization.max', 'utilization-high', limits.utilization.max, observed, 'above', {
        over: 0.05,
        under: 0,
      }),
    );
  }
  if (limits.maxInstances !== undefined) {
    const perHour = new Map<number, number>();
    for (const x of last7) perHour.set(x.h, (perHour.get(x.h) ?? 0) + x.instances);
    const observed = { peakTotal: Math.max(...perHour.values()) };
    checks.push(
      judge('maxInstances', 'max-instances', limits.maxInstances, observed, 'above', { over: 0, under: 0 }),
    );
  }
  const exit = TIERS[b.tier].exitCriteria;
  if (exit) {
    checks.push(
      judge(
        'exitCriteria.maxCostPer1kInferences',
        'exit-criteria',
        exit.maxCostPer1kInferences,
        unit,
        'above',
        {
          over: 0.05,
          under: 0.1,
        },
      ),
    );
    const firstHour = Math.min(...endpoints.map((e) => e.created ?? 0));
    const days = { sinceCreated: (asOfEnd - firstHour) / 24 };
    checks.push(
      judge('exitCriteria.maxDays', 'exit-criteria', exit.maxDays, days, 'above', { over: 0, under: 0.1 }),
    );
  }

  for (const e of b.exceptions ?? []) {
    if (e.expires >= AS_OF) continue;
    const limitsNamed = Object.keys(e.limits).join(', ');
    checks.push({
      limit: `exception on ${limitsNamed}, expired ${e.expires}`,
      finding: 'exception-expired',
      limitValue: 0,
      observed: {},
      verdict: 'violated',
    });
  }

  // Exit criteria and expired exceptions raise findings but are not limits: they leave the status alone.
  const statusChecks = checks.filter(
    (c) => !c.limit.startsWith('exitCriteria') && c.finding !== 'exception-expired',
  );
  const status: BudgetCheck['status'] = statusChecks.some((c) => c.verdict === 'unclear')
    ? 'unclear'
    : statusChecks.some((c) => c.verdict === 'violated' && c.finding !== 'spend-forecast')
      ? 'breached'
      : statusChecks.some((c) => c.verdict === 'violated')
        ? 'at-risk'
        : 'ok';
  return {
    name: b.name,
    status,
    septemberSpend: dec10(spend(dayIndex(BASELINE.start) * 24, dayIndex(BASELINE.end) * 24)),
    spendToDate: dec10(toDate),
    octoberSpend: dec10(spend(periodStart, periodEnd)),
    checks,
  };
}

/** The selector reading of lambdas/core/selector.ts: rows naming no endpoint are taken on tags alone. */
function matches(
  b: BudgetPlan,
  r: {
    readonly tags: Readonly<Record<string, string>>;
    readonly resourceId?: string;
    readonly endpoint?: string;
  },
): boolean {
  for (const [k, v] of Object.entries(b.tags)) if (r.tags[k] !== v) return false;
  const endpoint = r.endpoint ?? /:endpoint\/(.+)$/.exec(r.resourceId ?? '')?.[1];
  if (endpoint === undefined) return true;
  return b.endpoints.some((g) =>
    new RegExp(`^${g.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(endpoint),
  );
}

/** What keeps the truth honest: the intended status, and exactly the findings the incidents list. */
function verdictProblems(c: BudgetCheck, b: BudgetPlan): string[] {
  const problems: string[] = [];
  if (c.status !== b.intended) problems.push(`status ${c.status}, intended ${b.intended}`);
  for (const l of c.checks) {
    if (l.verdict === 'unclear')
      problems.push(`${l.limit} ${l.limitValue} is too close to ${JSON.stringify(l.observed)}`);
  }
  const violated = new Set(c.checks.filter((l) => l.verdict === 'violated').map((l) => l.finding));
  const listed = new Set(INCIDENTS.filter((i) => i.budget === b.name).map((i) => i.expectedFinding));
  for (const f of violated)
    if (!listed.has(f)) problems.push(`the data raises ${f}, which no incident lists`);
  for (const f of listed)
    if (!violated.has(f)) problems.push(`an incident expects ${f}, which the data does not raise`);
  return problems.map((p) => `budget ${b.name}: ${p}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Putting it together

/** Per endpoint and month: mean and peak instances, hours pinned at the autoscaling max, utilisation, p99. */
function endpointStats(sims: ReadonlyMap<string, EndpointHour[]>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const plan of ENDPOINTS) {
    for (const [label, from, to] of [
      ['Sep', 0, dayIndex(PERIOD.start) * 24],
      ['Oct1-15', dayIndex(PERIOD.start) * 24, (dayIndex(AS_OF) + 1) * 24],
      ['Oct9-15', (dayIndex(AS_OF) - 6) * 24, (dayIndex(AS_OF) + 1) * 24],
    ] as const) {
      const hs = (sims.get(plan.name) ?? []).filter((x) => x.h >= from && x.h < to);
      if (!hs.length) continue;
      const mean = (f: (x: EndpointHour) => number) => round2(hs.reduce((s, x) => s + f(x), 0) / hs.length);
      out.push({
        endpoint: plan.name,
        window: label,
        rps: mean((x) => x.invocations / 3600),
        instances: mean((x) => x.instances),
        peak: Math.max(...hs.map((x) => x.instances)),
        atMax: hs.filter((x) => x.instances >= plan.maxInstances).length,
        util: mean((x) => x.utilization),
        utilMax: round2(Math.max(...hs.map((x) => x.utilization))),
        p99Ms: round2(Math.max(...hs.map((x) => x.modelP99Us / 1000))),
        p99MinMs: round2(Math.min(...hs.map((x) => x.modelP99Us / 1000))),
      });
    }
  }
  return out;
}

export interface DemoOutput {
  /** File contents by path relative to the output directory. */
  readonly files: ReadonlyMap<string, string>;
  readonly checks: readonly BudgetCheck[];
  readonly problems: readonly string[];
  readonly endpointStats: readonly Record<string, unknown>[];
}

/** Throws when a budget does not come out as the scenario intends, unless `lenient` (to tune the scenario). */
export function generateDemo(trafficCsv: string, options: { lenient?: boolean } = {}): DemoOutput {
  const traffic = parseTraffic(trafficCsv);
  const sims = new Map<string, EndpointHour[]>();
  for (const plan of ENDPOINTS) {
    const series = traffic.get(plan.client);
    if (!series) throw new Error(`traffic-servegen.csv has no client ${plan.client}`);
    sims.set(plan.name, simulate(plan, series));
  }

  const usage: CostRow[] = [];
  for (const plan of ENDPOINTS) {
    const hours = sims.get(plan.name) ?? [];
    usage.push(...hostingRows(plan, hours), ...volumeRows(plan, hours));
  }
  usage.push(...s3Rows(), ...trainingRows(), ...otherRows());
  const rows = [...taxRows(usage), ...usage].sort(
    (a, b) => a.start - b.start || a.serviceCode.localeCompare(b.serviceCode),
  );

  const checks = BUDGETS.map((b) => checkBudget(b, rows, sims));
  const problems = BUDGETS.flatMap((b, i) => {
    const c = checks[i];
    return c ? verdictProblems(c, b) : [];
  });
  if (problems.length && !options.lenient)
    throw new Error(`the scenario does not hold:\n${problems.join('\n')}`);

  const periodStart = dayIndex(PERIOD.start) * 24;
  const periodEnd = dayIndex(PERIOD.end) * 24;
  const monthTotals = Object.fromEntries(
    BUDGETS.map((b) => [
      b.name,
      dec10(
        rows
          .filter((r) => r.start >= periodStart && r.start < periodEnd && matches(b, r))
          .reduce((s, r) => s + r.cost, 0n),
      ),
    ]),
  );

  const demo = {
    description:
      'A SageMaker inference account, September-October 2026. Traffic derived from ServeGen (Alibaba production LLM traces); billing and metrics derived from that traffic x an autoscaling capacity model x list prices.',
    asOf: AS_OF,
    budgets: 'budgets.yaml',
    costs: ['data/costs.focus.csv'],
    metrics: 'data/metrics.csv',
    period: PERIOD,
    history: { start: HISTORY_START, end: HISTORY_END },
    truth: {
      incidents: INCIDENTS.map(({ startsAt, ...i }) => ({ ...i, startsOn: dayOf(startsAt) })),
      statuses: Object.fromEntries(BUDGETS.map((b) => [b.name, b.intended])),
      monthTotals,
    },
  };

  const metrics = [METRICS_HEADER];
  for (const plan of ENDPOINTS) metrics.push(...metricLines(plan, sims.get(plan.name) ?? []));

  const files = new Map<string, string>([
    ['budgets.yaml', yamlBudgets()],
    ['demo.json', `${formatJson(demo)}\n`],
    ['data/costs.focus.csv', `${[FOCUS_COLUMNS.join(','), ...rows.map(focusLine)].join('\n')}\n`],
    ['data/metrics.csv', `${metrics.join('\n')}\n`],
  ]);
  return { files, checks, problems, endpointStats: endpointStats(sims) };
}

/**
 * JSON.stringify with two-space indents, except that arrays of scalars stay on one line when they fit: the layout
 * the repository's formatter (biome) gives, so that formatting the committed file does not change it.
 */
function formatJson(value: unknown, indent = '', keyWidth = 0): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const inline = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (indent.length + keyWidth + inline.length + 1 <= 110) return inline;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const body = entries.map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return `${inner}${key}${formatJson(v, inner, key.length)}`;
    });
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Reads the committed traffic file and writes the demo account into `outDir`. */
export function writeDemo(outDir: string, options: { lenient?: boolean } = {}): DemoOutput {
  const out = generateDemo(readFileSync(join(HERE, 'traffic-servegen.csv'), 'utf8'), options);
  for (const [rel, content] of out.files) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const outDir = args.find((a) => !a.startsWith('--')) ?? HERE;
  const out = writeDemo(outDir, { lenient: args.includes('--lenient') });
  for (const [rel, content] of out.files) console.log(`wrote ${join(outDir, rel)} (${content.length} bytes)`);
  for (const c of out.checks) {
    const budget = BUDGETS.find((b) => b.name === c.name);
    const violated = c.checks.filter((l) => l.verdict === 'violated').map((l) => l.limit);
    console.log(
      `${c.name.padEnd(15)} ${c.status.padEnd(9)} cap ${budget?.limits.spendPerPeriod}  Sep ${c.septemberSpend}` +
        `  Oct to date ${c.spendToDate}  Oct ${c.octoberSpend}  violated: ${violated.join(', ') || 'nothing'}` +
        `\n${' '.repeat(16)}${budget?.story}`,
    );
  }
  if (args.includes('--verbose')) {
    for (const c of out.checks) console.log(JSON.stringify(c));
    for (const e of out.endpointStats) console.log(JSON.stringify(e));
  }
  for (const p of out.problems) console.log(`PROBLEM ${p}`);
}
