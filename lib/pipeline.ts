import { fileURLToPath } from 'node:url';
import { Aws } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { BudgetFile } from '../lambdas/core/budget.ts';
import { BUDGETS_KEY, LATEST_REPORT_PREFIX, PREFIX } from '../lambdas/cycle/contract.ts';
import { attachActuationPolicy } from './actuation-statements.ts';
import { HouseFunction, type HouseFunctionProps } from './house-function.ts';
import { attachAccountReadPolicy, attachDataAccessPolicy, CENTRAL_ROLE_PATH } from './iam-statements.ts';

/**
 * The entry file of the handler `lambdas/handlers/<name>`: its TypeScript source in a clone, its compiled JavaScript
 * when this module runs from the installed package's `dist/` (where the sources do not ship). Either way the
 * consumer's synth bundles it with esbuild.
 */
export function handlerEntry(name: string): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../lambdas/handlers/${name}${extension}`, import.meta.url));
}

/** The five Lambdas of the cycle, one per step. */
export type Steps = Readonly<Record<'collect' | 'evaluate' | 'act' | 'notify' | 'report', HouseFunction>>;

export interface StepsProps {
  readonly dataBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Size of each step's function. Collect and act run under the IAM path that member roles trust; one planner runs
 * at a time (two concurrent runs could both change the same endpoint's scaling).
 */
const STEP_SIZES = {
  collect: { memorySizeMiB: 1024, timeoutSeconds: 600, rolePath: CENTRAL_ROLE_PATH },
  evaluate: { memorySizeMiB: 1024, timeoutSeconds: 120 },
  act: {
    memorySizeMiB: 256,
    timeoutSeconds: 60,
    reservedConcurrentExecutions: 1,
    rolePath: CENTRAL_ROLE_PATH,
  },
  notify: { memorySizeMiB: 256, timeoutSeconds: 60 },
  report: { memorySizeMiB: 512, timeoutSeconds: 120 },
} as const satisfies Record<keyof Steps, Partial<HouseFunctionProps>>;

/**
 * Adds the five functions to `scope` (ids Collect, Evaluate, Act, Notify, Report; each handler is
 * `lambdas/handlers/<id in lower case>.ts`), every one with the bucket, the budget file's key and the ledger table.
 */
export function addSteps(scope: Construct, props: StepsProps): Steps {
  const environment = baseEnvironment(props);
  const fn = (name: string, description: string, size: Partial<HouseFunctionProps>) =>
    new HouseFunction(scope, name, {
      entry: handlerEntry(name.toLowerCase()),
      description,
      logRetention: props.logRetention,
      deadLetterQueue: props.deadLetterQueue,
      environment,
      ...size,
    });
  return {
    collect: fn('Collect', 'perf-budgets: inventory, spend and metrics into a snapshot', STEP_SIZES.collect),
    evaluate: fn('Evaluate', 'perf-budgets: snapshot and budget file into findings', STEP_SIZES.evaluate),
    act: fn('Act', 'perf-budgets: findings into planned actions', STEP_SIZES.act),
    notify: fn('Notify', 'perf-budgets: new alerts to SNS and Slack', STEP_SIZES.notify),
    report: fn('Report', 'perf-budgets: the billing-cycle report', STEP_SIZES.report),
  };
}

/** What every handler reads (`lambdas/handlers/env.ts` BaseEnv): the bucket, the budget file's key, the ledger. */
export function baseEnvironment(props: {
  readonly dataBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
}): Record<string, string> {
  return { DATA_BUCKET: props.dataBucket.bucketName, BUDGETS_KEY, LEDGER_TABLE: props.table.tableName };
}

export interface StepGrantsProps {
  readonly budgetFile: BudgetFile;
  readonly dataBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  readonly key: kms.IKey;
  /** The member roles collect and act may assume. */
  readonly memberRoleArns: readonly string[];
  /** The regions collect reads in this account with its own role. */
  readonly homeRegions: readonly string[];
}

const LEDGER_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Least privilege: each step may touch what it reads and writes, and nothing else. */
export function grantSteps(steps: Steps, props: StepGrantsProps): void {
  const { collect, evaluate, act, notify, report } = steps;
  const data = (f: HouseFunction, reads: string[], writes: string[]) =>
    attachDataAccessPolicy(f, props.dataBucket, reads, writes);
  data(collect, [PREFIX.config], [PREFIX.snapshots]);
  data(evaluate, [PREFIX.config, PREFIX.snapshots], [PREFIX.findings]);
  // act reads the guardrails from the budget file and replans from the snapshot's metrics
  data(act, [PREFIX.config, PREFIX.snapshots, PREFIX.findings], [PREFIX.actions]);
  // notify links each alert to the newest report (a presigned GetObject URL, after a HeadObject), and reads the
  // budget file for who may approve a change waiting for approval, and until when
  data(notify, [PREFIX.config, PREFIX.findings, PREFIX.actions, LATEST_REPORT_PREFIX], []);
  // the report evaluates the cycle's snapshot again for its daily series (cycle/payloads.ts readParts), and reads
  // reports/ back: the summary links to the report through a presigned GetObject URL
  data(
    report,
    [PREFIX.config, PREFIX.snapshots, PREFIX.findings, PREFIX.actions, PREFIX.reports],
    [PREFIX.reports],
  );

  // act records each action (and its lifecycle) in the ledger before and after the write
  for (const f of [collect, act, notify]) {
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: LEDGER_ACTIONS, resources: [props.table.tableArn] }),
    );
  }
  // the topic takes pipeline failures whatever the alert targets (TOPIC_ARN is always set)
  for (const f of [notify, report]) {
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );
  }

  // member accounts: collect reads and act (when a member allows it) scales through exactly these roles
  if (props.memberRoleArns.length > 0) {
    for (const f of [collect, act]) {
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...props.memberRoleArns] }),
      );
    }
  }

  attachAccountReadPolicy(collect, props.budgetFile, props.homeRegions);
  // act scales where collect reads with its own role, and publishes its parameters in the deployment region
  attachActuationPolicy(act, act.role, props.homeRegions, { parameterRegions: [Aws.REGION] });
}

export interface SchedulesProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly deadLetterQueue: sqs.IQueue;
  /** IANA time zone of every schedule. */
  readonly timeZone: string;
  readonly scheduleExpression: string;
  readonly reportScheduleExpression: string;
  /** The day of the month each billing period starts. */
  readonly periodStartDay: number;
}

/**
 * EventBridge Scheduler starts the cycle daily, and the cycle with the report weekly and on the first day of each
 * billing period; failed deliveries wait in the dead-letter queue.
 */
export function addSchedules(scope: Construct, props: SchedulesProps): void {
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
    description: 'perf-budgets: EventBridge Scheduler starts the governance cycle',
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['states:StartExecution'],
      resources: [props.stateMachine.stateMachineArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
  );
  const schedule = (id: string, expression: string, description: string, input: Record<string, unknown>) =>
    new scheduler.CfnSchedule(scope, id, {
      description,
      scheduleExpression: expression,
      scheduleExpressionTimezone: props.timeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: role.roleArn,
        input: JSON.stringify(input),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
  // every run judges the day before the time it was scheduled for, however late the delivery or its retries
  const at = '<aws.scheduler.scheduled-time>';
  const withReport = { report: true, at };
  schedule('CycleSchedule', props.scheduleExpression, 'perf-budgets: the daily governance cycle', { at });
  schedule(
    'ReportSchedule',
    props.reportScheduleExpression,
    'perf-budgets: the weekly billing-cycle report',
    withReport,
  );
  // the day a period starts, yesterday (the default as-of) is the last day of the closed period
  schedule(
    'PeriodEndReportSchedule',
    `cron(0 8 ${props.periodStartDay} * ? *)`,
    'perf-budgets: the report of the billing period that just closed',
    withReport,
  );
}
