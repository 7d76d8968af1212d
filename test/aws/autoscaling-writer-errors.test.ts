import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DescribeScalableTargetsCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AutoScalingWriter } from '../../lambdas/aws/autoscaling-writer.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import {
  NO_SCALING,
  type ScalingState,
  TARGET_METRIC,
  TOOL_NAMES,
  VARIANT_DIMENSION,
} from '../../lambdas/core/plan/types.ts';
import { variant } from './scaling-fixtures.ts';

const aas = mockClient(ApplicationAutoScalingClient);
const cw = mockClient(CloudWatchClient);
const withTracking: ScalingState = {
  target: { min: 1, max: 4 },
  targetTracking: {
    metric: TARGET_METRIC[VARIANT_DIMENSION],
    targetValue: 100,
    scaleInCooldownSeconds: 300,
    scaleOutCooldownSeconds: 300,
  },
  wakeOnRequest: false,
  schedules: [],
};

let writer: AutoScalingWriter;
beforeEach(() => {
  aas.reset();
  cw.reset();
  writer = new AutoScalingWriter({
    autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1' }),
    cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
    usage: new ApiUsage(),
  });
});

const denied = () =>
  Object.assign(
    new Error(
      'User: arn:aws:sts::123456789012:assumed-role/perf-budgets-act/s is not authorized to perform: application-autoscaling:RegisterScalableTarget',
    ),
    { name: 'AccessDeniedException', $metadata: {} },
  );

describe('AutoScalingWriter errors', () => {
  it('names the API and the AWS error code when a write is refused', async () => {
    aas.on(RegisterScalableTargetCommand).rejects(denied());

    const err = await writer.write(variant, NO_SCALING, withTracking).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AwsAccessError);
    expect((err as AwsAccessError).kind).toBe('access-denied');
    expect((err as Error).message).toContain('application-autoscaling:RegisterScalableTarget');
    expect((err as Error).message).toContain('AccessDeniedException');
    expect(aas).not.toReceiveCommand(PutScalingPolicyCommand);
  });

  it('stops at the first failed write, so no policy lands on a target whose limits were not set', async () => {
    aas
      .on(RegisterScalableTargetCommand)
      .rejects(new ObjectNotFoundException({ message: 'No scalable target', $metadata: {} }));
    await expect(writer.write(variant, NO_SCALING, withTracking)).rejects.toThrow(/ObjectNotFoundException/);
    expect(aas).toReceiveCommandTimes(RegisterScalableTargetCommand, 1);
    expect(aas).not.toReceiveCommand(PutScalingPolicyCommand);
  });

  it('takes a policy already deleted by someone else as deleted', async () => {
    aas
      .on(DeleteScalingPolicyCommand)
      .rejects(new ObjectNotFoundException({ message: 'gone', $metadata: {} }));
    const calls = await writer.write(variant, withTracking, { ...withTracking, targetTracking: null });
    expect(calls).toEqual(['DeleteScalingPolicy']);
    expect(aas).toReceiveCommandWith(DeleteScalingPolicyCommand, {
      PolicyName: TOOL_NAMES.targetTracking,
      ResourceId: variant.resourceId,
    });
  });

  it('refuses to write a scheduled action whose name lacks the prefix, before any call', async () => {
    const foreign: ScalingState = {
      ...withTracking,
      schedules: [{ name: 'team-nightly', schedule: 'cron(0 1 * * ? *)', timezone: 'UTC', min: 0, max: 1 }],
    };
    await expect(writer.write(variant, NO_SCALING, foreign)).rejects.toThrow(
      /refusing to write "team-nightly"/,
    );
    expect(aas.calls()).toHaveLength(0);
  });

  it('refuses wake-on-request on a production variant, which cannot run with zero instances', async () => {
    await expect(writer.write(variant, NO_SCALING, { ...withTracking, wakeOnRequest: true })).rejects.toThrow(
      /only an inference component/,
    );
    expect(aas.calls()).toHaveLength(0);
  });

  it('fails the read with the API and error code when the targets cannot be listed', async () => {
    aas
      .on(DescribeScalableTargetsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(writer.read([variant])).rejects.toThrow(
      /application-autoscaling:DescribeScalableTargets was throttled \(ThrottlingException\)/,
    );
  });
});
