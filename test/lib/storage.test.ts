import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS_KEY } from '../../lambdas/cycle/contract.ts';
import { LEDGER_TABLE_KEYS } from '../helpers/dynamodb-table.ts';
import { flatten, secureTransportDeny, synthStack } from './helpers.ts';

let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

describe('PerfBudgets storage', () => {
  it('keeps snapshots and reports in a versioned, KMS-encrypted, private, logged bucket that is retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'data/' },
      }),
    });
  });

  it('moves old objects to cheaper storage and expires old versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          }),
        ],
      },
    });
  });

  it('refuses plain HTTP on both buckets', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([secureTransportDeny]) } },
    });
    expect(Object.keys(policies)).toHaveLength(2);
  });

  it('writes the validated budget file to the bucket as JSON at deploy time', () => {
    const [resource] = Object.values(template.findResources('Custom::AWS'));
    const create = flatten(resource?.Properties.Create);
    expect(create).toContain('"action":"putObject"');
    expect(create).toContain(`"Key":"${BUDGETS_KEY}"`);
    expect(create).toContain('\\"name\\":\\"chat-prod\\"');
    expect(create).toContain('"ServerSideEncryption":"aws:kms"');
  });

  it('keeps the ledger in an on-demand, encrypted, recoverable, deletion-protected table that is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        ...LEDGER_TABLE_KEYS,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('lets CloudWatch alarms publish to the encrypted topic from this account only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });
});
