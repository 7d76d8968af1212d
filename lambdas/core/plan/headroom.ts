/**
 * Headroom for what an hourly mean hides. Target tracking sees one-minute points and needs three of them over its
 * target, then the minutes a new instance takes, before capacity grows: a burst shorter than that is served by the
 * instances already in service. An hour's p99 is set by its busiest minutes, so each history hour says, through the
 * latency model, at what mean load per instance its p99 would have met the limit. The planner then picks the target
 * and the minimum capacity that would have kept every hour at or under that load, but for a stated share of hours,
 * at the lowest instance-hours.
 */

/**
 * One history hour: invocations a minute, and the mean load per instance that would have kept its p99 under the
 * limit (lower than the fitted safe load when its busiest minutes ran ahead of its mean).
 */
export interface BurstHour {
  readonly load: number;
  readonly safe: number;
}

/**
 * The share of hours a plan may leave over the limit: the service objective (p99 under the ceiling in all
 * but one hour in two hundred). With a week of history it allows none.
 */
export const HOURS_OVER_ALLOWED = 0.005;
/** Candidate targets: this many steps from the safe load down to a step of it. */
const STEPS = 50;

export interface Tracking {
  readonly target: number;
  readonly min: number;
  /** History hours the chosen settings would still leave over the safe load. */
  readonly over: number;
  /** The most instances any history hour needed to stay at or under its safe load. */
  readonly peakNeed: number;
}

/**
 * The cheapest target (at most `top`) and minimum (at least `floor`) such that, with target tracking holding
 * ceil(load / target) instances and the minimum holding the rest, each hour's mean load per instance stays at or
 * under its own safe load (at most the fitted `safe` load).
 */
export function chooseTracking(
  hours: readonly BurstHour[],
  safe: number,
  top: number,
  floor: number,
): Tracking {
  const n = hours.length;
  const allowed = Math.floor(HOURS_OVER_ALLOWED * n);
  // one set of buffers for all candidates: a fleet's planning would otherwise allocate gigabytes of short arrays
  const need = new Float64Array(n);
  const tracked = new Float64Array(n);
  const short = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const h = hours[k] as BurstHour;
    need[k] = h.load <= 0 ? 0 : Math.ceil(h.load / Math.min(safe, h.safe) - 1e-9);
  }
  let best: { target: number; min: number; over: number; cost: number } | null = null;
  for (let i = 0; i < STEPS; i++) {
    const target = top * (1 - i / STEPS);
    // Hours target tracking alone leaves short: the minimum must cover all of them but the allowed few.
    let shorts = 0;
    for (let k = 0; k < n; k++) {
      const load = (hours[k] as BurstHour).load;
      const t = load <= 0 ? 0 : Math.ceil(load / target - 1e-9);
      tracked[k] = t;
      if (t < (need[k] as number)) short[shorts++] = need[k] as number;
    }
    // ascending: the allowed-th largest is counted from the end
    const sorted = short.subarray(0, shorts).sort();
    const min = Math.max(floor, allowed < shorts ? (sorted[shorts - 1 - allowed] as number) : 0);
    let over = 0;
    for (let k = 0; k < shorts; k++) if ((sorted[k] as number) > min) over++;
    let cost = 0;
    for (let k = 0; k < n; k++) cost += Math.max(min, tracked[k] as number);
    if (!best || cost < best.cost) best = { target, min, over, cost };
  }
  const peakNeed = Math.max(floor, ...need);
  return best
    ? { target: best.target, min: best.min, over: best.over, peakNeed }
    : { target: top, min: floor, over: 0, peakNeed };
}
