/**
 * A small live account for the act step, served on the loopback server of aws-server.ts, whose behaviour follows
 * both the clock and the scaling the tool writes: three ml.g5.xlarge endpoints (variant AllTraffic), each with a
 * scalable target registered at min 4, max 8 and no policy, and a daily traffic curve that two instances carry.
 * - recs-a (team=recs, perf-budgets:managed=true): in the recs budget, tier staging (enforce);
 * - recs-b (team=recs, untagged for the tool): same budget, never to be written;
 * - chat-a (team=chat, perf-budgets:managed=true): in the chat budget, tier production (advise).
 * recs-a also carries a scheduled action of someone else's (`weekly-batch`) that the tool must leave alone.
 *
 * Every write to Application Auto Scaling goes to the stateful engine (autoscaling-engine.ts) and is remembered with
 * the account's `now`; the instances in service in an hour are then what that hour's state keeps: its minimum, or
 * with the tool's target-tracking policy what the load needs at its target, within min and max. p99 follows a
 * queue's curve of the load per instance, unless a regression is injected. Cost Explorer bills the instance-hours
 * at the type's price, daily, with the endpoints' tags. Metrics exist only for complete hours before `now`.
 */
import { TOOL_NAMES, VARIANT_DIMENSION } from '../../lambdas/core/plan/types.ts';
import { AutoScalingEngine } from './autoscaling-engine.ts';
import type { Handler } from './aws-server.ts';
import { costAndUsageResponse, type LineItem } from './cost-explorer-engine.ts';
import { hourlyDatapoint, metricDataResponse } from './metric-data.ts';
import { describeEndpointResponse } from './sagemaker-shapes.ts';

export const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const VARIANT = 'AllTraffic';
const TYPE = 'ml.g5.xlarge';
const PRICE = 1.408;
/** The endpoints exist, with metrics and charges, from here. */
export const T0 = Date.parse('2026-08-01T00:00:00Z');
/** The morning of the first daily cycle (as-of 2026-10-15). */
export const DAY1 = Date.parse('2026-10-16T06:00:00Z');
export const LATENCY_CEILING_MS = 200;
/** Idle p99 and the load per instance (invocations a minute) at which p99 grows without bound. */
const BASE_MS = 50;
const SATURATION = 2400;

export const MANAGED = { 'perf-budgets:managed': 'true' } as const;

interface Model {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Mean invocations a minute. */
  readonly load: number;
}

export const ENDPOINTS: readonly Model[] = [
  { name: 'recs-a', tags: { team: 'recs', env: 'staging', ...MANAGED }, load: 1200 },
  { name: 'recs-b', tags: { team: 'recs', env: 'staging' }, load: 1100 },
  { name: 'chat-a', tags: { team: 'chat', env: 'prod', ...MANAGED }, load: 1000 },
];

