/**
 * The act step: verify what earlier cycles applied (and roll back what hurt), plan each resource's scaling, hold
 * each plan against its guardrails, and apply what the tier's mode allows: recording the state being replaced in
 * the ledger before the write, so that every change can be undone. Both the CLI and the act Lambda run it; a file
 * run has no scaler, so its plan is shown and never applied.
 */
import type { BudgetFile } from '../core/budget.ts';
import { InputError } from '../core/errors.ts';
import type { BudgetResult, CycleResult } from '../core/evaluate/types.ts';
import { addDays, DayClock, dayStartMs, previousPeriod } from '../core/period.ts';
import { actionId } from '../core/plan/action-id.ts';
import { moveAction } from '../core/plan/action-record.ts';
import { pastExitCriteria } from '../core/plan/experiments.ts';
import { budgetStatusParameters } from '../core/plan/flags.ts';
import { type GuardDecision, guard } from '../core/plan/guard.ts';
import { resolveGuardrails } from '../core/plan/guardrails.ts';
import { type HourObservation, observeResources, type ResourceObservation } from '../core/plan/observe.ts';
import { planScaling } from '../core/plan/planner.ts';
import { managedSpotParameters, spotEstimates } from '../core/plan/spot.ts';
import {
  type ActionRecord,
  type ActionStatus,
  type ApprovalRecord,
  type Guardrails,
  NO_SCALING,
  type ObservedScaling,
  type ScalableResource,
  type ScalingPlan,
  type SkipReason,
} from '../core/plan/types.ts';
import { verifyAction } from '../core/plan/verify.ts';
import type { Allocation } from '../core/spend.ts';
import type { Action, Snapshot } from '../core/types.ts';
import type { ActionLedger, ApprovalAudit, ParameterPublisher, Scaler, TrainingJobSource } from '../ports.ts';
import { lastChange, sameChange, settleApprovals, supersede } from './approve.ts';

const HOUR = 3_600_000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

export interface ActOptions {
  readonly file: BudgetFile;
  readonly snapshot: Snapshot;
  readonly result: CycleResult;
  /** The live account's Application Auto Scaling; absent in file runs, whose plan is shown and never applied. */
  readonly scaler?: Scaler;
  readonly ledger?: ActionLedger & ApprovalAudit;
  /** Where budget status and training flags are published (SSM); absent: not published. */
  readonly parameters?: ParameterPublisher;
  /** The wall clock of the cycle (ms): cooldowns, windows, verification. */
  readonly now: number;
  /** Training jobs of the account (the managed-spot flag); absent: not read. */
  readonly training?: TrainingJobSource;
  /** The resources the scaler reaches (its account and region); absent: all of them. */
  readonly writesTo?: (resource: ScalableResource) => boolean;
  /** Writes nothing whatever the modes allow (`run --dry-run`). */
  readonly dryRun?: boolean;
  /** The evaluation's allocation of the snapshot's costs, when this process evaluated it: not made again. */
  readonly allocation?: Allocation;
}

export interface ActOutcome {
  /** What this cycle planned, held, applied, verified or rolled back, in that order. */
  readonly actions: readonly ActionRecord[];
  /** Actions of the findings (advice on the spend) besides the scaling plans. */
  readonly advised: number;
  readonly applied: readonly string[];
  readonly verified: readonly string[];
  readonly rolledBack: readonly string[];
  readonly failed: readonly string[];
  /** SSM parameters written. */
  readonly parameters: readonly string[];
  /** The period's approvals, rejections and refusals, from the ledger's audit trail (oldest first). */
  readonly approvals: readonly ApprovalRecord[];
  /** Advice to turn on managed spot training, for the tiers that may not flip the flag themselves. */
  readonly training: readonly Action[];
  /**
   * What the step could not do, each with why: scaling it could not read, resources out of its reach, training jobs
   * or flags it could not read or publish.
   */
  readonly problems: readonly string[];
}

