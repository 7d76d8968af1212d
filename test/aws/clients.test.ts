import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListEndpointsCommand } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ASSUMED_ROLE_SECONDS,
  type AwsClients,
  buildClients,
  TargetClients,
} from '../../lambdas/aws/clients.ts';
import { awsResourceSources } from '../../lambdas/aws/sources.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { collectResources } from '../../lambdas/cycle/collect.ts';
import { budget, file } from '../core/evaluate/fixtures.ts';

const MEMBER_ROLE = 'arn:aws:iam::444455556666:role/perf-budgets-member';
const sts = mockClient(STSClient);

/** What STS answers AssumeRole: a session of ASSUMED_ROLE_SECONDS from `now`. */
function session(now = Date.now()) {
  return {
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(now + ASSUMED_ROLE_SECONDS * 1000),
    },
    AssumedRoleUser: {
      AssumedRoleId: 'AROAMEMBER:perf-budgets-collect',
      Arn: 'arn:aws:sts::444455556666:assumed-role/perf-budgets-member/perf-budgets-collect',
    },
  };
}

/** STS's AccessDenied as the SDK raises it from the XML error response (type, code and message all kept). */
function assumeRoleRefused(): STSServiceException {
  const message =
    'User: arn:aws:sts::111122223333:assumed-role/perf-budgets-collect/perf-budgets-collect is not authorized to ' +
    `perform: sts:AssumeRole on resource: ${MEMBER_ROLE}`;
  return Object.assign(
    new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403, requestId: '4f1b2c3d-0000-4000-8000-000000000001', attempts: 1 },
      message,
    }),
    {
      Type: 'Sender',
      Code: 'AccessDenied',
      Error: { Type: 'Sender', Code: 'AccessDenied', Message: message },
    },
  );
}

/**
 * Answers every request of `client` in-process right after the SDK has signed it: the credentials are resolved as
 * for a real call, and nothing leaves the process.
 */
function answerSigned(client: { readonly middlewareStack: unknown }): void {
  (client.middlewareStack as MiddlewareStack<object, MetadataBearer>).addRelativeTo(
    () => async () => ({ output: { $metadata: {} }, response: {} }),
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'answerSigned' },
  );
}

/** One request on each client that reads a member account's inventory and metrics. */
async function readAll(clients: AwsClients): Promise<void> {
  await Promise.all([
    clients.sageMaker.send(new ListEndpointsCommand({ MaxResults: 100 })),
    clients.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' })),
    clients.cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [],
        StartTime: new Date(0),
        EndTime: new Date(3_600_000),
      }),
    ),
  ]);
}

const targets = () => new TargetClients({ homeRegion: 'us-east-1', sessionName: 'perf-budgets-collect' });
const member = {
  account: '444455556666',
  region: 'eu-west-1',
  roleArn: MEMBER_ROLE,
  externalId: 'perf-budgets-x1',
};

function built(t: TargetClients, target: Parameters<TargetClients['for']>[0]): AwsClients {
  const clients = t.for(target);
  for (const c of [clients.sageMaker, clients.autoScaling, clients.cloudWatch]) answerSigned(c);
  return clients;
}

