import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS_KEY, MANAGED_TAG } from '../../lambdas/cycle/contract.ts';
import {
  actionsOf,
  editedBudgets,
  flatten,
  identityStatements,
  type Statement,
  synthStack,
} from './helpers.ts';

let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

describe('PerfBudgets functions', () => {
  // the demo budget file alerts on Slack: the five steps and the approvals handler and worker
  it('deploys the five step handlers and the two approval handlers through the house construct', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
    });
    expect(Object.keys(fns)).toHaveLength(7);
  });

  it('gives every handler the bucket, the budget file key and the ledger table', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: Match.objectLike({
            DATA_BUCKET: { Ref: Match.stringLikeRegexp('Data') },
            BUDGETS_KEY,
            LEDGER_TABLE: { Ref: Match.stringLikeRegexp('Ledger') },
          }),
        },
      },
    });
    expect(Object.keys(fns)).toHaveLength(7);
  });

  it('lets only one planner run at a time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('planned actions'),
      ReservedConcurrentExecutions: 1,
    });
  });
});

describe('PerfBudgets schedules', () => {
  const schedules = (t: Template) =>
    Object.values(t.findResources('AWS::Scheduler::Schedule')).map((r) => r.Properties);

  it('starts the cycle daily in the budget file time zone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('Cycle') },
        Input: '{"at":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
  });

  it('runs the report weekly and on the first day of each billing period', () => {
    const reports = schedules(template).filter(
      (s) => s.Target.Input === '{"report":true,"at":"<aws.scheduler.scheduled-time>"}',
    );
    expect(reports.map((s) => s.ScheduleExpression).sort()).toEqual([
      'cron(0 7 ? * MON *)',
      'cron(0 8 1 * ? *)',
    ]);
  });

  it('takes its time zone from the budget file', () => {
    const path = editedBudgets((t) => t.replace('timezone: UTC', 'timezone: Europe/Berlin'));
    const all = schedules(synthStack({ budgetsFile: path }).template);
    expect(all).toHaveLength(3);
    for (const s of all) expect(s.ScheduleExpressionTimezone).toBe('Europe/Berlin');
  });

  it('takes the time zone and expressions from props when given', () => {
    const t = synthStack({
      timeZone: 'America/New_York',
      scheduleExpression: 'cron(30 5 * * ? *)',
      reportScheduleExpression: 'cron(0 9 ? * FRI *)',
    }).template;
    const all = schedules(t);
    expect(all.map((s) => s.ScheduleExpression).sort()).toEqual([
      'cron(0 8 1 * ? *)',
      'cron(0 9 ? * FRI *)',
      'cron(30 5 * * ? *)',
    ]);
    for (const s of all) expect(s.ScheduleExpressionTimezone).toBe('America/New_York');
  });

  it('lets the scheduler start this state machine and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const starts = identityStatements(template).filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(starts).toHaveLength(1);
    expect(starts[0]?.Resource).toEqual({ Ref: expect.stringContaining('Cycle') });
  });
});

