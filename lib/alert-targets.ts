import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { HouseFunction } from './house-function.ts';

/** The alert channels the notify and report Lambdas know (`ALERT_CHANNELS` names a subset of them). */
export type AlertChannel = 'sns' | 'slack';

/** What an alert target may use of the deployment: its topic and the topic's key, and its Slack secret. */
export interface AlertTargetHost extends Construct {
  readonly topic: sns.ITopic;
  readonly key: kms.IKey;
  readonly slackSecret: secretsmanager.ISecret;
}

/** What binding a target gave the Lambdas: the channel they send on, and the variables they read for it. */
export interface AlertTargetBinding {
  readonly channel: AlertChannel;
  readonly environment: Readonly<Record<string, string>>;
  /** The Slack secret the channel reads, which the approvals functions read too. @default - none */
  readonly slackSecret?: secretsmanager.ISecret;
}

/**
 * Where the alerts (notify) and the report summary (report) go. A target grants the two Lambdas what its channel
 * needs and names the variables they read; the stack joins the channels into `ALERT_CHANNELS`.
 */
export interface AlertTarget {
  bind(host: AlertTargetHost, notify: HouseFunction, report: HouseFunction): AlertTargetBinding;
}

/** Alerts as JSON on the deployment's encrypted topic, with message attributes to filter subscriptions on. */
class SnsTarget implements AlertTarget {
  bind(): AlertTargetBinding {
    // publishing to the topic is granted whatever the targets: pipeline failures go there too
    return { channel: 'sns', environment: {} };
  }
}

/** Alerts as Block Kit messages through the Slack webhook kept in a Secrets Manager secret. */
class SlackTarget implements AlertTarget {
  constructor(private readonly secret?: secretsmanager.ISecret) {}

  bind(host: AlertTargetHost, notify: HouseFunction, report: HouseFunction): AlertTargetBinding {
    const secret = this.secret ?? host.slackSecret;
    for (const f of [notify, report]) grantSecretRead(secret, f.role);
    return { channel: 'slack', environment: { SLACK_SECRET_ARN: secret.secretArn }, slackSecret: secret };
  }
}

/** Lets `role` read `secret`, and nothing else of Secrets Manager. */
export function grantSecretRead(secret: secretsmanager.ISecret, role: iam.IRole): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
  // a secret encrypted with a customer key needs that key too; the default (AWS managed) key needs nothing
  secret.encryptionKey?.grantDecrypt(role);
}

/** The alert targets there are. No alerts at all is an empty list: the report still runs, failures still reach the topic. */
export const AlertTargets = {
  /** The deployment's alert topic (KMS-encrypted): the default. */
  sns(): AlertTarget {
    return new SnsTarget();
  },
  /**
   * Slack, through the webhook in a secret (`{"webhookUrl": "https://hooks.slack.com/...", "signingSecret": "..."}`).
   * @param secret the secret to read @default the deployment's Slack secret, created empty for the operator to fill
   */
  slack(secret?: secretsmanager.ISecret): AlertTarget {
    return new SlackTarget(secret);
  },
} as const;

/** The default targets of a budget file: its `notifications` keys when it has the block, else the topic alone. */
export function defaultAlertTargets(
  notifications: { sns?: unknown; slack?: unknown } | undefined,
): AlertTarget[] {
  if (notifications === undefined) return [AlertTargets.sns()];
  return [
    ...(notifications.sns !== undefined ? [AlertTargets.sns()] : []),
    ...(notifications.slack !== undefined ? [AlertTargets.slack()] : []),
  ];
}

/** What binding every target gave: the Lambdas' variables, and the Slack secret when Slack is a target. */
export interface AlertTargetsBinding {
  readonly environment: Readonly<Record<string, string>>;
  readonly slackSecret?: secretsmanager.ISecret;
}

/**
 * Binds every target and joins what they give into the Lambdas' environment: `ALERT_CHANNELS` (each channel once,
 * in target order; empty for none) and the targets' own variables. Two targets of one channel are refused: the
 * Lambdas read one variable set per channel.
 */
export function bindAlertTargets(
  host: AlertTargetHost,
  targets: readonly AlertTarget[],
  notify: HouseFunction,
  report: HouseFunction,
): AlertTargetsBinding {
  const channels: AlertChannel[] = [];
  const environment: Record<string, string> = {};
  let slackSecret: secretsmanager.ISecret | undefined;
  for (const t of targets) {
    const b = t.bind(host, notify, report);
    if (channels.includes(b.channel)) {
      throw new Error(`alertTargets: the ${b.channel} channel is given twice; give each channel once`);
    }
    channels.push(b.channel);
    Object.assign(environment, b.environment);
    slackSecret ??= b.slackSecret;
  }
  return {
    environment: { ALERT_CHANNELS: channels.join(','), ...environment },
    ...(slackSecret ? { slackSecret } : {}),
  };
}
