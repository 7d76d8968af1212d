/**
 * A stateful loopback Application Auto Scaling (and the CloudWatch alarms its step policies hang on), for the
 * loopback server of aws-server.ts: the operations the scaler calls, with the real API's semantics and refusals as
 * the API reference states them. A policy or scheduled action on an unregistered target is ObjectNotFoundException;
 * a minimum above the maximum, or a first registration without both, is ValidationException; RegisterScalableTarget
 * on a registered target keeps what it omits (tags included: Tags only tag a target being created);
 * DeregisterScalableTarget removes the target's policies and scheduled actions, and a step policy's alarm outlives
 * the policy (DeleteScalingPolicy only drops the alarm's action). Describe* filter by resource and dimension and page
 * with NextToken (an unknown token is InvalidNextTokenException). Timestamps are epoch seconds, as JSON 1.1 sends them.
 */
import type { Handler } from './aws-server.ts';

export interface EngineTarget {
  readonly resourceId: string;
  readonly dimension: string;
  min: number;
  max: number;
  tags: Record<string, string>;
  readonly arn: string;
  readonly createdSec: number;
}

export interface EnginePolicy {
  readonly resourceId: string;
  readonly dimension: string;
  readonly name: string;
  readonly arn: string;
  type: string;
  config: Record<string, unknown>;
}

export interface EngineAction {
  readonly resourceId: string;
  readonly dimension: string;
  readonly name: string;
  readonly arn: string;
  schedule: string;
  timezone?: string;
  targetAction: { MinCapacity?: number; MaxCapacity?: number };
}

export interface EngineAlarm {
  readonly name: string;
  actions: string[];
  readonly input: Record<string, unknown>;
}

export interface EngineState {
  readonly targets: EngineTarget[];
  readonly policies: EnginePolicy[];
  readonly actions: EngineAction[];
  readonly alarms: EngineAlarm[];
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
/** Each Describe* caps its page as the API reference says. */
const PAGE = { targets: 50, policies: 10, actions: 50 } as const;

type Input = Record<string, unknown>;
type AwsError = { awsError: string; message: string };
const error = (awsError: string, message: string): AwsError => ({ awsError, message });

export class AutoScalingEngine {
  readonly state: EngineState = { targets: [], policies: [], actions: [], alarms: [] };
  private counter = 0;

  constructor(private readonly nowSec: () => number = () => 1_790_000_000) {}

  /** Seeds a registered target, as another tool or a person would have left it. */
  seedTarget(t: {
    resourceId: string;
    dimension: string;
    min: number;
    max: number;
    tags?: Record<string, string>;
  }) {
    this.state.targets.push({
      ...t,
      tags: { ...(t.tags ?? {}) },
      arn: this.targetArn(),
      createdSec: this.nowSec(),
    });
  }

  seedPolicy(p: { resourceId: string; dimension: string; name: string; type: string; config: Input }) {
    this.state.policies.push({ ...p, arn: this.policyArn(p.resourceId, p.name) });
  }

  seedAction(a: Omit<EngineAction, 'arn'>) {
    this.state.actions.push({ ...a, arn: this.actionArn(a.resourceId, a.name) });
  }

  target(resourceId: string, dimension: string): EngineTarget | undefined {
    return this.state.targets.find((t) => t.resourceId === resourceId && t.dimension === dimension);
  }

  /** The handlers to give startAwsServer, keyed by x-amz-target. */
  handlers(): Record<string, Handler> {
    const aas = 'AnyScaleFrontendService';
    const cw = 'GraniteServiceVersion20100801';
    return {
      [`${aas}.RegisterScalableTarget`]: (i) => this.register(i),
      [`${aas}.DeregisterScalableTarget`]: (i) => this.deregister(i),
      [`${aas}.DescribeScalableTargets`]: (i) => this.describeTargets(i),
      [`${aas}.PutScalingPolicy`]: (i) => this.putPolicy(i),
      [`${aas}.DeleteScalingPolicy`]: (i) => this.deletePolicy(i),
      [`${aas}.DescribeScalingPolicies`]: (i) => this.describePolicies(i),
      [`${aas}.PutScheduledAction`]: (i) => this.putAction(i),
      [`${aas}.DeleteScheduledAction`]: (i) => this.deleteAction(i),
      [`${aas}.DescribeScheduledActions`]: (i) => this.describeActions(i),
      [`${aas}.TagResource`]: (i) => this.tag(i),
      [`${aas}.ListTagsForResource`]: (i) => this.listTags(i),
      [`${cw}.PutMetricAlarm`]: (i) => this.putAlarm(i),
      [`${cw}.DeleteAlarms`]: (i) => this.deleteAlarms(i),
    };
  }

