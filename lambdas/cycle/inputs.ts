/**
 * The inputs of one evaluated cycle, read back from the bucket: a whole snapshot (one account and region), or the
 * parts the collect Map wrote (one with the spend, one per account and region), merged. Shared by evaluate and
 * report, which evaluates the same snapshot again for the report's daily series.
 */

import type { ApiUsageLine, ApiUsageReport } from '../core/api-usage.ts';
import type { BudgetFile, CollectionTarget } from '../core/budget.ts';
import { loadSnapshot, type StoredSnapshot } from '../core/records.ts';
import type { Snapshot } from '../core/types.ts';
import { EventError } from '../handlers/middleware.ts';
import { type AttributionTags, mergeSnapshotParts, type SnapshotPart } from './parts.ts';

/** Where a cycle's snapshot is: one key, or the keys of its parts. */
export interface CycleInputs {
  readonly snapshotKey?: string;
  readonly partKeys?: readonly string[];
}

/** What the collect step writes: a whole snapshot, or a part of one with what merging it needs. */
export interface StoredPart {
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

/** Reads a cycle's snapshot (whole, or merged from its parts) with its API usage and Cost Explorer forecast. */
export async function loadCycleInput(
  inputs: CycleInputs,
  file: BudgetFile,
  get: (key: string) => Promise<unknown>,
): Promise<{ snapshot: Snapshot; apiUsage: unknown; crossCheck: unknown }> {
  if (inputs.partKeys) return loadParts(inputs.partKeys, file, (k) => get(k) as Promise<StoredPart>);
  if (!inputs.snapshotKey) throw new EventError('the cycle names neither a snapshot nor its parts');
  const stored = (await get(inputs.snapshotKey)) as StoredPart;
  return {
    snapshot: loadSnapshot(stored.snapshot),
    apiUsage: stored.apiUsage,
    crossCheck: stored.crossCheck,
  };
}
