import type { InstanceSpec } from './instances.ts';
import type { MetricName, MetricSeries } from './types.ts';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The order series are listed in, whatever their source: endpoint, variant, metric, statistic. */
export function compareSeries(a: MetricSeries, b: MetricSeries): number {
  return (
    cmp(a.endpoint, b.endpoint) ||
    cmp(a.variant, b.variant) ||
    cmp(a.component ?? '', b.component ?? '') ||
    cmp(a.metric, b.metric) ||
    cmp(a.stat, b.stat)
  );
}

/** One hour of an endpoint, for the actions that reason hour by hour. */
export interface HourSample {
  invocations?: number;
  /** Normalised utilisation 0..1 (CPU over all vCPUs, or GPU over all GPUs). */
  utilization?: number;
}

/** An endpoint's inference metrics over the judging window, in the budget file's units. */
export interface EndpointMetrics {
  /** Sum of Invocations over all variants; undefined when the endpoint publishes none (async endpoints). */
  readonly invocations?: number;
  /** Invocation-weighted mean of the hourly ModelLatency p99s, in milliseconds. */
  readonly latencyP99Ms?: number;
  /** Highest hourly ModelLatency p99, in milliseconds. */
  readonly worstHourP99Ms?: number;
  /** (4XX + 5XX errors) / invocations. */
  readonly errorRate?: number;
  /** Mean normalised utilisation 0..1. */
  readonly utilization?: number;
  /** 95th percentile of hourly normalised utilisation. */
  readonly utilizationP95?: number;
  /** 95th percentile of CPU utilisation over all vCPUs (0..1), also for GPU instances: what right-sizing needs. */
  readonly cpuUtilizationP95?: number;
  readonly hours: ReadonlyMap<number, HourSample>;
  /** Metric names that had at least one datapoint in the window. */
  readonly present: ReadonlySet<MetricName>;
}

const HOUR = 3_600_000;

function eachPoint(s: MetricSeries, fromMs: number, toMs: number, fn: (t: number, v: number) => void): void {
  // series are sorted: binary search the first point in the window
  let lo = 0;
  let hi = s.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s.t[mid] as number) < fromMs) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < s.t.length; i++) {
    const t = s.t[i] as number;
    if (t >= toMs) break;
    fn(t, s.v[i] as number);
  }
}

function hasPointIn(s: MetricSeries, fromMs: number, toMs: number): boolean {
  let found = false;
  eachPoint(s, fromMs, toMs, () => {
    found = true;
  });
  return found;
}

function pick(series: readonly MetricSeries[], metric: MetricName, stat: string): MetricSeries[] {
  return series.filter((s) => s.metric === metric && s.stat === stat);
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Summarises one endpoint's series (every variant) over [fromMs, toMs). */
export function summarizeEndpointMetrics(
  series: readonly MetricSeries[],
  fromMs: number,
  toMs: number,
  spec: InstanceSpec | undefined,
): EndpointMetrics {
  const present = new Set<MetricName>();
  const hours = new Map<number, HourSample>();
  const hour = (t: number): HourSample => {
    const key = Math.floor(t / HOUR) * HOUR;
    let h = hours.get(key);
    if (!h) {
      h = {};
      hours.set(key, h);
    }
    return h;
  };

  let invocations: number | undefined;
  // each variant's latency is weighted by that variant's own traffic in the hour
  const invByVariantHour = new Map<string, number>();
  const variantHour = (variant: string, t: number) => `${variant}\u0000${Math.floor(t / HOUR)}`;
  for (const s of pick(series, 'Invocations', 'Sum')) {
    eachPoint(s, fromMs, toMs, (t, v) => {
      present.add('Invocations');
      invocations = (invocations ?? 0) + v;
      const h = hour(t);
      h.invocations = (h.invocations ?? 0) + v;
      const key = variantHour(s.variant, t);
      invByVariantHour.set(key, (invByVariantHour.get(key) ?? 0) + v);
    });
  }

  let latencyP99Ms: number | undefined;
  let worstHourP99Ms: number | undefined;
  {
    let weighted = 0;
    let weights = 0;
    let plain = 0;
    let n = 0;
    for (const s of pick(series, 'ModelLatency', 'p99')) {
      eachPoint(s, fromMs, toMs, (t, v) => {
        present.add('ModelLatency');
        const ms = v / 1000;
        const w = invByVariantHour.get(variantHour(s.variant, t)) ?? 0;
        weighted += ms * w;
        weights += w;
        plain += ms;
        n++;
        worstHourP99Ms = Math.max(worstHourP99Ms ?? 0, ms);
      });
    }
    if (n > 0) latencyP99Ms = weights > 0 ? weighted / weights : plain / n;
  }

  let errors: number | undefined;
  for (const m of ['Invocation4XXErrors', 'Invocation5XXErrors'] as const) {
    for (const s of pick(series, m, 'Sum')) {
      eachPoint(s, fromMs, toMs, (_t, v) => {
        present.add(m);
        errors = (errors ?? 0) + v;
      });
    }
  }
  const errorRate =
    errors !== undefined && invocations !== undefined && invocations > 0 ? errors / invocations : undefined;

  // Utilisation: GPU instances are judged on their GPUs, CPU instances on their vCPUs; CloudWatch sums over both.
  let utilization: number | undefined;
  let utilizationP95: number | undefined;
  if (spec) {
    // GPU instances are judged on their GPUs when the window has GPU datapoints, else on their CPUs
    const gpuSeries = spec.gpus > 0 ? pick(series, 'GPUUtilization', 'Average') : [];
    const useGpu = gpuSeries.some((s) => hasPointIn(s, fromMs, toMs));
    const metric: MetricName = useGpu ? 'GPUUtilization' : 'CPUUtilization';
    const capacity = 100 * (useGpu ? spec.gpus : spec.vcpu);
    const samples: number[] = [];
    const perHour = new Map<number, { sum: number; n: number }>();
    for (const s of pick(series, metric, 'Average')) {
      eachPoint(s, fromMs, toMs, (t, v) => {
        present.add(metric);
        const u = Math.max(0, v / capacity);
        samples.push(u);
        const key = Math.floor(t / HOUR) * HOUR;
        const acc = perHour.get(key) ?? { sum: 0, n: 0 };
        acc.sum += u;
        acc.n++;
        perHour.set(key, acc);
      });
    }
    for (const [t, acc] of perHour) hour(t).utilization = acc.sum / acc.n;
    if (samples.length > 0) {
      utilization = samples.reduce((a, b) => a + b, 0) / samples.length;
      utilizationP95 = quantile(
        samples.sort((a, b) => a - b),
        0.95,
      );
    }
  }

  let cpuUtilizationP95: number | undefined;
  if (spec) {
    const cpu: number[] = [];
    for (const s of pick(series, 'CPUUtilization', 'Average')) {
      eachPoint(s, fromMs, toMs, (_t, v) => cpu.push(Math.max(0, v / (100 * spec.vcpu))));
    }
    cpuUtilizationP95 = quantile(
      cpu.sort((a, b) => a - b),
      0.95,
    );
  }

  return {
    invocations,
    latencyP99Ms,
    worstHourP99Ms,
    errorRate,
    utilization,
    utilizationP95,
    cpuUtilizationP95,
    hours,
    present,
  };
}
