import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmParameters } from '../../lambdas/aws/parameters.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';

const ssm = mockClient(SSMClient);
let usage: ApiUsage;
let publisher: SsmParameters;

/** A parameter as GetParameters returns it. */
const stored = (Name: string, Value: string) => ({
  Name,
  Type: 'String' as const,
  Value,
  Version: 3,
  LastModifiedDate: new Date('2026-10-01T06:00:00Z'),
  ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${Name}`,
  DataType: 'text',
});

beforeEach(() => {
  ssm.reset();
  usage = new ApiUsage();
  publisher = new SsmParameters({ ssm: new SSMClient({ region: 'us-east-1' }), usage });
});

describe('SsmParameters', () => {
  it('writes only the parameters whose value changed or that do not exist yet', async () => {
    ssm.on(GetParametersCommand).resolves({
      Parameters: [
        stored('/perf-budgets/budgets/search-prod/status', 'ok'),
        stored('/perf-budgets/budgets/chat/status', 'ok'),
      ],
      InvalidParameters: ['/perf-budgets/experiment/training/managed-spot'],
    });
    ssm.on(PutParameterCommand).resolves({ Version: 4, Tier: 'Standard' });

    const written = await publisher.publish(
      new Map([
        ['/perf-budgets/budgets/search-prod/status', 'ok'],
        ['/perf-budgets/budgets/chat/status', 'breached'],
        ['/perf-budgets/experiment/training/managed-spot', '{"enabled":true,"maxWaitSeconds":7200}'],
      ]),
    );

    expect(written).toEqual([
      '/perf-budgets/budgets/chat/status',
      '/perf-budgets/experiment/training/managed-spot',
    ]);
    expect(ssm).toReceiveCommandTimes(PutParameterCommand, 2);
    expect(ssm).toReceiveCommandWith(PutParameterCommand, {
      Name: '/perf-budgets/budgets/chat/status',
      Value: 'breached',
      Type: 'String',
      Overwrite: true,
    });
  });

  it('writes nothing when every value is already stored', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [stored('/a', '1')], InvalidParameters: [] });
    expect(await publisher.publish(new Map([['/a', '1']]))).toEqual([]);
    expect(ssm).not.toReceiveCommand(PutParameterCommand);
  });

  it('asks for at most 10 names a request', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [] });
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const many = new Map(Array.from({ length: 23 }, (_, i) => [`/p/${i}`, 'x'] as const));

    await publisher.publish(many);

    const asked = ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input.Names?.length);
    expect(asked).toEqual([10, 10, 3]);
    expect(usage.requests('ssm:GetParameters')).toBe(3);
    expect(usage.requests('ssm:PutParameter')).toBe(23);
  });

  it('names the API and the error code when a write is refused', async () => {
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: ['/a'] });
    ssm.on(PutParameterCommand).rejects(
      Object.assign(new Error('not authorized to perform: ssm:PutParameter'), {
        name: 'AccessDeniedException',
        $metadata: {},
      }),
    );
    const err = await publisher.publish(new Map([['/a', '1']])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAccessError);
    expect((err as Error).message).toMatch(/ssm:PutParameter was denied \(AccessDeniedException\)/);
  });
});
