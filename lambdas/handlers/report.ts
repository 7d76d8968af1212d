import { presignedGet } from '../aws/s3-links.ts';
import { S3ReportSink } from '../aws/s3-store.ts';
import { PREFIX, ReportEventSchema } from '../cycle/contract.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { readFindingsWithActions, readParts } from '../cycle/payloads.ts';
import { publishReport, reportStep, reportSummary } from '../cycle/report.ts';
import { AlertEnv, slackChannel } from './channels.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { readEnv } from './env.ts';
import { EventError, lambda, logger } from './middleware.ts';

const { config, store } = baseDeps();
const env = readEnv(AlertEnv);
const sink = new S3ReportSink(store, PREFIX.reports);
const slack = slackChannel(env, 30_000);

/**
 * Report: the billing-cycle report of a cycle (HTML with charts, Markdown, JSON) into reports/<period>/<as-of>/ with
 * the cycle's summary and JSON beside it, the newest under reports/latest/, and, when Slack is an alert target, a
 * summary in Slack with a presigned link to the page. The link is never logged nor returned: it is a credential.
 */
export const handler = lambda(ReportEventSchema, async (event) => {
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const { result, inputs } = await readFindingsWithActions(store, event.resultKey, event.actionsKey, file);
  const { evaluation, snapshot } = evaluateStep(file, await readParts(store, inputs.partKeys));
  if (snapshot.asOf !== event.asOf)
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${snapshot.asOf}`);
  const { files, report } = await reportStep({ evaluation, snapshot, file, result });
  const { page, ...written } = await publishReport(sink, result, files);
  const url = slack && (await presignedGet(store, sink.key(page), env.REPORT_LINK_SECONDS));
  const posted = slack && url ? await slack.postReport(reportSummary(result, url)) : undefined;
  if (posted?.status === 'failed')
    logger.warn('report summary not posted to Slack', { reason: posted.detail });
  logger.info('reported', {
    asOf: event.asOf,
    budgets: report.model.budgets.length,
    slack: posted?.status ?? 'off',
  });
  return { asOf: event.asOf, ...written, ...(posted ? { slack: posted.status } : {}) };
});
