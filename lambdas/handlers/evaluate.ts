import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { evaluateCycle } from '../core/evaluate.ts';
import { cycleRecords } from '../core/ledger-records.ts';
import { PREFIX, payloadKey } from '../cycle/contract.ts';
import { loadCycleInput } from '../cycle/inputs.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();

const SnapshotKey = z.string().startsWith(PREFIX.snapshots);

export const EvaluateEvent = z
  .object({
    runId: z.string().min(1),
    asOf: z.iso.date(),
    /** One snapshot of the whole cycle (one account and region, spend included). */
    snapshotKey: SnapshotKey.optional(),
    /** The parts of a cycle over several accounts and regions: one with the spend, one per target. */
    partKeys: z.array(SnapshotKey).min(1).max(1000).optional(),
  })
  .refine((e) => (e.snapshotKey === undefined) !== (e.partKeys === undefined), {
    message: 'give snapshotKey (a whole snapshot) or partKeys (the parts of a cycle), one of them',
    path: ['snapshotKey'],
  });
export type EvaluateEvent = z.infer<typeof EvaluateEvent>;

/** Evaluate: snapshot + budget file -> findings with causes and actions, and the ledger records of the cycle. */
export const handler = lambda(EvaluateEvent, async (event) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const input = await loadCycleInput(event, file, (key) => deps.store.getJson(key));
  if (input.snapshot.asOf !== event.asOf) {
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${input.snapshot.asOf}`);
  }
  const evaluation = evaluateCycle(input.snapshot, file);
  const result = { ...evaluation.result, apiUsage: input.apiUsage, costExplorerForecast: input.crossCheck };
  const records = cycleRecords(evaluation, file);
  const key = payloadKey('findings', event.asOf, event.runId);
  // the inputs go along, so that the report can evaluate the same snapshot again
  const inputs = event.partKeys ? { partKeys: event.partKeys } : { snapshotKey: event.snapshotKey as string };
  await deps.store.putJson(key, { result, records, inputs });

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
  logger.info('evaluated', {
    asOf: event.asOf,
    parts: event.partKeys?.length ?? 1,
    budgets: result.budgets.length,
    ...counts,
  });
  return { runId: event.runId, asOf: event.asOf, resultKey: key, ...counts };
});