  private targetArn(): string {
    this.counter++;
    return `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/056${this.counter.toString(16).padStart(29, '0')}`;
  }

  private policyArn(resourceId: string, name: string): string {
    this.counter++;
    return `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:${this.counter.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000:resource/sagemaker/${resourceId}:policyName/${name}`;
  }

  private actionArn(resourceId: string, name: string): string {
    this.counter++;
    return `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scheduledAction:${this.counter.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000:resource/sagemaker/${resourceId}:scheduledActionName/${name}`;
  }

  /** The identifying fields every Application Auto Scaling write requires, or the ValidationException it gets. */
  private ids(i: Input): { resourceId: string; dimension: string } | AwsError {
    if (i.ServiceNamespace !== 'sagemaker') {
      return error('ValidationException', `Unsupported service namespace ${String(i.ServiceNamespace)}`);
    }
    if (typeof i.ResourceId !== 'string' || typeof i.ScalableDimension !== 'string') {
      return error('ValidationException', 'ResourceId and ScalableDimension are required');
    }
    return { resourceId: i.ResourceId, dimension: i.ScalableDimension };
  }

  private registered(i: Input): EngineTarget | AwsError {
    const ids = this.ids(i);
    if ('awsError' in ids) return ids;
    return (
      this.target(ids.resourceId, ids.dimension) ??
      error(
        'ObjectNotFoundException',
        `No scalable target registered for service namespace: sagemaker, resource ID: ${ids.resourceId}, scalable dimension: ${ids.dimension}`,
      )
    );
  }

  private register(i: Input): unknown {
    const ids = this.ids(i);
    if ('awsError' in ids) return ids;
    const min = i.MinCapacity as number | undefined;
    const max = i.MaxCapacity as number | undefined;
    const existing = this.target(ids.resourceId, ids.dimension);
    const nextMin = min ?? existing?.min;
    const nextMax = max ?? existing?.max;
    if (nextMin === undefined || nextMax === undefined) {
      return error(
        'ValidationException',
        'MinCapacity and MaxCapacity are required to register a new scalable target',
      );
    }
    if (nextMin > nextMax) {
      return error('ValidationException', `Minimum capacity cannot be greater than maximum capacity`);
    }
    if (existing) {
      existing.min = nextMin;
      existing.max = nextMax;
      return { ScalableTargetARN: existing.arn };
    }
    const target: EngineTarget = {
      ...ids,
      min: nextMin,
      max: nextMax,
      tags: { ...((i.Tags as Record<string, string> | undefined) ?? {}) },
      arn: this.targetArn(),
      createdSec: this.nowSec(),
    };
    this.state.targets.push(target);
    return { ScalableTargetARN: target.arn };
  }

  private deregister(i: Input): unknown {
    const t = this.registered(i);
    if ('awsError' in t) return t;
    const mine = (x: { resourceId: string; dimension: string }) =>
      x.resourceId === t.resourceId && x.dimension === t.dimension;
    remove(this.state.targets, (x) => x === t);
    for (const p of this.state.policies.filter(mine)) this.detachAlarms(p.arn);
    remove(this.state.policies, mine);
    remove(this.state.actions, mine);
    return {};
  }

  private describeTargets(i: Input): unknown {
    if (i.ServiceNamespace !== 'sagemaker')
      return error('ValidationException', 'Unsupported service namespace');
    const ids = i.ResourceIds as string[] | undefined;
    if (ids && ids.length > 50) {
      return error(
        'ValidationException',
        "1 validation error detected: Value at 'resourceIds' failed to satisfy constraint: Member must have length less than or equal to 50",
      );
    }
    const all = this.state.targets.filter(
      (t) =>
        (!ids || ids.includes(t.resourceId)) && (!i.ScalableDimension || t.dimension === i.ScalableDimension),
    );
    return page(i, all, PAGE.targets, 'ScalableTargets', (t) => ({
      ServiceNamespace: 'sagemaker',
      ResourceId: t.resourceId,
      ScalableDimension: t.dimension,
      MinCapacity: t.min,
      MaxCapacity: t.max,
      RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      CreationTime: t.createdSec,
      SuspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false,
      },
      ScalableTargetARN: t.arn,
    }));
  }

