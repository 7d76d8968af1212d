/**
 * Verification of an applied change: the complete hours since it was applied are judged against the same number of
 * hours just before it, and the change is kept (`verified`), watched longer (`wait`) or undone (`roll-back`).
 *
 * Rules, and why:
 * - Hours are hourly buckets starting at `t`. The hour the change was applied in mixes both states and is judged in
 *   neither window; an hour counts only once it is complete (`t + 1 h <= now`).
 * - Latency is the worst hourly p99 of a window. Over a verification window of up to 100 hours the p99 of hourly
 *   p99s is that same worst hour, and the budget's latency limit is a ceiling on any hour, so one hour over it is harm.
 * - Harm is judged on whatever hours exist, from the first one: a change that hurts is undone at once, without
 *   waiting for the whole window. Harm is: the worst p99 after over the ceiling while before it was not (or unknown),
 *   or, when before was already over, worse than before by more than LATENCY_WORSE_TOLERANCE; 5XX errors or
 *   NoCapacityInvocationFailures per hour after above max(before * ratio, before + absolute). A metric with no value
 *   before has a baseline of 0: an unknown baseline cannot excuse errors that the change may have caused.
 * - Missing data is never read as fine. An hour counts towards verification when it has a p99 or measured no
 *   invocations at all (nothing to be slow). An error metric the resource reported before the change and reports
 *   no hour after it is missing. Until verifyHours such hours exist (and no error metric went missing) the change
 *   waits; if they still do not after MISSING_LIMIT_FACTOR x verifyHours, it is rolled back: the recorded state is
 *   the last one known to work, and a change that cannot be checked must not stay on by default. The planner may
 *   propose it again once metrics flow.
 */
import type { ActionRecord, Guardrails, Measured, MeasuredWindow } from './types.ts';

const HOUR_MS = 3_600_000;
/** When the ceiling was already broken before the change: how much worse (fraction) the worst hour may get. */
export const LATENCY_WORSE_TOLERANCE = 0.1;
/** A change whose metrics are missing is rolled back after this many times its verification window. */
export const MISSING_LIMIT_FACTOR = 3;

export interface VerifyHour {
  /** Start of the hour, ms. */
  readonly t: number;
  readonly p99Ms: number | null;
  readonly errors5xx: number | null;
  readonly noCapacity: number | null;
  readonly instances: number | null;
  readonly invocations: number | null;
}

export interface VerifyContext {
  /** Hourly metrics of the action's endpoint or resource, covering before and after the change. */
  readonly hours: readonly VerifyHour[];
  readonly now: number;
  /** The budget's p99 latency ceiling; without one latency is not judged. */
  readonly latencyCeilingMs?: number;
  readonly guardrails: Pick<Guardrails, 'verifyHours' | 'errorTolerance'>;
  /** Price of one instance-hour (currency units): what the measured saving is priced at. */
  readonly ratePerInstanceHour?: number;
}

export type VerifyOutcome = 'wait' | 'verified' | 'roll-back';

export interface VerifyDecision {
  readonly outcome: VerifyOutcome;
  readonly reason: string;
  readonly measured: Measured;
}

const EMPTY_WINDOW: MeasuredWindow = { p99Ms: null, errors5xx: null, noCapacity: null, instanceHours: null };

/**
 * A window's figures. `p99Ms` is the worst hour; `errors5xx` and `noCapacity` are per hour, averaged over the hours
 * that report them; `instanceHours` is the total over the window, null unless every hour of it reports its instances
 * (a gap is not zero instances).
 */
export function measureWindow(hours: readonly VerifyHour[], length: number): MeasuredWindow {
  const known = (pick: (h: VerifyHour) => number | null) =>
    hours.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  const perHour = (values: number[]) =>
    values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
  const p99 = known((h) => h.p99Ms);
  const instances = known((h) => h.instances);
  return {
    p99Ms: p99.length === 0 ? null : Math.max(...p99),
    errors5xx: perHour(known((h) => h.errors5xx)),
    noCapacity: perHour(known((h) => h.noCapacity)),
    instanceHours: instances.length === length && length > 0 ? instances.reduce((s, v) => s + v, 0) : null,
  };
}