beforeEach(() => {
  sts.reset();
  sts.on(AssumeRoleCommand).callsFake(() => session());
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TargetClients', () => {
  it("reads a member account with its role's session, named and with the external id", async () => {
    const clients = built(targets(), member);
    const credentials = await clients.sageMaker.config.credentials();
    expect(credentials.accessKeyId).toBe('ASIAMEMBER');
    expect(sts).toReceiveCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: MEMBER_ROLE,
      RoleSessionName: 'perf-budgets-collect',
      DurationSeconds: ASSUMED_ROLE_SECONDS,
      ExternalId: 'perf-budgets-x1',
    });
    expect(await clients.sageMaker.config.region()).toBe('eu-west-1');
    expect(await clients.cloudWatch.config.region()).toBe('eu-west-1');
    expect(clients.region).toBe('eu-west-1');
  });

  it('sends no external id when the target has none', async () => {
    const { externalId: _, ...withoutId } = member;
    await targets().for(withoutId).cloudWatch.config.credentials();
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 1);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).not.toHaveProperty('ExternalId');
  });

  it('assumes the role once for all the clients of a target, across every request they send', async () => {
    const clients = built(targets(), member);
    await readAll(clients);
    await readAll(clients);
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 1);
  });

  it('shares the session of a role between the regions of its account, and assumes another role on its own', async () => {
    const t = targets();
    await readAll(built(t, member));
    await readAll(built(t, { ...member, region: 'us-west-2' }));
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 1);
    const other = 'arn:aws:iam::777788889999:role/perf-budgets-member';
    await readAll(built(t, { account: '777788889999', region: 'eu-west-1', roleArn: other }));
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 2);
    expect(sts).toReceiveNthCommandWith(AssumeRoleCommand, 2, { RoleArn: other });
  });

  it('assumes the role again only when its session is within five minutes of expiring', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-10-11T06:00:00Z'));
    const clients = built(targets(), member);
    await readAll(clients);
    vi.setSystemTime(new Date('2026-10-11T06:09:00Z'));
    await readAll(clients);
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 1);
    // 15-minute sessions: past the tenth minute, the next request renews the session once for every client.
    vi.setSystemTime(new Date('2026-10-11T06:11:00Z'));
    await readAll(clients);
    await readAll(clients);
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 2);
  });

  it('builds the clients of an account and region once, and others for another region', () => {
    const t = targets();
    const first = t.for(member);
    expect(t.for({ ...member })).toBe(first);
    expect(t.for({ ...member, region: 'us-east-1' })).not.toBe(first);
  });

  it("reads the deployment account with the process's own credentials, assuming nothing", async () => {
    const clients = targets().for({ account: '111122223333', region: 'us-west-2' });
    const credentials = await clients.sageMaker.config.credentials();
    expect(credentials.accessKeyId).toBe('test');
    expect(sts).not.toReceiveAnyCommand();
    expect(await clients.sageMaker.config.region()).toBe('us-west-2');
  });
});

describe('a member role that refuses to be assumed', () => {
  beforeEach(() => {
    sts.reset();
    sts.on(AssumeRoleCommand).rejects(assumeRoleRefused());
  });

  it('fails the request that needed the credentials with an error naming sts:AssumeRole of the role', async () => {
    const clients = built(targets(), member);
    const err = await clients.sageMaker.send(new ListEndpointsCommand({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAccessError);
    expect(err).toMatchObject({ kind: 'access-denied', cause: expect.any(STSServiceException) });
    expect((err as Error).message).toBe(
      `sts:AssumeRole of ${MEMBER_ROLE} was refused (AccessDenied): the member role's trust policy must trust ` +
        'the central collect/act role running perf-budgets, and its sts:ExternalId condition must match the ' +
        "externalId of this account's entry under accounts in the budget file",
    );
  });

  it("leaves the member's part one incomplete-data gap that says what to fix, not which action to grant", async () => {
    const budgets = file([budget({ spendPerPeriod: 1000 })]);
    const clients = built(targets(), member);
    const asOf = '2026-10-15';
    const sources = awsResourceSources({
      file: budgets,
      asOf,
      clients,
      usage: new ApiUsage(),
      now: () => Date.parse('2026-10-16T06:00:00Z'),
    });
    const part = await collectResources({ file: budgets, asOf, sources }, member);
    expect(part.snapshot.gaps).toHaveLength(1);
    const [gap] = part.snapshot.gaps;
    expect(gap?.source).toBe('inventory');
    expect(gap?.message).toMatch(
      new RegExp(`^sts:AssumeRole of ${MEMBER_ROLE} was refused \\(AccessDenied\\)`),
    );
    expect(gap?.message).toContain('trust policy');
    expect(gap?.message).toContain('externalId');
    expect(gap?.message).not.toContain('sagemaker:ListEndpoints');
    expect(sts).toReceiveCommandTimes(AssumeRoleCommand, 1);
  });
});

describe('buildClients', () => {
  it('builds the SSM client in the region of the others', async () => {
    const clients = buildClients({ region: 'eu-west-1' });
    expect(await clients.ssm.config.region()).toBe('eu-west-1');
    expect(await clients.sageMaker.config.region()).toBe('eu-west-1');
  });
});
