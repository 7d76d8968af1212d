import { join } from 'node:path';
import { collectLocal } from '../../lambdas/cli/run-files.ts';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
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
  const snapshot = await collectLocal(
    { budgets, costs: [DEMO_COSTS], metrics: DEMO_METRICS, asOf, now: new Date(0) },
    file,
  );
  return { file, snapshot };
}