export const resourceIdOf = (endpoint: string) => `endpoint/${endpoint}/variant/${VARIANT}`;
const arnOf = (endpoint: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${endpoint}`;

/** The scaling in force from an instant: the target's bounds and the tool's target value (null: no policy). */
interface Era {
  readonly fromMs: number;
  readonly min: number;
  readonly max: number;
  readonly targetValue: number | null;
}

/** The budget file: recs enforces in staging, chat advises in production; `recsScaling` overrides recs' guardrails. */
export function budgetsYaml(o: { recsScaling?: string } = {}): string {
  return `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers:
  staging:
    mode: enforce
    guardrails: { cooldownHours: 48, verifyHours: 12, schedules: false, minInstances: 1 }
  production: { mode: advise }
budgets:
  - name: recs
    owner: recs@example.com
    tier: staging
    environment: staging
    selector: { tags: { team: recs } }
    limits: { spendPerPeriod: 20000, latencyP99Ms: ${LATENCY_CEILING_MS} }
${o.recsScaling ? `    scaling: ${o.recsScaling}\n` : ''}  - name: chat
    owner: chat@example.com
    tier: production
    environment: prod
    selector: { tags: { team: chat } }
    limits: { spendPerPeriod: 20000, latencyP99Ms: ${LATENCY_CEILING_MS} }
`;
}

/** The Application Auto Scaling and CloudWatch operations that change something. */
export const WRITES = [
  'AnyScaleFrontendService.RegisterScalableTarget',
  'AnyScaleFrontendService.DeregisterScalableTarget',
  'AnyScaleFrontendService.PutScalingPolicy',
  'AnyScaleFrontendService.DeleteScalingPolicy',
  'AnyScaleFrontendService.PutScheduledAction',
  'AnyScaleFrontendService.DeleteScheduledAction',
  'AnyScaleFrontendService.TagResource',
  'GraniteServiceVersion20100801.PutMetricAlarm',
  'GraniteServiceVersion20100801.DeleteAlarms',
] as const;

export class ActAccount {
  /** The instant the services answer at (ms): the test moves it before each cycle. */
  now = DAY1;
  readonly engine = new AutoScalingEngine(() => Math.floor(this.now / 1000));
  /** SSM Parameter Store: name -> value. */
  readonly parameters = new Map<string, string>();
  private readonly eras = new Map<string, Era[]>();
  private regression: { fromMs: number; endpoints: ReadonlySet<string>; p99Ms: number } | undefined;

  constructor() {
    for (const e of ENDPOINTS) {
      this.engine.seedTarget({
        resourceId: resourceIdOf(e.name),
        dimension: VARIANT_DIMENSION,
        min: 4,
        max: 8,
      });
      this.eras.set(e.name, [{ fromMs: T0, min: 4, max: 8, targetValue: null }]);
    }
    this.engine.seedAction({
      resourceId: resourceIdOf('recs-a'),
      dimension: VARIANT_DIMENSION,
      name: 'weekly-batch',
      schedule: 'cron(0 2 ? * SUN *)',
      timezone: 'UTC',
      targetAction: { MinCapacity: 4, MaxCapacity: 8 },
    });
  }

  /** From `fromMs` on, the endpoints' hourly p99 is `p99Ms` whatever their load: a regression. */
  regress(fromMs: number, endpoints: readonly string[], p99Ms: number): void {
    this.regression = { fromMs, endpoints: new Set(endpoints), p99Ms };
  }

  /** The engine's target, the tool's policies and every scheduled action of an endpoint, as plain data. */
  scalingOf(endpoint: string) {
    const id = resourceIdOf(endpoint);
    const t = this.engine.target(id, VARIANT_DIMENSION);
    return {
      target: t ? { min: t.min, max: t.max } : null,
      policies: this.engine.state.policies
        .filter((p) => p.resourceId === id)
        .map((p) => ({ name: p.name, type: p.type, config: p.config }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      schedules: this.engine.state.actions
        .filter((a) => a.resourceId === id)
        .map((a) => ({ name: a.name, schedule: a.schedule, timezone: a.timezone, target: a.targetAction }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** Invocations a minute in the hour starting at `ms`: a daily curve, busiest mid-afternoon. */
  loadAt(e: Model, ms: number): number {
    const hour = new Date(ms).getUTCHours();
    return Math.round(e.load * (1 + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24)));
  }

  /** Instances in service in the hour starting at `ms`. */
  instancesAt(e: Model, ms: number): number {
    const eras = this.eras.get(e.name) ?? [];
    let era = eras[0] as Era;
    for (const x of eras) if (x.fromMs <= ms) era = x;
    const wanted = era.targetValue === null ? era.min : Math.ceil(this.loadAt(e, ms) / era.targetValue);
    return Math.min(era.max, Math.max(era.min, wanted));
  }

  /** One complete hour's CloudWatch values, in CloudWatch's units (latency in microseconds); none after now. */
  metricsAt(e: Model, ms: number): Readonly<Record<string, number>> | undefined {
    if (ms < T0 || ms + HOUR_MS > this.now) return undefined;
    const n = this.instancesAt(e, ms);
    const perInstance = this.loadAt(e, ms) / n;
    const r = this.regression;
    const regressed = r !== undefined && ms >= r.fromMs && r.endpoints.has(e.name);
    const p99Ms = regressed ? r.p99Ms : BASE_MS / (1 - perInstance / SATURATION);
    const invocations = this.loadAt(e, ms) * 60;
    const busy = perInstance / SATURATION;
    return {
      'Invocations/Sum': invocations,
      'InvocationsPerInstance/Sum': invocations / n,
      'ModelLatency/p99': Math.round(p99Ms * 1000),
      'ModelLatency/p50': Math.round(p99Ms * 450),
      'OverheadLatency/p99': 2_000,
      'Invocation4XXErrors/Sum': 0,
      'Invocation5XXErrors/Sum': 0,
      'CPUUtilization/Average': Math.round((5 + 60 * busy) * 4 * 100) / 100,
      'MemoryUtilization/Average': 40,
      'GPUUtilization/Average': Math.round(90 * busy * 100) / 100,
      'GPUMemoryUtilization/Average': 55,
    };
  }

  /** The hosting charges of one day, one line per endpoint as Cost Explorer sums them. */
  private chargesOf(day: string): LineItem[] {
    const start = Date.parse(`${day}T00:00:00Z`);
    return ENDPOINTS.flatMap((e) => {
      let hours = 0;
      for (let ms = start; ms < start + DAY_MS && ms + HOUR_MS <= this.now; ms += HOUR_MS) {
        if (ms >= T0) hours += this.instancesAt(e, ms);
      }
      if (hours === 0) return [];
      return [
        {
          tags: e.tags,
          usageType: `USE1-Host:${TYPE}`,
          service: 'Amazon SageMaker',
          amount: Math.round(hours * PRICE * 1e10) / 1e10,
          quantity: hours,
          unit: 'Hrs',
        },
      ];
    });
  }

  /** The successful count changes of the variants, newest first, as DescribeScalingActivities pages them. */
  private activities(input: Record<string, unknown>) {
    const out: { at: number; endpoint: string; count: number }[] = [];
    const nowHour = Math.floor(this.now / HOUR_MS) * HOUR_MS;
    for (const e of ENDPOINTS) {
      if (input.ResourceId !== undefined && input.ResourceId !== resourceIdOf(e.name)) continue;
      for (let ms = Math.max(T0 + HOUR_MS, nowHour - 42 * DAY_MS); ms <= nowHour; ms += HOUR_MS) {
        const count = this.instancesAt(e, ms);
        if (count !== this.instancesAt(e, ms - HOUR_MS)) out.push({ at: ms, endpoint: e.name, count });
      }
    }
    out.sort((a, b) => b.at - a.at);
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    const size = Math.min(Number(input.MaxResults ?? 50), 50);
    return {
      ScalingActivities: out.slice(start, start + size).map((a, n) => ({
        ActivityId: `activity-${a.endpoint}-${a.at}`,
        ServiceNamespace: 'sagemaker',
        ResourceId: resourceIdOf(a.endpoint),
        ScalableDimension: VARIANT_DIMENSION,
        Description: `Setting desired instance count to ${a.count}.`,
        Cause: `monitor alarm TargetTracking-${resourceIdOf(a.endpoint)}-AlarmHigh in state ALARM triggered policy ${TOOL_NAMES.targetTracking} (${start + n})`,
        StartTime: (a.at - 7 * 60_000) / 1000,
        EndTime: a.at / 1000,
        StatusCode: 'Successful',
        StatusMessage: `Successfully set desired instance count to ${a.count}. Change successfully fulfilled by sagemaker.`,
      })),
      ...(start + size < out.length ? { NextToken: String(start + size) } : {}),
    };
  }

  /** After a write, the engine's state is the account's from now on. */
  private remember(): void {
    for (const e of ENDPOINTS) {
      const s = this.scalingOf(e.name);
      const tracking = s.policies.find((p) => p.name === TOOL_NAMES.targetTracking);
      const value = tracking?.config.TargetValue;
      const era: Era = {
        fromMs: this.now,
        min: s.target?.min ?? 0,
        max: s.target?.max ?? 0,
        targetValue: typeof value === 'number' ? value : null,
      };
      const eras = this.eras.get(e.name) ?? [];
      const last = eras[eras.length - 1];
      if (last && last.min === era.min && last.max === era.max && last.targetValue === era.targetValue)
        continue;
      eras.push(era);
    }
  }

  handlers(): Record<string, Handler> {
    const engine = this.engine.handlers();
    const scaling: Record<string, Handler> = {};
    for (const [target, handler] of Object.entries(engine)) {
      scaling[target] = (WRITES as readonly string[]).includes(target)
        ? (input) => {
            const out = handler(input);
            this.remember();
            return out;
          }
        : handler;
    }
    const byName = new Map(ENDPOINTS.map((e) => [e.name, e]));
    const byArn = new Map(ENDPOINTS.map((e) => [arnOf(e.name), e]));
    const created = (T0 - 30 * DAY_MS) / 1000;
    const validation = (message: string) => ({ awsError: 'ValidationException', message });
    return {
      ...scaling,
      'AnyScaleFrontendService.DescribeScalingActivities': (input) => this.activities(input),
      'SageMaker.ListEndpoints': () => ({
        Endpoints: ENDPOINTS.map((e) => ({
          EndpointName: e.name,
          EndpointArn: arnOf(e.name),
          CreationTime: created,
          LastModifiedTime: created,
          EndpointStatus: 'InService',
        })),
      }),
      'SageMaker.DescribeEndpoint': (input) => {
        const e = byName.get(String(input.EndpointName));
        if (!e) return validation(`Could not find endpoint "${String(input.EndpointName)}".`);
        return describeEndpointResponse({
          name: e.name,
          arn: arnOf(e.name),
          config: `${e.name}-config`,
          variant: VARIANT,
          count: this.instancesAt(e, Math.floor(this.now / HOUR_MS) * HOUR_MS),
          created,
          modified: created,
        });
      },
      'SageMaker.DescribeEndpointConfig': (input) => {
        const name = String(input.EndpointConfigName);
        const e = byName.get(name.replace(/-config$/, ''));
        if (!e) return validation(`Could not find endpoint configuration "${name}".`);
        return {
          EndpointConfigName: name,
          EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${name}`,
          ProductionVariants: [
            {
              VariantName: VARIANT,
              ModelName: `${e.name}-model`,
              InitialInstanceCount: 4,
              InstanceType: TYPE,
              InitialVariantWeight: 1,
            },
          ],
          CreationTime: created - 60,
        };
      },
      'SageMaker.ListTags': (input) => {
        const e = byArn.get(String(input.ResourceArn));
        if (!e) return validation(`Could not find resource "${String(input.ResourceArn)}".`);
        return { Tags: Object.entries(e.tags).map(([Key, Value]) => ({ Key, Value })) };
      },
      'SageMaker.ListInferenceComponents': () => ({ InferenceComponents: [] }),
      'SageMaker.ListTrainingJobs': () => ({ TrainingJobSummaries: [] }),
      // every endpoint was created more than 90 days ago and never updated: CloudTrail has nothing on them
      'CloudTrail_20131101.LookupEvents': () => ({ Events: [] }),
      'AWSInsightsIndexService.GetCostAndUsage': (input) =>
        costAndUsageResponse(
          input,
          (day) => this.chargesOf(day),
          `${new Date(this.now).toISOString().slice(0, 7)}-01`,
        ),
      'AWSInsightsIndexService.GetCostForecast': (input) => {
        const period = input.TimePeriod as { Start: string; End: string };
        const yesterday = new Date(this.now - DAY_MS).toISOString().slice(0, 10);
        const daily = this.chargesOf(yesterday).reduce((s, i) => s + i.amount, 0);
        const n = (Date.parse(period.End) - Date.parse(period.Start)) / DAY_MS;
        const total = (daily * n).toFixed(10);
        return {
          Total: { Amount: total, Unit: 'USD' },
          ForecastResultsByTime: [{ TimePeriod: period, MeanValue: total }],
        };
      },
      'GraniteServiceVersion20100801.GetMetricData': (input) =>
        metricDataResponse(input, (dims, metric, stat, t, period) => {
          const e = byName.get(dims.get('EndpointName') ?? '');
          if (!e || dims.get('VariantName') !== VARIANT) return undefined;
          return hourlyDatapoint(stat, t, period, (ms) => this.metricsAt(e, ms)?.[`${metric}/${stat}`]);
        }),
      'AmazonSSM.GetParameters': (input) => {
        const names = (input.Names ?? []) as string[];
        if (names.length > 10) return validation('Names: Member must have length less than or equal to 10');
        const known = names.filter((n) => this.parameters.has(n));
        return {
          Parameters: known.map((Name) => ({
            Name,
            Type: 'String',
            Value: this.parameters.get(Name),
            Version: 1,
            ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${Name}`,
            DataType: 'text',
          })),
          InvalidParameters: names.filter((n) => !this.parameters.has(n)),
        };
      },
      'AmazonSSM.PutParameter': (input) => {
        this.parameters.set(String(input.Name), String(input.Value));
        return { Version: 1, Tier: 'Standard' };
      },
    };
  }
}
