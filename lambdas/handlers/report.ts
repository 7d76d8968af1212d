import * as z from 'zod';
import { presignedGet } from '../aws/s3-links.ts';
import { S3ReportSink } from '../aws/s3-store.ts';
import { getSlackCredentials } from '../aws/secrets.ts';
import { type CycleResult, evaluateCycle } from '../core/evaluate.ts';
import { displayMoney, moneyFromNumber } from '../core/money.ts';
import { addDays } from '../core/period.ts';
import { LATEST_REPORT_DIR, REPORT_LINK_SECONDS as LINK } from '../cycle/contract.ts';
import { type CycleInputs, loadCycleInput } from '../cycle/inputs.ts';
import { buildReport, reportFiles } from '../report/index.ts';
import { renderMarkdown } from '../report/summary.ts';
import { SlackNotifier } from '../slack/notifier.ts';
import { AlertEnv } from './channels.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { readEnv } from './env.ts';
import { EventError, lambda, logger } from './middleware.ts';

const deps = baseDeps();
const channels = readEnv(AlertEnv);
const { REPORT_LINK_SECONDS } = readEnv(
  z.object({
    /** Lifetime of the presigned link to the report (S3 allows at most 7 days). */
    REPORT_LINK_SECONDS: z.coerce.number().int().min(LINK.min).max(LINK.max).default(LINK.default),
  }),
);
const sink = new S3ReportSink(deps.store);
const slack =
  channels.ALERT_CHANNELS.includes('slack') && channels.SLACK_SECRET_ARN
    ? new SlackNotifier(
        async () => (await getSlackCredentials({ secretId: channels.SLACK_SECRET_ARN })).webhookUrl,
        { timeBudgetMs: 30_000 },
      )
    : undefined;

export const ReportEvent = z.object({ asOf: z.iso.date(), resultKey: z.string().min(1) });

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  'report.html': 'text/html; charset=utf-8',
  'report.md': 'text/markdown; charset=utf-8',
  'report.json': 'application/json',
};

/** One line per budget for the Slack summary: status, spend against cap, forecast. */
export function summaryLines(result: CycleResult): string[] {
  const money = (x: number | null) =>
    x === null ? 'unknown' : displayMoney(moneyFromNumber(x), result.currency);
  return result.budgets.map((b) => {
    const status = b.status === 'breached' ? 'BREACHED' : b.status === 'at-risk' ? 'AT RISK' : 'OK';
    const cap = b.cap === null ? 'no cap' : `of ${money(b.cap)}`;
    return `${status} ${b.name}: ${money(b.spendToDate)} ${cap}, forecast ${money(b.forecast.expected)}`;
  });
}

/**
 * Report: the billing-cycle report of a cycle (HTML with charts, Markdown, JSON) into the bucket's
 * reports/<period>/<as-of>/, the cycle's summary and JSON beside it, and, when Slack is an alert target, a summary
 * in Slack with a presigned link to the page. The link is never logged nor returned: it is a credential.
 */
export const handler = lambda(ReportEvent, async (event) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const stored = await deps.store.getJson<{ result: CycleResult; inputs?: CycleInputs }>(event.resultKey);
  if (!stored.inputs) throw new EventError(`${event.resultKey} names no snapshot to report on`);
  const input = await loadCycleInput(stored.inputs, file, (key) => deps.store.getJson(key));
  if (input.snapshot.asOf !== event.asOf) {
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${input.snapshot.asOf}`);
  }
  const { result } = stored;
  const evaluation = evaluateCycle(input.snapshot, file);
  const report = await buildReport({ evaluation, snapshot: input.snapshot, file, result });

  const dir = `${result.period.start}/${event.asOf}`;
  const written: Record<string, string> = {};
  for (const [name, content] of Object.entries({
    ...reportFiles(report),
    'summary.md': renderMarkdown(result),
    'cycle.json': `${JSON.stringify(result, null, 2)}\n`,
  })) {
    written[name] = await sink.write(
      `${dir}/${name}`,
      content,
      CONTENT_TYPES[name] ?? 'text/markdown; charset=utf-8',
    );
  }
  // the newest report under a fixed key too: the alerts of the days between reports link to it
  for (const [name, content] of Object.entries(reportFiles(report))) {
    await sink.write(`${LATEST_REPORT_DIR}/${name}`, content, CONTENT_TYPES[name] as string);
  }

  let slackStatus: string | undefined;
  if (slack) {
    const url = await presignedGet(deps.store, sink.key(`${dir}/report.html`), REPORT_LINK_SECONDS);
    const posted = await slack.postReport({
      title: `Billing-cycle report ${result.period.start}..${addDays(result.period.end, -1)}`,
      period: `${result.period.start}..${addDays(result.period.end, -1)}, as of ${event.asOf}`,
      lines: summaryLines(result),
      url,
    });
    slackStatus = posted.status;
    if (posted.status === 'failed')
      logger.warn('report summary not posted to Slack', { reason: posted.detail });
  }
  logger.info('reported', { asOf: event.asOf, files: Object.keys(written), slack: slackStatus ?? 'off' });
  return {
    asOf: event.asOf,
    html: written['report.html'],
    markdown: written['report.md'],
    json: written['report.json'],
    ...(slackStatus ? { slack: slackStatus } : {}),
  };
});
