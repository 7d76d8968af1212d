/**
 * The scaling planner: from a resource's hourly history, the settings of Application Auto Scaling (MinCapacity,
 * MaxCapacity, the target-tracking TargetValue, off-hours schedules, scale to zero) that keep p99 under the budget's
 * latency ceiling less its margin at the lowest forecast spend, and under the budget's remaining cap when the
 * ceiling allows. Pure: time, rates and history come in as arguments. It never plans an instance-type change or a
 * deletion; it plans nothing when the history is too thin to say (see MIN_HOURS) or nothing would change.
 */
import { DayClock } from '../period.ts';
import { floorFor } from './guardrails.ts';
import { chooseTracking } from './headroom.ts';
import {
  EXTRAPOLATION,
  fitLatency,
  type LatencyModel,
  loadAt,
  predictP99,
  safeLoad,
  saturationFromUtilization,
} from './latency-model.ts';
import type { HourObservation } from './observe.ts';
import { offHoursSchedules, offHoursWindow } from './schedule.ts';
import {
  type ChangeKind,
  COMPONENT_DIMENSION,
  type Guardrails,
  type ObservedScaling,
  type ScalableResource,
  type ScalingPlan,
  type ScalingState,
  TARGET_METRIC,
  type TargetTrackingSetting,
  TOOL_NAMES,
} from './types.ts';

/** The planner reads the hours the observer builds (observe.ts). */
export type { HourObservation };

export interface PlannerInput {
  readonly budget: string;
  readonly resource: ScalableResource;
  /** What Application Auto Scaling holds now (state.target may be null). */
  readonly current: ObservedScaling;
  /** Ascending hourly history, up to the last few weeks. */
  readonly hours: readonly HourObservation[];
  /** Currency per instance-hour (per copy-hour for a component). */
  readonly ratePerInstanceHour: number;
  /** The budget's latencyP99Ms. */
  readonly latencyCeilingMs?: number;
  /** What the budget may still spend on this resource this period. */
  readonly capRemaining?: number;
  /** Hours left in the billing period after as-of. */
  readonly remainingHours: number;
  /** Ms, end of as-of. */
  readonly now: number;
  /** Billing IANA zone: the hours of day and the schedules' cron are in it. */
  readonly timezone: string;
  /**
   * The zone's clock, shared by a cycle's resources so that each hour is converted once, not once per resource
   * (their hours are the same); one is made when absent.
   */
  readonly clock?: DayClock;
  readonly environment: string;
  readonly guardrails: Guardrails;
  /** An experiment past its exit criteria: scaled to its floor. */
  readonly pastExitCriteria?: boolean;
}

/**
 * Evidence below this is too thin to plan on: fewer than 72 hourly points with instances in service and a count of
 * invocations (and, for the latency fit, a p99), or points on fewer than 3 distinct days.
 */
export const MIN_HOURS = 72;
export const MIN_DAYS = 3;
/**
 * Target tracking lets the metric run past its target for the minutes a scale-out takes: aim at least this far
 * below the safe load. A history that target tracking ran shows more in its hours' p99 (headroom.ts); a history at
 * a fixed count shows none of it.
 */
export const TARGET_HEADROOM = 0.85;
/** MaxCapacity leaves this much above what the busiest hour needed, unless the cap takes it. */
export const MAX_HEADROOM = 1.2;
/** Without a latency fit: the utilisation target tracking aims at. */
export const TARGET_UTILIZATION = 0.7;
/** A new target within this share of the current one is not worth a change. */
export const TARGET_HYSTERESIS = 0.1;
export const DEFAULT_COOLDOWNS = { scaleInSeconds: 300, scaleOutSeconds: 60 } as const;

const HOUR_MS = 3_600_000;

interface Fitted {
  readonly model: LatencyModel | null;
  /** Invocations per instance per minute that keep p99 under the limit (or utilisation under its target). */
  readonly safe: number;
  readonly limitMs: number | null;
  readonly points: readonly HourObservation[];
  /** Per point: the mean load per instance that would have kept its p99 under the limit (`safe` when unknown). */
  readonly hourSafe: readonly number[];
  /** p99 was over the limit at every load seen: `safe` is a step below the lowest, not a fit. */
  readonly censored?: boolean;
}

