/**
 * Approve mode's application layer, the same for a Slack button, the CLI and the act step: decide a person's
 * approval or rejection of a pending action (moving it exactly once, by a write conditional on `pending-approval`),
 * record every decision and refusal in the audit trail, and apply an approved change: checked again against the
 * time guardrails and the scaling it was planned on, claimed by a conditional write, then written.
 */
import type { BudgetFile } from '../core/budget.ts';
import { moveAction } from '../core/plan/action-record.ts';
import {
  approvalId,
  approvalRecord,
  type Decision,
  expire,
  isExpired,
  judgeApproval,
  where,
} from '../core/plan/approval.ts';
import { timeHold } from '../core/plan/guard.ts';
import { resolveGuardrails } from '../core/plan/guardrails.ts';
import { sameState } from '../core/plan/planner.ts';
import {
  type ActionRecord,
  type ApprovalChannel,
  type ApprovalOutcome,
  type ApprovalRecord,
  type Guardrails,
  NO_SCALING,
  type RefusalReason,
  type ScalingPlan,
  type ScalingState,
} from '../core/plan/types.ts';
import type { ActionLedger, ApprovalAudit, Scaler } from '../ports.ts';

export interface ApprovalRequest {
  readonly actionId: string;
  readonly decision: Decision;
  /** Who decides: a Slack member id (verified by the request's signature), or the name given with `--as`. */
  readonly by: string;
  readonly via: ApprovalChannel;
  /**
   * What identifies this one request (a Slack request: its timestamp and signature): the audit record of its
   * decision is keyed by it, so the same request seen again is known as a replay.
   */
  readonly key: string;
}

export interface ApprovalResult {
  readonly outcome: ApprovalOutcome;
  readonly reason?: RefusalReason;
  /** The audit record written. */
  readonly record: ApprovalRecord;
  /** The action as it stands after the decision (absent: no such action). */
  readonly action?: ActionRecord;
  readonly detail: string;
}

export type ApprovalLedger = ActionLedger & ApprovalAudit;

/**
 * Decides one request: a replay of a request already decided, an unknown action, one no longer pending, one past
 * its approval time (moved to `expired`), or a person who is not an approver of its budget is refused and changes
 * nothing; otherwise the action moves from `pending-approval` to `approved` or `rejected` once: of two decisions at
 * once, the second finds it moved and is refused.
 */
export async function decideApproval(o: {
  readonly request: ApprovalRequest;
  readonly file: BudgetFile;
  readonly ledger: ApprovalLedger;
  readonly now: number;
}): Promise<ApprovalResult> {
  const { request: q, ledger, now } = o;
  const refuse = (reason: RefusalReason, detail: string, action?: ActionRecord) =>
    refuseRequest(ledger, { ...q, reason, detail, now, ...(action ? { action } : {}) });
  if ((await ledger.approvals({ id: approvalId(q.key) })).length > 0)
    return refuse('replay', `This request was decided before; ${q.actionId} is not changed again.`);
  const [action] = await ledger.actions({ id: q.actionId });
  const g = action ? guardrailsOf(o.file, action.budget) : undefined;
  const j = judgeApproval(action, q.decision, q.by, g, now, q.actionId);
  if (!j.ok) {
    if (j.expired && (await ledger.putAction(j.expired, 'pending-approval')))
      return refuse(j.reason, j.detail, j.expired);
    return refuse(j.reason, j.detail, action);
  }
  if (!(await ledger.putAction(j.next, 'pending-approval'))) {
    // another decision moved it first: say what it found
    const [now2] = await ledger.actions({ id: q.actionId });
    const again = judgeApproval(now2, q.decision, q.by, g, now, q.actionId);
    const detail = again.ok ? `Action ${q.actionId} changed while it was decided; try again.` : again.detail;
    return refuse(again.ok ? 'not-pending' : again.reason, detail, now2);
  }
  const outcome: ApprovalOutcome = q.decision === 'approve' ? 'approved' : 'rejected';
  const record = approvalRecord({ ...q, outcome, action: j.next, now, detail: j.detail });
  await ledger.recordApproval(record);
  return { outcome, record, action: j.next, detail: j.detail };
}

/**
 * Records a refusal: of a request no action's state was consulted for (a bad signature, a stale timestamp, a request
 * that is not the tool's), with who the request claimed to be, or of a decision on `action`.
 */
