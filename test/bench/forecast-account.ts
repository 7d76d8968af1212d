/**
 * Seven months (2025-12-01 .. 2026-06-30) of a SageMaker inference account for the forecast backtest
 * (`npm run bench:forecast`), built in memory: a cost snapshot with daily rows, and its budget file.
 *
 * What is real: the traffic. Every endpoint follows one of the ServeGen production clients of
 * `examples/demo/traffic-servegen.csv` (hourly rates over 14 days, Alibaba Cloud Model Studio, Apache-2.0; see
 * examples/demo/README.md), repeated with its weekdays aligned, as the demo account does.
 *
 * What is derived: the spend, as in the demo (traffic x target-tracking autoscaling x list prices of
 * lambdas/core/instances.ts); and the six months of change around the 14 real days, which no public trace has. They
 * are drawn from seeded random processes whose rates were fixed before the forecast was tuned against this account:
 * - demand drifts (a daily random walk, 1% a day, and a drift of -4% to +9% a month per endpoint);
 * - US holidays put office-hours clients on a weekend day's traffic and the others at 85%;
 * - each endpoint sees about one change every 60 days: an instance resize, a new autoscaling minimum, a step in
 *   traffic (a client joins or leaves) or a ramp over one to three weeks;
 * - new endpoints appear about every 120 days per production budget (every 25 days in the experiments budget),
 *   at any hour; half of the production ones and all experiments are retired after 5 to 45 days.
 * Other charges: model artefacts in S3 on every day, and (ranking) a retraining job every 3 to 4 days.
 *
 * Deterministic: seeded generators, no clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTraffic } from '../../examples/demo/generate.ts';
import { SeededRandom } from '../../examples/seeded-random.ts';
import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { instanceSpec } from '../../lambdas/core/instances.ts';
import { moneyFromNumber } from '../../lambdas/core/money.ts';
import { addDays, daysBetween } from '../../lambdas/core/period.ts';
import type { CostRecord, Snapshot } from '../../lambdas/core/types.ts';

export const ACCOUNT_FROM = '2025-12-01';
/** Exclusive. */
export const ACCOUNT_TO = '2026-07-01';
export const FORECAST_MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'] as const;

const DAYS = daysBetween(ACCOUNT_FROM, ACCOUNT_TO);
const HOURS = DAYS * 24;
const DAY_MS = 86_400_000;
const T0 = Date.parse(`${ACCOUNT_FROM}T00:00:00Z`);
const TRACE_HOURS = 336;
/** The trace's clock read as US Eastern standard time; trace day 0 is a Tuesday, as 2025-12-02 is. */
const TRACE_UTC_OFFSET_HOURS = 5;
const TRACE_START_HOUR = 24 + TRACE_UTC_OFFSET_HOURS;
/** A trace Saturday: what an office-hours client looks like on a holiday. */
const TRACE_SATURDAY = 4;
const HOLIDAYS = ['2025-12-25', '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19'];
const OFFICE_HOURS_CLIENTS = new Set(['chunk-48', 'chunk-56', 'chunk-15']);

const ENDPOINT_CHANGES_PER_DAY = 1 / 60;
const NEW_ENDPOINTS_PER_DAY = { production: 1 / 120, experiment: 1 / 25 } as const;

const FAMILIES: readonly (readonly string[])[] = [
  ['ml.g5.xlarge', 'ml.g5.2xlarge', 'ml.g5.4xlarge', 'ml.g5.8xlarge'],
  ['ml.g4dn.xlarge', 'ml.g4dn.2xlarge', 'ml.g4dn.4xlarge'],
  ['ml.c5.xlarge', 'ml.c5.2xlarge', 'ml.c5.4xlarge'],
];

interface EndpointSeed {
  readonly name: string;
  readonly client: string;
  /** Mean request rate the client's trace is scaled to, req/s. */
  readonly meanRps: number;
  readonly type: string;
  /** Requests per second one instance of `type` is scaled to hold (target tracking). */
  readonly targetRps: number;
  readonly min: number;
  readonly max: number;
}

interface BudgetSeed {
  readonly name: string;
  readonly tier: 'production' | 'experiment';
  readonly cap: number;
  readonly endpoints: readonly EndpointSeed[];
  /** Daily model-artefact storage in S3, dollars at the start. */
  readonly s3PerDay: number;
  readonly training?: { readonly type: string; readonly hours: number };
}

/** Days until the next event of a Poisson process with `perDay` events a day. */
const waitDays = (rng: SeededRandom, perDay: number) => -Math.log(1 - rng.next()) / perDay;