export function planScaling(given: PlannerInput): readonly ScalingPlan[] {
  const input = given.clock ? given : { ...given, clock: new DayClock(given.timezone) };
  const floor = resolveFloor(input);
  if (input.pastExitCriteria) return experimentFloor(input, floor);
  const fitted = fitModel(input);
  if (!fitted) return [];
  const demand = demandProfile(input, fitted.points);
  const peak = Math.max(...fitted.points.map((h) => (h.invocations ?? 0) / 60));
  const before = input.current.state;
  const metric = TARGET_METRIC[input.resource.dimension];
  const chosen = chooseTracking(
    fitted.points.map((h, k) => ({
      load: (h.invocations ?? 0) / 60,
      safe: fitted.hourSafe[k] ?? fitted.safe,
    })),
    fitted.safe,
    fitted.safe * TARGET_HEADROOM,
    floor,
  );
  let targetValue = Math.max(0.01, round2(chosen.target));
  if (before.targetTracking?.metric === metric) {
    const was = before.targetTracking.targetValue;
    if (Math.abs(targetValue - was) <= TARGET_HYSTERESIS * was && was <= chosen.target) targetValue = was;
  }
  const toZero = isComponent(input.resource) && input.guardrails.scaleToZero;
  const need = (load: number, perInstance: number) => (load <= 0 ? 0 : Math.ceil(load / perInstance));
  const peakNeed = chosen.peakNeed;
  const byHour = quietestByHourOfDay(input, fitted.points);
  const window = input.guardrails.schedules
    ? offHoursWindow(byHour.map((load) => need(load, fitted.safe) <= Math.max(floor, 1)))
    : null;
  const dayHours = byHour.filter((_, h) => !window || !inWindow(h, window.start, window.end));
  const ceilingMax = input.guardrails.maxInstances;
  // Bursts that outrun a scale-out are met by the instances already in service: the minimum holds them.
  const quietNeed = Math.max(chosen.min, Math.min(...dayHours.map((load) => need(load, targetValue))));
  const min = Math.max(floor, ceilingMax === undefined ? quietNeed : Math.min(quietNeed, ceilingMax));
  let max = Math.max(min, Math.ceil(peakNeed * MAX_HEADROOM), need(peak, targetValue));
  if (ceilingMax !== undefined) max = Math.max(min, Math.min(max, ceilingMax));
  let infeasible: string | undefined;
  if (fitted.limitMs !== null && max < peakNeed) {
    infeasible =
      `Keeping p99 under ${fmt(fitted.limitMs)} ms at the busiest hour needs ${peakNeed} instances, ` +
      `more than the guardrails' maxInstances of ${max}.`;
  }
  const tracking: TargetTrackingSetting = {
    metric,
    targetValue,
    scaleInCooldownSeconds: before.targetTracking?.scaleInCooldownSeconds ?? DEFAULT_COOLDOWNS.scaleInSeconds,
    scaleOutCooldownSeconds:
      before.targetTracking?.scaleOutCooldownSeconds ?? DEFAULT_COOLDOWNS.scaleOutSeconds,
  };
  const build = (maxCapacity: number): ScalingState => {
    const off = { min: floor, max: Math.min(Math.max(floor, 1), maxCapacity) };
    const schedules =
      window && off.max < maxCapacity
        ? offHoursSchedules(window, input.timezone, off, { min, max: maxCapacity })
        : [];
    const zero = toZero && (min === 0 || schedules.some((s) => s.min === 0));
    return { target: { min, max: maxCapacity }, targetTracking: tracking, wakeOnRequest: zero, schedules };
  };
  const spendOf = (state: ScalingState) => forecastSpend(input, state, demand);
  let after = build(max);
  let capNote = '';
  const cap = input.capRemaining;
  if (cap !== undefined && spendOf(after) > cap) {
    // The cap may take the headroom above the busiest hour's need; below that only when no ceiling is at stake.
    const lowest = fitted.limitMs === null ? min : Math.max(min, Math.min(peakNeed, max));
    let m = max;
    while (m > lowest && spendOf(build(m)) > cap) m--;
    after = build(m);
    if (spendOf(after) > cap && fitted.limitMs !== null) {
      infeasible =
        `Keeping p99 under ${fmt(fitted.limitMs)} ms at the busiest hour needs up to ${peakNeed} instances, ` +
        `forecast at ${money(spendOf(after))} for the rest of the period against ${money(cap)} left under the cap: ` +
        `the budget is infeasible at that latency, and the ceiling wins.`;
    } else if (m < max) {
      capNote = ` MaxCapacity is held at ${m} (not ${max}) so the forecast stays within the ${money(cap)} left under the cap.`;
    }
  }
  if (sameState(after, before)) return [];
  const spend = spendOf(after);
  const spendBefore = spendOf(before);
  const p99Ms = predictedP99(fitted, after, peak);
  const reason =
    `${fitSentence(fitted, input.guardrails.latencyMarginPercent, input.guardrails.maxStepPercent)} ` +
    `Target tracking at ${fmt(targetValue)} with min ${after.target?.min} and max ${after.target?.max} ` +
    `(the busiest hour, ${fmt(peak)} invocations a minute, needs ${peakNeed}) forecasts ${money(spend)} ` +
    `for the rest of the period against ${money(spendBefore)} as it is.${capNote}`;
  return [
    {
      kind: kindOf(before, after),
      budget: input.budget,
      resource: input.resource,
      before,
      after,
      predicted: {
        spend: cents(spend),
        spendBefore: cents(spendBefore),
        p99Ms: p99Ms === null ? null : round2(p99Ms),
      },
      evidence: evidenceOf(fitted.points),
      reason,
      ...(infeasible ? { infeasible } : {}),
    },
  ];
}