export async function refuseRequest(
  audit: ApprovalAudit,
  o: {
    readonly key: string;
    readonly reason: RefusalReason;
    readonly by: string;
    readonly via: ApprovalChannel;
    readonly actionId?: string;
    readonly action?: ActionRecord;
    readonly detail: string;
    readonly now: number;
  },
): Promise<ApprovalResult> {
  // each refusal is its own record (a replayed refusal is refused, and recorded, again)
  const key = `${o.key}|refused|${o.reason}|${new Date(o.now).toISOString()}`;
  const record = approvalRecord({ ...o, key, outcome: 'refused' });
  await audit.recordApproval(record);
  return {
    outcome: 'refused',
    reason: o.reason,
    record,
    ...(o.action ? { action: o.action } : {}),
    detail: o.detail,
  };
}

export type ApplyStatus = 'applied' | 'failed' | 'held' | 'not-approved';

export interface ApplyResult {
  readonly status: ApplyStatus;
  readonly action?: ActionRecord;
  readonly detail: string;
  /** The Application Auto Scaling calls made, in order. */
  readonly calls: readonly string[];
}

/**
 * Applies an approved action: held (still approved, the next cycle tries again) while a dry run, cooldown, freeze
 * or closed allow window says so; failed, writing nothing, when the resource's scaling is no longer the state it
 * was planned on (the next cycle plans afresh); otherwise claimed (`approved` -> `applied`, so that two appliers
 * cannot both write) and written. A write that fails leaves the action `failed` with the error.
 */
export async function applyApproved(o: {
  readonly id: string;
  readonly file: BudgetFile;
  readonly ledger: ActionLedger;
  readonly scaler: Scaler;
  readonly now: number;
  readonly dryRun?: boolean;
}): Promise<ApplyResult> {
  const at = new Date(o.now).toISOString();
  const [rec] = await o.ledger.actions({ id: o.id });
  if (!rec) return { status: 'not-approved', detail: `No action ${o.id} in the ledger.`, calls: [] };
  if (rec.status !== 'approved')
    return {
      status: 'not-approved',
      action: rec,
      detail: `Action ${rec.id} is ${rec.status}, not approved; nothing was written.`,
      calls: [],
    };
  const fail = async (reason: string, calls: readonly string[] = [], expect = 'approved' as const) => {
    const failed = moveAction(rec, 'failed', at, reason);
    const stored = await o.ledger.putAction(failed, expect);
    return { status: 'failed' as const, action: stored ? failed : rec, detail: reason, calls };
  };
  const g = guardrailsOf(o.file, rec.budget);
  if (!g) return fail(`Budget ${rec.budget} is no longer in the budget file; the change is not made.`);
  if (o.dryRun || g.dryRun)
    return {
      status: 'held',
      action: rec,
      detail: `Dry run: approved ${rec.id} would change ${where(rec)} and does not.`,
      calls: [],
    };
  const hold = timeHold(rec.resource.endpoint, g, {
    lastAppliedAt: lastChange(
      await o.ledger.actions({ endpoint: rec.resource.endpoint }),
      rec.resource.endpoint,
      rec.id,
    ),
    now: o.now,
    timezone: o.file.billingPeriod.timezone,
  });
  if (hold)
    return {
      status: 'held',
      action: rec,
      detail: `Approved, held (${hold.reason}): ${hold.message} The next cycle applies it.`,
      calls: [],
    };
  let current: ScalingState;
  try {
    current = (await o.scaler.read([rec.resource])).get(rec.resource.resourceId)?.state ?? NO_SCALING;
  } catch (err) {
    return {
      status: 'held',
      action: rec,
      detail: `Approved, held: the scaling of ${where(rec)} could not be read (${messageOf(err)}); the next cycle applies it.`,
      calls: [],
    };
  }
  if (!sameState(current, rec.before))
    return fail(
      `The scaling of ${where(rec)} changed since the change was planned (${describe(rec.before)} then, ${describe(current)} now); nothing was written, and the next cycle plans afresh.`,
    );
  const claimed: ActionRecord = {
    ...moveAction(rec, 'applied', at, 'Approved change applied.'),
    appliedAt: at,
  };
  if (!(await o.ledger.putAction(claimed, 'approved'))) {
    const [now2] = await o.ledger.actions({ id: o.id });
    return {
      status: 'not-approved',
      ...(now2 ? { action: now2 } : {}),
      detail: `Action ${rec.id} was taken by another applier (now ${now2?.status ?? 'gone'}); nothing was written here.`,
      calls: [],
    };
  }
  try {
    const calls = await o.scaler.write(rec.resource, current, rec.after);
    return {
      status: 'applied',
      action: claimed,
      detail: `Applied: ${where(rec)} is now ${describe(rec.after)} (was ${describe(rec.before)}).`,
      calls,
    };
  } catch (err) {
    const failed = moveAction(claimed, 'failed', at, messageOf(err));
    await o.ledger.putAction(failed, 'applied');
    return { status: 'failed', action: failed, detail: `The change failed: ${messageOf(err)}`, calls: [] };
  }
}

