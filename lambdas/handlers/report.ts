import * as z from 'zod';
import { S3ReportSink } from '../aws/s3-store.ts';
import type { CycleResult } from '../core/evaluate.ts';
import { renderMarkdown } from '../report/summary.ts';
import { baseDeps } from './deps.ts';
import { lambda, logger } from './middleware.ts';

const deps = baseDeps();
const sink = new S3ReportSink(deps.store);

export const ReportEvent = z.object({ asOf: z.iso.date(), resultKey: z.string().min(1) });

/** Report: the billing-cycle summary (Markdown and JSON) of a cycle's result, into the bucket's reports/. */
export const handler = lambda(ReportEvent, async (event) => {
  const { result } = await deps.store.getJson<{ result: CycleResult }>(event.resultKey);
  const markdown = await sink.write(
    `${event.asOf}/summary.md`,
    renderMarkdown(result),
    'text/markdown; charset=utf-8',
  );
  const json = await sink.write(
    `${event.asOf}/cycle.json`,
    `${JSON.stringify(result, null, 2)}\n`,
    'application/json',
  );
  logger.info('reported', { asOf: event.asOf });
  return { asOf: event.asOf, markdown, json };
});
