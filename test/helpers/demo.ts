import { join } from 'node:path';
import * as z from 'zod';
import { collectFiles, snapshotOfFiles } from '../../lambdas/cli/run.ts';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { payloadKey, type SnapshotPart, SnapshotPartSchema } from '../../lambdas/cycle/contract.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { ROOT } from './cli.ts';

/** The bundled demo account (examples/demo): its inputs, and the day its manifest judges. */
export const DEMO = join(ROOT, 'examples/demo');
export const DEMO_BUDGETS = join(DEMO, 'budgets.yaml');
export const DEMO_COSTS = join(DEMO, 'data/costs.focus.csv');
export const DEMO_METRICS = join(DEMO, 'data/metrics.csv');
export const DEMO_AS_OF = '2026-10-15';

/** The demo's budget file and its snapshot as of a day, loaded from the files as a local run does. */
export async function demoSnapshot(
  asOf = DEMO_AS_OF,
  budgets = DEMO_BUDGETS,
): Promise<{ file: BudgetFile; snapshot: Snapshot }> {
  const file = await loadBudgetFile(budgets);
  const snapshot = await snapshotOfFiles(
    file,
    { costs: [DEMO_COSTS], metrics: DEMO_METRICS },
    { asOf, now: new Date(0) },
  );
  return { file, snapshot };
}

/** The demo's snapshot parts as the collect step makes them from the files, for the handlers' stored payloads. */
export async function demoParts(asOf = DEMO_AS_OF): Promise<{ file: BudgetFile; parts: SnapshotPart[] }> {
  const file = await loadBudgetFile(DEMO_BUDGETS);
  const parts = await collectFiles(
    file,
    { costs: [DEMO_COSTS], metrics: DEMO_METRICS },
    { asOf, now: new Date(0) },
  );
  return { file, parts };
}

/**
 * The parts as collect stores them (JSON, through the contract's schema) under the keys of run `runId`, and those
 * keys in the order evaluate takes them.
 */
export function storedParts(
  parts: readonly SnapshotPart[],
  runId: string,
): { objects: [string, unknown][]; partKeys: string[] } {
  const objects = parts.map((p, i): [string, unknown] => [
    payloadKey('snapshots', p.snapshot.asOf, `${runId}.${p.part}${i}`),
    JSON.parse(JSON.stringify(z.encode(SnapshotPartSchema, p))),
  ]);
  return { objects, partKeys: objects.map(([k]) => k) };
}

/**
 * The demo's snapshot with the live inventory its files lack: every endpoint in service, only `managed` opted in to
 * changes (tagged `perf-budgets:managed=true`), of `instanceType` (default ml.g5.xlarge).
 */
export function withInventory(
  snapshot: Snapshot,
  managed: string,
  instanceType: (name: string) => string = () => 'ml.g5.xlarge',
): Snapshot {
  const names = [...new Set(snapshot.costs.flatMap((c) => (c.endpoint ? [c.endpoint] : [])))];
  return {
    ...snapshot,
    inventory: names.map((name) => ({
      name,
      status: 'InService',
      instanceType: instanceType(name),
      tags: name === managed ? { 'perf-budgets:managed': 'true' } : ({} as Record<string, string>),
    })),
  };
}
