import { Aws } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type BudgetFile, type CollectionTarget, collectionTargets } from '../lambdas/core/budget.ts';
import { REPORT_LINK_SECONDS } from '../lambdas/cycle/contract.ts';
import { addAlertChannel, bindAlertChannel } from './alert-channel.ts';
import { defaultAlertTargets } from './alert-targets.ts';
import { Approvals } from './approvals.ts';
import { type AthenaAccess, addAthena, attachAthenaPolicy } from './athena.ts';
import { readBudgetFile } from './budget-config.ts';
import { addObservability } from './observability.ts';
import {
  checkHomeAccount,
  DEFAULT_REPORT_SCHEDULE,
  DEFAULT_SCHEDULE,
  type PerfBudgetsProps,
  validateAccounts,
  validateProps,
} from './perf-budgets-props.ts';
import { addSchedules, addSteps, grantSteps, type Steps } from './pipeline.ts';
import { addCycleStateMachine } from './state-machine.ts';
import { addStorage } from './storage.ts';

export type { PerfBudgetsProps } from './perf-budgets-props.ts';

/**
 * Performance budgets for ML inference, deployed: EventBridge Scheduler starts a Step Functions state machine
 * (collect -> evaluate -> act -> notify, and the report on its own schedule) over five Lambdas, with the data bucket,
 * the ledger table, the alert topic, the Slack secret, a dashboard and alarms; with Slack as an alert target, the
 * approvals Function URL and its worker (approve mode). Reads of the account are read-only;
 * changes are allowed only on resources tagged `perf-budgets:managed=true`.
 *
 * Its parts (storage, alert channel, pipeline, observability) add their resources to this construct itself, not
 * to child constructs of their own: a resource's logical id is made of its construct path, and a new path would
 * replace the resource (the ledger table, the buckets and the key with their data).
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
  readonly functions: Steps;
  readonly stateMachine: sfn.StateMachine;
  readonly dashboard: cloudwatch.Dashboard;
  /** Where each cycle reads inventory and metrics, in Map order. */
  readonly targets: readonly CollectionTarget[];
  /** The member roles collect and act may assume: the roleArns of the accounts list, each once. */
  readonly memberRoleArns: readonly string[];
  /**
   * With `costSource: athena`: the workgroup, table and results location collect queries (and, with
   * `athena.create`, the resources the stack made for them).
   */
  readonly athena?: AthenaAccess;
  /** Slack's way to approve or reject a pending change; present only when Slack is an alert target. */
  readonly approvals?: Approvals;

  constructor(scope: Construct, id: string, props: PerfBudgetsProps) {
    super(scope, id);
    validateProps(id, props);
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

    const storage = addStorage(this, { budgetFile: this.budgetFile, logRetention });
    this.key = storage.key;
    this.accessLogsBucket = storage.accessLogsBucket;
    this.dataBucket = storage.dataBucket;
    this.table = storage.table;

    const alerts = addAlertChannel(this, { key: this.key, alarmEmail: props.alarmEmail });
    this.topic = alerts.topic;
    this.deadLetterQueue = alerts.deadLetterQueue;
    this.slackSecret = alerts.slackSecret;

    this.functions = addSteps(this, { ...storage, deadLetterQueue: this.deadLetterQueue, logRetention });
    const bound = bindAlertChannel(this, this.functions.notify, this.functions.report, {
      targets: props.alertTargets ?? defaultAlertTargets(this.budgetFile.notifications),
      reportLinkSeconds: props.reportLinkSeconds ?? REPORT_LINK_SECONDS.default,
    });
    // the deployment account's own regions: where collect reads with its own role
    const homeRegions = [
      ...new Set([Aws.REGION, ...this.targets.filter((t) => !t.roleArn).map((t) => t.region)]),
    ];
    grantSteps(this.functions, {
      ...storage,
      topic: this.topic,
      budgetFile: this.budgetFile,
      memberRoleArns: this.memberRoleArns,
      homeRegions,
    });
    if (this.budgetFile.costSource === 'athena' && this.budgetFile.athena) {
      this.athena = addAthena(this, {
        id,
        config: this.budgetFile.athena,
        accessLogsBucket: this.accessLogsBucket,
        tableLocation: props.athenaTableLocation,
      });
      attachAthenaPolicy(this.functions.collect, this.athena);
    }
    // Slack's buttons call back only where Slack is a channel, with the secret that channel reads
    if (bound.slackSecret) {
      this.approvals = new Approvals(this, 'Approvals', {
        ...storage,
        slackSecret: bound.slackSecret,
        deadLetterQueue: this.deadLetterQueue,
        topic: this.topic,
        logRetention,
        homeRegions,
        memberRoleArns: this.memberRoleArns,
      });
    }
    this.stateMachine = addCycleStateMachine(this, {
      steps: this.functions,
      topic: this.topic,
      key: this.key,
      targets: this.targets,
      logRetention,
    });
    addSchedules(this, {
      stateMachine: this.stateMachine,
      deadLetterQueue: this.deadLetterQueue,
      timeZone: this.timeZone,
      scheduleExpression: props.scheduleExpression ?? DEFAULT_SCHEDULE,
      reportScheduleExpression: props.reportScheduleExpression ?? DEFAULT_REPORT_SCHEDULE,
      periodStartDay: this.budgetFile.billingPeriod.startDay,
    });

    this.dashboard = addObservability(this, {
      budgetFile: this.budgetFile,
      steps: this.functions,
      stateMachine: this.stateMachine,
      deadLetterQueue: this.deadLetterQueue,
      topic: this.topic,
    });
  }
}
