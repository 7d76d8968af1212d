/**
 * The world the efficacy benchmark replays: per-minute request rates built from the ServeGen production trace
 * (10-minute windows over 14 days) and the Azure LLM trace's per-minute burstiness, served by instances whose
 * latency follows an M/M/c queue per instance, and Application Auto Scaling's target tracking simulated minute by
 * minute with its alarms, cooldowns and the time a new instance takes to come into service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetTrackingSetting } from '../../lambdas/core/plan/types.ts';

export const MINUTES_PER_HOUR = 60;
const WINDOW_MINUTES = 10;

/** ServeGen: one rate (req/s) per 10-minute window, 14 days. */
export function readServeGen(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const rate = Number(l.split(',')[1]);
      if (!Number.isFinite(rate) || rate < 0) throw new Error(`${file} line ${i + 1}: bad rate`);
      return rate;
    });
}

/** Azure LLM trace: arrivals per whole minute of its hour, divided by their mean (mean 1). */
export function readAzureBurstiness(file: string): number[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  const minutes = lines.map((l) =>
    Math.floor(Date.parse(`${l.split(',')[0]?.slice(0, 19).replace(' ', 'T')}Z`) / 60_000),
  );
  const first = Math.min(...minutes) + 1;
  const last = Math.max(...minutes) - 1;
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const m of minutes) if (m >= first && m <= last) counts[m - first] = (counts[m - first] ?? 0) + 1;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return counts.map((c) => c / mean);
}

/**
 * Per-minute rates (req/min): each ServeGen 10-minute window's rate, spread over its minutes by 10 consecutive
 * minutes of the Azure multipliers (renormalised to mean 1, so the window's rate is kept), starting at an offset
 * that moves with the window so no two neighbouring windows repeat a pattern.
 */
export function minuteRates(
  windows: readonly number[],
  burst: readonly number[],
  scale: number,
  seed: number,
) {
  const out = new Float64Array(windows.length * WINDOW_MINUTES);
  windows.forEach((rate, w) => {
    const offset = (w * 7 + seed * 13) % burst.length;
    const slice = Array.from({ length: WINDOW_MINUTES }, (_, k) => burst[(offset + k) % burst.length] ?? 1);
    const mean = slice.reduce((a, b) => a + b, 0) / WINDOW_MINUTES;
    slice.forEach((m, k) => {
      out[w * WINDOW_MINUTES + k] = (rate * scale * 60 * m) / (mean || 1);
    });
  });
  return out;
}

/** An instance type as served: `concurrency` requests at once, each taking `serviceMs`. */
export interface ServingModel {
  readonly type: string;
  readonly concurrency: number;
  readonly serviceMs: number;
  readonly hourly: number;
  readonly ceilingMs: number;
}

/** Requests a minute one instance can carry at most. */
export const saturation = (m: ServingModel) => (m.concurrency / m.serviceMs) * 60_000;

/** Erlang C: probability an arrival waits, c servers at offered load a (erlangs). */
function erlangC(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho * (1 - b));
}

/**
 * P(response > t ms) for one instance at `perMinute` requests a minute: a fixed service time plus an M/M/c wait
 * (P(W > w) = C e^{-(c mu - lambda) w}); an overloaded minute answers nothing in time.
 */
function tail(m: ServingModel, perMinute: number, t: number): number {
  if (t < m.serviceMs) return 1;
  const lambda = perMinute / 60_000;
  const mu = 1 / m.serviceMs;
  if (lambda >= m.concurrency * mu) return 1;
  return Math.min(
    1,
    erlangC(m.concurrency, lambda / mu) * Math.exp(-(m.concurrency * mu - lambda) * (t - m.serviceMs)),
  );
}

const OVERLOADED_MS = 60_000;

/** The p99 of all requests over some minutes, each minute with its rate and instances in service. */
export function hourP99(m: ServingModel, rates: ArrayLike<number>, instances: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < rates.length; k++) total += rates[k] ?? 0;
  if (total <= 0) return m.serviceMs;
  const over = (t: number) => {
    let p = 0;
    for (let k = 0; k < rates.length; k++) {
      const r = rates[k] ?? 0;
      const n = instances[k] ?? 0;
      if (r > 0) p += (r / total) * (n <= 0 ? 1 : tail(m, r / n, t));
    }
    return p;
  };
  if (over(OVERLOADED_MS) > 0.01) return OVERLOADED_MS;
  let lo = m.serviceMs;
  let hi = OVERLOADED_MS;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (over(mid) > 0.01) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Target tracking as Application Auto Scaling runs it on 1-minute SageMaker metrics, within the target's bounds. */
export type TrackingPolicy = Pick<
  TargetTrackingSetting,
  'targetValue' | 'scaleInCooldownSeconds' | 'scaleOutCooldownSeconds'
