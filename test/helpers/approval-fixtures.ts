import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import type { ActionRecord, ScalingState } from '../../lambdas/core/plan/types.ts';
import { action } from './ledger.ts';
import { MemoryScaler } from './memory-scaler.ts';
import { ACTION_ID, APPROVER } from './slack-interaction.ts';

/** When the change started to wait for approval; it may be approved for 24 hours from then. */
export const PENDING_AT = '2026-11-20T06:00:00.000Z';

/** search-prod in the production tier, approve mode, with one approver (a Slack member). */
export function approvalFile(
  over: { dryRun?: boolean; approvers?: string[]; accounts?: readonly object[] } = {},
): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    ...(over.accounts ? { accounts: over.accounts } : {}),
    tiers: {
      production: {
        mode: 'approve',
        approvers: over.approvers ?? [APPROVER, 'sre-lead@example.com'],
        ...(over.dryRun ? { dryRun: true } : {}),
      },
    },
    budgets: [
      {
        name: 'search-prod',
        owner: 'search-team@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { endpoints: ['search-*'] },
        limits: { spendPerPeriod: 12000 },
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

/** A change of search-prod's primary variant waiting for approval since `at`. */
export function pendingAction(id = ACTION_ID, at = PENDING_AT): ActionRecord {
  const {
    appliedAt: _,
    measured: __,
    ...rest
  } = action(id, {
    status: 'pending-approval',
    createdAt: at,
    history: [
      { status: 'recommended', at },
      { status: 'pending-approval', at, reason: 'approve mode: waiting for an approver' },
    ],
  });
  return rest;
}

/** An in-memory Application Auto Scaling where search-prod's primary variant has the scaling `state`. */
export function scalerAt(state: ScalingState): MemoryScaler {
  const scaler = new MemoryScaler();
  scaler.states.set(pendingAction().resource.resourceId, state);
  return scaler;
}
