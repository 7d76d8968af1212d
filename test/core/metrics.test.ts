import { describe, expect, it } from 'vitest';
import { instanceSpec } from '../../lambdas/core/instances.ts';
import { summarizeEndpointMetrics } from '../../lambdas/core/metrics.ts';
import type { MetricName, MetricSeries } from '../../lambdas/core/types.ts';
import { HOUR, ms, series } from '../helpers/build.ts';

const FROM = '2026-10-01';
const FROM_MS = ms(FROM);
const DAY_END = FROM_MS + 24 * HOUR;
const EP = 'api-a';

/** An hourly series of EP from FROM, one value per hour. */
function hourly(
  metric: MetricName,
  stat: string,
  values: readonly number[],
  variant = 'AllTraffic',
): MetricSeries {
  return { ...series(EP, metric, stat, FROM, values.length, (h) => values[h] ?? 0), variant };
}

/** Summarises over the window [FROM, FROM + 24 h), as an instance of `type` when given. */
const summarize = (s: readonly MetricSeries[], type?: string) =>
  summarizeEndpointMetrics(s, FROM_MS, DAY_END, type ? instanceSpec(type) : undefined);

describe('summarizeEndpointMetrics: latency', () => {
  it('converts ModelLatency p99 from microseconds to milliseconds', () => {
    const m = summarize([
      hourly('Invocations', 'Sum', [100, 100]),
      hourly('ModelLatency', 'p99', [120_000, 120_000]),
    ]);
    expect(m.latencyP99Ms).toBe(120);
  });

  it("weights each hour's p99 by that hour's invocations", () => {
    // (900 x 100 ms + 100 x 500 ms) / 1000 = 140 ms
    const m = summarize([
      hourly('Invocations', 'Sum', [900, 100]),
      hourly('ModelLatency', 'p99', [100_000, 500_000]),
    ]);
    expect(m.latencyP99Ms).toBeCloseTo(140, 9);
  });

  // Bug: every variant's p99 is weighted by the invocations of the whole hour (all variants), not by the variant's
  // own, so a variant with little traffic counts as much as the one that serves the endpoint.
  it("weights each variant's p99 by that variant's invocations", () => {
    // variant A: 900 invocations at 100 ms, variant B: 100 at 500 ms, same hour: (90,000 + 50,000) / 1000 = 140 ms
    const m = summarize([
      hourly('Invocations', 'Sum', [900], 'A'),
      hourly('Invocations', 'Sum', [100], 'B'),
      hourly('ModelLatency', 'p99', [100_000], 'A'),
      hourly('ModelLatency', 'p99', [500_000], 'B'),
    ]);
    expect(m.latencyP99Ms).toBeCloseTo(140, 9);
  });

  it('takes the plain mean of the hourly p99s when the endpoint publishes no invocations', () => {
    expect(summarize([hourly('ModelLatency', 'p99', [100_000, 200_000])]).latencyP99Ms).toBe(150);
  });

  it('reports the worst hourly p99', () => {
    const m = summarize([
      hourly('Invocations', 'Sum', [900, 100, 900]),
      hourly('ModelLatency', 'p99', [100_000, 500_000, 90_000]),
    ]);
    expect(m.worstHourP99Ms).toBe(500);
  });

  it('ignores latency statistics other than p99', () => {
    const m = summarize([
      hourly('ModelLatency', 'p99', [100_000]),
      hourly('ModelLatency', 'Average', [900_000]),
    ]);
    expect(m.latencyP99Ms).toBe(100);
    expect(m.worstHourP99Ms).toBe(100);
  });
});

describe('summarizeEndpointMetrics: invocations and errors', () => {
  it('sums invocations over every hour and variant', () => {
    const m = summarize([
      hourly('Invocations', 'Sum', [900, 50], 'A'),
      hourly('Invocations', 'Sum', [100, 50], 'B'),
    ]);
    expect(m.invocations).toBe(1100);
  });

  it('leaves invocations undefined for an endpoint that publishes none (asynchronous inference)', () => {
    const m = summarize(
      [hourly('ModelLatency', 'p99', [100_000]), hourly('CPUUtilization', 'Average', [50])],
      'ml.m5.large',
    );
    expect(m.invocations).toBeUndefined();
    expect(m.present.has('Invocations')).toBe(false);
  });

  it('takes the error rate as 4XX plus 5XX errors over invocations', () => {
    // (3 + 2) / 1000 = 0.005
    const m = summarize([
      hourly('Invocations', 'Sum', [600, 400]),
      hourly('Invocation4XXErrors', 'Sum', [3, 0]),
      hourly('Invocation5XXErrors', 'Sum', [0, 2]),
    ]);
    expect(m.errorRate).toBeCloseTo(0.005, 12);
  });

  it('has no error rate without invocations to divide by', () => {
    expect(summarize([hourly('Invocation5XXErrors', 'Sum', [2])]).errorRate).toBeUndefined();
    expect(
      summarize([hourly('Invocations', 'Sum', [0]), hourly('Invocation5XXErrors', 'Sum', [0])]).errorRate,
    ).toBeUndefined();
  });
});

