import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import type {
  ActionRecord,
  ObservedScaling,
  ScalableResource,
  ScalingState,
} from '../../lambdas/core/plan/types.ts';
import type { Scaler } from '../../lambdas/ports.ts';
import { action } from './ledger.ts';
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

/**
 * A Scaler over one account held in memory: each resource's scaling starts as `initial` and becomes what is
 * written; every write is recorded.
 */
export class RecordingScaler implements Scaler {
  readonly writes: { resource: string; from: ScalingState; to: ScalingState }[] = [];
  readonly #state = new Map<string, ScalingState>();

  constructor(private readonly initial: ScalingState) {}

  stateOf(resourceId: string): ScalingState {
    return this.#state.get(resourceId) ?? this.initial;
  }

  async read(resources: readonly ScalableResource[]): Promise<ReadonlyMap<string, ObservedScaling>> {
    return new Map(
      resources.map((r) => [
        r.resourceId,
        { state: this.stateOf(r.resourceId), foreignPolicies: [], foreignSchedules: [] },
      ]),
    );
  }

  async write(resource: ScalableResource, from: ScalingState, to: ScalingState): Promise<readonly string[]> {
    this.writes.push({ resource: resource.resourceId, from, to });
    this.#state.set(resource.resourceId, to);
    return ['RegisterScalableTarget', 'PutScheduledAction'];
  }
}
