/**
 * How p99 latency grows with the load on one instance, fitted on hourly points: `p99(x) = base / (1 - x / saturation)`
 * with x the invocations per instance per minute (the metric target tracking follows). The shape is a single-server
 * queue's: flat while an instance is idle, steep as it nears the load it can carry. It is fitted robustly (median
 * of the implied base for each candidate saturation, scored by the median absolute log error), so a few noisy hours
 * do not move it, and it is never trusted beyond EXTRAPOLATION times the busiest load it was fitted on.
 */
import { median, medianInPlace } from '../stats.ts';

/** A fitted point: invocations per instance per minute, and the hour's p99 in ms. */
export interface LoadPoint {
  readonly x: number;
  readonly p99Ms: number;
}

export interface LatencyModel {
  readonly baseMs: number;
  /** Invocations per instance per minute at which p99 would grow without bound. */
  readonly saturation: number;
  /** The busiest load per instance it was fitted on. */
  readonly maxObserved: number;
  /** Median absolute relative error of the fit on its points. */
  readonly error: number;
}

/**
 * How far past the busiest observed load per instance the model may be used; points whose loads span less than this
 * factor (10th to 90th percentile) are too close together to fit the curve's bend.
 */
export const EXTRAPOLATION = 1.5;
const GRID = 200;
/** Candidate saturations run from just past the busiest load to this many times it (beyond: latency is flat). */
const GRID_SPAN = 50;

export function predictP99(model: LatencyModel, x: number): number {
  return x >= model.saturation ? Number.POSITIVE_INFINITY : model.baseMs / (1 - x / model.saturation);
}

/**
 * The fit, or null with fewer than `minPoints` usable points. With `saturation` given (known from utilisation) only
 * the base is fitted: points that all sit near one load cannot tell the curve's bend from its height.
 */
export function fitLatency(
  points: readonly LoadPoint[],
  minPoints: number,
  saturation?: number,
): LatencyModel | null {
  const usable = points.filter(
    (p) => p.x > 0 && p.p99Ms > 0 && Number.isFinite(p.x) && Number.isFinite(p.p99Ms),
  );
  if (usable.length < minPoints) return null;
  const maxObserved = Math.max(...usable.map((p) => p.x));
  let best: LatencyModel | null = null;
  const candidates =
    saturation !== undefined && saturation > maxObserved
      ? [saturation]
      : Array.from(
          { length: GRID + 1 },
          (_, i) => maxObserved * (1.02 + (GRID_SPAN - 1.02) * (i / GRID) ** 2),
        );
  // two buffers serve every candidate: the fit runs once per resource per cycle, on up to four weeks of hours
  const n = usable.length;
  const xs = Float64Array.from(usable, (p) => p.x);
  const ys = Float64Array.from(usable, (p) => p.p99Ms);
  const scratch = new Float64Array(n);
  for (const saturation of candidates) {
    for (let i = 0; i < n; i++) scratch[i] = (ys[i] as number) * (1 - (xs[i] as number) / saturation);
    const baseMs = medianInPlace(scratch);
    for (let i = 0; i < n; i++) {
      scratch[i] = Math.abs(Math.log((ys[i] as number) / (baseMs / (1 - (xs[i] as number) / saturation))));
    }
    const error = medianInPlace(scratch);
    if (!best || error < best.error - 1e-12) best = { baseMs, saturation, maxObserved, error };
  }
  return best && { ...best, error: Math.expm1(best.error) };
}

/**
 * The load per instance at which the model predicts `p99Ms`: how busy an hour's busiest minutes ran, read from its
 * p99 (0 at or under the idle p99, the saturation for an hour that went past it).
 */
export function loadAt(model: LatencyModel, p99Ms: number): number {
  if (!(p99Ms > model.baseMs)) return 0;
  return model.saturation * (1 - model.baseMs / p99Ms);
}

/**
 * The largest load per instance whose predicted p99 stays at or under `limitMs`, within the trusted range; null
 * when even an idle instance is predicted over it (more instances cannot help).
 */
export function safeLoad(model: LatencyModel, limitMs: number): number | null {
  if (model.baseMs >= limitMs) return null;
  const x = model.saturation * (1 - model.baseMs / limitMs);
  return Math.min(x, model.maxObserved * EXTRAPOLATION);
}

/**
 * Fallback when latency is not measured: the load per instance at which utilisation would reach 1, the median of
 * load / utilisation over the hours that were busy enough to say (utilisation above 5%).
 */
export function saturationFromUtilization(
  points: readonly { x: number; utilization: number }[],
  minPoints: number,
) {
  const usable = points.filter((p) => p.x > 0 && p.utilization > 0.05 && p.utilization <= 1.5);
  if (usable.length < minPoints) return null;
  return median(usable.map((p) => p.x / p.utilization));
}
