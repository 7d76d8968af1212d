/**
 * One small SageMaker inference account, as hourly truth, from which every input of a cycle is rendered: FOCUS files
 * with and without AWS's `x_` columns and a metrics file (paths-files.ts), and a loopback AWS account for `run --aws`
 * (paths-aws.ts). One account through every path must give the same numbers.
 *
 * From 2026-09-01 through as-of 2026-10-15, in us-east-1, each endpoint shows one thing a cause must name:
 * - search-prod (team=search, env=prod): autoscaled ml.g5.xlarge whose traffic grows by 90% from 1 October;
 *   the team's model artefacts in S3 (same tags) count in its budget too;
 * - search-staging (team=search, env=staging): outside the search budget, which selects env=prod only;
 * - chat-prod (team=chat, env=prod): two instances moved from ml.g5.xlarge to ml.g5.12xlarge by an UpdateEndpoint
 *   on 2026-10-03, traffic unchanged;
 * - labs-new (team=labs, env=dev): created on 2026-10-06;
 * - recs-prod (team=recs, env=prod): autoscaled ml.c5.xlarge whose minimum went from 1 to 4 on 2026-10-02, traffic
 *   unchanged: idle capacity;
 * - recs-shadow (env=prod, no team tag): matches the recs budget's glob but lacks its team tag: unbudgeted spend.
 * Plus untagged CloudWatch charges that belong to no budget.
 *
 * Deterministic (no randomness, no clock); money is exact (pico-units). The services answer as of `NOW_MS`, the
 * morning after as-of, whatever the wall clock says.
 */
import { createHash } from 'node:crypto';
import { formatMoney, type Money, parseMoney } from '../../lambdas/core/money.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const REGION_NAME = 'US East (N. Virginia)';
export const AS_OF = '2026-10-15';
const HOUR_MS = 3_600_000;
export const T0 = Date.parse('2026-09-01T00:00:00Z');
/** Hours of truth: through the end of as-of. */
export const HOURS = 45 * 24;
/** The instant the loopback services answer at: a daily cycle for as-of runs the next morning. */
export const NOW_MS = T0 + HOURS * HOUR_MS + 6 * HOUR_MS;

const at = (iso: string): number => Date.parse(iso);
const hourOf = (ms: number): number => Math.ceil((ms - T0) / HOUR_MS);

function money(text: string): Money {
  const m = parseMoney(text);
  if (m === undefined) throw new Error(`not a decimal: ${text}`);
  return m;
}

/** Hourly on-demand hosting prices in us-east-1, as the bill prints them. */
export const PRICES: Readonly<Record<string, string>> = {
  'ml.g5.xlarge': '1.4084',
  'ml.g5.12xlarge': '7.09',
  'ml.g4dn.xlarge': '0.7364',
  'ml.c5.xlarge': '0.204',
  'ml.m5.xlarge': '0.23',
};

/** Requests a second one instance of each type serves at full load, and its vCPUs and GPUs. */
const CAPACITY: Readonly<Record<string, { rps: number; vcpu: number; gpus: number }>> = {
  'ml.g5.xlarge': { rps: 40, vcpu: 4, gpus: 1 },
  'ml.g5.12xlarge': { rps: 160, vcpu: 48, gpus: 4 },
  'ml.g4dn.xlarge': { rps: 25, vcpu: 4, gpus: 1 },
  'ml.c5.xlarge': { rps: 20, vcpu: 4, gpus: 0 },
  'ml.m5.xlarge': { rps: 20, vcpu: 4, gpus: 0 },
};

/** An endpoint config the endpoint ran on, from `fromMs` (the API call) and billed from the next whole hour. */
export interface ConfigUse {
  readonly name: string;
  readonly type: string;
  readonly fromMs: number;
  /** CreateEndpoint for the first config, UpdateEndpoint for the later ones. */
  readonly event: 'CreateEndpoint' | 'UpdateEndpoint';
}

export interface Scaling {
  readonly min: number;
  readonly max: number;
  /** Target-tracking target: invocations per instance a minute. */
  readonly target: number;
  /** A raise of the minimum (RegisterScalableTarget), from this instant on. */
  readonly raisedMin?: { readonly fromMs: number; readonly min: number };
}

export interface EndpointModel {
  readonly name: string;
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdMs: number;
  readonly configs: readonly ConfigUse[];
  /** Instances when not autoscaled. */
  readonly instances: number;
  readonly scaling?: Scaling;
  /** Mean requests a second, and its rise from 1 October (1: none). */
  readonly rps: number;
  readonly growth: number;
  readonly latencyUs: number;
}

export interface EndpointHour {
  readonly type: string;
  readonly count: number;
  readonly rps: number;
}