function fitModel(input: PlannerInput): Fitted | null {
  const points = input.hours.filter((h) => h.instances > 0 && h.invocations !== null && h.invocations >= 0);
  if (!enough(points)) return null;
  const x = (h: HourObservation) => (h.invocations ?? 0) / h.instances / 60;
  const ceiling = input.latencyCeilingMs;
  if (ceiling !== undefined) {
    const withP99 = points.filter((h) => h.p99Ms !== null);
    if (enough(withP99)) {
      const model = fitLatency(
        withP99.map((h) => ({ x: x(h), p99Ms: h.p99Ms ?? 0 })),
        MIN_HOURS,
        narrow(withP99.map(x)) ? utilizationSaturation(points, x) : undefined,
      );
      const limitMs = ceiling * (1 - input.guardrails.latencyMarginPercent / 100);
      const safe = model && safeLoad(model, limitMs);
      if (!model || !safe) return belowLowestOver(input, withP99, limitMs);
      const hourSafe = withP99.map((h) => hourSafeLoad(model, limitMs, safe, x(h), h.p99Ms ?? 0));
      return { model, safe, limitMs, points: withP99, hourSafe };
    }
  }
  const withUtil = points.filter((h) => h.utilization !== null);
  if (!enough(withUtil)) return null;
  const saturation = utilizationSaturation(withUtil, x);
  if (!saturation) return null;
  const busiest = Math.max(...withUtil.map(x));
  return {
    model: null,
    safe: Math.min(saturation * TARGET_UTILIZATION, busiest * EXTRAPOLATION),
    limitMs: null,
    points: withUtil,
    hourSafe: withUtil.map(() => Number.POSITIVE_INFINITY),
  };
}

/**
 * When no fit places p99 under the limit at any load (every hour near the same load and over the limit, as target
 * tracking holds it), the latency-safe load lies below the lowest load per instance at which p99 went over, by an
 * amount the history cannot say. The plan steps below it by the largest step the guardrails allow, and the next
 * cycle fits on what that step shows. Null when no hour went over: then the fit failed for want of spread, not
 * because the load is too high.
 */
function belowLowestOver(
  input: PlannerInput,
  points: readonly HourObservation[],
  limitMs: number,
): Fitted | null {
  const over = points.filter((h) => (h.p99Ms ?? 0) > limitMs && (h.invocations ?? 0) > 0);
  if (over.length === 0) return null;
  const lowest = Math.min(...over.map((h) => (h.invocations ?? 0) / h.instances / 60));
  const safe = lowest * (1 - input.guardrails.maxStepPercent / 100);
  if (!(safe > 0)) return null;
  return { model: null, safe, limitMs, points, hourSafe: points.map(() => safe), censored: true };
}

/**
 * The mean load per instance at which an hour's p99 would have met the limit. An hour runs `ratio` = p99 / the
 * fit's prediction above the fitted curve (its bursts, and target tracking's lag behind them); scaling its load
 * keeps that ratio, so the load is where the curve reaches limit / ratio. That reading fails near the idle p99,
 * where the ratio is mostly the hour's bursts: an hour's busiest load per instance is at most the saturation (an
 * hour that saturated, at least), so scaling its load by safe / saturation always brings the busiest minutes to
 * the safe load; the hour's safe load is the larger of the two, never above the fitted safe load.
 */
function hourSafeLoad(model: LatencyModel, limitMs: number, safe: number, x: number, p99Ms: number): number {
  const ratio = Math.max(1, p99Ms / predictP99(model, x));
  return Math.min(safe, Math.max(loadAt(model, limitMs / ratio), (safe * x) / model.saturation));
}

function utilizationSaturation(
  points: readonly HourObservation[],
  x: (h: HourObservation) => number,
): number | undefined {
  const withUtil = points.filter((h) => h.utilization !== null);
  const fit = saturationFromUtilization(
    withUtil.map((h) => ({ x: x(h), utilization: h.utilization ?? 0 })),
    MIN_HOURS,
  );
  return fit ?? undefined;
}

