import { fileURLToPath } from 'node:url';
import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import {
  type Account,
  AccountSchema,
  accountListProblems,
  type BudgetFile,
  type CollectionTarget,
  collectionTargets,
  formatPath,
} from '../lambdas/core/budget.ts';
import {
  BUDGETS_KEY,
  LATEST_REPORT_PREFIX,
  MANAGED_TAG,
  METRICS_NAMESPACE,
  PREFIX,
  REPORT_LINK_SECONDS,
  SERVICE,
} from '../lambdas/cycle/contract.ts';
import { type AlertTarget, bindAlertTargets, defaultAlertTargets } from './alert-targets.ts';
import { readBudgetFile } from './budget-config.ts';
import { acknowledgeDeadLetterQueue, HouseFunction } from './house-function.ts';

/** IAM path of the collect and act roles: a member account's role trusts the central account's roles under it. */
export const CENTRAL_ROLE_PATH = '/perf-budgets/';
/** Collect parts running at once: bounds the API calls in flight against the accounts' throttling limits. */
const COLLECT_CONCURRENCY = 10;

const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

export interface PerfBudgetsProps {
  /** Path of the budget file (YAML or JSON). Validated at synth with the CLI's schema and uploaded as JSON. */
  readonly budgetsFile: string;
  /**
   * When the governance cycle runs, as an EventBridge Scheduler expression (`cron(...)`, `rate(...)`).
   * @default 'cron(0 6 * * ? *)', daily at 06:00 in `timeZone`
   */
  readonly scheduleExpression?: string;
  /**
   * When the weekly billing-cycle report runs (a cycle followed by the report). The report also runs on the first
   * day of each billing period, for the period that just closed.
   * @default 'cron(0 7 ? * MON *)', Mondays at 07:00 in `timeZone`
   */
  readonly reportScheduleExpression?: string;
  /** IANA time zone of the schedules. @default - the budget file's billingPeriod.timezone */
  readonly timeZone?: string;
  /** An email address subscribed to the alert topic (confirmed by its owner). @default - no subscription */
  readonly alarmEmail?: string;
  /** Retention of the Lambda and state machine logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Accounts and regions whose endpoints each cycle reads (inventory and metrics), through the member role each
   * account deploys (`PerfBudgetsMemberStack`); spend is read once, from this account's Cost Explorer. Replaces the
   * budget file's `accounts` when given. The deployment account is read only if it is listed (without a roleArn).
   * @default - the budget file's accounts, else this account in this region
   */
  readonly accounts?: readonly Account[];
  /**
   * Where alerts and the report summary go (`AlertTargets.sns()`, `AlertTargets.slack()`); `[]` for none. Pipeline
   * failures go to the topic whatever the targets.
   * @default - the channels the budget file's `notifications` block names (sns, slack), else the topic alone; they
   * use this deployment's topic and Slack secret
   */
  readonly alertTargets?: readonly AlertTarget[];
  /** Lifetime of the report's presigned link, in seconds, 60 to 604800. @default 604800 (seven days) */
  readonly reportLinkSeconds?: number;
}

/**
 * Performance budgets for ML inference, deployed: EventBridge Scheduler starts a Step Functions state machine
 * (collect -> evaluate -> act -> notify, and the report on its own schedule) over five Lambdas, with the data bucket,
 * the ledger table, the alert topic, the Slack secret, a dashboard and alarms. Reads of the account are read-only;
 * changes are allowed only on resources tagged `perf-budgets:managed=true`.
 */
export class PerfBudgets extends Construct {
  readonly budgetFile: BudgetFile;
  readonly timeZone: string;
  readonly key: kms.Key;
  readonly accessLogsBucket: s3.Bucket;
  readonly dataBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly topic: sns.Topic;
  readonly slackSecret: secretsmanager.Secret;
  readonly deadLetterQueue: sqs.Queue;
  readonly functions: Readonly<Record<'collect' | 'evaluate' | 'act' | 'notify' | 'report', HouseFunction>>;
  readonly stateMachine: sfn.StateMachine;
  readonly dashboard: cloudwatch.Dashboard;
  /** Where each cycle reads inventory and metrics, in Map order. */
  readonly targets: readonly CollectionTarget[];
  /** The member roles collect and act may assume: the roleArns of the accounts list, each once. */
  readonly memberRoleArns: readonly string[];