const ep = (
  name: string,
  client: string,
  meanRps: number,
  type: string,
  targetRps: number,
  min: number,
  max: number,
): EndpointSeed => ({ name, client, meanRps, type, targetRps, min, max });

const BUDGETS: readonly BudgetSeed[] = [
  {
    name: 'chat',
    tier: 'production',
    cap: 3000,
    endpoints: [ep('chat-prod', 'chunk-48', 4, 'ml.g5.2xlarge', 3.3, 1, 8)],
    s3PerDay: 2.1,
  },
  {
    name: 'search',
    tier: 'production',
    cap: 5000,
    endpoints: [
      ep('search-prod', 'chunk-100', 100, 'ml.g4dn.xlarge', 30, 2, 20),
      ep('search-prod-b', 'chunk-21', 60, 'ml.g4dn.xlarge', 30, 2, 20),
    ],
    s3PerDay: 1.4,
  },
  {
    name: 'ranking',
    tier: 'production',
    cap: 4500,
    endpoints: [ep('rank-prod', 'chunk-56', 30, 'ml.g5.xlarge', 12, 2, 10)],
    s3PerDay: 3.2,
    training: { type: 'ml.p3.2xlarge', hours: 6 },
  },
  {
    name: 'embeddings',
    tier: 'production',
    cap: 2500,
    endpoints: [ep('embed-prod', 'chunk-41', 40, 'ml.g4dn.xlarge', 20, 1, 20)],
    s3PerDay: 0.8,
  },
  {
    name: 'fraud',
    tier: 'production',
    cap: 900,
    endpoints: [ep('fraud-prod', 'chunk-112', 150, 'ml.c5.xlarge', 60, 2, 16)],
    s3PerDay: 0.3,
  },
  {
    name: 'assistant',
    tier: 'production',
    cap: 3500,
    endpoints: [ep('assist-prod', 'chunk-15', 3, 'ml.g5.2xlarge', 2, 1, 6)],
    s3PerDay: 1.7,
  },
  {
    name: 'labs',
    tier: 'experiment',
    cap: 2000,
    endpoints: [ep('labs-rerank', 'chunk-56', 6, 'ml.c5.2xlarge', 8, 1, 4)],
    s3PerDay: 0.6,
  },
];

/** What changes an endpoint from an hour on. */
type Change =
  | { readonly kind: 'resize'; readonly type: string }
  | { readonly kind: 'minimum'; readonly min: number }
  | { readonly kind: 'traffic-step'; readonly factor: number }
  | { readonly kind: 'ramp'; readonly factor: number; readonly days: number };

interface Plan extends EndpointSeed {
  readonly budget: string;
  /** Hour the endpoint went into service (fractional), and the hour it was deleted (exclusive, fractional). */
  readonly created: number;
  readonly deleted: number;
  readonly changes: readonly { readonly at: number; readonly change: Change }[];
}

export interface ForecastAccount {
  readonly snapshot: Snapshot;
  readonly file: BudgetFile;
  /** What happened, in order, for people reading the benchmark's output. */
  readonly events: readonly string[];
}

export function forecastAccount(trafficCsv: string): ForecastAccount {
  const traffic = parseTraffic(trafficCsv);
  const plans = BUDGETS.flatMap((b) => planBudget(b, traffic));
  const costs: CostRecord[] = [];
  for (const p of plans) costs.push(...hostingRecords(p, traffic));
  for (const b of BUDGETS) costs.push(...otherRecords(b));
  costs.sort((a, b) => a.start - b.start);
  return {
    snapshot: {
      asOf: addDays(ACCOUNT_TO, -1),
      currency: 'USD',
      costs,
      inventory: [],
      gaps: [],
    },
    file: budgetFile(),
    events: plans.flatMap(describe).sort(),
  };
}

export function readForecastAccount(repo: string): ForecastAccount {
  return forecastAccount(readFileSync(join(repo, 'examples/demo/traffic-servegen.csv'), 'utf8'));
}

