import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS_KEY, MANAGED_TAG } from '../../lambdas/cycle/contract.ts';
import {
  actionsOf,
  DEMO_BUDGETS,
  editedBudgets,
  flatten,
  identityStatements,
  type Statement,
  synthStack,
} from './helpers.ts';

type Template = ReturnType<typeof synthStack>['template'];
let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

const secureTransportDeny = Match.objectLike({
  Effect: 'Deny',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

function definition(t: Template): {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
} {
  const [sm] = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
  return JSON.parse(flatten(sm?.Properties.DefinitionString));
}

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
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('encrypts the alert topic with a rotated customer key and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([secureTransportDeny]) },
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

  it('creates the Slack secret empty: no value, not even a generated one, in the template', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        Description: Match.stringLikeRegexp('webhookUrl'),
        SecretString: Match.absent(),
        GenerateSecretString: Match.absent(),
      },
    });
  });

  it('subscribes the alarm email, with failed deliveries kept in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'finops@example.com',
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
  });

  it('subscribes nobody without an alarm email', () => {
    synthStack().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('PerfBudgets functions', () => {
  it('deploys the five handlers through the house construct', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
    });
    expect(Object.keys(fns)).toHaveLength(5);
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
    expect(Object.keys(fns)).toHaveLength(5);
  });

  it('gives notify the topic and the Slack secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOPIC_ARN: { Ref: Match.stringLikeRegexp('Alerts') },
          SLACK_SECRET_ARN: { Ref: Match.stringLikeRegexp('SlackSecret') },
        }),
      },
    });
  });

  it('lets only one planner run at a time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('planned actions'),
      ReservedConcurrentExecutions: 1,
    });
  });
});

describe('PerfBudgets state machine', () => {
  it('is a Standard state machine with tracing and full logging', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it('runs collect -> evaluate -> act -> notify, then the report when asked', () => {
    const d = definition(template);
    expect(d.StartAt).toBe('WhichDay');
    for (const s of ['GivenDay', 'ScheduledTime', 'StartTime']) expect(d.States[s]?.Next).toBe('Parts');
    expect(d.States.Parts?.Next).toBe('Collect');
    expect(d.States.Collect?.Type).toBe('Map');
    expect(d.States.Collect?.Next).toBe('Evaluate');
    expect(d.States.Evaluate?.Next).toBe('Act');
    expect(d.States.Act?.Next).toBe('Notify');
    expect(d.States.Notify?.Next).toBe('ReportRequested');
    expect(d.States.ReportRequested).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.report', IsPresent: true },
            { Variable: '$.report', BooleanEquals: true },
          ],
          Next: 'Report',
        },
      ],
      Default: 'CycleDone',
    });
  });

  it('passes the execution name as the run id and large data as S3 keys', () => {
    const d = definition(template);
    expect(d.States.Collect?.ResultPath).toBe('$.collected');
    expect(d.States.Collect?.ResultSelector).toEqual({
      'asOf.$': '$[0].asOf',
      'partKeys.$': '$[*].snapshotKey',
    });
    expect(d.States.Evaluate?.Parameters).toEqual({
      'runId.$': '$.cycle.runId',
      'asOf.$': '$.collected.asOf',
      'partKeys.$': '$.collected.partKeys',
    });
    for (const state of ['Act', 'Notify']) {
      expect(d.States[state]?.Parameters).toEqual({
        'runId.$': '$.evaluated.runId',
        'asOf.$': '$.evaluated.asOf',
        'resultKey.$': '$.evaluated.resultKey',
      });
    }
    expect(d.States.Report?.Parameters).toEqual({
      'asOf.$': '$.evaluated.asOf',
      'resultKey.$': '$.evaluated.resultKey',
    });
  });

  it.each(['CollectPart', 'Evaluate', 'Act', 'Notify', 'Report'])(
    '%s retries Lambda service errors and throttling with backoff, and catches everything else',
    (state) => {
      const d = definition(template);
      const processor = d.States.Collect?.ItemProcessor as
        | { States: Record<string, Record<string, unknown>> }
        | undefined;
      const s = d.States[state] ?? processor?.States[state];
      expect(s?.Retry).toEqual([
        {
          ErrorEquals: [
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.TooManyRequestsException',
            'Lambda.ClientExecutionTimeoutException',
          ],
          IntervalSeconds: 5,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 120,
          JitterStrategy: 'FULL',
        },
      ]);
      // a part's failure is caught by the Map around it, which holds the execution's input
      const catcher = state === 'CollectPart' ? d.States.Collect : s;
      expect(catcher?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PublishFailure' },
      ]);
    },
  );

  it('publishes a pipeline-failure alert to the topic, then fails the execution', () => {
    const failure = definition(template).States.PublishFailure;
    expect(failure?.Resource).toContain(':states:::sns:publish');
    expect(failure?.Parameters).toMatchObject({
      Message: {
        kind: 'pipeline-failure',
        'execution.$': '$$.Execution.Id',
        'runId.$': '$$.Execution.Name',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
      },
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'pipeline-failure' } },
    });
    expect(failure?.Next).toBe('CycleFailed');
    expect(definition(template).States.CycleFailed?.Type).toBe('Fail');
  });

  it('can publish to the encrypted topic', () => {
    const statements = identityStatements(template);
    expect(
      statements.some(
        (s) => actionsOf(s).includes('sns:Publish') && JSON.stringify(s.Resource).includes('Alerts'),
      ),
    ).toBe(true);
    expect(
      statements.filter((s) => actionsOf(s).includes('kms:GenerateDataKey')).map((s) => s.Resource),
    ).toContainEqual({ 'Fn::GetAtt': [expect.stringContaining('Key'), 'Arn'] });
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

  it('reads cost, metrics, SageMaker and autoscaling read-only, on "*" only where AWS forces it', () => {
    const star = identityStatements(template)
      .filter((s) => s.Resource === '*')
      .flatMap(actionsOf)
      .sort();
    expect(star).toEqual(
      [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingActivities',
        'application-autoscaling:DescribeScalingPolicies',
        'ce:GetCostAndUsage',
        'ce:GetCostForecast',
        'cloudwatch:GetMetricData',
        'sagemaker:ListEndpoints',
        'sagemaker:ListInferenceComponents',
        // written by CDK for active tracing (five functions and the state machine)
        ...Array(6).fill(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']).flat(),
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
    'application-autoscaling:RegisterScalableTarget',
    'application-autoscaling:PutScalingPolicy',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
  ])('allows %s only on resources tagged perf-budgets:managed=true', (action) => {
    const statements = statementsWith(action);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } });
      expect(s.Resource).not.toBe('*');
    }
  });

  it('scopes bucket access to the prefixes each step reads and writes', () => {
    for (const s of [...statementsWith('s3:GetObject'), ...statementsWith('s3:PutObject')]) {
      const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flatten);
      for (const r of resources) expect(r).toMatch(/\/(config|snapshots|findings|reports)\//);
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

describe('PerfBudgets dashboard and alarms', () => {
  it('charts, per budget, spend to date against cap and forecast, unit cost and p99 latency', () => {
    const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.parse(flatten(dash?.Properties.DashboardBody).replaceAll('TOKEN', 'x'));
    const titles: string[] = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);
    expect(titles).toContain('chat-prod: spend to date, cap and forecast (USD)');
    expect(titles).toContain('chat-prod: cost per 1k inferences');
    expect(titles).toContain('chat-prod: ModelLatency p99 (microseconds)');
    const spend = body.widgets.find((w: { properties: { title: string } }) =>
      w.properties.title.startsWith('chat-prod: spend'),
    );
    const names = spend.properties.metrics.map((m: unknown[]) => m.slice(0, 2).join('/'));
    expect(names).toEqual(['PerfBudgets/SpendToDate', 'PerfBudgets/Cap', 'PerfBudgets/ForecastExpected']);
    expect(JSON.stringify(spend.properties.metrics)).toContain('"budget","chat-prod"');
    expect(JSON.stringify(body)).toContain('MetricName=\\"CostPer1kInferences\\" budget=\\"chat-prod\\"');
  });

  it('alarms to the topic on failed and timed-out cycles', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
      });
    }
  });

  it('alarms to the topic on errors of each of the five functions', () => {
    const errors = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { Namespace: 'AWS/Lambda', MetricName: 'Errors', AlarmActions: [Match.anyValue()] },
    });
    expect(Object.keys(errors)).toHaveLength(5);
  });

  it('alarms to the topic when anything waits in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
    });
  });
});