  constructor(scope: Construct, id: string, props: PerfBudgetsProps) {
    super(scope, id);
    const scheduleExpression = props.scheduleExpression ?? 'cron(0 6 * * ? *)';
    const reportScheduleExpression = props.reportScheduleExpression ?? 'cron(0 7 ? * MON *)';
    validateProps(id, props, scheduleExpression, reportScheduleExpression);
    this.budgetFile = readBudgetFile(props.budgetsFile);
    this.timeZone = props.timeZone ?? this.budgetFile.billingPeriod.timezone;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const accounts = props.accounts ?? this.budgetFile.accounts;
    if (props.accounts) validateAccounts(id, props.accounts);
    if (accounts) checkHomeAccount(id, this, accounts);
    this.targets = accounts
      ? collectionTargets(accounts, Aws.REGION)
      : [{ account: Aws.ACCOUNT_ID, region: Aws.REGION }];
    this.memberRoleArns = [...new Set(this.targets.flatMap((t) => (t.roleArn ? [t.roleArn] : [])))];
    // the deployment account's own regions: where collect reads with its own role
    const homeRegions = [
      ...new Set([Aws.REGION, ...this.targets.filter((t) => !t.roleArn).map((t) => t.region)]),
    ];

    // ---- state
    // access logs are delivered through a bucket policy, not the legacy LogDeliveryWrite ACL
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.key = new kms.Key(this, 'Key', {
      description: 'perf-budgets: encrypts the alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted topic with this key
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the data bucket access logs; logging it into itself would loop.',
    });

    this.dataBucket = new s3.Bucket(this, 'Data', {
      // the handlers write with SSE-KMS and no key id, which is the AWS managed key: keep the default the same
      encryption: s3.BucketEncryption.KMS_MANAGED,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        {
          id: 'cheaper-storage',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
          noncurrentVersionExpiration: Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.writeBudgetFile(logRetention);

    this.table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: 'perf-budgets alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeDeadLetterQueue(this.deadLetterQueue);

    if (props.alarmEmail) {
      this.topic.addSubscription(
        new EmailSubscription(props.alarmEmail, { deadLetterQueue: this.deadLetterQueue }),
      );
    }

    this.slackSecret = new secretsmanager.Secret(this, 'SlackSecret', {
      description:
        'perf-budgets Slack credentials, filled by the operator: {"webhookUrl": "https://hooks.slack.com/...", "signingSecret": "..."}',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // created empty: no value, not even a generated one, ever appears in the template
    (this.slackSecret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
      'GenerateSecretString',
    );
    Validations.of(this.slackSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Slack webhook URL and signing secret are issued by Slack; they cannot be rotated by a Lambda.',
    });

    // ---- functions
    const env = {
      DATA_BUCKET: this.dataBucket.bucketName,
      BUDGETS_KEY,
      LEDGER_TABLE: this.table.tableName,
    };
    const fn = (name: string, description: string, extra: Partial<HouseFunctionOptions> = {}) =>
      new HouseFunction(this, name, {
        entry: `${HANDLERS_DIR}${name.toLowerCase()}.ts`,
        description,
        logRetention,
        deadLetterQueue: this.deadLetterQueue,
        environment: env,
        ...extra,
      });
    const collect = fn('Collect', 'perf-budgets: inventory, spend and metrics into a snapshot', {
      memorySizeMiB: 1024,
      timeoutSeconds: 600,
      rolePath: CENTRAL_ROLE_PATH,
    });
    const evaluate = fn('Evaluate', 'perf-budgets: snapshot and budget file into findings', {
      memorySizeMiB: 1024,
      timeoutSeconds: 120,
    });
    // one planner at a time: two concurrent runs could both change the same endpoint's scaling
    const act = fn('Act', 'perf-budgets: findings into planned actions', {
      memorySizeMiB: 256,
      timeoutSeconds: 60,
      reservedConcurrentExecutions: 1,
      rolePath: CENTRAL_ROLE_PATH,
    });
    const notify = fn('Notify', 'perf-budgets: new alerts to SNS and Slack', {
      memorySizeMiB: 256,
      timeoutSeconds: 60,
    });
    const report = fn('Report', 'perf-budgets: the billing-cycle report', {
      memorySizeMiB: 512,
      timeoutSeconds: 120,
    });
    this.functions = { collect, evaluate, act, notify, report };

    // ---- alert targets: notify and report read the same channels
    const reportLinkSeconds = props.reportLinkSeconds ?? REPORT_LINK_SECONDS.default;
    const alertEnvironment = {
      TOPIC_ARN: this.topic.topicArn,
      REPORT_LINK_SECONDS: String(reportLinkSeconds),
      ...bindAlertTargets(
        this,
        props.alertTargets ?? defaultAlertTargets(this.budgetFile.notifications),
        notify,
        report,
      ),
    };
    for (const f of [notify, report]) {
      for (const [k, v] of Object.entries(alertEnvironment)) f.function.addEnvironment(k, v);
    }

    // ---- least privilege
    const objects = (prefix: string) => this.dataBucket.arnForObjects(`${prefix}*`);
    const s3Access = (f: HouseFunction, reads: string[], writes: string[]) => {
      const p = new iam.Policy(f, 'DataAccess', {
        statements: [
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: reads.map(objects) }),
          ...(writes.length > 0
            ? [new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: writes.map(objects) })]
            : []),
        ],
      });
      p.attachToRole(f.role);
      acknowledgeWildcards(
        p,
        [...new Set([...reads, ...writes])].map((prefix) => `${arnRef(this.dataBucket)}/${prefix}*`),
        'Object keys are made of the day and the execution name, unknown until a run; access is limited to the prefixes this step reads and writes.',
      );
    };
    s3Access(collect, [PREFIX.config], [PREFIX.snapshots]);
    s3Access(evaluate, [PREFIX.config, PREFIX.snapshots], [PREFIX.findings]);
    s3Access(act, [PREFIX.findings], []);
    // notify links each alert to the newest report (a presigned GetObject URL, after a HeadObject)
    s3Access(notify, [PREFIX.findings, LATEST_REPORT_PREFIX], []);
    // the report evaluates the cycle's snapshot again for its daily series (handlers/cycle-input.ts), and reads
    // reports/ back: the summary links to the report through a presigned GetObject URL
    s3Access(report, [PREFIX.config, PREFIX.snapshots, PREFIX.findings, PREFIX.reports], [PREFIX.reports]);

    const ledgerActions = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    for (const f of [collect, notify]) {
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ledgerActions, resources: [this.table.tableArn] }),
      );
    }
    // the topic takes pipeline failures whatever the alert targets (TOPIC_ARN is always set)
    for (const f of [notify, report]) {
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
      );
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.keyArn],
        }),
      );
    }

    // member accounts: collect reads and act (when a member allows it) scales through exactly these roles
    if (this.memberRoleArns.length > 0) {
      for (const f of [collect, act]) {
        f.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...this.memberRoleArns] }),
        );
      }
    }

    const account = new iam.Policy(collect, 'AccountRead', {
      statements: accountReadStatements(this.budgetFile, homeRegions),
    });
    account.attachToRole(collect.role);
    Validations.of(account).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Cost Explorer, cloudwatch:GetMetricData, sagemaker:ListEndpoints/ListInferenceComponents and application-autoscaling Describe* have no resource-level permissions: AWS requires "*".',
    });
    acknowledgeWildcards(
      account,
      ['endpoint', 'endpoint-config', 'inference-component'].flatMap((t) =>
        homeRegions.map((r) => tokenArn('sagemaker', `${t}/*`, r)),
      ),
      'SageMaker describes are limited to endpoint, endpoint-config and inference-component ARNs of this account in the regions it is read in; the budget file selects endpoints by name globs and tags at run time.',
    );

    const focus = this.budgetFile.costSource === 'focus-export' ? this.budgetFile.focusExport : undefined;
    if (focus) {
      acknowledgeWildcards(
        account,
        [`arn:<AWS::Partition>:s3:::${focus.bucket}/${focus.prefix}*`],
        'AWS Data Exports writes a new FOCUS file per day and execution under the export prefix; reads are limited to that prefix.',
      );
    }

    const actuation = new iam.Policy(act, 'ManagedActuation', { statements: actuationStatements() });
    actuation.attachToRole(act.role);
    acknowledgeWildcards(
      actuation,
      [tokenArn('application-autoscaling', 'scalable-target/*'), tokenArn('sagemaker', 'endpoint/*')],
      `Changes are allowed only on resources tagged ${MANAGED_TAG}=true (aws:ResourceTag condition); the endpoints are not known at deploy time.`,
    );

    // ---- orchestration
    this.stateMachine = this.buildStateMachine(logRetention);
    this.buildSchedules(scheduleExpression, reportScheduleExpression);

    // ---- dashboard and alarms
    this.dashboard = this.buildDashboard();
    const dashboardUrl = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.dashboard.dashboardName}`;
    for (const f of [notify, report]) f.function.addEnvironment('DASHBOARD_URL', dashboardUrl);
    this.buildAlarms();
  }

  /**
   * Writes the validated budget file to the bucket as JSON at deploy time (and again whenever it changes), with a
   * role that may put that one object and nothing else. The object is kept when the stack is deleted.
   */
  private writeBudgetFile(logRetention: logs.RetentionDays): void {
    const logGroup = new logs.LogGroup(this, 'BudgetFileLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'BudgetFileRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'perf-budgets: writes the validated budget file to the data bucket at deploy',
    });
    logGroup.grantWrite(role);
    const put: cr.AwsSdkCall = {
      service: 'S3',
      action: 'putObject',
      parameters: {
        Bucket: this.dataBucket.bucketName,
        Key: BUDGETS_KEY,
        Body: JSON.stringify(this.budgetFile),
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        BucketKeyEnabled: true,
      },
      physicalResourceId: cr.PhysicalResourceId.of(BUDGETS_KEY),
    };
    const writer = new cr.AwsCustomResource(this, 'BudgetFile', {
      onCreate: put,
      onUpdate: put,
      role,
      logGroup,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [this.dataBucket.arnForObjects(BUDGETS_KEY)],
        }),
      ]),
    });
    // CDK's one provider function for AwsCustomResource, shared by the stack: only CloudFormation invokes it,
    // synchronously, at deploy, and a failure shows as a stack event
    const provider = Stack.of(this).node.findChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    writer.node.addDependency(this.dataBucket);
    Validations.of(provider).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'The AwsCustomResource provider is invoked synchronously by CloudFormation; a failure fails the deployment.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'The AwsCustomResource provider runs once per deployment; its log group holds what tracing would show.',
      },
      {
        id: 'Serverless-LambdaDefaultMemorySize',
        reason:
          'The AwsCustomResource provider (written by CDK) makes one PutObject call; the default memory suffices.',
      },
    );
  }

  private buildStateMachine(logRetention: logs.RetentionDays): sfn.StateMachine {
    const { collect, evaluate, act, notify, report } = this.functions;
    // the states' ids are their names in the definition
    const states = new Construct(this, 'States');
    const failure = new tasks.SnsPublish(states, 'PublishFailure', {
      topic: this.topic,
      subject: 'perf-budgets: governance cycle failed',
      message: sfn.TaskInput.fromObject({
        kind: 'pipeline-failure',
        execution: sfn.JsonPath.executionId,
        runId: sfn.JsonPath.executionName,
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
      messageAttributes: { kind: { value: 'pipeline-failure' } },
      resultPath: sfn.JsonPath.DISCARD,
    });
    failure.addRetry({
      errors: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'States.Timeout'],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      backoffRate: 2,
    });
    failure.next(
      new sfn.Fail(states, 'CycleFailed', { error: 'PipelineFailed', cause: 'see the alert topic' }),
    );

    const step = (
      id: string,
      f: HouseFunction,
      payload: sfn.TaskInput | undefined,
      resultPath: string,
      catchFailure = true,
    ) => {
      const task = new tasks.LambdaInvoke(states, id, {
        lambdaFunction: f.function,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
      });
      task.addRetry({
        errors: [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
          'Lambda.ClientExecutionTimeoutException',
        ],
        interval: Duration.seconds(5),
        maxAttempts: 6,
        backoffRate: 2,
        maxDelay: Duration.minutes(2),
        jitterStrategy: sfn.JitterType.FULL,
      });
      // inside the Map a failure is caught by the Map, whose state carries the execution's input
      if (catchFailure) task.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };
    const fromResult = sfn.TaskInput.fromObject({
      runId: sfn.JsonPath.stringAt('$.evaluated.runId'),
      asOf: sfn.JsonPath.stringAt('$.evaluated.asOf'),
      resultKey: sfn.JsonPath.stringAt('$.evaluated.resultKey'),
    });
    const done = new sfn.Succeed(states, 'CycleDone');

    // What the cycle judges, decided once for every part: a manual run's asOf, else the day before the schedule's
    // time (or, started by hand without asOf, the execution's start). The execution name is the run id: payload
    // keys are made of it, and a rerun of the same name is refused.
    const runId = sfn.JsonPath.executionName;
    const clock = (id: string, parameters: Record<string, unknown>) =>
      new sfn.Pass(states, id, { parameters: { runId, ...parameters }, resultPath: '$.cycle' });
    const when = new sfn.Choice(states, 'WhichDay')
      .when(sfn.Condition.isPresent('$.asOf'), clock('GivenDay', { asOf: sfn.JsonPath.stringAt('$.asOf') }))
      .when(sfn.Condition.isPresent('$.at'), clock('ScheduledTime', { at: sfn.JsonPath.stringAt('$.at') }))
      .otherwise(clock('StartTime', { at: sfn.JsonPath.stringAt('$$.Execution.StartTime') }));

    // The parts of the cycle, fixed at synth: spend once from this account, then inventory and metrics per target.
    const parts = new sfn.Pass(states, 'Parts', {
      result: sfn.Result.fromArray([
        { part: 'costs' },
        ...this.targets.map((target) => ({ part: 'resources', target })),
      ]),
      resultPath: '$.parts',
    });
    const collectParts = new sfn.Map(states, 'Collect', {
      itemsPath: '$.parts',
      itemSelector: {
        cycle: sfn.JsonPath.objectAt('$.cycle'),
        item: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency: COLLECT_CONCURRENCY,
      // the keys of the parts in item order (a Map keeps it), for evaluate to merge
      resultSelector: {
        asOf: sfn.JsonPath.stringAt('$[0].asOf'),
        partKeys: sfn.JsonPath.listAt('$[*].snapshotKey'),
      },
      resultPath: '$.collected',
    });
    // one flat event per part: { runId, asOf | at } and { part, target? } merged
    const partEvent = new sfn.Pass(states, 'PartEvent', {
      parameters: {
        event: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.cycle'), sfn.JsonPath.objectAt('$.item')),
      },
      outputPath: '$.event',
    });
    collectParts.itemProcessor(partEvent.next(step('CollectPart', collect, undefined, '$', false)));
    collectParts.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });

    const definition = when
      .afterwards()
      .next(parts)
      .next(collectParts)
      .next(
        step(
          'Evaluate',
          evaluate,
          sfn.TaskInput.fromObject({
            runId: sfn.JsonPath.stringAt('$.cycle.runId'),
            asOf: sfn.JsonPath.stringAt('$.collected.asOf'),
            partKeys: sfn.JsonPath.listAt('$.collected.partKeys'),
          }),
          '$.evaluated',
        ),
      )
      .next(step('Act', act, fromResult, '$.acted'))
      .next(step('Notify', notify, fromResult, '$.notified'))
      .next(
        new sfn.Choice(states, 'ReportRequested')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.report'),
              sfn.Condition.booleanEquals('$.report', true),
            ),
            step(
              'Report',
              report,
              sfn.TaskInput.fromObject({
                asOf: sfn.JsonPath.stringAt('$.evaluated.asOf'),
                resultKey: sfn.JsonPath.stringAt('$.evaluated.resultKey'),
              }),
              '$.reported',
            ).next(done),
          )
          .otherwise(done),
      );

    const stateMachine = new sfn.StateMachine(this, 'Cycle', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'CycleLogs', {
          retention: logRetention,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        level: sfn.LogLevel.ALL,
        // the payloads are S3 keys and counts by design: the data itself stays in the bucket
        includeExecutionData: true,
      },
    });
    stateMachine.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
    acknowledgeWildcards(
      stateMachine.role,
      ['*'],
      'X-Ray tracing and CloudWatch Logs delivery of a state machine have no resource-level permissions.',
    );
    acknowledgeWildcards(
      stateMachine.role,
      [collect, evaluate, act, notify, report].map((f) => `${arnRef(f.function)}:*`),
      'lambda:InvokeFunction on the versions and aliases (:*) of the five functions of the cycle, nothing else.',
    );
    return stateMachine;
  }

  private buildSchedules(cycle: string, weekly: string): void {
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'perf-budgets: EventBridge Scheduler starts the governance cycle',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    const schedule = (id: string, expression: string, description: string, input: Record<string, unknown>) =>
      new scheduler.CfnSchedule(this, id, {
        description,
        scheduleExpression: expression,
        scheduleExpressionTimezone: this.timeZone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: this.stateMachine.stateMachineArn,
          roleArn: role.roleArn,
          input: JSON.stringify(input),
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      });
    // every run judges the day before the time it was scheduled for, however late the delivery or its retries
    const at = '<aws.scheduler.scheduled-time>';
    schedule('CycleSchedule', cycle, 'perf-budgets: the daily governance cycle', { at });
    schedule('ReportSchedule', weekly, 'perf-budgets: the weekly billing-cycle report', { report: true, at });
    // the day a period starts, yesterday (the default as-of) is the last day of the closed period
    schedule(
      'PeriodEndReportSchedule',
      `cron(0 8 ${this.budgetFile.billingPeriod.startDay} * ? *)`,
      'perf-budgets: the report of the billing period that just closed',
      { report: true, at },
    );
  }

  private buildDashboard(): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(35),
    });
    const metric = (name: string, budget: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: SERVICE, budget },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.days(1),
        label,
      });
    for (const b of this.budgetFile.budgets) {
      const spend = new cloudwatch.GraphWidget({
        title: `${b.name}: spend to date, cap and forecast (${this.budgetFile.currency})`,
        left: [
          metric('SpendToDate', b.name, 'spend to date'),
          metric('Cap', b.name, 'cap'),
          metric('ForecastExpected', b.name, 'forecast (expected)'),
        ],
        width: 8,
      });
      const unitCost = new cloudwatch.GraphWidget({
        title: `${b.name}: cost per 1k inferences`,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},budget,endpoint,service} MetricName="CostPer1kInferences" budget="${b.name}"', 'Maximum', 86400)`,
            label: '',
            period: Duration.days(1),
          }),
        ],
        leftAnnotations:
          b.limits.costPer1kInferences !== undefined
            ? [{ value: b.limits.costPer1kInferences, label: 'limit', color: cloudwatch.Color.RED }]
            : undefined,
        width: 8,
      });
      const globs = b.selector.endpoints ?? [];
      const terms = globs.map((g) => `EndpointName="${g.replace(/\*.*$/, '')}"`);
      const latency = new cloudwatch.GraphWidget({
        title: `${b.name}: ModelLatency p99 (microseconds)`,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{AWS/SageMaker,EndpointName,VariantName} MetricName="ModelLatency"${terms.length > 0 ? ` (${terms.join(' OR ')})` : ''}', 'p99', 3600)`,
            label: '',
            period: Duration.hours(1),
          }),
        ],
        leftAnnotations:
          b.limits.latencyP99Ms !== undefined
            ? [{ value: b.limits.latencyP99Ms * 1000, label: 'ceiling', color: cloudwatch.Color.RED }]
            : undefined,
        width: 8,
      });
      dashboard.addWidgets(spend, unitCost, latency);
    }
    return dashboard;
  }

  private buildAlarms(): void {
    const action = new SnsAction(this.topic);
    const alarm = (id: string, m: cloudwatch.IMetric, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric: m,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      return a;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    alarm(
      'CycleFailedAlarm',
      this.stateMachine.metricFailed(fiveMinutes),
      'A governance cycle failed: see the state machine execution.',
    );
    alarm(
      'CycleTimedOutAlarm',
      this.stateMachine.metricTimedOut(fiveMinutes),
      'A governance cycle ran past its one-hour timeout.',
    );
    for (const [name, f] of Object.entries(this.functions)) {
      alarm(
        `${name[0]?.toUpperCase()}${name.slice(1)}ErrorsAlarm`,
        f.function.metricErrors(fiveMinutes),
        `The ${name} Lambda reported errors.`,
      );
    }
    alarm(
      'DeadLetterQueueAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      'Failed invocations or schedule deliveries are waiting in the dead-letter queue.',
    );
  }
}

