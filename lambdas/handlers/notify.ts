import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { presignedGet } from '../aws/s3-links.ts';
import { S3ReportSink } from '../aws/s3-store.ts';
import { getSlackCredentials } from '../aws/secrets.ts';
import { SnsNotifier } from '../aws/sns.ts';
import type { CycleResult } from '../core/evaluate.ts';
import type { CycleRecords } from '../core/ledger-records.ts';
import { LATEST_REPORT_DIR, REPORT_LINK_SECONDS as LINK } from '../cycle/contract.ts';
import { alertStep } from '../cycle/notify.ts';
import type { Notifier } from '../ports.ts';
import { SlackNotifier } from '../slack/notifier.ts';
import { AlertEnv, alertChannels, alertLinks } from './channels.ts';
import { baseDeps } from './deps.ts';
import { readEnv } from './env.ts';
import { lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();
const ledger = new DynamoDbLedger(deps.config.LEDGER_TABLE);
const env = readEnv(AlertEnv);
/** Slack may take this long within the Lambda's 60 s before the alerts not yet posted count as failed. */
const SLACK_BUDGET_MS = 40_000;
const channels: readonly Notifier[] = alertChannels(env, {
  sns: (topicArn) => new SnsNotifier(topicArn),
  // the webhook URL is read when there is something to send, through Powertools Parameters (cached 5 minutes)
  slack: (secretArn) =>
    new SlackNotifier(async () => (await getSlackCredentials({ secretId: secretArn })).webhookUrl, {
      timeBudgetMs: SLACK_BUDGET_MS,
    }),
});

const { REPORT_LINK_SECONDS } = readEnv(
  z.object({
    REPORT_LINK_SECONDS: z.coerce.number().int().min(LINK.min).max(LINK.max).default(LINK.default),
  }),
);
const newestReport = new S3ReportSink(deps.store).key(`${LATEST_REPORT_DIR}/report.html`);

/** A presigned link to the newest report, when there is one; no link (never a failed cycle) otherwise. */
async function latestReportLink(): Promise<string | undefined> {
  try {
    return (await deps.store.exists(newestReport))
      ? await presignedGet(deps.store, newestReport, REPORT_LINK_SECONDS)
      : undefined;
  } catch (err) {
    logger.warn('no link to the latest report', { reason: (err as Error).message });
    return undefined;
  }
}

export const NotifyEvent = z.object({
  runId: z.string().min(1),
  asOf: z.iso.date(),
  resultKey: z.string().min(1),
});

/**
 * Notify: plan the cycle's alerts against what the ledger recorded earlier in the period (open, escalate,
 * resolve), record them with conditional writes, and send only those this cycle recorded first: a rerun, or a
 * cycle racing this one, sends nothing twice. A channel that fails is counted and logged, never fatal.
 */
export const handler = lambda(NotifyEvent, async (event) => {
  const { result, records } = await deps.store.getJson<{ result: CycleResult; records: CycleRecords }>(
    event.resultKey,
  );
  const step = await alertStep({
    result,
    records,
    ledger,
    notifiers: channels,
    links: alertLinks(env, await latestReportLink()),
    now: new Date(),
  });
  const { deliveries } = step;
  const alerts = step.alerts.map((m) => m.alert);
  const failed = deliveries.filter((d) => d.status === 'failed');
  for (const d of failed) {
    logger.warn('alert not delivered', { channel: d.channel, key: d.key, state: d.state, reason: d.detail });
  }
  metrics.addMetric('AlertsSent', MetricUnit.Count, deliveries.length - failed.length);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, failed.length);
  const count = (t: string) => alerts.filter((a) => a.transition === t).length;
  logger.info('notified', {
    asOf: event.asOf,
    opened: count('opened'),
    escalated: count('escalated'),
    resolved: count('resolved'),
    unchanged: step.unchanged,
    undelivered: step.undelivered,
    channels: channels.map((c) => c.channel),
    failed: failed.length,
  });
  return {
    runId: event.runId,
    asOf: event.asOf,
    alerts: alerts.length,
    sent: deliveries.length - failed.length,
    failed: failed.length,
  };
});