export async function actStep(o: ActOptions): Promise<ActOutcome> {
  const live = o.scaler !== undefined;
  const writes = live && !o.dryRun;
  const all = observeResources(o.snapshot, o.file, o.allocation);
  const problems: string[] = [];
  // a scaler writes one account and region: the resources of others are neither read nor changed by it
  const observations = o.scaler && o.writesTo ? all.filter((x) => o.writesTo?.(x.resource)) : all;
  for (const x of all) {
    if (observations.includes(x)) continue;
    problems.push(
      `${x.resource.resourceId} (account ${x.resource.account ?? 'unknown'}, ${x.resource.region ?? 'unknown region'}) is not changed: this run reaches only its own account and region and the member accounts the budget file gives a role for`,
    );
  }
  const resources = observations.map((x) => x.resource);
  let observed: ReadonlyMap<string, ObservedScaling> = new Map();
  let scalingKnown = true;
  try {
    observed = o.scaler ? await o.scaler.read(resources) : fromInventory(observations);
  } catch (err) {
    // without the current scaling nothing can be planned against it, verified or undone: say so, change nothing
    problems.push(`scaling could not be read, nothing planned or verified: ${messageOf(err)}`);
    scalingKnown = false;
  }
  const byResource = new Map(observations.map((x) => [x.resource.resourceId, x]));
  const at = new Date(o.now).toISOString();
  const out: ActionRecord[] = [];
  const moved = {
    applied: [] as string[],
    verified: [] as string[],
    rolledBack: [] as string[],
    failed: [] as string[],
  };

  // 1. what earlier cycles applied: held for its window, or rolled back to the state recorded before it
  const applied = o.ledger && scalingKnown ? await o.ledger.actions({ statuses: ['applied'] }) : [];
  for (const rec of applied) {
    const x = byResource.get(rec.resource.resourceId);
    const budget = o.file.budgets.find((b) => b.name === rec.budget);
    if (!x || !budget) continue;
    const g = resolveGuardrails(o.file, budget);
    const decision = verifyAction(rec, {
      hours: x.read().hours,
      now: o.now,
      latencyCeilingMs: limitsOf(o.result, rec.budget)?.latencyP99Ms,
      guardrails: g,
      ...(x.ratePerInstanceHour !== undefined ? { ratePerInstanceHour: x.ratePerInstanceHour } : {}),
    });
    if (decision.outcome === 'wait') continue;
    if (decision.outcome === 'verified') {
      const next = moveTo(rec, 'verified', at, decision.reason, { measured: decision.measured });
      if (writes && (await o.ledger?.putAction(next, 'applied'))) moved.verified.push(rec.id);
      out.push(next);
      continue;
    }
    // roll back: to exactly the state recorded before the change
    if (!writes || !o.scaler) {
      out.push({
        ...rec,
        reason: `would roll back (dry run): ${decision.reason}`,
        measured: decision.measured,
      });
      continue;
    }
    const current = observed.get(rec.resource.resourceId)?.state ?? NO_SCALING;
    try {
      await o.scaler.write(rec.resource, current, rec.before);
      const next = moveTo(rec, 'rolled-back', at, decision.reason, { measured: decision.measured });
      if (await o.ledger?.putAction(next, 'applied')) moved.rolledBack.push(rec.id);
      out.push(next);
    } catch (err) {
      const next = { ...rec, reason: `rollback failed: ${messageOf(err)}` };
      moved.failed.push(rec.id);
      out.push(next);
    }
  }

  // 2. approvals: a pending change past its time expires; an approved one is applied, checked again first
  if (o.ledger && scalingKnown) {
    const r = await settleApprovals({
      file: o.file,
      ledger: o.ledger,
      now: o.now,
      ...(writes && o.scaler ? { scaler: o.scaler } : {}),
      reaches: (id) => byResource.has(id),
    });
    out.push(...r.actions);
    moved.applied.push(...r.applied);
    moved.failed.push(...r.failed);
  }

  // 3. this cycle's plans, each held against its guardrails
  const history = o.ledger ? await o.ledger.actions() : [];
  const period = { start: o.result.period.start, end: o.result.period.end };
  const remainingHours = Math.max(
    0,
    (dayStartMs(o.result.period.end, o.file.billingPeriod.timezone) -
      dayStartMs(o.result.asOf, o.file.billingPeriod.timezone)) /
      HOUR -
      24,
  );
  const clock = new DayClock(o.file.billingPeriod.timezone);
  for (const x of observations) {
    const current = observed.get(x.resource.resourceId);
    if (x.ratePerInstanceHour === undefined || !current) continue;
    const { hours } = x.read();
    if (hours.length === 0) continue;
    const budgetResult = o.result.budgets.find((b) => b.name === x.budget.name);
    const g = forced(resolveGuardrails(o.file, x.budget), o.dryRun);
    const plans = planScaling({
      budget: x.budget.name,
      resource: x.resource,
      current,
      hours,
      ratePerInstanceHour: x.ratePerInstanceHour,
      ...ceilingAndCap(budgetResult, hours, x.ratePerInstanceHour, remainingHours),
      remainingHours,
      now: o.now,
      timezone: o.file.billingPeriod.timezone,
      clock,
      environment: x.budget.environment,
      guardrails: g,
      pastExitCriteria: budgetResult ? pastExitCriteria(budgetResult) : false,
    });
    for (const plan of plans) {
      const id = actionId(plan, o.result.asOf);
      const known = history.find((h) => h.id === id);
      if (known && !held(known)) {
        // a rerun of the same cycle: the action is already in the ledger, nothing is written again
        out.push(known);
        continue;
      }
      const guarded =
        modelLatencyHold(plan, budgetResult) ??
        guard(plan, {
          guardrails: g,
          endpoint: x.endpoint,
          observed: current,
          lastAppliedAt: lastChange(history, x.endpoint.name),
          now: o.now,
          timezone: o.file.billingPeriod.timezone,
          live,
        });
      // a change the guardrails would make is made only where it can be recorded, and so undone
      const decision: GuardDecision =
        guarded.outcome === 'apply' && !o.ledger ? noLedger(guarded.plan) : guarded;
      // the same change still waiting for approval, or rejected this period, stands: it is not asked again
      const standing =
        !known && decision.outcome === 'pending-approval'
          ? sameChange(history, decision.plan, id, period, o.now, g)
          : undefined;
      if (standing) {
        out.push(standing);
        continue;
      }
      const fresh = record(id, decision.plan, o.result.asOf, at);
      const base = known
        ? { ...fresh, createdAt: known.createdAt, history: [...known.history, ...fresh.history] }
        : fresh;
      if (o.ledger && !known) out.push(...(await supersede(o.ledger, history, plan, id, at)));
      if (known?.status === 'expired' && decision.outcome === 'pending-approval') {
        // nobody approved it in time on this day already: it is asked afresh
        const rec = moveTo(base, 'pending-approval', at, decision.message);
        if (await o.ledger?.putAction(rec, 'expired')) out.push(rec);
        else out.push(known);
        continue;
      }
      if (known && (decision.outcome !== 'apply' || !o.scaler)) {
        // still held (or a dry run again): its record stands as it is
        out.push(known);
        continue;
      }
      if (decision.outcome !== 'apply' || !o.scaler) {
        const status: ActionStatus =
          decision.outcome === 'skip' || decision.outcome === 'apply' ? 'skipped' : decision.outcome;
        const reason = decision.reason ? `${decision.reason}: ${decision.message}` : decision.message;
        const rec = moveTo(base, status, at, reason);
        if (o.ledger) await o.ledger.putAction(rec, 'absent');
        out.push(rec);
        continue;
      }
      // the state being replaced is in the ledger before the first write
      if (!(await o.ledger?.putAction(base, known?.status ?? 'absent'))) continue;
      try {
        await o.scaler.write(plan.resource, current.state, decision.plan.after);
        const done = { ...moveTo(base, 'applied', at, decision.message), appliedAt: at };
        await o.ledger?.putAction(done, 'recommended');
        moved.applied.push(id);
        out.push(done);
      } catch (err) {
        const failed = moveTo(base, 'failed', at, messageOf(err));
        await o.ledger?.putAction(failed, 'recommended');
        moved.failed.push(id);
        out.push(failed);
      }
    }
  }

  // 4. budget status for feature flags, and the managed-spot flag of each enforce tier's training
  const flags = budgetStatusParameters(o.result.budgets);
  problems.push(...flags.problems);
  let spot: Awaited<ReturnType<typeof trainingSpot>> | undefined;
  try {
    spot = o.training ? await trainingSpot(o, o.training) : undefined;
    problems.push(...(spot?.problems ?? []));
  } catch (err) {
    problems.push(`training jobs could not be read, no managed-spot flag set: ${messageOf(err)}`);
  }
  const toPublish = new Map([...flags.parameters, ...(spot?.parameters ?? [])]);
  let parameters: readonly string[] = [];
  try {
    if (writes && o.parameters) parameters = await o.parameters.publish(toPublish);
  } catch (err) {
    problems.push(`parameters not published: ${messageOf(err)}`);
  }

  const tz = o.file.billingPeriod.timezone;
  const approvals = o.ledger
    ? await o.ledger.approvals({
        from: new Date(dayStartMs(o.result.period.start, tz)).toISOString(),
        to: new Date(dayStartMs(o.result.period.end, tz)).toISOString(),
      })
    : [];
  const advised = o.result.budgets.reduce(
    (n, b) => n + b.findings.reduce((m, f) => m + f.actions.length, 0),
    0,
  );
  // an approved change applied above is found again by its plan: each action is listed once, as first found
  const once = new Map<string, ActionRecord>();
  for (const a of out) if (!once.has(a.id)) once.set(a.id, a);
  return {
    actions: [...once.values()],
    advised,
    ...moved,
    parameters,
    approvals,
    training: spot?.actions ?? [],
    problems,
  };
}