type HouseFunctionOptions = ConstructorParameters<typeof HouseFunction>[2];

/**
 * Read-only access to the inventory and metrics of an account in `regions`: what collect reads in the deployment
 * account and, through the member role, in every other. On "*" only where AWS has no resource-level permission.
 */
export function resourceReadStatements(regions: readonly string[]): iam.PolicyStatement[] {
  const sagemakerArn = (type: string) =>
    regions.map((r) => `arn:${Aws.PARTITION}:sagemaker:${r}:${Aws.ACCOUNT_ID}:${type}/*`);
  return [
    new iam.PolicyStatement({ sid: 'Metrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'SageMakerList',
      actions: ['sagemaker:ListEndpoints', 'sagemaker:ListInferenceComponents'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'SageMakerDescribe',
      actions: ['sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:ListTags'],
      resources: [
        ...sagemakerArn('endpoint'),
        ...sagemakerArn('endpoint-config'),
        ...sagemakerArn('inference-component'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'AutoScalingDescribe',
      actions: [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScalingActivities',
      ],
      resources: ['*'],
    }),
  ];
}

/** Read-only access to the account: what collect needs (README "A live account"), on "*" only where AWS forces it. */
export function accountReadStatements(
  file: BudgetFile,
  regions: readonly string[] = [Aws.REGION],
): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'CostExplorer',
      actions: [
        'ce:GetCostAndUsage',
        'ce:GetCostForecast',
        ...(file.costExplorer?.resourceLevel ? ['ce:GetCostAndUsageWithResources'] : []),
      ],
      resources: ['*'],
    }),
    ...resourceReadStatements(regions),
  ];
  if (file.costSource === 'focus-export' && file.focusExport) {
    const { bucket, prefix } = file.focusExport;
    statements.push(
      new iam.PolicyStatement({
        sid: 'FocusExportList',
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${bucket}`],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'FocusExportRead',
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${bucket}/${prefix}*`],
      }),
    );
  }
  return statements;
}