describe('summarizeEndpointMetrics: utilisation', () => {
  it('divides CPUUtilization, summed over cores, by the vCPU count', () => {
    // ml.m5.xlarge has 4 vCPUs: 200% of 400% is 0.5
    expect(summarize([hourly('CPUUtilization', 'Average', [200])], 'ml.m5.xlarge').utilization).toBe(0.5);
  });

  it('judges a GPU instance on GPUUtilization over its GPUs', () => {
    // ml.g5.12xlarge: 4 GPUs (200% of 400% = 0.5), 48 vCPUs (480% of 4800% = 0.1)
    const m = summarize(
      [hourly('GPUUtilization', 'Average', [200]), hourly('CPUUtilization', 'Average', [480])],
      'ml.g5.12xlarge',
    );
    expect(m.utilization).toBe(0.5);
    expect(m.present.has('GPUUtilization')).toBe(true);
  });

  it('judges a CPU instance on its vCPUs even when a GPUUtilization series is given', () => {
    const m = summarize(
      [hourly('GPUUtilization', 'Average', [0]), hourly('CPUUtilization', 'Average', [200])],
      'ml.m5.xlarge',
    );
    expect(m.utilization).toBe(0.5);
  });

  it('falls back to CPU on a GPU instance whose GPUUtilization has no datapoint in the window', () => {
    const outside = {
      ...hourly('GPUUtilization', 'Average', [200]),
      t: Float64Array.of(Date.parse('2020-01-01')),
    };
    expect(
      summarize([outside, hourly('CPUUtilization', 'Average', [480])], 'ml.g5.12xlarge').utilization,
    ).toBe(0.1);
  });

  it('falls back to CPU over all vCPUs on a GPU instance that publishes no GPUUtilization', () => {
    expect(summarize([hourly('CPUUtilization', 'Average', [480])], 'ml.g5.12xlarge').utilization).toBe(0.1);
  });

  it('keeps the CPU p95 over all vCPUs on a GPU instance judged on its GPUs', () => {
    const m = summarize(
      [hourly('GPUUtilization', 'Average', [200]), hourly('CPUUtilization', 'Average', [480])],
      'ml.g5.12xlarge',
    );
    expect(m.cpuUtilizationP95).toBeCloseTo(0.1, 12);
  });

  it('takes the utilisation p95 by interpolating between the hourly samples', () => {
    // ml.m5.large (2 vCPUs): samples 0.00..0.10; position 10 x 0.95 = 9.5, halfway between 0.09 and 0.10
    const m = summarize(
      [
        hourly(
          'CPUUtilization',
          'Average',
          Array.from({ length: 11 }, (_, h) => h * 2),
        ),
      ],
      'ml.m5.large',
    );
    expect(m.utilizationP95).toBeCloseTo(0.095, 12);
    expect(m.utilization).toBeCloseTo(0.05, 12);
  });

  it('leaves utilisation undefined when the instance type is unknown', () => {
    const m = summarize([hourly('CPUUtilization', 'Average', [200])], undefined);
    expect(m.utilization).toBeUndefined();
    expect(m.cpuUtilizationP95).toBeUndefined();
  });

  it("records each hour's invocations over the variants and utilisation as their mean", () => {
    // ml.m5.large (200%): hour 1 has 20 + 5 invocations and utilisation (0.75 + 0.25) / 2 = 0.5
    const m = summarize(
      [
        hourly('Invocations', 'Sum', [10, 20], 'A'),
        hourly('Invocations', 'Sum', [10, 5], 'B'),
        hourly('CPUUtilization', 'Average', [50, 150], 'A'),
        hourly('CPUUtilization', 'Average', [50, 50], 'B'),
      ],
      'ml.m5.large',
    );
    expect(m.hours.get(FROM_MS + HOUR)).toEqual({ invocations: 25, utilization: 0.5 });
  });

  // Bug: an hour's utilisation is folded in as a running pair average ((previous + next) / 2), so with three
  // variants (or sub-hourly datapoints) the last sample weighs half the hour instead of its share.
  it("takes an hour's utilisation as the mean of its variants", () => {
    // ml.m5.large (200%): 0.3, 0.3 and 0.9 average 0.5; the pair average gives ((0.3 + 0.3) / 2 + 0.9) / 2 = 0.6
    const m = summarize(
      [
        hourly('CPUUtilization', 'Average', [60], 'A'),
        hourly('CPUUtilization', 'Average', [60], 'B'),
        hourly('CPUUtilization', 'Average', [180], 'C'),
      ],
      'ml.m5.large',
    );
    expect(m.hours.get(FROM_MS)?.utilization).toBeCloseTo(0.5, 12);
  });
});

describe('summarizeEndpointMetrics: window', () => {
  it('counts datapoints from the window start up to, not including, its end', () => {
    // 26 hours from the hour before the window to the hour at its end: only the 1 and the 10 are inside
    const values = [1000, 1, ...new Array(22).fill(0), 10, 10_000];
    const s = series(EP, 'Invocations', 'Sum', '2026-09-30T23:00:00Z', 26, (h) => values[h] ?? 0);
    expect(summarize([s]).invocations).toBe(11);
  });

  it('lists as present only the metrics with a datapoint in the window', () => {
    const before = series(EP, 'ModelLatency', 'p99', '2026-09-30', 24, () => 100_000);
    const m = summarize([before, hourly('Invocations', 'Sum', [5])]);
    expect([...m.present]).toEqual(['Invocations']);
    expect(m.latencyP99Ms).toBeUndefined();
  });
});
