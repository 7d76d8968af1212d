/**
 * The report's rows of scaling actions and approvals: changes made (or approved) in the period, changes planned and
 * held, and the audit trail of approve mode.
 */
import type { ApprovalRecord, ActionRecord as ScalingAction } from '../core/plan/types.ts';
import { describeChange } from './actions.ts';

/** A scaling change planned and not applied, with why. */
export interface PlannedChange {
  readonly id: string;
  readonly status: string;
  readonly budget: string;
  readonly endpoint: string;
  readonly kind: string;
  readonly change: string;
  /** Predicted saving over the rest of the period (negative: it costs), currency units. */
  readonly estimatedSavings: number | null;
  readonly reason: string;
}

/** An action that went past "recommended": approved in Slack, applied by the actuator, or rolled back. */
export interface ActionRecord {
  readonly state: 'approved' | 'applied' | 'rolled-back';
  /** ISO timestamp of the state change. */
  readonly at: string;
  readonly budget: string;
  readonly endpoint?: string;
  readonly type: string;
  readonly description: string;
  /** Who approved it, or what applied or rolled it back. */
  readonly by?: string;
  readonly reason?: string;
}

/** One approval, rejection or refusal of the period. */
export interface ApprovalRow {
  readonly at: string;
  readonly by: string;
  readonly via: string;
  /** `approved`, `rejected`, or `refused (<reason>)`. */
  readonly outcome: string;
  readonly actionId: string | null;
  readonly budget: string | null;
  readonly detail: string;
}

export function approvalRows(records: readonly ApprovalRecord[]): ApprovalRow[] {
  return records.map((r) => ({
    at: r.at,
    by: r.by,
    via: r.via,
    outcome: r.reason ? `${r.outcome} (${r.reason})` : r.outcome,
    actionId: r.actionId ?? null,
    budget: r.budget ?? null,
    detail: r.detail,
  }));
}

export const CHANGED: ReadonlySet<ScalingAction['status']> = new Set(['applied', 'verified', 'rolled-back']);

/**
 * An approved (not yet applied), applied, verified or rolled-back scaling change as a record of the period: what
 * changed, who approved it, and what it saved.
 */
export function scalingRecord(a: ScalingAction): ActionRecord[] {
  const last = a.history.at(-1);
  if (a.status === 'approved') {
    const by = [...a.history].reverse().find((e) => e.status === 'approved')?.by;
    return [
      {
        state: 'approved',
        at: last?.at ?? a.createdAt,
        budget: a.budget,
        endpoint: a.resource.endpoint,
        type: `${a.kind} (${a.id}, approved)`,
        description: `${describeChange(a.before, a.after)}; applied by the next cycle that may write`,
        ...(by ? { by } : {}),
        ...(a.reason ? { reason: a.reason } : {}),
      },
    ];
  }
  if (!CHANGED.has(a.status)) return [];
  const measured =
    a.measured?.saving === null || a.measured?.saving === undefined
      ? a.status === 'applied'
        ? 'saving not yet measured'
        : 'saving not measured'
      : `measured saving ${a.measured.saving.toFixed(2)} over ${a.measured.hours} h`;
  return [
    {
      state: a.status === 'rolled-back' ? 'rolled-back' : 'applied',
      at: last?.at ?? a.createdAt,
      budget: a.budget,
      endpoint: a.resource.endpoint,
      type: `${a.kind} (${a.id}, ${a.status})`,
      description: `${describeChange(a.before, a.after)}; predicted saving ${(a.estimatedSavings ?? 0).toFixed(2)}, ${measured}`,
      ...(a.reason ? { reason: a.reason } : {}),
    },
  ];
}

export function plannedAction(a: ScalingAction): PlannedChange {
  return {
    id: a.id,
    status: a.status,
    budget: a.budget,
    endpoint: a.resource.endpoint,
    kind: a.kind,
    change: describeChange(a.before, a.after),
    estimatedSavings: a.estimatedSavings ?? null,
    reason: a.reason ?? '',
  };
}