> & { readonly min: number; readonly max: number };

/** Minutes from a scale-out decision to the new instance taking requests. */
export const PROVISION_MINUTES = 6;
/** The alarms target tracking creates: 3 of 3 one-minute points above target; 15 of 15 below 90% of it. */
const HIGH_POINTS = 3;
const LOW_POINTS = 15;
const LOW_RATIO = 0.9;

export interface HourResult {
  readonly instanceHours: number;
  readonly meanInService: number;
  readonly invocations: number;
  readonly p99Ms: number;
  readonly utilization: number;
}

export interface Tracker {
  inService: number;
  pending: { readyAt: number; count: number }[];
  lastOut: number;
  lastIn: number;
  history: number[];
}

export const newTracker = (instances: number): Tracker => ({
  inService: instances,
  pending: [],
  lastOut: -1e9,
  lastIn: -1e9,
  history: [],
});

/** One hour (minutes `from` to `from + 60` of `rates`) under a policy, or under a fixed count when `fixed` is set. */
export function runHour(
  m: ServingModel,
  rates: Float64Array,
  from: number,
  tracker: Tracker,
  policy: TrackingPolicy | null,
): HourResult {
  const served = new Float64Array(MINUTES_PER_HOUR);
  const slice = rates.subarray(from, from + MINUTES_PER_HOUR);
  let billed = 0;
  let util = 0;
  for (let k = 0; k < MINUTES_PER_HOUR; k++) {
    const minute = from + k;
    const ready = tracker.pending.filter((p) => p.readyAt <= minute);
    for (const p of ready) tracker.inService += p.count;
    tracker.pending = tracker.pending.filter((p) => p.readyAt > minute);
    const rate = slice[k] ?? 0;
    const n = tracker.inService;
    served[k] = n;
    const pendingCount = tracker.pending.reduce((a, p) => a + p.count, 0);
    billed += n + pendingCount;
    util += n > 0 ? Math.min(1, rate / n / saturation(m)) : 1;
    if (!policy) continue;
    const metric = n > 0 ? rate / n : Number.POSITIVE_INFINITY;
    tracker.history.push(metric);
    if (tracker.history.length > LOW_POINTS) tracker.history.shift();
    const recent = tracker.history.slice(-HIGH_POINTS);
    const total = n + pendingCount;
    if (total < policy.min) {
      tracker.pending.push({ readyAt: minute + PROVISION_MINUTES, count: policy.min - total });
      continue;
    }
    if (recent.length === HIGH_POINTS && recent.every((x) => x > policy.targetValue)) {
      // Within the scale-out cooldown the capacity it added counts toward the next desired capacity, and only a
      // larger scale-out goes ahead: `total` holds the instances still being provisioned, so one test serves both.
      const desired = Math.min(policy.max, Math.ceil((n * metric) / policy.targetValue));
      if (desired > total) {
        tracker.pending.push({ readyAt: minute + PROVISION_MINUTES, count: desired - total });
        tracker.lastOut = minute;
      }
    } else if (
      pendingCount === 0 &&
      tracker.history.length === LOW_POINTS &&
      tracker.history.every((x) => x < LOW_RATIO * policy.targetValue)
    ) {
      const mean = tracker.history.reduce((a, b) => a + b, 0) / LOW_POINTS;
      const desired = Math.max(policy.min, Math.ceil((n * mean) / policy.targetValue));
      const sinceIn = (minute - tracker.lastIn) * 60;
      const sinceOut = (minute - tracker.lastOut) * 60;
      if (
        desired < n &&
        sinceIn >= policy.scaleInCooldownSeconds &&
        sinceOut >= policy.scaleInCooldownSeconds
      ) {
        tracker.inService = desired;
        tracker.lastIn = minute;
      }
    }
  }
  let invocations = 0;
  for (let k = 0; k < slice.length; k++) invocations += slice[k] ?? 0;
  const meanInService = served.reduce((a, b) => a + b, 0) / MINUTES_PER_HOUR;
  return {
    instanceHours: billed / MINUTES_PER_HOUR,
    meanInService,
    invocations,
    p99Ms: hourP99(m, slice, served),
    utilization: util / MINUTES_PER_HOUR,
  };
}

/** The fewest instances, held all hour, that keep the hour's p99 under the ceiling. */
export function cheapestFor(m: ServingModel, rates: Float64Array, from: number, upTo = 1000): number {
  const slice = rates.subarray(from, from + MINUTES_PER_HOUR);
  for (let n = 1; n <= upTo; n++) {
    if (hourP99(m, slice, new Float64Array(MINUTES_PER_HOUR).fill(n)) <= m.ceilingMs) return n;
  }
  return upTo;
}

export const serveGenFile = (shared: string, client: string) =>
  join(shared, 'servegen_alibaba', 'language', 'm-large', `${client}-trace.csv`);
