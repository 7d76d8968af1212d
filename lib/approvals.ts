import { Aws } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUDGETS_KEY } from '../lambdas/cycle/contract.ts';
import { attachActuationPolicy } from './actuation-statements.ts';
import { grantSecretRead } from './alert-targets.ts';
import { HouseFunction } from './house-function.ts';
import { CENTRAL_ROLE_PATH } from './iam-statements.ts';
import { addAlarm, FIVE_MINUTES } from './observability.ts';
import { baseEnvironment, handlerEntry } from './pipeline.ts';

/** The most requests the handler may serve at once: its Function URL is open to the internet. */
export const MAX_HANDLER_CONCURRENCY = 50;

export interface ApprovalsProps {
  /** The data bucket; the functions read the budget file (`BUDGETS_KEY`) in it and no other object. */
  readonly dataBucket: s3.IBucket;
  /** The ledger: the actions a decision moves and the audit record of every decision and refusal. */
  readonly table: dynamodb.ITable;
  /** The Slack secret: its `signingSecret` verifies each request (the handler reads it; the worker needs none). */
  readonly slackSecret: secretsmanager.ISecret;
  /** Where failed asynchronous invocations of both functions wait. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Where the alarms on both functions go. */
  readonly topic: sns.ITopic;
  /** Retention of both functions' logs. */
  readonly logRetention: logs.RetentionDays;
  /** Regions where the worker changes scaling in this account with its own role. @default - this stack's region */
  readonly homeRegions?: readonly string[];
  /** Member roles the worker may assume to apply a change in a member account. @default - none */
  readonly memberRoleArns?: readonly string[];
  /**
   * Requests the handler serves at once (reserved concurrency, 1 to `MAX_HANDLER_CONCURRENCY`); Lambda throttles the
   * rest, so that a flood of unsigned requests can neither run up the bill nor take the account's concurrency.
   * @default 5
   */
  readonly handlerConcurrency?: number;
}

/**
 * Approve mode's way in from Slack: a handler behind a Lambda Function URL (auth NONE: Slack cannot sign AWS
 * requests; the handler verifies Slack's request signature with the secret's `signingSecret` before it acts on
 * anything in the request) that decides the click and answers within Slack's 3 seconds, and a worker it invokes
 * asynchronously that applies an approved change and updates the Slack message through its `response_url`.
 *
 * Least privilege: both read the budget file and the ledger's items (by key; the worker also lists an endpoint's
 * actions), and write the ledger only as the ledger's conditional writes do (PutItem; DeleteItem only inside a
 * transaction). The handler reads the Slack secret and may invoke the worker, nothing else; the worker has the act
 * step's actuation statements (tagged resources only, no training jobs, no SSM parameters), the member roles, no
 * secret, no SNS and no Cost Explorer. The worker runs one at a time, like act.
 */
export class Approvals extends Construct {
  /** Receives Slack's interaction requests (`lambdas/handlers/approvals.ts`). */
  readonly handler: HouseFunction;
  /** Applies an approved change and answers in Slack (`lambdas/handlers/approval-apply.ts`). */
  readonly worker: HouseFunction;
  /** The handler's URL: the Request URL of the Slack app's Interactivity & Shortcuts. */
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    const handlerConcurrency = props.handlerConcurrency ?? 5;
    validate(id, handlerConcurrency);
    const environment = baseEnvironment(props);
    const common = {
      logRetention: props.logRetention,
      deadLetterQueue: props.deadLetterQueue,
    };

