import * as z from 'zod';
import { SnsNotifier } from '../aws/sns.ts';
import type { CycleResult } from '../core/evaluate.ts';
import { type CycleRecords, newFindings } from '../core/ledger-records.ts';
import { baseDeps } from './deps.ts';
import { readEnv } from './env.ts';
import { lambda, logger } from './middleware.ts';

const deps = baseDeps();
const { TOPIC_ARN } = readEnv(z.object({ TOPIC_ARN: z.string().startsWith('arn:') }));
const notifier = new SnsNotifier(TOPIC_ARN);

export const NotifyEvent = z.object({
  runId: z.string().min(1),
  asOf: z.iso.date(),
  resultKey: z.string().min(1),
});

/** Notify: record the cycle in the ledger (conditional writes) and publish only the alerts that are new. */
export const handler = lambda(NotifyEvent, async (event) => {
  const { result, records } = await deps.store.getJson<{ result: CycleResult; records: CycleRecords }>(
    event.resultKey,
  );
  const fresh = await deps.ledger.commit(records);
  const findings = newFindings(
    result.budgets.flatMap((b) => b.findings),
    fresh,
  );
  const published = await notifier.publish(findings);
  const failed = published.filter((p) => p.status === 'failed').length;
  logger.info('notified', {
    asOf: event.asOf,
    new: findings.length,
    already: records.alerts.length - fresh.length,
    failed,
  });
  return { runId: event.runId, asOf: event.asOf, sent: findings.length - failed, failed };
});