const arn = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name}`;

function endpoint(
  name: string,
  tags: Record<string, string>,
  created: string,
  configs: readonly (readonly [type: string, from?: string])[],
  rest: Pick<EndpointModel, 'instances' | 'rps' | 'growth' | 'latencyUs'> & { scaling?: Scaling },
): EndpointModel {
  return {
    name,
    arn: arn(name),
    tags,
    createdMs: at(created),
    configs: configs.map(([type, from], i) => ({
      name: `${name}-config-${i + 1}`,
      type,
      fromMs: at(from ?? created),
      event: i === 0 ? 'CreateEndpoint' : 'UpdateEndpoint',
    })),
    ...rest,
  };
}

export const ENDPOINTS: readonly EndpointModel[] = [
  endpoint('search-prod', { team: 'search', env: 'prod' }, '2026-05-04T10:12:00Z', [['ml.g5.xlarge']], {
    instances: 1,
    scaling: { min: 1, max: 6, target: 1680 },
    rps: 45,
    growth: 1.9,
    latencyUs: 48_000,
  }),
  endpoint('search-staging', { team: 'search', env: 'staging' }, '2026-06-01T09:00:00Z', [['ml.m5.xlarge']], {
    instances: 1,
    rps: 2,
    growth: 1,
    latencyUs: 30_000,
  }),
  endpoint(
    'chat-prod',
    { team: 'chat', env: 'prod' },
    '2026-08-10T14:52:00Z',
    [['ml.g5.xlarge'], ['ml.g5.12xlarge', '2026-10-03T09:52:00Z']],
    { instances: 2, rps: 30, growth: 1, latencyUs: 90_000 },
  ),
  endpoint('labs-new', { team: 'labs', env: 'dev' }, '2026-10-06T13:52:00Z', [['ml.g4dn.xlarge']], {
    instances: 1,
    rps: 5,
    growth: 1,
    latencyUs: 60_000,
  }),
  endpoint('recs-prod', { team: 'recs', env: 'prod' }, '2026-04-20T08:00:00Z', [['ml.c5.xlarge']], {
    instances: 1,
    scaling: { min: 1, max: 6, target: 840, raisedMin: { fromMs: at('2026-10-02T07:58:00Z'), min: 4 } },
    rps: 8,
    growth: 1,
    latencyUs: 12_000,
  }),
  endpoint('recs-shadow', { env: 'prod' }, '2026-07-01T12:00:00Z', [['ml.m5.xlarge']], {
    instances: 1,
    rps: 3,
    growth: 1,
    latencyUs: 14_000,
  }),
];

export const VARIANT = 'AllTraffic';
const OCTOBER = hourOf(at('2026-10-01T00:00:00Z'));

/** The config in force in hour `h` (billing follows the API call from the next whole hour). */
export function configAt(e: EndpointModel, h: number): ConfigUse | undefined {
  let current: ConfigUse | undefined;
  for (const c of e.configs) if (hourOf(c.fromMs) <= h) current = c;
  return current;
}

/** Requests a second in hour `h`: a daily rhythm around the mean, raised by `growth` over October's first week. */
function rpsAt(e: EndpointModel, h: number): number {
  const ramp = h < OCTOBER ? 0 : Math.min(1, (h - OCTOBER) / (7 * 24));
  const daily = 1 + 0.5 * Math.sin((2 * Math.PI * ((h % 24) - 9)) / 24);
  return e.rps * (1 + (e.growth - 1) * ramp) * daily;
}

/** What ran in hour `h` (0 = 2026-09-01T00:00Z), or undefined before the endpoint was billed. */
export function hourOfEndpoint(e: EndpointModel, h: number): EndpointHour | undefined {
  const config = configAt(e, h);
  if (!config || h >= HOURS + 24) return undefined;
  const rps = rpsAt(e, h);
  const s = e.scaling;
  if (!s) return { type: config.type, count: e.instances, rps };
  const min = s.raisedMin && hourOf(s.raisedMin.fromMs) <= h ? s.raisedMin.min : s.min;
  const needed = Math.ceil((rps * 60) / s.target);
  return { type: config.type, count: Math.min(s.max, Math.max(min, needed)), rps };
}

/** The endpoint's hours, from the first simulated hour through as-of. */
export function endpointHours(e: EndpointModel): { readonly h: number; readonly at: EndpointHour }[] {
  const out: { h: number; at: EndpointHour }[] = [];
  for (let h = 0; h < HOURS; h++) {
    const x = hourOfEndpoint(e, h);
    if (x) out.push({ h, at: x });
  }
  return out;
}

/** One hour's CloudWatch values of an endpoint, in CloudWatch's units (latency in microseconds). */
export function metricsOf(e: EndpointModel, x: EndpointHour): Readonly<Record<string, number>> {
  const cap = CAPACITY[x.type];
  if (!cap) throw new Error(`no capacity for ${x.type}`);
  const load = Math.min(1, x.rps / (x.count * cap.rps));
  const invocations = Math.round(x.rps * 3600);
  const p99 = Math.round(e.latencyUs * (1 + 3 * Math.max(0, load - 0.7) ** 2));
  const out: Record<string, number> = {
    'Invocations/Sum': invocations,
    // CloudWatch divides by the instances in service
    'InvocationsPerInstance/Sum': invocations / x.count,
    'ModelLatency/p99': p99,
    'ModelLatency/p50': Math.round(p99 * 0.45),
    'OverheadLatency/p99': 2_500,
    'Invocation4XXErrors/Sum': Math.round(invocations * 1e-4),
    'Invocation5XXErrors/Sum': Math.round(invocations * 2e-5),
    'CPUUtilization/Average': round2((cap.gpus > 0 ? 5 + 20 * load : 3 + 90 * load) * cap.vcpu),
    'MemoryUtilization/Average': round2(30 + 20 * load),
  };
  if (cap.gpus > 0) {
    out['GPUUtilization/Average'] = round2(90 * load * cap.gpus);
    out['GPUMemoryUtilization/Average'] = round2((40 + 30 * load) * cap.gpus);
  }
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------------------------------------------------------
// The bill: one line item per charge, as every renderer reads it

export interface LineItem {
  readonly startMs: number;
  readonly endMs: number;
  readonly service: 'Amazon SageMaker' | 'Amazon Simple Storage Service' | 'AmazonCloudWatch';
  readonly serviceCode: string;
  readonly serviceCategory: string;
  readonly operation: string;
  readonly usageType: string;
  readonly description: string;
  /** Usage in `unit`, exact text as the bill prints it. */
  readonly quantity: string;
  readonly unit: string;
  /** Price per unit, exact text as the bill prints it. */
  readonly unitPrice: string;
  readonly amount: Money;
  readonly resourceId?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The endpoint the charge is for, when it is one. */
  readonly endpoint?: string;
}

const SAGEMAKER = {
  service: 'Amazon SageMaker',
  serviceCode: 'AmazonSageMaker',
  serviceCategory: 'AI and Machine Learning',
  operation: 'RunInstance',
} as const;

/** Price without trailing zeros, as AWS prints it in a description ("$7.09 per ..."). */
const shownPrice = (price: string): string => price.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

function hostingItem(e: EndpointModel, h: number, x: EndpointHour): LineItem {
  const price = PRICES[x.type] as string;
  return {
    startMs: T0 + h * HOUR_MS,
    endMs: T0 + (h + 1) * HOUR_MS,
    ...SAGEMAKER,
    usageType: `USE1-Host:${x.type}`,
    description: `$${shownPrice(price)} per Hosting ${x.type} hour in ${REGION_NAME}`,
    quantity: String(x.count),
    unit: 'Hrs',
    unitPrice: price,
    amount: BigInt(x.count) * money(price),
    resourceId: e.arn,
    tags: e.tags,
    endpoint: e.name,
  };
}

/** The daily charges that name no endpoint: the search team's model artefacts in S3, untagged CloudWatch. */
function dailyItems(day: number): LineItem[] {
  const startMs = T0 + day * 24 * HOUR_MS;
  const endMs = startMs + 24 * HOUR_MS;
  // 4,000 GB of artefacts at $0.023 a GB-month, a thirtieth of a month a day
  const storage = '133.3333333333';
  const requests = 50_000;
  return [
    {
      startMs,
      endMs,
      service: 'Amazon Simple Storage Service',
      serviceCode: 'AmazonS3',
      serviceCategory: 'Storage',
      operation: 'StandardStorage',
      usageType: 'TimedStorage-ByteHrs',
      description: '$0.023 per GB - first 50 TB / month of storage used',
      quantity: storage,
      unit: 'GB-Mo',
      unitPrice: '0.023',
      amount: roundTo10((money(storage) * money('0.023')) / 10n ** 12n),
      resourceId: 'search-model-artifacts',
      tags: { team: 'search', env: 'prod' },
    },
    {
      startMs,
      endMs,
      service: 'AmazonCloudWatch',
      serviceCode: 'AmazonCloudWatch',
      serviceCategory: 'Management and Governance',
      operation: 'GetMetricData',
      usageType: 'USE1-CW:GMD-Metrics',
      description: '$0.01 per 1,000 metrics requested using GetMetricData API - US East (Northern Virginia)',
      quantity: String(requests),
      unit: 'Metrics',
      unitPrice: '0.00001',
      amount: BigInt(requests) * money('0.00001'),
      tags: {},
    },
  ];
}

/** Pico-units rounded half up to 10 decimals, as the bill prints amounts. */
const roundTo10 = (m: Money): Money => ((m + 50n) / 100n) * 100n;

let bill: readonly LineItem[] | undefined;

/** Every charge from 2026-09-01 through as-of, hosting hourly, the rest daily. */
export function lineItems(): readonly LineItem[] {
  if (bill) return bill;
  const out: LineItem[] = [];
  for (const e of ENDPOINTS) for (const { h, at: x } of endpointHours(e)) out.push(hostingItem(e, h, x));
  for (let d = 0; d < HOURS / 24; d++) out.push(...dailyItems(d));
  bill = out.sort((a, b) => a.startMs - b.startMs || a.usageType.localeCompare(b.usageType));
  return bill;
}

/** A SKU id in AWS's style (16 upper-case letters and digits), stable per usage type. */
export function skuOf(usageType: string): string {
  const digest = createHash('sha256').update(usageType).digest();
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return [...digest.subarray(0, 16)].map((b) => alphabet[b % alphabet.length]).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// The budgets, and what each must show

export const BUDGETS_YAML = `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers: { production: { mode: advise }, development: { mode: advise } }
budgets:
  - name: search
    owner: search@example.com
    tier: production
    environment: prod
    selector: { tags: { team: search, env: prod } }
    limits: { spendPerPeriod: 3000, latencyP99Ms: 150, maxInstances: 4 }
  - name: chat
    owner: chat@example.com
    tier: production
    environment: prod
    selector: { endpoints: ["chat-*"], tags: { team: chat, env: prod } }
    limits: { spendPerPeriod: 4000, latencyP99Ms: 150 }
  - name: labs
    owner: labs@example.com
    tier: development
    environment: dev
    selector: { tags: { team: labs, env: dev } }
    limits: { spendPerPeriod: 400 }
  - name: recs
    owner: recs@example.com
    tier: production
    environment: prod
    selector: { endpoints: ["recs-*"], tags: { team: recs, env: prod } }
    limits: { spendPerPeriod: 500, utilization: { min: 0.3 } }