function planBudget(b: BudgetSeed, traffic: ReadonlyMap<string, readonly number[]>): Plan[] {
  const rng = new SeededRandom(`forecast-account:${b.name}:endpoints`);
  const plans: Plan[] = b.endpoints.map((e) => plan(b.name, e, 0, HOURS));
  const clients = [...traffic.keys()];
  let n = 0;
  for (let at = waitDays(rng, NEW_ENDPOINTS_PER_DAY[b.tier]) * 24; at < HOURS; ) {
    const base = b.endpoints[n % b.endpoints.length] as EndpointSeed;
    const retires = b.tier === 'experiment' || rng.next() < 0.5;
    const deleted = retires ? Math.min(HOURS, at + rng.between(5, 45) * 24) : HOURS;
    const seed: EndpointSeed = {
      ...base,
      name: `${b.name}-new-${++n}`,
      client: clients[rng.int(0, clients.length - 1)] as string,
      meanRps: base.meanRps * rng.between(0.2, 0.8),
    };
    plans.push(plan(b.name, seed, at, deleted));
    at += waitDays(rng, NEW_ENDPOINTS_PER_DAY[b.tier]) * 24;
  }
  return plans;
}

function plan(budget: string, e: EndpointSeed, created: number, deleted: number): Plan {
  const rng = new SeededRandom(`forecast-account:${e.name}:changes`);
  const changes: { at: number; change: Change }[] = [];
  let type = e.type;
  for (let at = created + waitDays(rng, ENDPOINT_CHANGES_PER_DAY) * 24; at < deleted; ) {
    const kind = rng.pick<Change['kind']>([
      ['resize', 0.25],
      ['minimum', 0.2],
      ['traffic-step', 0.3],
      ['ramp', 0.25],
    ]);
    let change: Change;
    if (kind === 'resize') {
      const family = FAMILIES.find((f) => f.includes(type)) ?? [type];
      const i = family.indexOf(type);
      const j = i === 0 ? 1 : i === family.length - 1 ? i - 1 : rng.next() < 0.5 ? i - 1 : i + 1;
      type = family[j] ?? type;
      change = { kind, type };
    } else if (kind === 'minimum') {
      change = { kind, min: Math.max(1, Math.min(e.max, Math.round(e.min * rng.between(0.5, 3)))) };
    } else if (kind === 'traffic-step') {
      change = { kind, factor: Math.exp(rng.between(Math.log(0.6), Math.log(1.6))) };
    } else {
      change = { kind, factor: rng.between(1.2, 1.7), days: rng.between(7, 21) };
    }
    changes.push({ at, change });
    at += waitDays(rng, ENDPOINT_CHANGES_PER_DAY) * 24;
  }
  return { ...e, budget, created, deleted, changes };
}

/** Instances a request rate needs on `type`: throughput per instance follows GPUs, or vCPUs on CPU instances. */
function capacityOf(e: EndpointSeed, type: string): number {
  const base = instanceSpec(e.type);
  const now = instanceSpec(type);
  if (!base || !now) throw new Error(`unknown instance type ${type}`);
  return base.gpus > 0 ? e.targetRps * (now.gpus / base.gpus) : e.targetRps * (now.vcpu / base.vcpu);
}

function hostingRecords(p: Plan, traffic: ReadonlyMap<string, readonly number[]>): CostRecord[] {
  const trace = traffic.get(p.client);
  if (!trace) throw new Error(`no traffic for ${p.client}`);
  const mean = trace.reduce((a, b) => a + b, 0) / trace.length;
  const office = OFFICE_HOURS_CLIENTS.has(p.client);
  const rng = new SeededRandom(`forecast-account:${p.name}:traffic`);
  const drift = rng.between(-0.04, 0.09) / 30;
  const demand: number[] = [];
  for (let d = 0, log = 0; d < DAYS; d++, log += drift + 0.01 * rng.normal()) demand.push(Math.exp(log));

  const perDay = new Map<string, { hours: number; cost: number }>();
  const first = Math.floor(p.created);
  const last = Math.ceil(p.deleted);
  let prevDesired = 0;
  for (let h = first; h < last; h++) {
    const live = Math.min(h + 1, p.deleted) - Math.max(h, p.created);
    const d = Math.floor(h / 24);
    const holiday = HOLIDAYS.includes(addDays(ACCOUNT_FROM, d));
    const traceHour = holiday && office ? TRACE_SATURDAY * 24 + (h % 24) : h;
    const i = (((traceHour - TRACE_START_HOUR) % TRACE_HOURS) + TRACE_HOURS) % TRACE_HOURS;
    const shape = (trace[i] ?? 0) / mean;
    let type = p.type;
    let min = p.min;
    let factor = 1;
    for (const { at, change } of p.changes) {
      if (at > h) break;
      if (change.kind === 'resize') type = change.type;
      else if (change.kind === 'minimum') min = change.min;
      else if (change.kind === 'traffic-step') factor *= change.factor;
      else factor *= 1 + (change.factor - 1) * Math.min(1, (h - at) / (24 * change.days));
    }
    const rate =
      p.meanRps * shape * (demand[d] ?? 1) * factor * (holiday && !office ? 0.85 : 1) * rng.jitter(0.04);
    const desired = Math.max(1, Math.ceil(rate / capacityOf(p, type)));
    // target tracking scales out within the hour and in an hour later
    const instances = Math.min(p.max, Math.max(min, desired, h === first ? 0 : prevDesired));
    prevDesired = desired;
    const key = `${d}|${type}`;
    const day = perDay.get(key) ?? { hours: 0, cost: 0 };
    day.hours += instances * live;
    day.cost += instances * live * (instanceSpec(type)?.hourlyUsd ?? 0);
    perDay.set(key, day);
  }
  const tags = { team: p.budget };
  return [...perDay].map(([key, { hours, cost }]) => {
    const [d, type] = key.split('|') as [string, string];
    const start = T0 + Number(d) * DAY_MS;
    return {
      start,
      end: start + DAY_MS,
      amount: moneyFromNumber(cost),
      currency: 'USD',
      service: 'Amazon SageMaker',
      chargeCategory: 'Usage',
      usageType: `USE1-Host:${type}`,
      resourceId: `arn:aws:sagemaker:us-east-1:111122223333:endpoint/${p.name}`,
      endpoint: p.name,
      instanceType: type,
      usageHours: hours,
      tags,
    };
  });
}