describe('PerfBudgets least privilege', () => {
  const statementsWith = (action: string) =>
    identityStatements(template).filter((s) => actionsOf(s).includes(action));

  it('has no wildcard action anywhere', () => {
    const wild = identityStatements(template)
      .flatMap(actionsOf)
      .filter((a) => a.includes('*'));
    expect(wild).toEqual([]);
  });

  it('reads cost, metrics, SageMaker, autoscaling and CloudTrail event history read-only, on "*" only where AWS forces it', () => {
    const star = identityStatements(template)
      .filter((s) => s.Resource === '*')
      .flatMap(actionsOf)
      .sort();
    expect(star).toEqual(
      [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingActivities',
        'application-autoscaling:DescribeScalingPolicies',
        // act reads the scaling it may change, and training jobs for the managed-spot advice
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScheduledActions',
        'sagemaker:ListTrainingJobs',
        // the approval worker reads the scaling it applies a change to (no training jobs)
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScheduledActions',
        'ce:GetCostAndUsage',
        'ce:GetCostForecast',
        'cloudtrail:LookupEvents',
        'cloudwatch:GetMetricData',
        'sagemaker:ListEndpoints',
        'sagemaker:ListInferenceComponents',
        // written by CDK for active tracing (seven functions and the state machine)
        ...Array(8).fill(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']).flat(),
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        // written by CDK for state machine logging
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
      ].sort(),
    );
  });

  it('scopes SageMaker describes to this account and region', () => {
    const [describe] = statementsWith('sagemaker:DescribeEndpoint');
    expect(JSON.stringify(describe?.Resource)).toContain(':endpoint/*');
    expect(describe?.Resource).not.toBe('*');
  });

  it('asks for resource-level Cost Explorer only when the budget file opts in', () => {
    expect(statementsWith('ce:GetCostAndUsageWithResources')).toEqual([]);
    const path = editedBudgets((t) =>
      t.replace('costMetric: billed', 'costMetric: billed\ncostExplorer: { resourceLevel: true }'),
    );
    const opted = identityStatements(synthStack({ budgetsFile: path }).template).filter((s) =>
      actionsOf(s).includes('ce:GetCostAndUsageWithResources'),
    );
    expect(opted).toHaveLength(1);
  });

  it.each([
    ...['Register', 'Deregister'].map((verb) => `application-autoscaling:${verb}ScalableTarget`),
    ...['Put', 'Delete'].flatMap((verb) => [
      `application-autoscaling:${verb}ScalingPolicy`,
      `application-autoscaling:${verb}ScheduledAction`,
    ]),
    'application-autoscaling:TagResource',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
    'sagemaker:UpdateInferenceComponentRuntimeConfig',
  ])(
    'allows %s only with perf-budgets:managed=true on the resource or, for a new target, in the request',
    (action) => {
      const statements = statementsWith(action);
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        const equals = s.Condition?.StringEquals ?? {};
        const tagged =
          equals[`aws:ResourceTag/${MANAGED_TAG}`] === 'true' ||
          (equals[`aws:RequestTag/${MANAGED_TAG}`] === 'true' &&
            s.Condition?.Null?.[`aws:ResourceTag/${MANAGED_TAG}`] === 'true');
        expect(tagged).toBe(true);
        expect(s.Resource).not.toBe('*');
      }
    },
  );

  it('lets act read the budget file, snapshots and findings, write actions/ and keep its ledger records', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      /ActDataAccess/.test(id),
    );
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    const prefixes = (action: string) =>
      statements
        .filter((s) => actionsOf(s).includes(action))
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flatten))
        .map((r) => r.replace(/^TOKEN\//, ''))
        .sort();
    expect(prefixes('s3:GetObject')).toEqual(['config/*', 'findings/*', 'snapshots/*']);
    expect(prefixes('s3:PutObject')).toEqual(['actions/*']);
    const act = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      /ActRoleDefaultPolicy/.test(id),
    );
    const ledger = ((act?.[1].Properties.PolicyDocument.Statement ?? []) as Statement[]).find((s) =>
      actionsOf(s).includes('dynamodb:PutItem'),
    );
    expect(ledger?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringContaining('Ledger'), 'Arn'] });
  });

  it('scopes bucket access to the prefixes each step reads and writes', () => {
    for (const s of [...statementsWith('s3:GetObject'), ...statementsWith('s3:PutObject')]) {
      const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flatten);
      for (const r of resources) expect(r).toMatch(/\/(config|snapshots|findings|actions|reports)\//);
    }
    expect(statementsWith('s3:DeleteObject')).toEqual([]);
  });

  it('scopes table, topic and secret access to those resources', () => {
    for (const s of statementsWith('dynamodb:PutItem')) {
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringContaining('Ledger'), 'Arn'] });
    }
    for (const s of statementsWith('secretsmanager:GetSecretValue')) {
      expect(s.Resource).toEqual({ Ref: expect.stringContaining('SlackSecret') });
    }
  });

  it('reads a FOCUS export bucket only when the budget file uses one', () => {
    expect(statementsWith('s3:ListBucket')).toEqual([]);
    const path = editedBudgets((t) =>
      t.replace(
        'costMetric: billed',
        'costMetric: billed\ncostSource: focus-export\nfocusExport: { bucket: my-exports, prefix: focus/ }',
      ),
    );
    const statements = identityStatements(synthStack({ budgetsFile: path }).template);
    const list = statements.find((s: Statement) => actionsOf(s).includes('s3:ListBucket'));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['focus/*'] } });
    const read = statements.find(
      (s) => actionsOf(s).includes('s3:GetObject') && flatten(s.Resource).includes('my-exports'),
    );
    expect(flatten(read?.Resource)).toBe('arn:TOKEN:s3:::my-exports/focus/*');
  });
});
