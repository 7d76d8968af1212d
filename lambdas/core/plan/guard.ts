/**
 * The last word before a write: whether a plan is applied, waits for approval, stays a recommendation or is held,
 * and how far it may go in one change. Each rule is checked in a fixed order and the first that holds the plan
 * decides, with one sentence a reader can act on; the capacity rules clamp the plan instead of dropping it.
 */
import type { EndpointInfo } from '../types.ts';
import { floorFor } from './guardrails.ts';
import { sameState } from './planner.ts';
import {
  COMPONENT_DIMENSION,
  type Guardrails,
  MANAGED_TAG,
  type ObservedScaling,
  type ScalingPlan,
  type ScalingState,
  type SkipReason,
  TARGET_METRIC,
  TOOL_PREFIX,
} from './types.ts';
import { nextOpen, openWindow } from './windows.ts';

export interface GuardContext {
  readonly guardrails: Guardrails;
  readonly endpoint: EndpointInfo;
  readonly observed: ObservedScaling;
  /** The newest applied change on this endpoint (ms), from the ledger. */
  readonly lastAppliedAt?: number;
  readonly now: number;
  /** The billing time zone, in which freeze and allow windows open. */
  readonly timezone: string;
  /** False for runs on local files: nothing there can be written. */
  readonly live: boolean;
}

export type GuardOutcome = 'apply' | 'pending-approval' | 'recommended' | 'skip';

export interface GuardDecision {
  readonly outcome: GuardOutcome;
  /** Set when the outcome is `skip`. */
  readonly reason?: SkipReason;
  readonly message: string;
  /** The plan as it may be made: `after` clamped by the capacity rules. */
  readonly plan: ScalingPlan;
  /** One sentence per capacity rule that changed `after`. */
  readonly clamped: readonly string[];
}

const HOUR = 3_600_000;
const TARGET_TRACKING = 'TargetTrackingScaling';
/** Burstable instances (ml.t2, ml.t3, ...) cannot be autoscaled by SageMaker. */
const BURSTABLE = /^ml\.t\d/;

export function guard(plan: ScalingPlan, ctx: GuardContext): GuardDecision {
  const g = ctx.guardrails;
  const name = ctx.endpoint.name;
  const skip = (reason: SkipReason, message: string): GuardDecision => ({
    outcome: 'skip',
    reason,
    message,
    plan,
    clamped: [],
  });

  if (g.mode === 'advise')
    return {
      outcome: 'recommended',
      message: `Advise mode: this change of ${name} is recommended, never made by the tool.`,
      plan,
      clamped: [],
    };
  const unsupported = unsupportedChange(plan, ctx.endpoint, g);
  if (unsupported !== undefined) return skip('unsupported', unsupported);
  if (ctx.endpoint.tags[MANAGED_TAG] !== 'true')
    return skip('not-managed', `${name} is not tagged ${MANAGED_TAG}=true, so the tool never changes it.`);
  // files hold no endpoint status: a local run judges the rest and holds the change as local-run
  if (ctx.endpoint.status !== 'InService' && (ctx.live || ctx.endpoint.status !== undefined))
    return skip(
      'not-in-service',
      `${name} is ${ctx.endpoint.status ?? 'of unknown status'}, not InService; the change waits until it is.`,
    );
  const type = plan.resource.instanceType ?? ctx.endpoint.instanceType;
  if (type !== undefined && BURSTABLE.test(type))
    return skip(
      'burstable-instance',
      `${name} runs on ${type}, a burstable type SageMaker cannot autoscale.`,
    );
  const foreign = ctx.observed.foreignPolicies.find((p) => p.type === TARGET_TRACKING);
  if (foreign !== undefined && changesTargetTracking(plan))
    return skip(
      'foreign-policy',
      `${plan.resource.resourceId} already has the target-tracking policy "${foreign.name}", which the tool does not own; two would fight.`,
    );
  const hold = timeHold(name, g, ctx);
  if (hold) return skip(hold.reason, hold.message);

  const { after, notes } = clampCapacity(plan, g, floorFor(g, name));
  const clamped = { plan: after === plan.after ? plan : { ...plan, after }, clamped: notes };
  const also = notes.length > 0 ? ` ${notes.join(' ')}` : '';
  if (sameState(after, plan.before))
    return {
      outcome: 'skip',
      reason: 'no-change',
      message: `Within its guardrails nothing of ${name} would change.${also}`,
      ...clamped,
    };
  // a change that could not be made is never put to an approver: approving it would change nothing
  const would = g.mode === 'approve' ? 'would wait for an approver' : 'would be made';
  if (g.dryRun)
    return {
      outcome: 'skip',
      reason: 'dry-run',
      message: `Dry run: the change of ${name} ${would}, and is not.${also}`,
      ...clamped,
    };
  if (!ctx.live)
    return {
      outcome: 'skip',
      reason: 'local-run',
      message: `A run on local files changes nothing; on the account, the change of ${name} ${would}.${also}`,
      ...clamped,
    };
  if (g.mode === 'approve')
    return {
      outcome: 'pending-approval',
      message: `Approve mode: the change of ${name} waits for an approver${waitsFor(g)}.${also}`,
      ...clamped,
    };
  return {
    outcome: 'apply',
    message: `The change of ${name} is within its guardrails and is made.${also}`,
    ...clamped,
  };
}