function otherRecords(b: BudgetSeed): CostRecord[] {
  const rng = new SeededRandom(`forecast-account:${b.name}:other`);
  const tags = { team: b.name };
  const out: CostRecord[] = [];
  let nextJob = rng.between(0, 4);
  for (let d = 0; d < DAYS; d++) {
    const start = T0 + d * DAY_MS;
    const day = { start, end: start + DAY_MS, currency: 'USD', tags, chargeCategory: 'Usage' };
    // artefacts accumulate: about 10% more stored each month
    const s3 = b.s3PerDay * (1 + (0.1 * d) / 30);
    out.push({ ...day, amount: moneyFromNumber(s3), service: 'Amazon Simple Storage Service' });
    if (b.training && d >= nextJob) {
      const price = instanceSpec(b.training.type)?.hourlyUsd ?? 0;
      out.push({
        ...day,
        amount: moneyFromNumber(price * b.training.hours * rng.between(0.8, 1.2)),
        service: 'Amazon SageMaker',
        usageType: `USE1-Train:${b.training.type}`,
        training: true,
      });
      nextJob = d + rng.int(3, 4);
    }
  }
  return out;
}

function budgetFile(): BudgetFile {
  return tagBudgets(BUDGETS.map((b) => ({ name: b.name, tier: b.tier, tags: { team: b.name }, cap: b.cap })));
}

/** A budget file of monthly UTC budgets in `advise` mode, each selecting its spend by tags. */
export function tagBudgets(
  budgets: readonly {
    readonly name: string;
    readonly tier: 'production' | 'experiment';
    readonly tags: Readonly<Record<string, string>>;
    readonly cap: number;
  }[],
): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { production: { mode: 'advise' }, experiment: { mode: 'advise' } },
    budgets: budgets.map((b) => ({
      name: b.name,
      owner: `${b.name}@example.com`,
      tier: b.tier,
      environment: b.tier === 'production' ? 'prod' : 'experiment',
      selector: { tags: b.tags },
      limits: { spendPerPeriod: b.cap },
    })),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

const dayAt = (h: number) => {
  const iso = new Date(T0 + h * 3_600_000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
};

function describe(p: Plan): string[] {
  const out: string[] = [];
  if (p.created > 0) out.push(`${dayAt(p.created)} ${p.name} (${p.budget}) created on ${p.type}`);
  if (p.deleted < HOURS) out.push(`${dayAt(p.deleted)} ${p.name} (${p.budget}) deleted`);
  for (const { at, change } of p.changes) {
    const what =
      change.kind === 'resize'
        ? `resized to ${change.type}`
        : change.kind === 'minimum'
          ? `minimum instances set to ${change.min}`
          : change.kind === 'traffic-step'
            ? `traffic steps x${change.factor.toFixed(2)}`
            : `traffic ramps x${change.factor.toFixed(2)} over ${change.days.toFixed(0)} days`;
    out.push(`${dayAt(at)} ${p.name} (${p.budget}) ${what}`);
  }
  return out;
}