    this.worker = new HouseFunction(this, 'Apply', {
      ...common,
      entry: handlerEntry('approval-apply'),
      description: 'perf-budgets: applies an approved scaling change and answers in Slack',
      memorySizeMiB: 256,
      timeoutSeconds: 60,
      // one applier at a time: two at once could both pass an endpoint's cooldown check
      reservedConcurrentExecutions: 1,
      // member roles trust the central roles under this path
      rolePath: CENTRAL_ROLE_PATH,
      environment,
    });
    this.handler = new HouseFunction(this, 'Handler', {
      ...common,
      entry: handlerEntry('approvals'),
      description: 'perf-budgets: Slack approval requests (Function URL, verified by Slack signature)',
      // Slack waits 3 s for the answer; more CPU for a quicker cold start
      memorySizeMiB: 512,
      timeoutSeconds: 10,
      reservedConcurrentExecutions: handlerConcurrency,
      environment: {
        ...environment,
        SLACK_SECRET_ARN: props.slackSecret.secretArn,
        APPROVAL_WORKER: this.worker.function.functionName,
      },
    });
    this.url = this.handler.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // the worker answers Slack through the click's response_url, which needs no credential
    grantSecretRead(props.slackSecret, this.handler.role);
    for (const f of [this.handler, this.worker]) {
      // only the worker lists (an endpoint's actions, for its cooldown): the handler reads items by key
      for (const s of ledgerStatements(props.table, { query: f === this.worker }))
        f.role.addToPrincipalPolicy(s);
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'BudgetFile',
          actions: ['s3:GetObject'],
          resources: [props.dataBucket.arnForObjects(BUDGETS_KEY)],
        }),
      );
    }
    // the unqualified function only: the handler invokes it by name
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeWorker',
        actions: ['lambda:InvokeFunction'],
        resources: [this.worker.function.functionArn],
      }),
    );

    const homeRegions = props.homeRegions ?? [Aws.REGION];
    attachActuationPolicy(this.worker, this.worker.role, homeRegions, { trainingJobs: false });
    const members = props.memberRoleArns ?? [];
    if (members.length > 0) {
      this.worker.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...members] }),
      );
    }

    const alarm = (alarmId: string, metric: Parameters<typeof addAlarm>[2], description: string) =>
      addAlarm(this, alarmId, metric, description, props.topic);
    alarm(
      'HandlerErrorsAlarm',
      this.handler.function.metricErrors(FIVE_MINUTES),
      'The approvals handler failed on a Slack request (the clicking user saw an error).',
    );
    alarm(
      'HandlerThrottlesAlarm',
      this.handler.function.metricThrottles(FIVE_MINUTES),
      'The approvals handler hit its reserved concurrency: a flood of requests to its Function URL, or many clicks at once.',
    );
    alarm(
      'ApplyErrorsAlarm',
      this.worker.function.metricErrors(FIVE_MINUTES),
      'The approval worker failed: an approved change may not be applied or its Slack message not updated.',
    );
  }
}

/**
 * What the ledger does with the actions and the audit trail: GetItem (an action, a request's audit record), Query
 * when `query` (an endpoint's actions), PutItem (an audit record and its month's mark; an action's three items, in a
 * transaction conditioned on its status), and DeleteItem only inside TransactWriteItems (the copy under the status
 * an action leaves). No update, batch write or scan; no plain delete.
 */
export function ledgerStatements(
  table: dynamodb.ITable,
  options: { readonly query: boolean },
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'LedgerReadWrite',
      actions: ['dynamodb:GetItem', ...(options.query ? ['dynamodb:Query'] : []), 'dynamodb:PutItem'],
      resources: [table.tableArn],
    }),
    new iam.PolicyStatement({
      sid: 'LedgerStatusMove',
      actions: ['dynamodb:DeleteItem'],
      resources: [table.tableArn],
      conditions: { StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
    }),
  ];
}

function validate(id: string, handlerConcurrency: number): void {
  if (
    !Number.isInteger(handlerConcurrency) ||
    handlerConcurrency < 1 ||
    handlerConcurrency > MAX_HANDLER_CONCURRENCY
  ) {
    throw new Error(
      `Approvals ${id}: handlerConcurrency ${handlerConcurrency} is out of range; use a whole number from 1 to ${MAX_HANDLER_CONCURRENCY} (5 serves a team's clicks)`,
    );
  }
}
