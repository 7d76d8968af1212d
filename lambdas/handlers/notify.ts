import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { presignedGet } from '../aws/s3-links.ts';
import { S3ReportSink } from '../aws/s3-store.ts';
import { SnsNotifier } from '../aws/sns.ts';
import { LATEST_REPORT_DIR, NotifyEventSchema, PREFIX } from '../cycle/contract.ts';
import { alertStep } from '../cycle/notify.ts';
import { readFindingsWithActions } from '../cycle/payloads.ts';
import { AlertEnv, alertChannels, alertLinks, slackChannel } from './channels.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { readEnv } from './env.ts';
import { lambda, logger } from './middleware.ts';
import { logAlerts } from './observe.ts';

const { config, store } = baseDeps();
const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
const env = readEnv(AlertEnv);
/** Slack may take this long within the Lambda's 60 s before the alerts not yet posted count as failed. */
const SLACK_BUDGET_MS = 40_000;
const channels = alertChannels(env, {
  sns: (topicArn) => new SnsNotifier(topicArn),
  slack: () => slackChannel(env, SLACK_BUDGET_MS),
});
const newestReport = new S3ReportSink(store, PREFIX.reports).key(`${LATEST_REPORT_DIR}/report.html`);

/** A presigned link to the newest report, when there is one; no link (never a failed cycle) otherwise. */
async function latestReportLink(): Promise<string | undefined> {
  try {
    if (await store.exists(newestReport))
      return await presignedGet(store, newestReport, env.REPORT_LINK_SECONDS);
  } catch (err) {
    logger.warn('no link to the latest report', { reason: (err as Error).message });
  }
  return undefined;
}

/**
 * Notify: plan the cycle's alerts (its findings, and the changes act rolled back) against what the ledger recorded
 * earlier in the period (open, escalate, resolve), record them with conditional writes, and send only those this
 * cycle recorded first: a rerun, or a cycle racing this one, sends nothing twice. A channel that fails is counted and logged, never fatal.
 */
export const handler = lambda(NotifyEventSchema, async (event) => {
  // a change act rolled back is a finding of its budget: alerted once, like any other
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const { result, records } = await readFindingsWithActions(store, event.resultKey, event.actionsKey, file);
  const links = alertLinks(env, await latestReportLink());
  const step = await alertStep({ result, records, ledger, notifiers: channels, links, now: new Date() });
  const { sent, failed } = logAlerts(event.asOf, step, channels);
  return { runId: event.runId, asOf: event.asOf, alerts: step.alerts.length, sent, failed };
});
