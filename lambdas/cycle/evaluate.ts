/**
 * The evaluate step: the parts a cycle collected, merged into one snapshot (spend placed on the endpoints of every
 * account and region), judged against the budget file. The result carries what the parts add beside the core's
 * judgement: the paid API calls they made, and Cost Explorer's own forecast.
 */
import { sumApiUsage } from '../core/api-usage.ts';
import type { BudgetFile } from '../core/budget.ts';
import { evaluateCycle } from '../core/evaluate/index.ts';
import type { CycleResult, Evaluation } from '../core/evaluate/types.ts';
import { type CycleRecords, cycleRecords } from '../core/ledger-records.ts';
import type { Snapshot } from '../core/types.ts';
import type { SnapshotPart } from './contract.ts';
import { mergeSnapshotParts } from './parts.ts';

export interface Evaluated {
  readonly snapshot: Snapshot;
  readonly evaluation: Evaluation;
  /** The result as published: cycle.json, `run --format json`, the findings payload. */
  readonly result: CycleResult;
  /** What the cycle leaves in the ledger besides its alerts. */
  readonly records: CycleRecords;
}

export function evaluateStep(file: BudgetFile, parts: readonly SnapshotPart[]): Evaluated {
  const snapshot = mergeSnapshotParts(parts, file);
  const evaluation = evaluateCycle(snapshot, file);
  const usage = parts.flatMap((p) => (p.apiUsage ? [p.apiUsage] : []));
  const forecast = parts.find((p) => p.part === 'costs')?.costExplorerForecast;
  const result: CycleResult = {
    ...evaluation.result,
    ...(usage.length > 0 ? { apiUsage: sumApiUsage(usage) } : {}),
    ...(forecast ? { costExplorerForecast: forecast } : {}),
  };
  return { snapshot, evaluation, result, records: cycleRecords(evaluation, file, snapshot.inventory) };
}