/**
 * The changes a later actuation may make: scaling targets and policies, and endpoint variant weights and capacity,
 * only on resources tagged `perf-budgets:managed=true`.
 */
export function actuationStatements(): iam.PolicyStatement[] {
  const managed = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } };
  return [
    new iam.PolicyStatement({
      sid: 'ManagedScaling',
      actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy'],
      resources: [
        `arn:${Aws.PARTITION}:application-autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:scalable-target/*`,
      ],
      conditions: managed,
    }),
    new iam.PolicyStatement({
      sid: 'ManagedEndpoints',
      actions: ['sagemaker:UpdateEndpointWeightsAndCapacities'],
      resources: [`arn:${Aws.PARTITION}:sagemaker:${Aws.REGION}:${Aws.ACCOUNT_ID}:endpoint/*`],
      conditions: managed,
    }),
  ];
}

const SCHEDULE_EXPRESSION = /^(cron|rate|at)\(.+\)$/;

/** Accounts given as props are checked as the budget file's are, with the same messages. */
function validateAccounts(id: string, accounts: readonly Account[]): void {
  const problems: string[] = [];
  if (accounts.length === 0)
    problems.push('accounts: is empty; list at least one account, or leave it unset');
  accounts.forEach((a, i) => {
    const r = AccountSchema.safeParse(a);
    if (!r.success) {
      for (const issue of r.error.issues)
        problems.push(`${formatPath(['accounts', i, ...issue.path])}: ${issue.message}`);
    }
  });
  if (problems.length === 0) {
    for (const p of accountListProblems(accounts))
      problems.push(`${formatPath(['accounts', p.index, p.field])}: ${p.message}`);
  }
  if (problems.length > 0) throw new Error(`PerfBudgets ${id}: ${problems.join('; ')}`);
}