/** Training jobs of the period and the one before: what on-demand training the managed-spot flag would save. */
async function trainingSpot(o: ActOptions, source: TrainingJobSource) {
  const period = { ...o.result.period, timezone: o.file.billingPeriod.timezone };
  const start = previousPeriod(period, o.file.billingPeriod).start;
  const jobs = await source.jobs({ start, end: addDays(o.result.asOf, 1) });
  const modes = Object.fromEntries(Object.entries(o.file.tiers).map(([t, tier]) => [t, tier.mode]));
  return managedSpotParameters(spotEstimates(jobs, o.file.budgets), modes);
}

/**
 * A plan that adds capacity for a latency the evaluation found to be the model's (the endpoint had capacity to
 * spare: its latency finding recommends reviewing the model) is held whatever the mode: it would cost, not help.
 */
function modelLatencyHold(plan: ScalingPlan, b: BudgetResult | undefined): GuardDecision | undefined {
  const name = plan.resource.endpoint;
  const modelSlow = b?.findings.some(
    (f) => f.endpoint === name && f.actions.some((a) => a.type === 'review-model-latency'),
  );
  if (!modelSlow || plan.predicted.spend <= plan.predicted.spendBefore) return undefined;
  return {
    outcome: 'skip',
    reason: 'model-latency',
    message: `${name} is over its latency ceiling with capacity to spare: the model got slower, and more instances would cost without fixing it; review the model (see its latency finding).`,
    plan,
    clamped: [],
  };
}

