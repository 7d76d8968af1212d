/**
 * CloudWatch's GetMetricData (JSON 1.0) over an account whose metrics are known hour by hour: each query's
 * datapoints over [StartTime, EndTime) at its Period, newest first unless ScanBy says otherwise. Shared by the
 * loopback accounts of the tests.
 */

const HOUR_MS = 3_600_000;

interface MetricQuery {
  readonly Id: string;
  readonly MetricStat: {
    readonly Metric: {
      readonly MetricName: string;
      readonly Dimensions: readonly { Name: string; Value: string }[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

/** A datapoint over [t, t + period) seconds of the metric, or undefined when the account has none. */
export type Datapoint = (
  dimensions: ReadonlyMap<string, string>,
  metric: string,
  stat: string,
  t: number,
  period: number,
) => number | undefined;

/** One datapoint from hourly values (each hour's value at its start, ms): sums add the hours up, other statistics average them. */
export function hourlyDatapoint(
  stat: string,
  t: number,
  period: number,
  hour: (ms: number) => number | undefined,
): number | undefined {
  const values: number[] = [];
  for (let ms = t * 1000; ms < (t + period) * 1000; ms += HOUR_MS) {
    const v = hour(ms);
    if (v !== undefined) values.push(v);
  }
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  return stat === 'Sum' ? sum : sum / values.length;
}

export function metricDataResponse(input: Record<string, unknown>, datapoint: Datapoint) {
  const queries = (input.MetricDataQueries ?? []) as MetricQuery[];
  const start = Number(input.StartTime);
  const end = Number(input.EndTime);
  const descending = input.ScanBy !== 'TimestampAscending';
  return {
    MetricDataResults: queries.map((q) => {
      const { Metric, Period, Stat } = q.MetricStat;
      const dims = new Map(Metric.Dimensions.map((d) => [d.Name, d.Value]));
      const points: [number, number][] = [];
      for (let t = start; t < end; t += Period) {
        const v = datapoint(dims, Metric.MetricName, Stat, t, Period);
        if (v !== undefined) points.push([t, v]);
      }
      if (descending) points.reverse();
      return {
        Id: q.Id,
        Label: Metric.MetricName,
        Timestamps: points.map(([t]) => t),
        Values: points.map(([, v]) => v),
        StatusCode: 'Complete',
      };
    }),
    Messages: [],
  };
}
