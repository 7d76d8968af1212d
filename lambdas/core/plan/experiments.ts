/**
 * Experiments past their exit criteria, as the planner needs them (issue: scale them to their floor in enforce
 * mode, never delete). The criteria are judged once, by the exit-criteria limit during evaluation
 * (limits/exit-criteria.ts via evaluate/endpoint-findings.ts), which leaves an `exit-criteria` finding per endpoint
 * past them; this reads those findings rather than judging again, so the two can never disagree.
 */
import type { BudgetResult } from '../evaluate/types.ts';

/** The budget's endpoints past their tier's exit criteria, in finding order, each once. */
export function endpointsPastExitCriteria(budget: Pick<BudgetResult, 'findings'>): string[] {
  const out = new Set<string>();
  for (const f of budget.findings)
    if (f.kind === 'exit-criteria' && f.endpoint !== undefined) out.add(f.endpoint);
  return [...out];
}

/** Whether any endpoint of the budget (or `endpoint`, when given) is past its exit criteria. */
export function pastExitCriteria(budget: Pick<BudgetResult, 'findings'>, endpoint?: string): boolean {
  const past = endpointsPastExitCriteria(budget);
  return endpoint === undefined ? past.length > 0 : past.includes(endpoint);
}