function noLedger(plan: ScalingPlan): GuardDecision {
  return {
    outcome: 'skip',
    reason: 'no-ledger',
    message: `No ledger to record the change of ${plan.resource.endpoint} in, so it could not be undone: run with a ledger (--state).`,
    plan,
    clamped: [],
  };
}

/** Without a live account the scaling known is the inventory's (files hold none): a plan against no target. */
function fromInventory(observations: readonly ResourceObservation[]): Map<string, ObservedScaling> {
  const out = new Map<string, ObservedScaling>();
  for (const x of observations) {
    const v = x.endpoint.variants?.find((vv) => vv.name === x.resource.variant);
    const scaling = v?.scaling ?? (x.endpoint.variants?.length ? undefined : x.endpoint.scaling);
    out.set(x.resource.resourceId, {
      state: {
        ...NO_SCALING,
        target: scaling ? { min: scaling.min, max: scaling.max } : null,
      },
      foreignPolicies: [],
      foreignSchedules: [],
    });
  }
  return out;
}

function forced(g: Guardrails, dryRun: boolean | undefined): Guardrails {
  return dryRun ? { ...g, dryRun: true } : g;
}

function limitsOf(result: CycleResult, budget: string): BudgetResult['limits'] | undefined {
  return result.budgets.find((b) => b.name === budget)?.limits;
}

