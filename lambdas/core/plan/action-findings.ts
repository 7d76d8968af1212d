/**
 * What the act step adds to a cycle's findings: one finding per scaling change rolled back, so that the alert
 * machinery tells the budget's owners once what was undone and why.
 */
import type { CycleResult } from '../evaluate/types.ts';
import type { Finding } from '../types.ts';
import type { ActionRecord } from './types.ts';

/** The rolled-back actions as findings of their budgets. */
export function rollbackFinding(a: ActionRecord): Finding {
  const where = a.resource.variant ? `${a.resource.endpoint}/${a.resource.variant}` : a.resource.resourceId;
  const restored = a.before.target
    ? `min ${a.before.target.min}, max ${a.before.target.max}`
    : 'no scaling target';
  return {
    kind: 'change-rolled-back',
    budget: a.budget,
    endpoint: a.resource.endpoint,
    severity: 'warning',
    message: `Rolled back ${a.kind} change ${a.id} of ${where}: ${a.reason ?? 'no reason recorded'}. Restored the recorded state (${restored}).`,
    actions: [],
    key: `change-rolled-back|${a.budget}|${a.resource.endpoint}|${a.id}`,
  };
}

/** The result with each rolled-back action's finding added to its budget. */
export function withActionFindings(result: CycleResult, actions: readonly ActionRecord[]): CycleResult {
  const rolled = actions.filter((a) => a.status === 'rolled-back');
  if (rolled.length === 0) return { ...result, actions };
  return {
    ...result,
    actions,
    budgets: result.budgets.map((b) => {
      const mine = rolled.filter((a) => a.budget === b.name).map(rollbackFinding);
      return mine.length > 0 ? { ...b, findings: [...b.findings, ...mine] } : b;
    }),
  };
}
