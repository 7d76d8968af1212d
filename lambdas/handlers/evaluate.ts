import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { payloadKey } from '../aws/s3-store.ts';
import { evaluateCycle } from '../core/evaluate.ts';
import { cycleRecords } from '../core/ledger-records.ts';
import { loadSnapshot, type StoredSnapshot } from '../core/records.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();

export const EvaluateEvent = z.object({
  runId: z.string().min(1),
  asOf: z.iso.date(),
  snapshotKey: z.string().min(1),
});

/** Evaluate: snapshot + budget file -> findings with causes and actions, and the ledger records of the cycle. */
export const handler = lambda(EvaluateEvent, async (event) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const stored = await deps.store.getJson<{
    snapshot: StoredSnapshot;
    apiUsage?: unknown;
    crossCheck?: unknown;
  }>(event.snapshotKey);
  const evaluation = evaluateCycle(loadSnapshot(stored.snapshot), file);
  const result = { ...evaluation.result, apiUsage: stored.apiUsage, costExplorerForecast: stored.crossCheck };
  const records = cycleRecords(evaluation, file, new Date().toISOString());
  const key = payloadKey('findings', event.asOf, event.runId);
  await deps.store.putJson(key, { result, records });

  // EMF per budget and endpoint: what the dashboard charts
  for (const b of result.budgets) {
    const m = metrics.singleMetric();
    m.addDimension('budget', b.name);
    // unknown spend publishes nothing: a missing datapoint, never a zero, on the dashboard
    if (b.spendToDate !== null) m.addMetric('SpendToDate', MetricUnit.Count, b.spendToDate);
    if (b.forecast.expected !== null) m.addMetric('ForecastExpected', MetricUnit.Count, b.forecast.expected);
    if (b.cap !== null) m.addMetric('Cap', MetricUnit.Count, b.cap);
    for (const e of b.endpoints) {
      if (e.costPer1k === null) continue;
      const em = metrics.singleMetric();
      em.addDimensions({ budget: b.name, endpoint: e.name });
      em.addMetric('CostPer1kInferences', MetricUnit.Count, e.costPer1k);
    }
  }
  const counts = { breached: 0, atRisk: 0, ok: 0 };
  for (const b of result.budgets) counts[b.status === 'at-risk' ? 'atRisk' : b.status]++;
  logger.info('evaluated', { asOf: event.asOf, budgets: result.budgets.length, ...counts });
  return { runId: event.runId, asOf: event.asOf, resultKey: key, ...counts };
});