/** An account read without a role must be the deployment account; checked here when the stack's account is known. */
function checkHomeAccount(id: string, scope: Construct, accounts: readonly Account[]): void {
  const deployed = Stack.of(scope).account;
  if (Token.isUnresolved(deployed)) return;
  for (const a of accounts) {
    if (a.roleArn === undefined && a.id !== deployed) {
      throw new Error(
        `PerfBudgets ${id}: accounts entry ${a.id} has no roleArn, but this stack deploys to ${deployed}; give the member role of ${a.id}, or list ${deployed}`,
      );
    }
  }
}

function validateProps(id: string, props: PerfBudgetsProps, cycle: string, weekly: string): void {
  const fail = (message: string) => {
    throw new Error(`PerfBudgets ${id}: ${message}`);
  };
  if (typeof props.budgetsFile !== 'string' || props.budgetsFile.trim() === '') {
    fail(
      `budgetsFile ${JSON.stringify(props.budgetsFile)} is empty; give the path of a budget file (YAML or JSON)`,
    );
  }
  for (const [name, value] of [
    ['scheduleExpression', cycle],
    ['reportScheduleExpression', weekly],
  ] as const) {
    if (!SCHEDULE_EXPRESSION.test(value)) {
      fail(
        `${name} ${JSON.stringify(value)} is not a Scheduler expression; use cron(...) or rate(...), e.g. "cron(0 6 * * ? *)"`,
      );
    }
  }
  if (props.timeZone !== undefined && !isTimeZone(props.timeZone)) {
    fail(
      `timeZone ${JSON.stringify(props.timeZone)} is not an IANA time zone; use e.g. "UTC" or "Europe/Berlin"`,
    );
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    fail(
      `alarmEmail ${JSON.stringify(props.alarmEmail)} is not an email address; use e.g. "finops@example.com"`,
    );
  }
  const link = props.reportLinkSeconds;
  if (
    link !== undefined &&
    (!Number.isInteger(link) || link < REPORT_LINK_SECONDS.min || link > REPORT_LINK_SECONDS.max)
  ) {
    fail(
      `reportLinkSeconds ${link} is out of range; use whole seconds from 60 to 604800 (seven days, the longest a presigned S3 link lasts)`,
    );
  }
  if (
    props.logRetention === logs.RetentionDays.ONE_DAY ||
    props.logRetention === logs.RetentionDays.INFINITE
  ) {
    fail(`logRetention ${props.logRetention} is not allowed; use a period from ONE_WEEK to TEN_YEARS`);
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** How cdk-nag prints the ARN attribute of a resource of this app in a finding id: `<LogicalId.Arn>`. */
function arnRef(c: IConstruct): string {
  return `<${Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement)}.Arn>`;
}

/** How cdk-nag prints an ARN of this account (and region, unless one is named) built from pseudo parameters. */
function tokenArn(service: string, resource: string, region: string = Aws.REGION): string {
  const r = region === Aws.REGION ? '<AWS::Region>' : region;
  return `arn:<AWS::Partition>:${service}:${r}:<AWS::AccountId>:${resource}`;
}

/** Acknowledges exactly these wildcard resources (finding-qualified ids), never the rule as a whole. */
function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  Validations.of(scope).acknowledge(
    ...resources.map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason })),
  );
}