/** Why the after window is worse than the before window, one clause per harm; empty when it is not. */
function harms(
  before: MeasuredWindow,
  after: MeasuredWindow,
  ceiling: number | undefined,
  tolerance: Guardrails['errorTolerance'],
): string[] {
  const out: string[] = [];
  if (ceiling !== undefined && after.p99Ms !== null && after.p99Ms > ceiling) {
    const wasOver = before.p99Ms !== null && before.p99Ms > ceiling;
    if (!wasOver) {
      out.push(
        `p99 reached ${ms(after.p99Ms)} ms, over the ${ceiling} ms ceiling (before: ${before.p99Ms === null ? 'not measured' : `${ms(before.p99Ms)} ms`})`,
      );
    } else if (after.p99Ms > (before.p99Ms as number) * (1 + LATENCY_WORSE_TOLERANCE)) {
      out.push(
        `p99 rose from ${ms(before.p99Ms as number)} ms to ${ms(after.p99Ms)} ms, over the ${ceiling} ms ceiling and more than ${LATENCY_WORSE_TOLERANCE * 100}% worse`,
      );
    }
  }
  const rose = (label: string, b: number | null, a: number | null) => {
    if (a === null) return;
    const base = b ?? 0;
    const allowed = Math.max(base * tolerance.ratio, base + tolerance.absolute);
    if (a > allowed)
      out.push(`${label} rose to ${num(a)} an hour from ${num(base)} (tolerance ${num(allowed)})`);
  };
  rose('5XX errors', before.errors5xx, after.errors5xx);
  rose('NoCapacityInvocationFailures', before.noCapacity, after.noCapacity);
  return out;
}

const ms = (x: number) => (Math.round(x * 10) / 10).toString();
const num = (x: number) => (Math.round(x * 100) / 100).toString();

function saving(before: MeasuredWindow, after: MeasuredWindow, rate: number | undefined): number | null {
  if (rate === undefined || before.instanceHours === null || after.instanceHours === null) return null;
  return Math.round((before.instanceHours - after.instanceHours) * rate * 100) / 100;
}

/** Judges one applied action on the hours around its change. */
export function verifyAction(record: ActionRecord, ctx: VerifyContext): VerifyDecision {
  // a window of no hours would verify nothing
  const verifyHours = Math.max(1, Math.ceil(ctx.guardrails.verifyHours));
  const empty: Measured = { hours: 0, before: EMPTY_WINDOW, after: EMPTY_WINDOW, saving: null };
  const appliedMs = record.appliedAt === undefined ? Number.NaN : Date.parse(record.appliedAt);
  if (Number.isNaN(appliedMs)) {
    return {
      outcome: 'wait',
      reason: 'the change has no time it was applied at: nothing to verify',
      measured: empty,
    };
  }
  const changeHour = Math.floor(appliedMs / HOUR_MS) * HOUR_MS;
  const firstAfter = changeHour + HOUR_MS;
  const elapsed = Math.max(0, Math.floor((ctx.now - firstAfter) / HOUR_MS));
  const limit = MISSING_LIMIT_FACTOR * verifyHours;
  const n = Math.min(elapsed, limit);
  if (n === 0) {
    return { outcome: 'wait', reason: 'no complete hour since the change yet', measured: empty };
  }
  const inRange = (from: number, to: number) => ctx.hours.filter((h) => h.t >= from && h.t < to);
  const beforeHours = inRange(changeHour - n * HOUR_MS, changeHour);
  const afterHours = inRange(firstAfter, firstAfter + n * HOUR_MS);
  const before = measureWindow(beforeHours, n);
  const after = measureWindow(afterHours, n);
  const measured: Measured = {
    hours: n,
    before,
    after,
    saving: saving(before, after, ctx.ratePerInstanceHour),
  };

  const hurt = harms(before, after, ctx.latencyCeilingMs, ctx.guardrails.errorTolerance);
  if (hurt.length > 0) {
    return { outcome: 'roll-back', reason: `In the ${n} h after the change ${hurt.join('; ')}.`, measured };
  }

  const judged = afterHours.filter((h) => h.p99Ms !== null || h.invocations === 0).length;
  const gone = [
    before.errors5xx !== null && after.errors5xx === null ? '5XX errors' : undefined,
    before.noCapacity !== null && after.noCapacity === null ? 'NoCapacityInvocationFailures' : undefined,
  ].filter((x): x is string => x !== undefined);
  const missing = [
    ...(judged < verifyHours
      ? [`${judged} of the ${verifyHours} h needed have latency or traffic data`]
      : []),
    ...gone.map((m) => `${m} were reported before the change and not since`),
  ];
  if (missing.length === 0 && elapsed >= verifyHours) {
    return {
      outcome: 'verified',
      reason: `Held for ${n} h with no harm against the ${n} h before.`,
      measured,
    };
  }
  if (elapsed < verifyHours) {
    return {
      outcome: 'wait',
      reason: `${elapsed} of ${verifyHours} h watched, no harm so far${missing.length > 0 ? ` (${missing.join('; ')})` : ''}.`,
      measured,
    };
  }
  if (elapsed < limit) {
    return {
      outcome: 'wait',
      reason: `Not verified: ${missing.join('; ')}; rolled back if still so after ${limit} h.`,
      measured,
    };
  }
  return {
    outcome: 'roll-back',
    reason: `Could not be verified in ${limit} h (${missing.join('; ')}): a change that cannot be checked is undone.`,
    measured,
  };
}
