/**
 * Approvals in approve mode, decided without I/O: who may approve an action, until when it may be approved, and
 * what a person's decision makes of the action's record. The act path and the Slack handler move the record with
 * a conditional write on the status this expects, so that of two decisions at once exactly one takes effect.
 */
import { fnv1a64 } from './action-id.ts';
import { moveAction } from './action-record.ts';
import type { ActionRecord, ApprovalChannel, ApprovalRecord, Guardrails, RefusalReason } from './types.ts';

const HOUR = 3_600_000;

export type Decision = 'approve' | 'reject';

/** An approval record's id: `apr-` and 16 hex digits of the key (a Slack request's signature, or a CLI call). */
export function approvalId(key: string): string {
  return `apr-${fnv1a64(key).toString(16).padStart(16, '0')}`;
}

/** Slack member ids are matched exactly; emails without regard to case. */
export function isApprover(g: Pick<Guardrails, 'approvers'>, who: string): boolean {
  const w = who.trim();
  if (w === '') return false;
  return g.approvers.some((a) => (a.includes('@') ? a.toLowerCase() === w.toLowerCase() : a === w));
}

/** When the action started waiting for approval (its last `pending-approval` event), ms; undefined if never. */
export function pendingSince(a: ActionRecord): number | undefined {
  for (let i = a.history.length - 1; i >= 0; i--) {
    const e = a.history[i];
    if (e?.status === 'pending-approval') return Date.parse(e.at);
  }
  return a.status === 'pending-approval' ? Date.parse(a.createdAt) : undefined;
}

/** The instant (ms) after which a pending action can no longer be approved. */
export function approvalExpiresAt(a: ActionRecord, g: Pick<Guardrails, 'approvalHours'>): number | undefined {
  const since = pendingSince(a);
  return since === undefined ? undefined : since + g.approvalHours * HOUR;
}

/** The next cycle takes a pending action past its time to `expired`, and plans afresh. */
export function isExpired(a: ActionRecord, g: Pick<Guardrails, 'approvalHours'>, now: number): boolean {
  const until = approvalExpiresAt(a, g);
  return a.status === 'pending-approval' && until !== undefined && now > until;
}

export type Judgement =
  | { readonly ok: true; readonly next: ActionRecord; readonly detail: string }
  | {
      readonly ok: false;
      readonly reason: RefusalReason;
      readonly detail: string;
      /** For an expired action: the record moved to `expired` (written if the status is still pending). */
      readonly expired?: ActionRecord;
    };

/**
 * What `who`'s decision makes of `action` at `now`: the record moved to `approved` or `rejected` (with who and when
 * in its history), or why it is refused. `g` is the guardrails of the action's budget (undefined: the budget is no
 * longer in the file, and nobody can approve its actions).
 */
export function judgeApproval(
  action: ActionRecord | undefined,
  decision: Decision,
  who: string,
  g: Pick<Guardrails, 'approvers' | 'approvalHours'> | undefined,
  now: number,
  actionId: string,
): Judgement {
  if (!action) return { ok: false, reason: 'unknown-action', detail: `No action ${actionId} in the ledger.` };
  const at = new Date(now).toISOString();
  if (action.status !== 'pending-approval')
    return {
      ok: false,
      reason: 'not-pending',
      detail: `Action ${action.id} is ${action.status}${decidedBy(action)}, not waiting for approval; nothing was changed.`,
    };
  if (!g)
    return {
      ok: false,
      reason: 'not-approver',
      detail: `Budget ${action.budget} of action ${action.id} is not in the budget file; nobody can approve its changes.`,
    };
  if (!isApprover(g, who))
    return {
      ok: false,
      reason: 'not-approver',
      detail:
        g.approvers.length === 0
          ? `Budget ${action.budget} lists no approvers (add \`approvers\` to the budget or its tier); ${who} cannot ${decision} ${action.id}.`
          : `${who} is not an approver of budget ${action.budget}; ${action.id} stays pending.`,
    };
  const until = approvalExpiresAt(action, g);
  if (until !== undefined && now > until) {
    const reason = `nobody approved it within ${g.approvalHours} h (until ${new Date(until).toISOString()})`;
    return {
      ok: false,
      reason: 'expired',
      detail: `Action ${action.id} expired at ${new Date(until).toISOString()}; the next cycle plans afresh.`,
      expired: moveAction(action, 'expired', at, reason),
    };
  }
  const status = decision === 'approve' ? 'approved' : 'rejected';
  const detail = `${status === 'approved' ? 'Approved' : 'Rejected'} by ${who}: ${action.kind} change ${action.id} of ${where(action)}.`;
  return { ok: true, next: moveAction(action, status, at, detail, who), detail };
}

/** A pending action past its time, moved to `expired`. */
export function expire(
  action: ActionRecord,
  g: Pick<Guardrails, 'approvalHours'>,
  now: number,
  why?: string,
) {
  const reason = why ?? `nobody approved it within ${g.approvalHours} h`;
  return moveAction(action, 'expired', new Date(now).toISOString(), reason);
}

/** The audit record of one decision or refusal. */
export function approvalRecord(o: {
  readonly key: string;
  readonly outcome: ApprovalRecord['outcome'];
  readonly reason?: RefusalReason;
  readonly action?: ActionRecord;
  readonly actionId?: string;
  readonly by: string;
  readonly via: ApprovalChannel;
  readonly now: number;
  readonly detail: string;
}): ApprovalRecord {
  const actionId = o.action?.id ?? o.actionId;
  return {
    id: approvalId(o.key),
    outcome: o.outcome,
    ...(o.reason ? { reason: o.reason } : {}),
    ...(actionId ? { actionId } : {}),
    ...(o.action ? { budget: o.action.budget, endpoint: o.action.resource.endpoint } : {}),
    by: o.by,
    via: o.via,
    at: new Date(o.now).toISOString(),
    detail: o.detail,
  };
}

export function where(a: ActionRecord): string {
  return a.resource.variant ? `${a.resource.endpoint}/${a.resource.variant}` : a.resource.resourceId;
}

function decidedBy(a: ActionRecord): string {
  const e = [...a.history].reverse().find((h) => h.status === 'approved' || h.status === 'rejected');
  return e?.by ? ` (${e.status} by ${e.by} at ${e.at})` : '';
}