describe('PerfBudgets validation', () => {
  it('fails synth on a bad budget file with the path in the file, its line and what was expected', () => {
    const path = editedBudgets((t) => t.replace('spendPerPeriod: 3000', 'spendPerPeriod: lots'));
    expect(() => synthStack({ budgetsFile: path })).toThrow(
      new RegExp(`${path}:22: budgets\\[0\\]\\.limits\\.spendPerPeriod: .*number`),
    );
  });

  it('fails synth on a missing budget file', () => {
    expect(() => synthStack({ budgetsFile: 'nope/budgets.yaml' })).toThrow(
      'nope/budgets.yaml: (file): file not found',
    );
  });

  it.each([
    [
      { scheduleExpression: 'daily' },
      /scheduleExpression "daily" is not a Scheduler expression; use cron\(...\)/,
    ],
    [{ reportScheduleExpression: '0 7 * * 1' }, /reportScheduleExpression "0 7 \* \* 1" is not a Scheduler/],
    [{ timeZone: 'Mars/Olympus' }, /timeZone "Mars\/Olympus" is not an IANA time zone; use e.g. "UTC"/],
    [{ alarmEmail: 'finops' }, /alarmEmail "finops" is not an email address/],
    [{ logRetention: RetentionDays.ONE_DAY }, /logRetention 1 is not allowed; use a period from ONE_WEEK/],
    [{ budgetsFile: ' ' }, /budgetsFile " " is empty; give the path of a budget file/],
  ] as const)('refuses %o with the value and the fix', (props, message) => {
    expect(() => synthStack({ budgetsFile: DEMO_BUDGETS, ...props })).toThrow(message);
  });
});

describe('PerfBudgetsStack', () => {
  it('outputs what an operator needs after deploy', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.sort()).toEqual([
      'ActRoleArn',
      'AlertTopicArn',
      'CollectRoleArn',
      'DashboardName',
      'DataBucketName',
      'SlackSecretArn',
      'StateMachineArn',
    ]);
  });
});