/**
 * Pending changes past their approval time expire (a plan's ledger: also in file runs); approved ones are applied
 * when this run may write, each checked again against time guardrails and the scaling it was planned on.
 */
export async function settleApprovals(o: {
  readonly file: BudgetFile;
  readonly ledger: ActionLedger;
  readonly now: number;
  /** Absent: this run writes nothing, and approved changes wait for one that does. */
  readonly scaler?: Scaler;
  /** Whether the scaler reaches a resource (its account and region). */
  readonly reaches: (resourceId: string) => boolean;
}) {
  const { ledger } = o;
  const out = { actions: [] as ActionRecord[], applied: [] as string[], failed: [] as string[] };
  const waiting = await ledger.actions({ statuses: ['pending-approval', 'approved'] });
  for (const rec of waiting) {
    const budget = o.file.budgets.find((b) => b.name === rec.budget);
    if (!budget) continue;
    const g = resolveGuardrails(o.file, budget);
    if (rec.status === 'pending-approval') {
      if (!isExpired(rec, g, o.now)) continue;
      const next = expire(rec, g, o.now);
      if (await ledger.putAction(next, 'pending-approval')) out.actions.push(next);
      continue;
    }
    if (!o.scaler || !o.reaches(rec.resource.resourceId)) {
      out.actions.push(rec);
      continue;
    }
    const r = await applyApproved({ id: rec.id, file: o.file, ledger, scaler: o.scaler, now: o.now });
    if (r.status === 'applied') out.applied.push(rec.id);
    if (r.status === 'failed') out.failed.push(rec.id);
    out.actions.push(r.action ?? rec);
  }
  return out;
}

/**
 * An earlier day's record of the same change of the same resource (same kind, same state before and after) that
 * still stands: waiting for approval within its time, or rejected this period. Undefined when none does.
 */
export function sameChange(
  history: readonly ActionRecord[],
  plan: ScalingPlan,
  id: string,
  period: { readonly start: string; readonly end: string },
  now: number,
  g: Guardrails,
): ActionRecord | undefined {
  return history.find(
    (h) =>
      h.id !== id &&
      h.resource.resourceId === plan.resource.resourceId &&
      h.kind === plan.kind &&
      sameState(h.before, plan.before) &&
      sameState(h.after, plan.after) &&
      ((h.status === 'pending-approval' && !isExpired(h, g, now)) ||
        (h.status === 'rejected' && h.asOf >= period.start && h.asOf < period.end)),
  );
}

/** Earlier changes of the resource still waiting for approval are expired: this cycle's plan replaces them. */
export async function supersede(
  ledger: ActionLedger,
  history: readonly ActionRecord[],
  plan: ScalingPlan,
  id: string,
  at: string,
): Promise<ActionRecord[]> {
  const out: ActionRecord[] = [];
  for (const h of history) {
    if (h.id === id || h.status !== 'pending-approval' || h.resource.resourceId !== plan.resource.resourceId)
      continue;
    const reason = `superseded by ${id}, planned on newer evidence`;
    const next = moveAction(h, 'expired', at, reason);
    if (await ledger.putAction(next, 'pending-approval')) out.push(next);
  }
  return out;
}

function guardrailsOf(file: BudgetFile, budget: string): Guardrails | undefined {
  const b = file.budgets.find((x) => x.name === budget);
  return b ? resolveGuardrails(file, b) : undefined;
}

/** The newest change the tool made to an endpoint (applied or rolled back) other than `except`, ms. */
export function lastChange(
  history: readonly ActionRecord[],
  endpoint: string,
  except?: string,
): number | undefined {
  let last: number | undefined;
  for (const h of history) {
    if (h.resource.endpoint !== endpoint || h.id === except) continue;
    for (const e of h.history) {
      if (e.status !== 'applied' && e.status !== 'rolled-back') continue;
      const t = Date.parse(e.at);
      if (last === undefined || t > last) last = t;
    }
  }
  return last;
}

function describe(s: ScalingState): string {
  return s.target ? `min ${s.target.min}, max ${s.target.max}` : 'no scaling target';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