/** Loads per instance too close together for the latency fit to place the curve's bend (see EXTRAPOLATION). */
function narrow(loads: readonly number[]): boolean {
  const sorted = loads.filter((v) => v > 0).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? 0;
  return at(0.1) > 0 && at(0.9) / at(0.1) < EXTRAPOLATION;
}

function enough(points: readonly HourObservation[]): boolean {
  if (points.length < MIN_HOURS) return false;
  return new Set(points.map((h) => Math.floor(h.t / (24 * HOUR_MS)))).size >= MIN_DAYS;
}

/** No minimum below the latency-safe floor: the largest floor whose endpoint glob matches, else the tier's. */
function resolveFloor(input: PlannerInput): number {
  const g = input.guardrails;
  // A component that may go to zero has no floor unless one is named for its endpoint; a variant keeps at least one.
  if (isComponent(input.resource) && g.scaleToZero)
    return floorFor({ ...g, minInstances: 0 }, input.resource.endpoint);
  return Math.max(1, floorFor(g, input.resource.endpoint));
}

function experimentFloor(input: PlannerInput, floor: number): readonly ScalingPlan[] {
  const before = input.current.state;
  const after: ScalingState = {
    ...before,
    target: { min: floor, max: floor },
    wakeOnRequest: false,
    // The tool's own schedules would lift it off the floor again.
    schedules: [],
  };
  if (sameState(after, before)) return [];
  const demand = demandProfile(input, input.hours);
  const spend = forecastSpend(input, after, demand);
  const spendBefore = forecastSpend(input, before, demand);
  return [
    {
      kind: 'experiment-floor',
      budget: input.budget,
      resource: input.resource,
      before,
      after,
      predicted: { spend: cents(spend), spendBefore: cents(spendBefore), p99Ms: null },
      evidence: evidenceOf(input.hours),
      reason:
        `The experiment is past its exit criteria: min and max capacity go to its floor of ${floor}, ` +
        `forecast at ${money(spend)} for the rest of the period against ${money(spendBefore)} as it is.`,
    },
  ];
}

type Demand = (t: number) => number;

/**
 * Invocations a minute expected at an hour: the mean of the same hour of the week over the history when it spans
 * two weeks, else of the same hour of the day, else of all hours.
 */
function demandProfile(input: PlannerInput, points: readonly HourObservation[]): Demand {
  const span = points.length > 0 ? ((points.at(-1)?.t ?? 0) - (points[0]?.t ?? 0)) / HOUR_MS : 0;
  const weekly = span >= 14 * 24 - 1;
  const clock = clockOf(input);
  const key = (t: number) => (weekly ? clock.weekHour(t) : clock.hourOf(t));
  const sums = new Map<number, { sum: number; n: number }>();
  let total = 0;
  let count = 0;
  for (const h of points) {
    if (h.invocations === null) continue;
    const load = h.invocations / 60;
    const s = sums.get(key(h.t)) ?? { sum: 0, n: 0 };
    sums.set(key(h.t), { sum: s.sum + load, n: s.n + 1 });
    total += load;
    count++;
  }
  const overall = count > 0 ? total / count : 0;
  return (t) => {
    const s = sums.get(key(t));
    return s ? s.sum / s.n : overall;
  };
}

/** The busiest load seen at each hour of the day (billing zone), invocations a minute. */
function quietestByHourOfDay(input: PlannerInput, points: readonly HourObservation[]): number[] {
  const busiest = new Array<number>(24).fill(0);
  const clock = clockOf(input);
  for (const h of points) {
    const hour = clock.hourOf(h.t);
    busiest[hour] = Math.max(busiest[hour] ?? 0, (h.invocations ?? 0) / 60);
  }
  return busiest;
}

/**
 * Spend for the rest of the period under a state: each forecast hour holds what target tracking would keep for the
 * expected load (or, without a policy, the instances of the last observed hour), within the bounds in force then.
 */
