import { presignedGet } from '../aws/s3-links.ts';
import { S3ReportSink } from '../aws/s3-store.ts';
import {
  CYCLE_FILES,
  type CycleFileName,
  FindingsSchema,
  LATEST_REPORT_DIR,
  ReportEventSchema,
} from '../cycle/contract.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { readParts, readPayload } from '../cycle/payloads.ts';
import { reportStep, reportSummary } from '../cycle/report.ts';
import { AlertEnv, slackChannel } from './channels.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { readEnv } from './env.ts';
import { EventError, lambda, logger } from './middleware.ts';

const { config, store } = baseDeps();
const env = readEnv(AlertEnv);
const sink = new S3ReportSink(store);
const slack = slackChannel(env, 30_000);

/**
 * Report: the billing-cycle report of a cycle (HTML with charts, Markdown, JSON) into reports/<period>/<as-of>/ with
 * the cycle's summary and JSON beside it, the newest under reports/latest/, and, when Slack is an alert target, a
 * summary in Slack with a presigned link to the page. The link is never logged nor returned: it is a credential.
 */
export const handler = lambda(ReportEventSchema, async (event) => {
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const { result, inputs } = await readPayload(store, event.resultKey, FindingsSchema);
  const { evaluation, snapshot } = evaluateStep(file, await readParts(store, inputs.partKeys));
  if (snapshot.asOf !== event.asOf)
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${snapshot.asOf}`);
  const { files, report } = await reportStep({ evaluation, snapshot, file, result });
  const dir = `${result.period.start}/${event.asOf}`;
  const written: Record<string, string> = {};
  for (const [name, type] of Object.entries(CYCLE_FILES)) {
    written[name] = await sink.write(`${dir}/${name}`, files[name as CycleFileName], type);
  }
  // the newest report under a fixed key too: the alerts of the days between reports link to it
  for (const name of ['report.html', 'report.md', 'report.json'] as const) {
    await sink.write(`${LATEST_REPORT_DIR}/${name}`, files[name], CYCLE_FILES[name]);
  }
  const url = slack && (await presignedGet(store, sink.key(`${dir}/report.html`), env.REPORT_LINK_SECONDS));
  const posted = slack && url ? await slack.postReport(reportSummary(result, url)) : undefined;
  if (posted?.status === 'failed')
    logger.warn('report summary not posted to Slack', { reason: posted.detail });
  logger.info('reported', {
    asOf: event.asOf,
    budgets: report.model.budgets.length,
    slack: posted?.status ?? 'off',
  });
  return {
    asOf: event.asOf,
    html: written['report.html'] as string,
    markdown: written['report.md'] as string,
    json: written['report.json'] as string,
    ...(posted ? { slack: posted.status } : {}),
  };
});
