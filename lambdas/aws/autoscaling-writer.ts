/**
 * The Scaler port over Application Auto Scaling (and CloudWatch, for the alarm that wakes an inference component
 * scaled to zero). It reads and writes only what the tool owns on a resource: the scalable target's min/max, the
 * policies and scheduled actions named with TOOL_PREFIX, and the wake-on-request alarm. Anything else on the target
 * is read so the planner can see it, and never written: every name is checked against the prefix right before the
 * call that would touch it.
 */
import {
  type ApplicationAutoScalingClient,
  type ApplicationAutoScalingPaginationConfiguration,
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  paginateDescribeScalableTargets,
  paginateDescribeScalingPolicies,
  paginateDescribeScheduledActions,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import type { Paginator } from '@smithy/types';
import type { ApiUsage } from '../core/api-usage.ts';
import { DataError, InputError } from '../core/errors.ts';
import {
  COMPONENT_DIMENSION,
  NO_SCALING,
  type ObservedScaling,
  type ScalableDimension,
  type ScalableResource,
  type ScalingState,
  TARGET_METRIC,
  TOOL_NAMES,
  TOOL_PREFIX,
} from '../core/plan/types.ts';
import type { Scaler } from '../ports.ts';
import { type Limit, optionLimit } from './concurrency.ts';
import { sourceError } from './errors.ts';
import { type NextTokenPages, nextTokenPages } from './paging.ts';
import { capacity } from './sagemaker-checks.ts';
import {
  observed,
  sameScaling,
  sameSchedule,
  sameTracking,
  type Target,
  wakeAlarmName,
} from './scaling-state.ts';

export { wakeAlarmName };

const NAMESPACE = 'sagemaker';
/** The tag the tool puts on a target it registers: what the act role's IAM conditions look for. */
export const MANAGED_TAG = { 'perf-budgets:managed': 'true' } as const;
/** DescribeScalableTargets takes at most 50 resource ids a request. */
const TARGETS_PER_REQUEST = 50;
const DEFAULT_CONCURRENCY = 8;

/**
 * The wake-on-request step policy, as "Scale an endpoint to zero instances" (SageMaker developer guide) sets it up:
 * one more copy whenever the alarm fires, at most once a minute.
 */
const WAKE_STEP_POLICY = {
  AdjustmentType: 'ChangeInCapacity',
  MetricAggregationType: 'Maximum',
  Cooldown: 60,
  StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
} as const;

export interface AutoScalingWriterOptions {
  readonly autoscaling: ApplicationAutoScalingClient;
  /** Where the wake-on-request alarm is put and deleted. */
  readonly cloudwatch: CloudWatchClient;
  readonly usage: ApiUsage;
  /** Requests in flight at most while reading. Default 8. */
  readonly concurrency?: number;
}

/** Refuses a name the tool does not own: the last check before a call that writes it. */
function owned(name: string): string {
  if (!name.startsWith(TOOL_PREFIX)) {
    throw new Error(
      `refusing to write "${name}": only names starting with ${TOOL_PREFIX} are the tool's own`,
    );
  }
  return name;
}

/** The states a write may be asked to reach: policies and schedules need a target, waking needs a component. */
function checkState(resource: ScalableResource, state: ScalingState, which: string): void {
  const bad = (why: string) => new InputError(`${which} scaling of ${resource.resourceId}: ${why}`);
  if (state.target === null && (state.targetTracking || state.wakeOnRequest || state.schedules.length > 0)) {
    throw bad('policies and scheduled actions need a registered target');
  }
  if (state.target && state.target.min > state.target.max) {
    throw bad(`min ${state.target.min} is above max ${state.target.max}`);
  }
  if (state.wakeOnRequest && resource.dimension !== COMPONENT_DIMENSION) {
    throw bad('only an inference component can be woken from zero copies');
  }
  for (const s of state.schedules) owned(s.name);
}

/** What a write may be asked for: the tool tracks the one predefined metric of the resource's dimension. */
function checkWanted(resource: ScalableResource, state: ScalingState): void {
  checkState(resource, state, 'wanted');
  const metric = state.targetTracking?.metric;
  if (metric !== undefined && metric !== TARGET_METRIC[resource.dimension]) {
    throw new InputError(
      `wanted scaling of ${resource.resourceId}: target tracking follows ${TARGET_METRIC[resource.dimension]}, not ${metric}`,
    );
  }
}

export class AutoScalingWriter implements Scaler {
  private readonly limit: Limit;
  private readonly list: NextTokenPages;

  constructor(private readonly o: AutoScalingWriterOptions) {
    this.limit = optionLimit(o.concurrency, DEFAULT_CONCURRENCY);
    this.list = nextTokenPages(o.usage, this.limit);
  }

  async read(resources: readonly ScalableResource[]): Promise<ReadonlyMap<string, ObservedScaling>> {
    const targets = await this.targets(resources);
    const out = new Map<string, ObservedScaling>();
    await Promise.all(
      resources.map(async (r) => {
        const target = targets.get(key(r.resourceId, r.dimension));
        if (!target) {
          // Without a registered target Application Auto Scaling keeps no policies or scheduled actions.
          out.set(r.resourceId, { state: NO_SCALING, foreignPolicies: [], foreignSchedules: [] });
          return;
        }
        const ids = {
          ServiceNamespace: NAMESPACE,
          ResourceId: r.resourceId,
          ScalableDimension: r.dimension,
        } as const;
        const [policies, actions] = await Promise.all([
          this.all(
            'application-autoscaling:DescribeScalingPolicies',
            paginateDescribeScalingPolicies,
            ids,
            (p) => p.ScalingPolicies,
          ),
          this.all(
            'application-autoscaling:DescribeScheduledActions',
            paginateDescribeScheduledActions,
            ids,
            (p) => p.ScheduledActions,
          ),
        ]);
        out.set(r.resourceId, observed(r, target, policies, actions));
      }),
    );
    return out;
  }

  async write(resource: ScalableResource, from: ScalingState, to: ScalingState): Promise<readonly string[]> {
    checkState(resource, from, 'current');
    checkWanted(resource, to);
    if (sameScaling(from, to)) return [];
    const calls: string[] = [];
    const ids = {
      ServiceNamespace: NAMESPACE,
      ResourceId: resource.resourceId,
      ScalableDimension: resource.dimension,
    } as const;

    if (to.target === null) {
      // Only a rollback to "no target" gets here: deregistering removes the policies and scheduled actions with it,
      // but not the wake-on-request alarm.
      if (from.target === null) return calls;
      await this.scaling('DeregisterScalableTarget', calls, () =>
        this.o.autoscaling.send(new DeregisterScalableTargetCommand(ids)),
      );
      if (from.wakeOnRequest) await this.deleteWakeAlarm(resource, calls);
      return calls;
    }

    if (from.target?.min !== to.target.min || from.target?.max !== to.target.max) {
      await this.scaling('RegisterScalableTarget', calls, () =>
        this.o.autoscaling.send(
          new RegisterScalableTargetCommand({
            ...ids,
            MinCapacity: to.target?.min,
            MaxCapacity: to.target?.max,
            ...(from.target === null ? { Tags: { ...MANAGED_TAG } } : {}),
          }),
        ),
      );
    }

    if (to.targetTracking && !sameTracking(from.targetTracking, to.targetTracking)) {
      const t = to.targetTracking;
      await this.scaling('PutScalingPolicy', calls, () =>
        this.o.autoscaling.send(
          new PutScalingPolicyCommand({
            ...ids,
            PolicyName: owned(TOOL_NAMES.targetTracking),
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: {
              PredefinedMetricSpecification: { PredefinedMetricType: TARGET_METRIC[resource.dimension] },
              TargetValue: t.targetValue,
              ScaleInCooldown: t.scaleInCooldownSeconds,
              ScaleOutCooldown: t.scaleOutCooldownSeconds,
            },
          }),
        ),
      );
    } else if (!to.targetTracking && from.targetTracking) {
      await this.deletePolicy(ids, TOOL_NAMES.targetTracking, calls);
    }

    if (to.wakeOnRequest && !from.wakeOnRequest) await this.putWake(resource, ids, calls);
    else if (!to.wakeOnRequest && from.wakeOnRequest) {
      await this.deletePolicy(ids, TOOL_NAMES.wakeOnRequest, calls);
      await this.deleteWakeAlarm(resource, calls);
    }

    const before = new Map(from.schedules.map((s) => [s.name, s]));
    for (const s of to.schedules) {
      const was = before.get(s.name);
      if (was && sameSchedule(was, s)) continue;
      await this.scaling('PutScheduledAction', calls, () =>
        this.o.autoscaling.send(
          new PutScheduledActionCommand({
            ...ids,
            ScheduledActionName: owned(s.name),
            Schedule: s.schedule,
            Timezone: s.timezone,
            ScalableTargetAction: { MinCapacity: s.min, MaxCapacity: s.max },
          }),
        ),
      );
    }
    const kept = new Set(to.schedules.map((s) => s.name));
    for (const s of from.schedules) {
      if (kept.has(s.name)) continue;
      await this.scaling(
        'DeleteScheduledAction',
        calls,
        () =>
          this.o.autoscaling.send(
            new DeleteScheduledActionCommand({ ...ids, ScheduledActionName: owned(s.name) }),
          ),
        { goneIsDone: true },
      );
    }
    return calls;
  }

  /**
   * The documented way back from zero copies: a step policy that adds a copy, fired by an alarm on the component's
   * NoCapacityInvocationFailures. The alarm needs the policy's ARN, so the policy comes first.
   */
  private async putWake(resource: ScalableResource, ids: Ids, calls: string[]): Promise<void> {
    const out = await this.scaling('PutScalingPolicy', calls, () =>
      this.o.autoscaling.send(
        new PutScalingPolicyCommand({
          ...ids,
          PolicyName: owned(TOOL_NAMES.wakeOnRequest),
          PolicyType: 'StepScaling',
          StepScalingPolicyConfiguration: {
            ...WAKE_STEP_POLICY,
            StepAdjustments: WAKE_STEP_POLICY.StepAdjustments.map((s) => ({ ...s })),
          },
        }),
      ),
    );
    const arn = out?.PolicyARN;
    if (!arn) throw new DataError('application-autoscaling:PutScalingPolicy returned no PolicyARN');
    const component = resource.component ?? resource.resourceId.replace(/^inference-component\//, '');
    await this.cloudwatch('PutMetricAlarm', calls, () =>
      this.o.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: owned(wakeAlarmName(resource)),
          AlarmDescription: `Adds a copy of ${component} when it is invoked with none (perf-budgets scale to zero).`,
          AlarmActions: [arn],
          Namespace: 'AWS/SageMaker',
          MetricName: 'NoCapacityInvocationFailures',
          Dimensions: [{ Name: 'InferenceComponentName', Value: component }],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          // The guide's example alarms above 1; at or above 1 wakes the component on its first unanswered request.
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          Tags: Object.entries(MANAGED_TAG).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  private deletePolicy(ids: Ids, name: string, calls: string[]): Promise<unknown> {
    return this.scaling(
      'DeleteScalingPolicy',
      calls,
      () => this.o.autoscaling.send(new DeleteScalingPolicyCommand({ ...ids, PolicyName: owned(name) })),
      { goneIsDone: true },
    );
  }

  private deleteWakeAlarm(resource: ScalableResource, calls: string[]): Promise<unknown> {
    // DeleteAlarms succeeds for a name that does not exist.
    return this.cloudwatch('DeleteAlarms', calls, () =>
      this.o.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [owned(wakeAlarmName(resource))] })),
    );
  }

  /**
   * One write, counted, its AWS error wrapped so it names the API and the error code. A delete of something already
   * gone has reached what it wanted: another writer (or Application Auto Scaling itself) was first.
   */
  private async scaling<T>(
    op: string,
    calls: string[],
    send: () => Promise<T>,
    o: { goneIsDone?: boolean } = {},
  ): Promise<T | undefined> {
    return this.call(`application-autoscaling:${op}`, op, calls, send, o.goneIsDone ?? false);
  }

  private async cloudwatch<T>(op: string, calls: string[], send: () => Promise<T>): Promise<T | undefined> {
    return this.call(`cloudwatch:${op}`, op, calls, send, false);
  }

  private async call<T>(
    api: string,
    op: string,
    calls: string[],
    send: () => Promise<T>,
    goneIsDone: boolean,
  ): Promise<T | undefined> {
    this.o.usage.count(api);
    calls.push(op);
    try {
      return await send();
    } catch (err) {
      if (goneIsDone && (err as { name?: unknown }).name === 'ObjectNotFoundException') return undefined;
      throw sourceError('outputs', api, err);
    }
  }

  /** The registered targets among `resources`, 50 ids a request per dimension. */
  private async targets(resources: readonly ScalableResource[]): Promise<Map<string, Target>> {
    const byDimension = new Map<ScalableDimension, string[]>();
    for (const r of resources) {
      const ids = byDimension.get(r.dimension) ?? [];
      if (!ids.includes(r.resourceId)) ids.push(r.resourceId);
      byDimension.set(r.dimension, ids);
    }
    const api = 'application-autoscaling:DescribeScalableTargets';
    const batches: { dimension: ScalableDimension; ids: string[] }[] = [];
    for (const [dimension, ids] of byDimension) {
      for (let i = 0; i < ids.length; i += TARGETS_PER_REQUEST) {
        batches.push({ dimension, ids: ids.slice(i, i + TARGETS_PER_REQUEST) });
      }
    }
    const out = new Map<string, Target>();
    try {
      await Promise.all(
        batches.map(async (b) => {
          // The ids of one batch fit in one page; the token is still followed should the service page anyway.
          for await (const page of this.list(api, paginateDescribeScalableTargets, this.o.autoscaling, {
            ServiceNamespace: NAMESPACE,
            ScalableDimension: b.dimension,
            ResourceIds: b.ids,
          })) {
            for (const t of page.ScalableTargets ?? []) {
              if (!t.ResourceId || t.ScalableDimension !== b.dimension) continue;
              out.set(key(t.ResourceId, b.dimension), {
                min: capacity(api, 'ScalableTargets[].MinCapacity', t.MinCapacity),
                max: capacity(api, 'ScalableTargets[].MaxCapacity', t.MaxCapacity),
              });
            }
          }
        }),
      );
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    return out;
  }

  /** Every item of one listing of a resource: its policies or its scheduled actions. */
  private async all<I extends object, P extends { NextToken?: string | undefined }, T>(
    api: string,
    paginate: (config: ApplicationAutoScalingPaginationConfiguration, input: I) => Paginator<P>,
    input: I,
    items: (page: P) => readonly T[] | undefined,
  ): Promise<T[]> {
    const out: T[] = [];
    try {
      for await (const page of this.list(api, paginate, this.o.autoscaling, input))
        out.push(...(items(page) ?? []));
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    return out;
  }
}

type Ids = {
  readonly ServiceNamespace: typeof NAMESPACE;
  readonly ResourceId: string;
  readonly ScalableDimension: ScalableDimension;
};

const key = (resourceId: string, dimension: string) => `${dimension}|${resourceId}`;
