import { STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { assumeRoleError, sourceError } from '../../lambdas/aws/errors.ts';
import { AwsAccessError, DataError } from '../../lambdas/core/errors.ts';

const ROLE = 'arn:aws:iam::444455556666:role/perf-budgets-member';
const sdkError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $metadata: {} });
const refused = () =>
  Object.assign(
    new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: `User: arn:aws:sts::111122223333:assumed-role/perf-budgets-collect/s is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
    }),
    { Type: 'Sender', Code: 'AccessDenied' },
  );

describe('sourceError', () => {
  it('reports throttling that outlasted the retries', () => {
    const err = sourceError(
      'costs',
      'ce:GetCostAndUsage',
      sdkError('LimitExceededException', 'Rate exceeded'),
    );
    expect(err).toMatchObject({ source: 'costs', kind: 'throttled' });
    expect(err.message).toBe(
      "ce:GetCostAndUsage was throttled (LimitExceededException) after the SDK's retries; try a later cycle",
    );
  });

  it('names the IAM action to grant when access is denied', () => {
    const err = sourceError(
      'metrics',
      'cloudwatch:GetMetricData',
      sdkError('AccessDenied', 'User: x is not authorized'),
    );
    expect(err).toMatchObject({ source: 'metrics', kind: 'access-denied' });
    expect(err.message).toBe(
      'cloudwatch:GetMetricData was denied (AccessDenied): grant the IAM action cloudwatch:GetMetricData to the role running perf-budgets',
    );
  });

  it('names the refused sts:AssumeRole and its fix, not the API that needed the credentials', () => {
    const err = sourceError('inventory', 'sagemaker:ListEndpoints', refused());
    expect(err).toMatchObject({ source: 'inventory', kind: 'access-denied' });
    expect(err.message).toMatch(new RegExp(`^sts:AssumeRole of ${ROLE} was refused \\(AccessDenied\\): `));
    expect(err.message).toContain("the member role's trust policy must trust the central collect/act role");
    expect(err.message).toContain(
      "sts:ExternalId condition must match the externalId of this account's entry",
    );
    expect(err.message).not.toContain('sagemaker:ListEndpoints');
  });

  it('finds an error of the family under the causes a wrapping layer added', () => {
    const inner = assumeRoleError(ROLE, refused());
    const wrapped = new Error('could not load credentials from any providers', { cause: inner });
    const err = sourceError('metrics', 'cloudwatch:GetMetricData', wrapped);
    expect(err).toMatchObject({
      source: 'metrics',
      kind: 'access-denied',
      message: inner.message,
      cause: wrapped,
    });
  });

  it('keeps an AWS access error of the same source as it is, and the message of a data error as malformed', () => {
    const same = new AwsAccessError('costs', 'failed', 'ce:GetCostAndUsage failed (InternalServerException)');
    expect(sourceError('costs', 'ce:GetCostAndUsage', same)).toBe(same);
    const data = new DataError('sagemaker:ListTags returned the page token "t2" twice');
    expect(sourceError('inventory', 'sagemaker:ListTags', data)).toMatchObject({
      kind: 'malformed',
      message: data.message,
      cause: data,
    });
  });

  it('says what failed, on one line, for anything else', () => {
    const err = sourceError(
      'ledger',
      'dynamodb:Query',
      sdkError('InternalServerError', 'try again\nstack...'),
    );
    expect(err).toMatchObject({
      kind: 'failed',
      message: 'dynamodb:Query failed (InternalServerError): try again',
    });
  });
});

describe('assumeRoleError', () => {
  it('tells throttling and other failures of sts:AssumeRole apart from a refusal', () => {
    expect(assumeRoleError(ROLE, sdkError('Throttling', 'Rate exceeded'))).toMatchObject({
      source: 'credentials',
      kind: 'throttled',
      message: `sts:AssumeRole of ${ROLE} was throttled (Throttling) after the SDK's retries; try a later cycle`,
    });
    expect(
      assumeRoleError(ROLE, sdkError('RegionDisabledException', 'STS is not activated in af-south-1')),
    ).toMatchObject({
      kind: 'failed',
      message: `sts:AssumeRole of ${ROLE} failed (RegionDisabledException): STS is not activated in af-south-1`,
    });
  });
});
