import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, HouseFunction, type HouseFunctionProps } from '../../lib/house-function.ts';
import { testApp } from './helpers.ts';

const ENTRY = 'lambdas/handlers/act.ts';

function build(props: Partial<HouseFunctionProps> = {}) {
  const stack = new Stack(testApp(), 'Fn');
  const fn = new HouseFunction(stack, 'Act', { entry: ENTRY, ...props });
  return { fn, template: Template.fromStack(stack) };
}

describe('HouseFunction', () => {
  it('runs Node.js 24 on arm64 with explicit memory and timeout, active tracing and source maps', () => {
    const { template } = build({ memorySizeMiB: 256, timeoutSeconds: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('defaults to 512 MiB and 60 seconds', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 60 });
  });

  it('writes to its own log group kept a month by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('ActLogs') } },
    });
  });

  it('sends failed asynchronous invocations to an encrypted, SSL-only dead-letter queue', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('reserves concurrency when asked', () => {
    const { template } = build({ reservedConcurrentExecutions: 1 });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
  });

  it('has a role of its own without managed policies', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('puts its role under the IAM path asked for, and at the root otherwise', () => {
    build({ rolePath: '/perf-budgets/' }).template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/perf-budgets/',
    });
    const roles = build().template.findResources('AWS::IAM::Role');
    expect(Object.values(roles).map((r) => r.Properties.Path)).toEqual([undefined]);
  });

  it('bundles as ESM with a require shim for CommonJS dependencies', () => {
    expect(ESM_REQUIRE_BANNER).toContain("createRequire } from 'node:module'");
    expect(ESM_REQUIRE_BANNER).toContain('const require = createRequire(import.meta.url)');
  });

  describe('refuses bad props with the value and the fix', () => {
    it.each([
      [
        { memorySizeMiB: 64 },
        /memorySizeMiB 64 is out of range; use a whole number of MiB from 128 to 10240/,
      ],
      [{ memorySizeMiB: 300.5 }, /memorySizeMiB 300.5 is out of range/],
      [
        { timeoutSeconds: 0 },
        /timeoutSeconds 0 is out of range; use a whole number of seconds from 1 to 900/,
      ],
      [{ timeoutSeconds: 901 }, /timeoutSeconds 901 is out of range/],
      [{ logRetention: RetentionDays.ONE_DAY }, /logRetention ONE_DAY .* use ONE_WEEK or longer/],
      [{ logRetention: RetentionDays.INFINITE }, /logRetention INFINITE .* choose a period/],
      [{ reservedConcurrentExecutions: 0 }, /reservedConcurrentExecutions 0 is not a positive whole number/],
      [{ entry: 'lambdas/handlers/nope.ts' }, /entry "lambdas\/handlers\/nope.ts" does not exist/],
    ] as const)('%o', (props, message) => {
      expect(() => build(props)).toThrow(message);
    });
  });
});
