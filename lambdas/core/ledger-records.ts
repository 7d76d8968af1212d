import type { BudgetFile } from './budget.ts';
import type { Evaluation } from './evaluate/types.ts';
import { formatMoney } from './money.ts';
import { addDays } from './period.ts';

/** Days closer to as-of than this may still change (Cost Explorer restates the last days); older ones are closed. */
export const OPEN_DAYS = 3;

export interface CycleRecords {
  readonly closedDays: readonly { budget: string; day: string; amount: string }[];
  readonly exceptions: readonly { budget: string; reason: string; approvedBy: string; expires: string }[];
  readonly asOf: string;
}

/**
 * What one cycle leaves in the ledger besides its alerts (those are planned against the ledger's earlier records:
 * see `planAlerts`): the closed days' spend per budget, and the exceptions seen.
 */
export function cycleRecords(evaluation: Evaluation, file: BudgetFile): CycleRecords {
  const { result } = evaluation;
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
  return { closedDays, exceptions, asOf: result.asOf };
}
