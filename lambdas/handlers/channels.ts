/**
 * The alert channels of a deployment, from its environment: which of SNS and Slack get alerts (ALERT_CHANNELS,
 * set by the stack's alert targets), the links an alert carries, and how long a presigned report link lasts.
 */
import * as z from 'zod';
import { getSlackCredentials } from '../aws/secrets.ts';
import type { AlertLinks } from '../core/alert-text.ts';
import { REPORT_LINK_SECONDS } from '../cycle/contract.ts';
import type { Notifier } from '../ports.ts';
import { SlackNotifier } from '../slack/notifier.ts';

const CHANNELS = ['sns', 'slack'] as const;
export type Channel = (typeof CHANNELS)[number];

export const AlertEnv = z
  .object({
    /** Comma-separated subset of "sns,slack"; empty for no alert channel (the report still runs). */
    ALERT_CHANNELS: z
      .string()
      .default('sns')
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      )
      .pipe(z.array(z.enum(CHANNELS))),
    /** The alert topic; pipeline failures go there whatever the channels. */
    TOPIC_ARN: z.string().startsWith('arn:'),
    /** The Secrets Manager secret with the Slack webhook URL, when Slack is a channel. */
    SLACK_SECRET_ARN: z.string().startsWith('arn:').optional(),
    /** The deployment's CloudWatch dashboard, linked from every alert. */
    DASHBOARD_URL: z.url().optional(),
    /** Where the runbook lives (the README's "Runbook" sections); a section anchor is appended per alert kind. */
    RUNBOOK_URL: z.url().optional(),
    /** Lifetime of the presigned links to the report (S3 allows at most seven days). */
    REPORT_LINK_SECONDS: z.coerce
      .number()
      .int()
      .min(REPORT_LINK_SECONDS.min)
      .max(REPORT_LINK_SECONDS.max)
      .default(REPORT_LINK_SECONDS.default),
    AWS_REGION: z.string().min(1),
  })
  .refine((e) => !e.ALERT_CHANNELS.includes('slack') || e.SLACK_SECRET_ARN !== undefined, {
    path: ['SLACK_SECRET_ARN'],
    message: 'required when ALERT_CHANNELS includes slack',
  });
export type AlertEnv = z.infer<typeof AlertEnv>;

export function alertLinks(env: AlertEnv, report?: string): AlertLinks {
  return {
    ...(report ? { report } : {}),
    ...(env.DASHBOARD_URL ? { dashboard: env.DASHBOARD_URL } : {}),
    ...(env.RUNBOOK_URL ? { runbook: env.RUNBOOK_URL } : {}),
    consoleRegion: env.AWS_REGION,
  };
}

/**
 * Slack through the deployment's secret, when Slack is a channel. The webhook URL is read when there is something
 * to send, through Powertools Parameters (cached 5 minutes), and never logged.
 */
export function slackChannel(env: AlertEnv, timeBudgetMs: number): SlackNotifier | undefined {
  const secretId = env.SLACK_SECRET_ARN;
  if (!env.ALERT_CHANNELS.includes('slack') || secretId === undefined) return undefined;
  return new SlackNotifier(async () => (await getSlackCredentials({ secretId })).webhookUrl, {
    timeBudgetMs,
  });
}

export interface ChannelFactories {
  readonly sns: (topicArn: string) => Notifier;
  readonly slack?: () => Notifier | undefined;
}

/** One notifier per configured channel, in the order ALERT_CHANNELS names them, each once. */
export function alertChannels(env: AlertEnv, make: ChannelFactories): Notifier[] {
  const out: Notifier[] = [];
  for (const c of new Set(env.ALERT_CHANNELS)) {
    const n = c === 'sns' ? make.sns(env.TOPIC_ARN) : make.slack?.();
    if (n) out.push(n);
  }
  return out;
}