export function forecastSpend(input: PlannerInput, state: ScalingState, demand: Demand): number {
  const last = input.hours.at(-1)?.instances ?? 0;
  const hours = Math.max(0, Math.floor(input.remainingHours));
  const window = offHoursOf(state);
  const clock = clockOf(input);
  let instanceHours = 0;
  for (let k = 0; k < hours; k++) {
    const t = input.now + k * HOUR_MS;
    let bounds = state.target;
    if (window) {
      const hour = clock.hourOf(t);
      if (inWindow(hour, window.start, window.end)) bounds = window.off;
    }
    const load = demand(t);
    const wanted = state.targetTracking
      ? load <= 0
        ? 0
        : Math.ceil(load / state.targetTracking.targetValue)
      : last;
    instanceHours += bounds ? Math.min(bounds.max, Math.max(bounds.min, wanted)) : wanted;
  }
  const remainder = Math.max(0, input.remainingHours - hours);
  const tail =
    remainder * (state.target ? Math.max(state.target.min, Math.min(state.target.max, last)) : last);
  return (instanceHours + tail) * input.ratePerInstanceHour;
}

const CRON_HOUR = /^cron\(\d+ (\d+) /;

/** The off-hours the tool's own schedules hold, read back from their cron. */
function offHoursOf(state: ScalingState) {
  const start = state.schedules.find((s) => s.name === TOOL_NAMES.schedule('off-hours-start'));
  const end = state.schedules.find((s) => s.name === TOOL_NAMES.schedule('off-hours-end'));
  const a = start && CRON_HOUR.exec(start.schedule)?.[1];
  const b = end && CRON_HOUR.exec(end.schedule)?.[1];
  if (!start || !a || !b) return null;
  return { start: Number(a), end: Number(b), off: { min: start.min, max: start.max } };
}

const inWindow = (hour: number, start: number, end: number) =>
  start < end ? hour >= start && hour < end : hour >= start || hour < end;

function predictedP99(fitted: Fitted, after: ScalingState, peak: number): number | null {
  if (!fitted.model || !after.target || !after.targetTracking) return null;
  const wanted = peak <= 0 ? 0 : Math.ceil(peak / after.targetTracking.targetValue);
  const n = Math.min(after.target.max, Math.max(after.target.min, wanted, 1));
  return predictP99(fitted.model, peak / n);
}

function fitSentence(fitted: Fitted, marginPercent: number, maxStep: number): string {
  const hours = fitted.points.length;
  if (fitted.censored && fitted.limitMs !== null) {
    return (
      `On ${hours} hours, p99 was over ${fmt(fitted.limitMs)} ms (the ceiling less ${marginPercent}%) at every load ` +
      `seen, down to ${fmt(fitted.safe / (1 - maxStep / 100))} invocations per instance a minute: the plan steps ` +
      `${maxStep}% below that, to ${fmt(fitted.safe)}, and the next cycle fits on what it shows.`
    );
  }
  if (!fitted.model || fitted.limitMs === null) {
    return `Fitted on ${hours} hours without latency: ${fmt(fitted.safe)} invocations per instance a minute keep utilisation near ${TARGET_UTILIZATION * 100}%.`;
  }
  return (
    `Fitted on ${hours} hours, p99 stays under ${fmt(fitted.limitMs)} ms (the ceiling less ${marginPercent}%) ` +
    `up to ${fmt(fitted.safe)} invocations per instance a minute (idle p99 ${fmt(fitted.model.baseMs)} ms).`
  );
}

function kindOf(before: ScalingState, after: ScalingState): ChangeKind {
  if (after.wakeOnRequest && !before.wakeOnRequest) return 'scale-to-zero';
  if (JSON.stringify(after.schedules) !== JSON.stringify(before.schedules)) return 'schedule';
  return 'scaling';
}

function evidenceOf(points: readonly HourObservation[]): ScalingPlan['evidence'] {
  const from = points[0]?.t ?? 0;
  const to = (points.at(-1)?.t ?? 0) + HOUR_MS;
  return { hours: points.length, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

export function sameState(a: ScalingState, b: ScalingState): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

const canonical = (s: ScalingState) => ({
  target: s.target && { min: s.target.min, max: s.target.max },
  targetTracking: s.targetTracking && {
    metric: s.targetTracking.metric,
    targetValue: s.targetTracking.targetValue,
    scaleInCooldownSeconds: s.targetTracking.scaleInCooldownSeconds,
    scaleOutCooldownSeconds: s.targetTracking.scaleOutCooldownSeconds,
  },
  wakeOnRequest: s.wakeOnRequest,
  schedules: [...s.schedules]
    .map((x) => ({ name: x.name, schedule: x.schedule, timezone: x.timezone, min: x.min, max: x.max }))
    .sort((x, y) => x.name.localeCompare(y.name)),
});

const clockOf = (input: PlannerInput): DayClock => input.clock ?? new DayClock(input.timezone);
const isComponent = (r: ScalableResource) => r.dimension === COMPONENT_DIMENSION;
const round2 = (x: number) => Math.round(x * 100) / 100;
const cents = round2;
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2));
const money = (x: number) => x.toFixed(2);
