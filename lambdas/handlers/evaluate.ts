import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { type AttributionTags, mergeSnapshotParts, type SnapshotPart } from '../aws/collect.ts';
import { payloadKey } from '../aws/s3-store.ts';
import type { ApiUsageLine, ApiUsageReport } from '../aws/usage.ts';
import type { BudgetFile, CollectionTarget } from '../core/budget.ts';
import { evaluateCycle } from '../core/evaluate.ts';
import { cycleRecords } from '../core/ledger-records.ts';
import { loadSnapshot, type StoredSnapshot } from '../core/records.ts';
import type { Snapshot } from '../core/types.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();

const SnapshotKey = z.string().startsWith('snapshots/');

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

/** What the collect step writes: a whole snapshot, or a part of one with what merging it needs. */
interface StoredPart {
  readonly part?: 'costs' | 'resources';
  readonly snapshot: StoredSnapshot;
  readonly apiUsage?: ApiUsageReport;
  readonly crossCheck?: unknown;
  readonly attribution?: AttributionTags;
  readonly target?: CollectionTarget;
}

/** The API requests of every part, added up per API. */
export function sumApiUsage(reports: readonly (ApiUsageReport | undefined)[]): ApiUsageReport {
  const byApi = new Map<string, { requests: number; metrics?: number; costUsd: number }>();
  let requests = 0;
  let costUsd = 0;
  for (const r of reports) {
    if (!r) continue;
    requests += r.requests;
    costUsd += r.costUsd;
    for (const l of r.byApi) {
      const had = byApi.get(l.api) ?? { requests: 0, costUsd: 0 };
      had.requests += l.requests;
      had.costUsd += l.costUsd;
      if (l.metrics !== undefined) had.metrics = (had.metrics ?? 0) + l.metrics;
      byApi.set(l.api, had);
    }
  }
  const lines: ApiUsageLine[] = [...byApi].map(([api, l]) => ({ api, ...l }));
  // cents of a dollar at most: summing floats of a few hundred requests keeps far more precision than shown
  return { requests, costUsd: Math.round(costUsd * 1e6) / 1e6, byApi: lines };
}

/** Reads the parts of a cycle and merges them into one snapshot, with the parts' API usage and forecast. */
export async function loadParts(
  keys: readonly string[],
  file: BudgetFile,
  get: (key: string) => Promise<StoredPart>,
): Promise<{ snapshot: Snapshot; apiUsage: ApiUsageReport; crossCheck: unknown }> {
  const stored = await Promise.all(keys.map(get));
  const parts: SnapshotPart[] = stored.map((p, i) => {
    const snapshot = loadSnapshot(p.snapshot);
    if (p.part === 'costs') return { kind: 'costs', snapshot, attribution: p.attribution ?? {} };
    if (p.part === 'resources' && p.target) return { kind: 'resources', snapshot, target: p.target };
    throw new EventError(`partKeys[${i}] ${keys[i]} is not a part of a cycle (costs or resources)`);
  });
  return {
    snapshot: mergeSnapshotParts(parts, file),
    apiUsage: sumApiUsage(stored.map((p) => p.apiUsage)),
    crossCheck: stored.find((p) => p.part === 'costs')?.crossCheck,
  };
}

/** Evaluate: snapshot + budget file -> findings with causes and actions, and the ledger records of the cycle. */
export const handler = lambda(EvaluateEvent, async (event) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const get = (key: string) => deps.store.getJson<StoredPart>(key);
  let input: { snapshot: Snapshot; apiUsage: unknown; crossCheck: unknown };
  if (event.partKeys) {
    input = await loadParts(event.partKeys, file, get);
  } else {
    const stored = await get(event.snapshotKey as string);
    input = {
      snapshot: loadSnapshot(stored.snapshot),
      apiUsage: stored.apiUsage,
      crossCheck: stored.crossCheck,
    };
  }
  if (input.snapshot.asOf !== event.asOf) {
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${input.snapshot.asOf}`);
  }
  const evaluation = evaluateCycle(input.snapshot, file);
  const result = { ...evaluation.result, apiUsage: input.apiUsage, costExplorerForecast: input.crossCheck };
  const records = cycleRecords(evaluation, file);
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
  logger.info('evaluated', {
    asOf: event.asOf,
    parts: event.partKeys?.length ?? 1,
    budgets: result.budgets.length,
    ...counts,
  });
  return { runId: event.runId, asOf: event.asOf, resultKey: key, ...counts };
});
