import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AutoScalingWriter, MANAGED_TAG, wakeAlarmName } from '../../lambdas/aws/autoscaling-writer.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import {
  COMPONENT_DIMENSION,
  NO_SCALING,
  type ScalableResource,
  type ScalingState,
  TOOL_NAMES,
  VARIANT_DIMENSION,
  variantResourceId,
} from '../../lambdas/core/plan/types.ts';
import { AutoScalingEngine } from '../helpers/autoscaling-engine.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { component, toZero, tracking, variant } from './scaling-fixtures.ts';

const planned: ScalingState = {
  target: { min: 2, max: 6 },
  targetTracking: tracking(180),
  wakeOnRequest: false,
  schedules: [
    // In name order, as they are read back.
    {
      name: TOOL_NAMES.schedule('off-hours-end'),
      schedule: 'cron(0 7 ? * MON-FRI *)',
      timezone: 'Europe/Berlin',
      min: 2,
      max: 6,
    },
    {
      name: TOOL_NAMES.schedule('off-hours-start'),
      schedule: 'cron(0 20 ? * MON-FRI *)',
      timezone: 'Europe/Berlin',
      min: 1,
      max: 2,
    },
  ],
};

let server: AwsTestServer;
let engine: AutoScalingEngine;
let writer: AutoScalingWriter;
let usage: ApiUsage;

beforeAll(async () => {
  server = await startAwsServer(
    new Proxy({}, { get: (_t, target: string) => engine.handlers()[target] }) as never,
  );
});
afterAll(() => server.close());

beforeEach(() => {
  engine = new AutoScalingEngine();
  usage = new ApiUsage();
  server.requests.length = 0;
  const common = { region: 'us-east-1', endpoint: server.url, maxAttempts: 1 };
  writer = new AutoScalingWriter({
    autoscaling: new ApplicationAutoScalingClient(common),
    cloudwatch: new CloudWatchClient(common),
    usage,
  });
});

const read = async (r: ScalableResource) => {
  const got = (await writer.read([r])).get(r.resourceId);
  if (!got) throw new Error(`no observation of ${r.resourceId}`);
  return got;
};
const writes = () =>
  server.requests.filter((q) => !q.target.includes('.Describe')).map((q) => q.target.split('.')[1]);

