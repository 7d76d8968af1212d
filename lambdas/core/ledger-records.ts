import type { BudgetFile } from './budget.ts';
import type { Evaluation } from './evaluate.ts';
import { formatMoney } from './money.ts';
import { addDays } from './period.ts';
import type { Finding } from './types.ts';

/** Days closer to as-of than this may still change (Cost Explorer restates the last days); older ones are closed. */
export const OPEN_DAYS = 3;

export interface CycleRecords {
  readonly alerts: readonly { key: string; period: string; state: string; sentAt: string }[];
  readonly closedDays: readonly { budget: string; day: string; amount: string }[];
  readonly exceptions: readonly { budget: string; reason: string; approvedBy: string; expires: string }[];
  readonly asOf: string;
}

/**
 * What one cycle leaves in the ledger, whichever ledger: an alert per finding and state (the ledger keeps the
 * first of each, so a rerun sends nothing twice), the closed days' spend per budget, and the exceptions seen.
 */
export function cycleRecords(evaluation: Evaluation, file: BudgetFile, sentAt: string): CycleRecords {
  const { result } = evaluation;
  const alerts = result.budgets
    .flatMap((b) => b.findings)
    .map((f) => ({ key: f.key, period: result.period.start, state: f.severity, sentAt }));
  const closedBefore = addDays(evaluation.through, -OPEN_DAYS + 1);
  const closedDays: { budget: string; day: string; amount: string }[] = [];
  for (const [budget, days] of evaluation.dailySpend) {
    for (const [day, amount] of days) {
      if (day < closedBefore) closedDays.push({ budget, day, amount: formatMoney(amount, 10) });
    }
  }
  const exceptions = file.budgets.flatMap((b) =>
    b.exceptions.map((x) => ({
      budget: b.name,
      reason: x.reason,
      approvedBy: x.approvedBy,
      expires: x.expires,
    })),
  );
  return { alerts, closedDays, exceptions, asOf: result.asOf };
}

/** The findings whose alert the ledger recorded as new. */
export function newFindings(
  findings: readonly Finding[],
  fresh: readonly { key: string; state: string }[],
): Finding[] {
  const keys = new Set(fresh.map((a) => `${a.key}\u0000${a.state}`));
  return findings.filter((f) => keys.has(`${f.key}\u0000${f.severity}`));
}