`;

/** Which budget takes a charge (none for search-staging, recs-shadow and CloudWatch). */
export function budgetOf(item: LineItem): string | undefined {
  const { team, env } = item.tags;
  if (team === 'search' && env === 'prod') return 'search';
  if (team === 'chat' && env === 'prod' && item.endpoint?.startsWith('chat-')) return 'chat';
  if (team === 'labs' && env === 'dev') return 'labs';
  if (team === 'recs' && env === 'prod' && item.endpoint?.startsWith('recs-')) return 'recs';
  return undefined;
}

/** Exact spend of each budget from `from` (epoch ms) through as-of, and of the charges no budget takes. */
export function spendFrom(fromMs: number): {
  readonly budgets: Map<string, Money>;
  readonly unbudgeted: Money;
} {
  const budgets = new Map<string, Money>();
  let unbudgeted = 0n;
  for (const i of lineItems()) {
    if (i.startMs < fromMs) continue;
    const b = budgetOf(i);
    if (b === undefined) unbudgeted += i.amount;
    else budgets.set(b, (budgets.get(b) ?? 0n) + i.amount);
  }
  return { budgets, unbudgeted };
}

export const shownMoney = (m: Money): string => formatMoney(m, 2);

export interface EndpointTruth {
  readonly budget: string | undefined;
  /** The type it ran in the last hour of as-of. */
  readonly instanceType: string;
  /** Most instances in one hour of the judging window (the 7 days to as-of). */
  readonly peakInstances: number;
  /** Exact spend from `fromMs` through as-of. */
  readonly spend: Money;
}

/** What each endpoint is, by construction. */
export function endpointTruth(fromMs: number): Map<string, EndpointTruth> {
  const out = new Map<string, EndpointTruth>();
  for (const e of ENDPOINTS) {
    const hours = endpointHours(e);
    const window = hours.filter((x) => x.h >= HOURS - 7 * 24);
    const items = lineItems().filter((i) => i.endpoint === e.name);
    out.set(e.name, {
      budget: items[0] && budgetOf(items[0]),
      instanceType: (hours[hours.length - 1] as (typeof hours)[number]).at.type,
      peakInstances: Math.max(...window.map((x) => x.at.count)),
      spend: items.filter((i) => i.startMs >= fromMs).reduce((s, i) => s + i.amount, 0n),
    });
  }
  return out;
}
