import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VARIANT_DIMENSION } from '../../lambdas/core/plan/types.ts';
import { variant } from '../aws/scaling-fixtures.ts';
import { AutoScalingEngine } from './autoscaling-engine.ts';
import { type AwsTestServer, startAwsServer } from './aws-server.ts';

let server: AwsTestServer;
let engine: AutoScalingEngine;
let client: ApplicationAutoScalingClient;
const ids = {
  ServiceNamespace: 'sagemaker',
  ResourceId: variant.resourceId,
  ScalableDimension: VARIANT_DIMENSION,
} as const;

beforeAll(async () => {
  server = await startAwsServer(
    new Proxy({}, { get: (_t, target: string) => engine.handlers()[target] }) as never,
  );
  client = new ApplicationAutoScalingClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
});
afterAll(() => server.close());
beforeEach(() => {
  engine = new AutoScalingEngine();
});

describe('the loopback Application Auto Scaling', () => {
  it('refuses a policy or a scheduled action on a target that is not registered', async () => {
    await expect(
      client.send(
        new PutScalingPolicyCommand({
          ...ids,
          PolicyName: 'p',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: { TargetValue: 5 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
    await expect(
      client.send(
        new PutScheduledActionCommand({ ...ids, ScheduledActionName: 'a', Schedule: 'cron(0 1 * * ? *)' }),
      ),
    ).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
  });

  it('refuses a minimum above the maximum, and a first registration without both', async () => {
    await expect(
      client.send(new RegisterScalableTargetCommand({ ...ids, MinCapacity: 5, MaxCapacity: 2 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new RegisterScalableTargetCommand({ ...ids, MinCapacity: 1 })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('keeps the limits a later registration omits, and the tags of the first', async () => {
    const { ScalableTargetARN } = await client.send(
      new RegisterScalableTargetCommand({ ...ids, MinCapacity: 1, MaxCapacity: 4, Tags: { team: 'search' } }),
    );
    await client.send(new RegisterScalableTargetCommand({ ...ids, MaxCapacity: 6 }));

    const { ScalableTargets } = await client.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'sagemaker',
        ResourceIds: [variant.resourceId],
      }),
    );
    expect(ScalableTargets?.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[1, 6]]);
    expect(ScalableTargets?.[0]?.CreationTime).toBeInstanceOf(Date);
    const tags = await client.send(new ListTagsForResourceCommand({ ResourceARN: ScalableTargetARN }));
    expect(tags.Tags).toEqual({ team: 'search' });
  });

  it('removes the policies and scheduled actions of a target it deregisters', async () => {
    engine.seedTarget({ resourceId: variant.resourceId, dimension: VARIANT_DIMENSION, min: 1, max: 2 });
    engine.seedPolicy({ ...idsOf(), name: 'p', type: 'TargetTrackingScaling', config: { TargetValue: 5 } });
    engine.seedAction({
      ...idsOf(),
      name: 'a',
      schedule: 'cron(0 1 * * ? *)',
      targetAction: { MinCapacity: 0 },
    });

    await client.send(new DeregisterScalableTargetCommand(ids));

    expect(engine.state).toMatchObject({ targets: [], policies: [], actions: [] });
  });
});

function idsOf() {
  return { resourceId: variant.resourceId, dimension: VARIANT_DIMENSION };
}
