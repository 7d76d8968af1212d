import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Pluggable } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { ASSUMED_ROLE_SECONDS, TargetClients } from '../../lambdas/aws/clients.ts';

const MEMBER_ROLE = 'arn:aws:iam::444455556666:role/perf-budgets-member';

/** STS answered in-process: every AssumeRole input is kept, and a session comes back. */
function fakeSts() {
  const inputs: unknown[] = [];
  const plugin: Pluggable<object, object> = {
    applyToStack: (stack) =>
      stack.add(
        (_next, context) => async (args) => {
          inputs.push({ command: context.commandName, input: args.input });
          return {
            response: {},
            output: {
              $metadata: {},
              Credentials: {
                AccessKeyId: 'ASIAMEMBER',
                SecretAccessKey: 'secret',
                SessionToken: 'token',
                Expiration: new Date(Date.now() + 3_600_000),
              },
            },
          };
        },
        { step: 'initialize', name: 'fakeSts' },
      ),
  };
  const targets = new TargetClients({
    homeRegion: 'us-east-1',
    sessionName: 'perf-budgets-collect',
    assumeRole: (o) => fromTemporaryCredentials({ ...o, clientPlugins: [plugin] }),
  });
  return { inputs, targets };
}

describe('TargetClients', () => {
  it("reads a member account with its role's session, named and with the external id", async () => {
    const { inputs, targets } = fakeSts();
    const clients = targets.for({
      account: '444455556666',
      region: 'eu-west-1',
      roleArn: MEMBER_ROLE,
      externalId: 'perf-budgets-x1',
    });
    const credentials = await clients.sageMaker.config.credentials();
    expect(credentials.accessKeyId).toBe('ASIAMEMBER');
    expect(inputs).toEqual([
      {
        command: 'AssumeRoleCommand',
        input: {
          RoleArn: MEMBER_ROLE,
          RoleSessionName: 'perf-budgets-collect',
          DurationSeconds: ASSUMED_ROLE_SECONDS,
          ExternalId: 'perf-budgets-x1',
        },
      },
    ]);
    expect(await clients.sageMaker.config.region()).toBe('eu-west-1');
    expect(await clients.cloudWatch.config.region()).toBe('eu-west-1');
    expect(clients.region).toBe('eu-west-1');
  });

  it('sends no external id when the target has none', async () => {
    const { inputs, targets } = fakeSts();
    await targets
      .for({ account: '444455556666', region: 'eu-west-1', roleArn: MEMBER_ROLE })
      .cloudWatch.config.credentials();
    expect(inputs).toEqual([
      { command: 'AssumeRoleCommand', input: expect.not.objectContaining({ ExternalId: expect.anything() }) },
    ]);
  });

  it('builds the clients of an account and region once, and others for another region', () => {
    const { targets } = fakeSts();
    const target = { account: '444455556666', region: 'eu-west-1', roleArn: MEMBER_ROLE };
    const first = targets.for(target);
    expect(targets.for({ ...target })).toBe(first);
    expect(targets.for({ ...target, region: 'us-east-1' })).not.toBe(first);
  });

  it("reads the deployment account with the process's own credentials, assuming nothing", async () => {
    const { inputs, targets } = fakeSts();
    const clients = targets.for({ account: '111122223333', region: 'us-west-2' });
    const credentials = await clients.sageMaker.config.credentials();
    expect(credentials.accessKeyId).toBe('test');
    expect(inputs).toEqual([]);
    expect(await clients.sageMaker.config.region()).toBe('us-west-2');
  });
});