/** Who may approve, and for how long; or that nobody is listed, so the change expires unapplied. */
function waitsFor(g: Guardrails): string {
  if (g.approvers.length === 0)
    return ` for ${g.approvalHours} h, and no approvers are listed (add \`approvers\` to the budget or its tier): it expires unapplied`;
  return ` (${g.approvers.join(', ')}) for ${g.approvalHours} h`;
}

/**
 * The holds of time: the endpoint's cooldown since its last change, an open freeze window, or no allowed window
 * open. Checked again when an approved change is applied, since time has passed since it was planned.
 */
export function timeHold(
  name: string,
  g: Pick<Guardrails, 'cooldownHours' | 'freeze' | 'allow'>,
  ctx: Pick<GuardContext, 'lastAppliedAt' | 'now' | 'timezone'>,
): { readonly reason: SkipReason; readonly message: string } | undefined {
  if (ctx.lastAppliedAt !== undefined && ctx.now - ctx.lastAppliedAt < g.cooldownHours * HOUR)
    return {
      reason: 'cooldown',
      message: `${name} was changed at ${iso(ctx.lastAppliedAt)}; the next change waits until ${iso(ctx.lastAppliedAt + g.cooldownHours * HOUR)} (cooldown ${g.cooldownHours} h).`,
    };
  const frozen = openWindow(g.freeze, ctx.now, ctx.timezone);
  if (frozen !== undefined)
    return {
      reason: 'freeze',
      message: `A freeze window ("${frozen.cron}" for ${frozen.durationHours} h, ${ctx.timezone}) is open until ${iso(frozen.closesAt)}; the change is held until then.`,
    };
  if (g.allow.length > 0 && openWindow(g.allow, ctx.now, ctx.timezone) === undefined) {
    const next = nextOpen(g.allow, ctx.now, ctx.timezone);
    return {
      reason: 'outside-window',
      message: `No allowed change window is open (${ctx.timezone}); the change is held until one opens${next === undefined ? '' : ` at ${iso(next)}`}.`,
    };
  }
  return undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');

/**
 * A plan changes only what Application Auto Scaling writes: the target's min and max, the tool's own policies and
 * scheduled actions. Anything else (another instance type, a deregistered target, another metric, a foreign name)
 * is never automatic.
 */
function unsupportedChange(plan: ScalingPlan, endpoint: EndpointInfo, g: Guardrails): string | undefined {
  const id = plan.resource.resourceId;
  const current = plan.resource.variant
    ? (endpoint.variants?.find((v) => v.name === plan.resource.variant)?.instanceType ??
      endpoint.instanceType)
    : endpoint.instanceType;
  if (
    plan.resource.instanceType !== undefined &&
    current !== undefined &&
    plan.resource.instanceType !== current
  )
    return `Changing ${id} from ${current} to ${plan.resource.instanceType} is an instance-type change, never automatic: advise or approve it.`;
  if (plan.after.target === null && plan.before.target !== null)
    return `Removing the scalable target of ${id} is never automatic.`;
  const metric = TARGET_METRIC[plan.resource.dimension];
  if (plan.after.targetTracking !== null && plan.after.targetTracking.metric !== metric)
    return `Target tracking of ${id} follows ${metric}; the plan names ${plan.after.targetTracking.metric}.`;
  const foreign = plan.after.schedules.find((s) => !s.name.startsWith(TOOL_PREFIX));
  if (foreign !== undefined)
    return `The scheduled action "${foreign.name}" is not named ${TOOL_PREFIX}*; the tool writes only its own.`;
  if (plan.after.wakeOnRequest && plan.resource.dimension !== COMPONENT_DIMENSION)
    return `Only inference components scale to zero and wake on request; ${id} is a production variant.`;
  const known = new Set(plan.before.schedules.map((s) => s.name));
  if (!g.schedules && plan.after.schedules.some((s) => !known.has(s.name)))
    return `Off-hours schedules are off for this budget (its tier or environment), so ${id} gets none.`;
  return undefined;
}

function changesTargetTracking(plan: ScalingPlan): boolean {
  const a = plan.after.targetTracking;
  return a !== null && JSON.stringify(a) !== JSON.stringify(plan.before.targetTracking);
}

/** The fewest one change may leave of `current` when it lowers it: it removes at most `percent` of it. */
export function stepFloor(current: number, percent: number): number {
  return current - Math.floor((current * percent) / 100);
}

/**
 * Clamps `after` to the capacity rules: the largest step (of min and of max), the latency-safe floor and the
 * maximum. Zero is reached only by a permitted scale to zero (an inference component with its wake-on-request
 * policy, on a tier that allows it), and only from a minimum of one: the last copy is the one step larger than half.
 */
export function clampCapacity(
  plan: ScalingPlan,
  g: Guardrails,
  floor: number,
): { after: ScalingState; notes: string[] } {
  const notes: string[] = [];
  const target = plan.after.target;
  if (target === null) return { after: plan.after, notes };
  const before = plan.before.target;
  // a component may go to zero copies where its tier allows it: waking on request, or an experiment past its exit
  // criteria held at zero (scaled down, never deleted)
  const zeroAllowed =
    g.scaleToZero &&
    plan.resource.dimension === COMPONENT_DIMENSION &&
    (plan.after.wakeOnRequest || plan.kind === 'experiment-floor');
  let min = target.min;
  let max = target.max;
  if (before !== null && min < before.min) {
    const least = zeroAllowed && min === 0 && before.min === 1 ? 0 : stepFloor(before.min, g.maxStepPercent);
    if (min < least) {
      notes.push(
        `The minimum is lowered to ${least}, not ${min}: one change removes at most ${g.maxStepPercent}% of it.`,
      );
      min = least;
    }
  }
  if (before !== null && max < before.max) {
    const least = stepFloor(before.max, g.maxStepPercent);
    if (max < least) {
      notes.push(
        `The maximum is lowered to ${least}, not ${max}: one change removes at most ${g.maxStepPercent}% of it.`,
      );
      max = least;
    }
  }
  // a minimum of zero serves nothing: only a permitted scale to zero may reach it, whatever the floor says
  const safe = zeroAllowed && min === 0 ? 0 : Math.max(floor, 1);
  if (min < safe) {
    notes.push(
      `The minimum is raised to ${safe}, not ${min}: the latency-safe floor of ${plan.resource.endpoint}.`,
    );
    min = safe;
  }
  if (g.maxInstances !== undefined && max > g.maxInstances) {
    const cap = Math.max(g.maxInstances, Math.min(max, before?.max ?? 0));
    if (cap < max) {
      notes.push(`The maximum is held at ${cap}, not ${max}: no change raises it above ${g.maxInstances}.`);
      max = cap;
    }
  }
  if (max < min) {
    notes.push(`The maximum is raised to ${min}, the minimum, not ${max}.`);
    max = min;
  }
  if (min === target.min && max === target.max) return { after: plan.after, notes };
  return { after: { ...plan.after, target: { min, max } }, notes };
}
