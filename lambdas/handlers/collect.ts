import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { collectAws } from '../aws/collect.ts';
import { snapshotKey } from '../aws/s3-store.ts';
import { ApiUsage } from '../aws/usage.ts';
import { formatMoney } from '../core/money.ts';
import { addDays, DayClock } from '../core/period.ts';
import { storeSnapshot } from '../core/records.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();

export const CollectEvent = z.object({
  /** The execution name: payload keys are made of it. */
  runId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  /** The day to judge; default yesterday in the billing time zone (today's costs are still arriving). */
  asOf: z.iso.date().optional(),
});

/** Collect: inventory, costs (closed days from the ledger) and metrics into a snapshot in S3. */
export const handler = lambda(CollectEvent, async (event) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const asOf = event.asOf ?? addDays(new DayClock(file.billingPeriod.timezone).dayOf(Date.now()), -1);
  const usage = new ApiUsage();
  const { snapshot, crossCheck } = await collectAws({
    file,
    asOf,
    clients: deps.clients,
    usage,
    cache: deps.ledger,
    now: Date.now,
  });
  const key = snapshotKey(asOf, event.runId);
  const report = usage.report();
  await deps.store.putJson(key, {
    snapshot: storeSnapshot(snapshot),
    apiUsage: report,
    crossCheck: crossCheck?.ok ? { ...crossCheck, mean: formatMoney(crossCheck.mean, 10) } : crossCheck,
  });
  // a summary, never the payloads: they are large and commercially sensitive
  logger.info('collected', {
    asOf,
    costRows: snapshot.costs.length,
    series: snapshot.metrics?.length ?? 0,
    endpoints: snapshot.inventory.length,
    gaps: snapshot.gaps.length,
    apiRequests: report.requests,
  });
  metrics.addMetric('ApiCostUsd', MetricUnit.Count, report.costUsd);
  metrics.addMetric('DataGaps', MetricUnit.Count, snapshot.gaps.length);
  return { runId: event.runId, asOf, snapshotKey: key };
});
