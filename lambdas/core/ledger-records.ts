import type { BudgetFile } from './budget.ts';
import type { Evaluation } from './evaluate/types.ts';
import { formatMoney } from './money.ts';
import { addDays } from './period.ts';
import type { EndpointInfo } from './types.ts';

/** Days closer to as-of than this may still change (Cost Explorer restates the last days); older ones are closed. */
export const OPEN_DAYS = 3;

export interface CycleRecords {
  readonly closedDays: readonly { budget: string; day: string; amount: string }[];
  readonly exceptions: readonly { budget: string; reason: string; approvedBy: string; expires: string }[];
  /** Each variant's instance type and count as the cycle's inventory read them, on the cycle's day. */
  readonly inventory?: readonly {
    day: string;
    endpoint: string;
    variant: string;
    instanceType: string;
    count: number;
  }[];
  readonly asOf: string;
}

/**
 * What one cycle leaves in the ledger besides its alerts (those are planned against the ledger's earlier records:
 * see `planAlerts`): the closed days' spend per budget, the exceptions seen, and the day's inventory (instance type
 * and count per variant, where the inventory knows them), so that a later cycle knows which type an endpoint ran
 * on a day after it changed.
 */
export function cycleRecords(
  evaluation: Evaluation,
  file: BudgetFile,
  inventory: readonly EndpointInfo[] = [],
): CycleRecords {
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
  const days = inventory.flatMap((e) =>
    (e.variants ?? []).flatMap((v) =>
      v.instanceType && v.instanceCount !== undefined
        ? [
            {
              day: result.asOf,
              endpoint: e.name,
              variant: v.name,
              instanceType: v.instanceType,
              count: v.instanceCount,
            },
          ]
        : [],
    ),
  );
  return { closedDays, exceptions, ...(days.length ? { inventory: days } : {}), asOf: result.asOf };
}