  private putPolicy(i: Input): unknown {
    const t = this.registered(i);
    if ('awsError' in t) return t;
    const type = (i.PolicyType as string | undefined) ?? 'StepScaling';
    const config =
      type === 'TargetTrackingScaling'
        ? (i.TargetTrackingScalingPolicyConfiguration as Input | undefined)
        : (i.StepScalingPolicyConfiguration as Input | undefined);
    if (!config) return error('ValidationException', `A ${type} policy needs its configuration`);
    if (type === 'TargetTrackingScaling' && typeof config.TargetValue !== 'number') {
      return error('ValidationException', 'TargetValue is required');
    }
    if (type === 'StepScaling' && !config.AdjustmentType) {
      return error(
        'ValidationException',
        'AdjustmentType is required for a new step scaling policy configuration',
      );
    }
    const name = String(i.PolicyName);
    let p = this.state.policies.find(
      (x) => x.resourceId === t.resourceId && x.dimension === t.dimension && x.name === name,
    );
    if (p) {
      p.type = type;
      p.config = config;
    } else {
      p = {
        resourceId: t.resourceId,
        dimension: t.dimension,
        name,
        type,
        config,
        arn: this.policyArn(t.resourceId, name),
      };
      this.state.policies.push(p);
    }
    const alarms =
      type === 'TargetTrackingScaling'
        ? ['AlarmHigh', 'AlarmLow'].map((suffix) => {
            const AlarmName = `TargetTracking-${t.resourceId}-${suffix}-${name}`;
            return { AlarmName, AlarmARN: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${AlarmName}` };
          })
        : [];
    return { PolicyARN: p.arn, Alarms: alarms };
  }

  private deletePolicy(i: Input): unknown {
    const ids = this.ids(i);
    if ('awsError' in ids) return ids;
    const p = this.state.policies.find(
      (x) => x.resourceId === ids.resourceId && x.dimension === ids.dimension && x.name === i.PolicyName,
    );
    if (!p)
      return error(
        'ObjectNotFoundException',
        `No scaling policy found for service namespace: sagemaker, resource ID: ${ids.resourceId}, scalable dimension: ${ids.dimension}, policy name: ${String(i.PolicyName)}`,
      );
    this.detachAlarms(p.arn);
    remove(this.state.policies, (x) => x === p);
    return {};
  }

  /** A step policy's alarms are the CloudWatch alarms whose actions name it. */
  private alarmsOf(p: EnginePolicy) {
    return this.state.alarms
      .filter((a) => a.actions.includes(p.arn))
      .map((a) => ({
        AlarmName: a.name,
        AlarmARN: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.name}`,
      }));
  }

  private detachAlarms(policyArn: string): void {
    for (const a of this.state.alarms) a.actions = a.actions.filter((x) => x !== policyArn);
  }

  private describePolicies(i: Input): unknown {
    const all = filtered(i, this.state.policies, i.PolicyNames);
    if ('awsError' in all) return all;
    return page(i, all, PAGE.policies, 'ScalingPolicies', (p) => ({
      PolicyARN: p.arn,
      PolicyName: p.name,
      ServiceNamespace: 'sagemaker',
      ResourceId: p.resourceId,
      ScalableDimension: p.dimension,
      PolicyType: p.type,
      ...(p.type === 'TargetTrackingScaling'
        ? { TargetTrackingScalingPolicyConfiguration: p.config }
        : { StepScalingPolicyConfiguration: p.config }),
      Alarms: this.alarmsOf(p),
      CreationTime: this.nowSec(),
    }));
  }

