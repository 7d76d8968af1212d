import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import {
  type ScalableResource,
  VARIANT_DIMENSION,
  variantResourceId,
} from '../../lambdas/core/plan/types.ts';
import { actuation } from '../../lambdas/handlers/scaler.ts';
import { approvalFile } from '../helpers/approval-fixtures.ts';
import { lambdaContext } from '../helpers/lambda.ts';

const HOME = '111122223333';
const MEMBER = '444455556666';
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/perf-budgets-member`;

const sts = mockClient(STSClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);

const file = () =>
  approvalFile({ accounts: [{ id: MEMBER, roleArn: MEMBER_ROLE, externalId: 'perf-budgets-x1' }] });

const variant = (account?: string, region?: string): ScalableResource => ({
  resourceId: variantResourceId('search-a', 'primary'),
  dimension: VARIANT_DIMENSION,
  endpoint: 'search-a',
  variant: 'primary',
  ...(account ? { account } : {}),
  ...(region ? { region } : {}),
});

beforeEach(() => {
  sts.reset();
  autoscaling.reset();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 900_000),
    },
    AssumedRoleUser: {
      AssumedRoleId: 'AROAMEMBER:perf-budgets-approval',
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/perf-budgets-member/perf-budgets-approval`,
    },
  });
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
});

describe('the scaler of the functions that change scaling', () => {
  const built = () =>
    actuation({ region: 'us-east-1', sessionName: 'perf-budgets-approval', usage: new ApiUsage() }).scaler(
      file(),
      lambdaContext('perf-budgets-approval-worker', HOME),
    );

  it("reaches the function's own account and region, and the budget file's members, and nothing else", () => {
    const scaler = built();
    expect(scaler.reaches(variant())).toBe(true);
    expect(scaler.reaches(variant(HOME))).toBe(true);
    expect(scaler.reaches(variant(MEMBER, 'eu-west-1'))).toBe(true);
    expect(scaler.reaches(variant('999988887777'))).toBe(false);
    expect(scaler.reaches(variant(HOME, 'eu-west-1'))).toBe(false);
  });

  /** Where each DescribeScalableTargets went: the client's region and the key of its credentials. */
  const seen = () => {
    const calls: string[] = [];
    autoscaling.on(DescribeScalableTargetsCommand).callsFake(async (_input, getClient) => {
      const { config } = getClient();
      calls.push(`${await config.region()} ${(await config.credentials()).accessKeyId}`);
      return { ScalableTargets: [] };
    });
    return calls;
  };

  it('reads a member resource through the member role, in a session named for the function', async () => {
    const calls = seen();
    await built().read([variant(MEMBER, 'eu-west-1')]);
    expect(calls).toEqual(['eu-west-1 ASIAMEMBER']);
    expect(sts).toReceiveCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: MEMBER_ROLE,
      RoleSessionName: 'perf-budgets-approval',
      ExternalId: 'perf-budgets-x1',
    });
  });

  it("reads a home resource with the function's own credentials", async () => {
    const calls = seen();
    await built().read([variant(HOME)]);
    expect(calls).toEqual(['us-east-1 test']);
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 0);
  });
});