describe('AutoScalingWriter over a loopback Application Auto Scaling', () => {
  it('registers a new target tagged as managed, then its policy and schedules, and reads them back as written', async () => {
    const calls = await writer.write(variant, NO_SCALING, planned);

    expect(calls).toEqual([
      'RegisterScalableTarget',
      'PutScalingPolicy',
      'PutScheduledAction',
      'PutScheduledAction',
    ]);
    expect(writes()).toEqual(calls);
    expect(engine.target(variant.resourceId, VARIANT_DIMENSION)?.tags).toEqual(MANAGED_TAG);
    const policy = engine.state.policies[0];
    expect(policy?.config).toEqual({
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      TargetValue: 180,
      ScaleInCooldown: 600,
      ScaleOutCooldown: 120,
    });
    expect((await read(variant)).state).toEqual(planned);
    expect(usage.requests('application-autoscaling:RegisterScalableTarget')).toBe(1);
  });

  it('makes no call when the state read is the state wanted (a rerun of the same cycle)', async () => {
    await writer.write(variant, NO_SCALING, planned);
    const now = await read(variant);
    server.requests.length = 0;

    expect(await writer.write(variant, now.state, planned)).toEqual([]);
    expect(server.requests).toEqual([]);
  });

  it('updates only what changed: a new max and target value, one schedule replaced and one dropped', async () => {
    await writer.write(variant, NO_SCALING, planned);
    const now = await read(variant);
    server.requests.length = 0;
    const next: ScalingState = {
      ...planned,
      target: { min: 2, max: 4 },
      targetTracking: tracking(220),
      schedules: [{ ...(planned.schedules[0] as ScalingState['schedules'][number]), min: 0 }],
    };

    const calls = await writer.write(variant, now.state, next);

    expect(calls).toEqual([
      'RegisterScalableTarget',
      'PutScalingPolicy',
      'PutScheduledAction',
      'DeleteScheduledAction',
    ]);
    const register = server.requests.find((q) => q.target.endsWith('.RegisterScalableTarget'));
    expect(register?.input).not.toHaveProperty('Tags');
    expect((await read(variant)).state).toEqual(next);
  });

  it('rolls back to the exact recorded state, and to no target at all when there was none', async () => {
    engine.seedTarget({ resourceId: variant.resourceId, dimension: VARIANT_DIMENSION, min: 3, max: 8 });
    const before = (await read(variant)).state;
    await writer.write(variant, before, planned);

    await writer.write(variant, (await read(variant)).state, before);
    expect((await read(variant)).state).toEqual(before);

    await writer.write(component, NO_SCALING, {
      ...planned,
      targetTracking: tracking(1, COMPONENT_DIMENSION),
      wakeOnRequest: true,
    });
    server.requests.length = 0;
    const calls = await writer.write(component, (await read(component)).state, NO_SCALING);
    expect(calls).toEqual(['DeregisterScalableTarget', 'DeleteAlarms']);
    expect((await read(component)).state).toEqual(NO_SCALING);
    expect(engine.state.alarms).toEqual([]);
    expect(engine.state.policies.filter((p) => p.resourceId === component.resourceId)).toEqual([]);
  });

  it('leaves policies and scheduled actions it does not own in place, and reports them', async () => {
    engine.seedTarget({ resourceId: variant.resourceId, dimension: VARIANT_DIMENSION, min: 1, max: 4 });
    engine.seedPolicy({
      resourceId: variant.resourceId,
      dimension: VARIANT_DIMENSION,
      name: 'team-cpu',
      type: 'TargetTrackingScaling',
      config: {
        TargetValue: 70,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      },
    });
    engine.seedAction({
      resourceId: variant.resourceId,
      dimension: VARIANT_DIMENSION,
      name: 'team-black-friday',
      schedule: 'at(2026-11-27T00:00:00)',
      targetAction: { MinCapacity: 6, MaxCapacity: 12 },
    });
    const before = await read(variant);
    expect(before.foreignPolicies).toEqual([{ name: 'team-cpu', type: 'TargetTrackingScaling' }]);
    expect(before.foreignSchedules).toEqual(['team-black-friday']);

    await writer.write(variant, before.state, planned);
    await writer.write(variant, (await read(variant)).state, before.state);

    expect(engine.state.policies.map((p) => p.name)).toEqual(['team-cpu']);
    expect(engine.state.actions.map((a) => a.name)).toEqual(['team-black-friday']);
    expect(server.requests.map((q) => JSON.stringify(q.input)).filter((t) => t.includes('team-'))).toEqual(
      [],
    );
  });

  it('wakes a component scaled to zero the documented way: a step policy fired by a NoCapacityInvocationFailures alarm', async () => {
    const zero: ScalingState = {
      target: { min: 0, max: 2 },
      targetTracking: tracking(1, COMPONENT_DIMENSION),
      wakeOnRequest: true,
      schedules: [],
    };

    const calls = await writer.write(component, NO_SCALING, zero);

    expect(calls).toEqual([
      'RegisterScalableTarget',
      'PutScalingPolicy',
      'PutScalingPolicy',
      'PutMetricAlarm',
    ]);
    const step = engine.state.policies.find((p) => p.name === TOOL_NAMES.wakeOnRequest);
    expect(step?.type).toBe('StepScaling');
    expect(step?.config).toEqual({
      AdjustmentType: 'ChangeInCapacity',
      MetricAggregationType: 'Maximum',
      Cooldown: 60,
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    });
    const alarm = engine.state.alarms[0];
    expect(alarm?.name).toBe(wakeAlarmName(component));
    expect(alarm?.actions).toEqual([step?.arn]);
    expect(alarm?.input).toMatchObject({
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'chat-ic' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect((await read(component)).state).toEqual(zero);
  });

  it('removes the wake-on-request policy together with its alarm, which deleting the policy leaves behind', async () => {
    const zero = toZero;
    await writer.write(component, NO_SCALING, zero);
    const floor: ScalingState = { ...zero, target: { min: 1, max: 2 }, wakeOnRequest: false };

    await writer.write(component, (await read(component)).state, floor);

    expect(engine.state.policies).toEqual([]);
    expect(engine.state.alarms).toEqual([]);
    expect((await read(component)).state).toEqual(floor);
  });

  it('reads a wake-on-request policy whose alarm was deleted as not waking, and puts the alarm back', async () => {
    const zero = toZero;
    await writer.write(component, NO_SCALING, zero);
    engine.state.alarms.length = 0;

    const now = await read(component);
    expect(now.state.wakeOnRequest).toBe(false);
    expect(await writer.write(component, now.state, zero)).toEqual(['PutScalingPolicy', 'PutMetricAlarm']);
    expect((await read(component)).state).toEqual(zero);
  });

  it('reads many resources in batches of 50 ids, following NextToken through policies and schedules', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      ...variant,
      resourceId: variantResourceId(`e${i}`, 'AllTraffic'),
      endpoint: `e${i}`,
    }));
    for (const r of many.slice(0, 60))
      engine.seedTarget({ resourceId: r.resourceId, dimension: VARIANT_DIMENSION, min: 1, max: 2 });
    const busy = many[0] as ScalableResource;
    for (let i = 0; i < 23; i++) {
      engine.seedPolicy({
        resourceId: busy.resourceId,
        dimension: VARIANT_DIMENSION,
        name: `other-${String(i).padStart(2, '0')}`,
        type: 'StepScaling',
        config: { AdjustmentType: 'ChangeInCapacity' },
      });
    }

    const got = await writer.read(many);

    expect(got.size).toBe(120);
    expect(got.get(busy.resourceId)?.foreignPolicies).toHaveLength(23);
    expect(got.get((many[100] as ScalableResource).resourceId)?.state).toEqual(NO_SCALING);
    expect(got.get((many[59] as ScalableResource).resourceId)?.state.target).toEqual({ min: 1, max: 2 });
    const targetCalls = server.requests.filter((q) => q.target.endsWith('.DescribeScalableTargets'));
    expect(targetCalls.map((q) => (q.input.ResourceIds as string[]).length).sort()).toEqual([20, 50, 50]);
    const policyPages = server.requests.filter(
      (q) => q.target.endsWith('.DescribeScalingPolicies') && q.input.ResourceId === busy.resourceId,
    );
    expect(policyPages).toHaveLength(3);
  });
});