  private putAction(i: Input): unknown {
    const t = this.registered(i);
    if ('awsError' in t) return t;
    const target = (i.ScalableTargetAction as EngineAction['targetAction'] | undefined) ?? {};
    if (
      target.MinCapacity !== undefined &&
      target.MaxCapacity !== undefined &&
      target.MinCapacity > target.MaxCapacity
    ) {
      return error('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
    }
    const name = String(i.ScheduledActionName);
    const a = this.state.actions.find(
      (x) => x.resourceId === t.resourceId && x.dimension === t.dimension && x.name === name,
    );
    if (!a && typeof i.Schedule !== 'string') {
      return error('ValidationException', 'Schedule is required to create a scheduled action');
    }
    if (a) {
      if (typeof i.Schedule === 'string') a.schedule = i.Schedule;
      if (typeof i.Timezone === 'string') a.timezone = i.Timezone;
      a.targetAction = { ...a.targetAction, ...target };
    } else {
      this.state.actions.push({
        resourceId: t.resourceId,
        dimension: t.dimension,
        name,
        arn: this.actionArn(t.resourceId, name),
        schedule: String(i.Schedule),
        ...(typeof i.Timezone === 'string' ? { timezone: i.Timezone } : {}),
        targetAction: { ...target },
      });
    }
    return {};
  }

  private deleteAction(i: Input): unknown {
    const ids = this.ids(i);
    if ('awsError' in ids) return ids;
    const a = this.state.actions.find(
      (x) =>
        x.resourceId === ids.resourceId && x.dimension === ids.dimension && x.name === i.ScheduledActionName,
    );
    if (!a)
      return error(
        'ObjectNotFoundException',
        `No scheduled action found for service namespace: sagemaker, resource ID: ${ids.resourceId}, scalable dimension: ${ids.dimension}, scheduled action name: ${String(i.ScheduledActionName)}`,
      );
    remove(this.state.actions, (x) => x === a);
    return {};
  }

  private describeActions(i: Input): unknown {
    const all = filtered(i, this.state.actions, i.ScheduledActionNames);
    if ('awsError' in all) return all;
    return page(i, all, PAGE.actions, 'ScheduledActions', (a) => ({
      ScheduledActionName: a.name,
      ScheduledActionARN: a.arn,
      ServiceNamespace: 'sagemaker',
      Schedule: a.schedule,
      ...(a.timezone ? { Timezone: a.timezone } : {}),
      ResourceId: a.resourceId,
      ScalableDimension: a.dimension,
      ScalableTargetAction: a.targetAction,
      CreationTime: this.nowSec(),
    }));
  }

  private byArn(arn: unknown): EngineTarget | AwsError {
    return (
      this.state.targets.find((t) => t.arn === arn) ??
      error('ResourceNotFoundException', `Resource ${String(arn)} not found`)
    );
  }

  private tag(i: Input): unknown {
    const t = this.byArn(i.ResourceARN);
    if ('awsError' in t) return t;
    Object.assign(t.tags, i.Tags as Record<string, string>);
    return {};
  }

  private listTags(i: Input): unknown {
    const t = this.byArn(i.ResourceARN);
    if ('awsError' in t) return t;
    return { Tags: { ...t.tags } };
  }

  private putAlarm(i: Input): unknown {
    if (typeof i.AlarmName !== 'string' || typeof i.EvaluationPeriods !== 'number' || !i.ComparisonOperator) {
      return error('ValidationError', 'AlarmName, EvaluationPeriods and ComparisonOperator are required');
    }
    const actions = ((i.AlarmActions as string[] | undefined) ?? []).slice();
    for (const arn of actions) {
      if (arn.startsWith('arn:aws:autoscaling:') && !this.state.policies.some((p) => p.arn === arn)) {
        return error('ValidationError', `Invalid scaling policy ARN ${arn}`);
      }
    }
    remove(this.state.alarms, (a) => a.name === i.AlarmName);
    this.state.alarms.push({ name: i.AlarmName, actions, input: i });
    return {};
  }

  private deleteAlarms(i: Input): unknown {
    const names = (i.AlarmNames as string[] | undefined) ?? [];
    remove(this.state.alarms, (a) => names.includes(a.name));
    return {};
  }
}

/** What a Describe* of policies or scheduled actions asks for: its namespace, resource, dimension and names. */
function filtered<T extends { resourceId: string; dimension: string; name: string }>(
  i: Input,
  items: readonly T[],
  names: unknown,
): T[] | AwsError {
  if (i.ServiceNamespace !== 'sagemaker')
    return error('ValidationException', 'Unsupported service namespace');
  const wanted = names as string[] | undefined;
  return items.filter(
    (x) =>
      (!i.ResourceId || x.resourceId === i.ResourceId) &&
      (!i.ScalableDimension || x.dimension === i.ScalableDimension) &&
      (!wanted || wanted.includes(x.name)),
  );
}

function remove<T>(list: T[], gone: (x: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (gone(list[i] as T)) list.splice(i, 1);
}

/** One page of `all`: NextToken is the offset of the next item, MaxResults capped at the operation's page. */
function page<T>(i: Input, all: readonly T[], cap: number, field: string, shape: (x: T) => unknown): unknown {
  const size = Math.min(typeof i.MaxResults === 'number' ? i.MaxResults : cap, cap);
  let start = 0;
  if (i.NextToken !== undefined) {
    start = Number(i.NextToken);
    if (!Number.isInteger(start) || start <= 0 || start >= all.length) {
      return error('InvalidNextTokenException', 'The NextToken value is invalid');
    }
  }
  const end = start + size;
  return {
    [field]: all.slice(start, end).map(shape),
    ...(end < all.length ? { NextToken: String(end) } : {}),
  };
}