/**
 * The budget's latency ceiling, and what the resource may still spend this period: the cap, less the spend to
 * date, less what the budget's forecast expects everything else to spend (its forecast less this resource at its
 * recent rate).
 */
function ceilingAndCap(
  b: BudgetResult | undefined,
  hours: readonly HourObservation[],
  ratePerInstanceHour: number,
  remainingHours: number,
): { latencyCeilingMs?: number; capRemaining?: number } {
  const ceiling = b?.limits.latencyP99Ms;
  const out: { latencyCeilingMs?: number; capRemaining?: number } = {};
  if (ceiling !== undefined) out.latencyCeilingMs = ceiling;
  if (b && b.cap !== null && b.spendToDate !== null && b.forecast.expected !== null) {
    const recent = hours.slice(-24 * 7);
    const meanInstances = recent.reduce((s, h) => s + h.instances, 0) / Math.max(1, recent.length);
    const mine = meanInstances * ratePerInstanceHour * remainingHours;
    const others = Math.max(0, b.forecast.expected - b.spendToDate - mine);
    out.capRemaining = Math.max(0, b.cap - b.spendToDate - others);
  }
  return out;
}

/** Skip reasons that hold a change for now without deciding against it: a later run of the same day may make it. */
const HELD: readonly SkipReason[] = ['dry-run', 'cooldown', 'freeze', 'outside-window', 'not-in-service'];

/** A change this day's cycle held (or that expired unapproved), which a rerun decides again. */
function held(rec: ActionRecord): boolean {
  if (rec.status === 'expired') return true;
  return rec.status === 'skipped' && HELD.some((r) => rec.reason?.startsWith(`${r}:`));
}

function record(id: string, plan: ScalingPlan, asOf: string, at: string): ActionRecord {
  return {
    id,
    budget: plan.budget,
    kind: plan.kind,
    resource: plan.resource,
    status: 'recommended',
    before: plan.before,
    after: plan.after,
    predicted: { spend: round2(plan.predicted.spend), p99Ms: plan.predicted.p99Ms },
    estimatedSavings: round2(plan.predicted.spendBefore - plan.predicted.spend),
    why: plan.reason,
    ...(plan.infeasible ? { infeasible: plan.infeasible } : {}),
    evidence: plan.evidence,
    asOf,
    createdAt: at,
    history: [{ status: 'recommended', at }],
  };
}

function moveTo(
  rec: ActionRecord,
  status: ActionStatus,
  at: string,
  reason: string,
  extra: Partial<ActionRecord> = {},
): ActionRecord {
  // a recommendation is where every history starts: it is not an event of its own
  if (status === 'recommended') return { ...rec, ...extra, status, reason };
  return { ...moveAction(rec, status, at, reason), ...extra };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `perf-budgets rollback ID`: puts the resource of an applied (or verified) action back to exactly the state recorded
 * before it, and records that. Anything else is refused with what the action's status is.
 */
export async function rollbackAction(o: {
  readonly id: string;
  readonly ledger: ActionLedger;
  readonly scaler: Scaler;
  readonly now: number;
  readonly reason: string;
}): Promise<ActionRecord> {
  const [rec] = await o.ledger.actions({ id: o.id });
  if (!rec) throw new InputError(`rollback: no action ${o.id} in the ledger (see \`perf-budgets actions\`)`);
  if (rec.status !== 'applied' && rec.status !== 'verified') {
    throw new InputError(
      `rollback: action ${o.id} is ${rec.status}; only an applied or verified change can be rolled back`,
    );
  }
  const current = (await o.scaler.read([rec.resource])).get(rec.resource.resourceId)?.state ?? NO_SCALING;
  await o.scaler.write(rec.resource, current, rec.before);
  const next = moveTo(rec, 'rolled-back', new Date(o.now).toISOString(), o.reason);
  if (!(await o.ledger.putAction(next, rec.status))) {
    throw new InputError(`rollback: action ${o.id} changed while it was rolled back; run it again`);
  }
  return next;
}
