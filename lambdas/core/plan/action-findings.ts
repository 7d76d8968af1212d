/**
 * What the act step adds to a cycle's findings: one finding per scaling change rolled back, so that the alert
 * machinery tells the budget's owners once what was undone and why, and one per change waiting for approval, so
 * that its approvers are asked once.
 */
import type { BudgetFile } from '../budget.ts';
import type { CycleResult } from '../evaluate/types.ts';
import { displayMoney, moneyFromNumber } from '../money.ts';
import type { Finding } from '../types.ts';
import { approvalExpiresAt, where } from './approval.ts';
import { resolveGuardrails } from './guardrails.ts';
import type { ActionRecord, ApprovalRecord } from './types.ts';

/** The rolled-back actions as findings of their budgets. */
export function rollbackFinding(a: ActionRecord): Finding {
  const restored = a.before.target
    ? `min ${a.before.target.min}, max ${a.before.target.max}`
    : 'no scaling target';
  return {
    kind: 'change-rolled-back',
    budget: a.budget,
    endpoint: a.resource.endpoint,
    severity: 'warning',
    message: `Rolled back ${a.kind} change ${a.id} of ${where(a)}: ${a.reason ?? 'no reason recorded'}. Restored the recorded state (${restored}).`,
    actions: [],
    key: `change-rolled-back|${a.budget}|${a.resource.endpoint}|${a.id}`,
  };
}

const money = (x: number, currency: string) => displayMoney(moneyFromNumber(x), currency);

/** A change waiting for approval as a finding of its budget: who may approve it, and until when. */
export function pendingFinding(a: ActionRecord, file: BudgetFile): Finding | undefined {
  const budget = file.budgets.find((b) => b.name === a.budget);
  if (!budget) return undefined;
  const g = resolveGuardrails(file, budget);
  const until = approvalExpiresAt(a, g);
  if (until === undefined) return undefined;
  const expiresAt = new Date(until).toISOString();
  const saving = a.estimatedSavings ?? 0;
  const effect =
    saving >= 0
      ? `saves an estimated ${money(saving, file.currency)} this period`
      : `costs an estimated ${money(-saving, file.currency)} more this period`;
  const from = a.before.target
    ? `min ${a.before.target.min}, max ${a.before.target.max}`
    : 'no scaling target';
  const to = a.after.target ? `min ${a.after.target.min}, max ${a.after.target.max}` : 'no scaling target';
  const who =
    g.approvers.length > 0
      ? `Approvers: ${g.approvers.join(', ')}`
      : `No approvers are listed for ${a.budget} (add \`approvers\` to the budget or its tier): it expires unapplied`;
  return {
    kind: 'change-pending-approval',
    budget: a.budget,
    endpoint: a.resource.endpoint,
    severity: 'info',
    message:
      `${a.kind} change ${a.id} of ${where(a)} waits for approval until ${expiresAt}. ${from} to ${to}; ${effect}. ${a.why ?? ''} ${who}; approve with \`perf-budgets approve ${a.id} --as <you>\`.`.replace(
        /\s+/g,
        ' ',
      ),
    actions: [],
    key: `change-pending-approval|${a.budget}|${a.resource.endpoint}|${a.id}`,
    approval: { actionId: a.id, expiresAt, approvers: g.approvers },
  };
}

/**
 * The result with each rolled-back action's finding, and each action waiting for approval's, added to its budget.
 */
export function withActionFindings(
  result: CycleResult,
  actions: readonly ActionRecord[],
  file: BudgetFile,
  approvals?: readonly ApprovalRecord[],
): CycleResult {
  const audit = approvals && approvals.length > 0 ? { approvals } : {};
  const found = actions.flatMap((a) => {
    if (a.status === 'rolled-back') return [rollbackFinding(a)];
    const f = a.status === 'pending-approval' ? pendingFinding(a, file) : undefined;
    return f ? [f] : [];
  });
  if (found.length === 0) return { ...result, actions, ...audit };
  return {
    ...result,
    actions,
    ...audit,
    budgets: result.budgets.map((b) => {
      const mine = found.filter((f) => f.budget === b.name);
      return mine.length > 0 ? { ...b, findings: [...b.findings, ...mine] } : b;
    }),
  };
}
