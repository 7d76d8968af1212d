import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type AlertTarget, type AlertTargetHost, bindAlertTargets } from './alert-targets.ts';
import { acknowledgeDeadLetterQueue, type HouseFunction } from './house-function.ts';

/** Where alerts, pipeline failures and alarms go, and where what could not be delivered waits. */
export interface AlertChannel {
  /** The encrypted alert topic: alerts (SNS target), pipeline failures and alarms, whatever the targets. */
  readonly topic: sns.Topic;
  /** Failed email deliveries, failed asynchronous invocations of the functions and failed schedule deliveries. */
  readonly deadLetterQueue: sqs.Queue;
  /** Created empty: the operator fills in the webhook URL and signing secret. */
  readonly slackSecret: secretsmanager.Secret;
}

export interface AlertChannelProps {
  /** The key that encrypts the topic. */
  readonly key: kms.IKey;
  /** An address to subscribe to the topic. @default - none */
  readonly alarmEmail?: string;
}

/**
 * Adds the topic, the dead-letter queue, the email subscription and the Slack secret to `scope`, with the ids they
 * have always had (a new logical id would replace them).
 */
export function addAlertChannel(scope: Construct, props: AlertChannelProps): AlertChannel {
  const topic = new sns.Topic(scope, 'Alerts', {
    displayName: 'perf-budgets alerts',
    masterKey: props.key,
    enforceSSL: true,
  });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );

  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(deadLetterQueue);

  if (props.alarmEmail) {
    topic.addSubscription(new EmailSubscription(props.alarmEmail, { deadLetterQueue }));
  }

  const slackSecret = new secretsmanager.Secret(scope, 'SlackSecret', {
    description:
      'perf-budgets Slack credentials, filled by the operator: {"webhookUrl": "https://hooks.slack.com/...", "signingSecret": "..."}',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // created empty: no value, not even a generated one, ever appears in the template
  (slackSecret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
    'GenerateSecretString',
  );
  Validations.of(slackSecret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'A Slack webhook URL and signing secret are issued by Slack; they cannot be rotated by a Lambda.',
  });

  return { topic, deadLetterQueue, slackSecret };
}

/**
 * Binds the alert targets to notify and report (the two read the same channels) and gives both the topic and the
 * report link's lifetime. Returns the Slack secret when Slack is a target.
 */
export function bindAlertChannel(
  host: AlertTargetHost,
  notify: HouseFunction,
  report: HouseFunction,
  options: { readonly targets: readonly AlertTarget[]; readonly reportLinkSeconds: number },
): { readonly slackSecret?: secretsmanager.ISecret } {
  const bound = bindAlertTargets(host, options.targets, notify, report);
  const environment = {
    TOPIC_ARN: host.topic.topicArn,
    REPORT_LINK_SECONDS: String(options.reportLinkSeconds),
    ...bound.environment,
  };
  for (const f of [notify, report]) {
    for (const [k, v] of Object.entries(environment)) f.function.addEnvironment(k, v);
  }
  return bound.slackSecret ? { slackSecret: bound.slackSecret } : {};
}
