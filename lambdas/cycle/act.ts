/**
 * The act step. Until actuation lands every tier is treated as advise: the actions stay recommendations in the
 * findings, nothing in the account is changed, and the step says how many it would have considered.
 */
import type { CycleResult } from '../core/evaluate/types.ts';
import type { ActOutcome } from './contract.ts';

export function actStep(result: CycleResult): ActOutcome {
  const advised = result.budgets.reduce(
    (n, b) => n + b.findings.reduce((m, f) => m + f.actions.length, 0),
    0,
  );
  return { advised, applied: [] };
}
