import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { loadMetricsCsv } from '../../lambdas/formats/metrics-csv.ts';
import { scratch } from '../helpers/fixtures.ts';

const tmp = scratch();
const HEADER = 'timestamp,endpoint,variant,metric,stat,value';

function metrics(name: string, ...rows: string[]): string {
  return tmp.write(name, [HEADER, ...rows].join('\n'));
}

describe('loadMetricsCsv', () => {
  it('builds one series per endpoint, variant, metric and statistic, points in time order', async () => {
    const path = metrics(
      'two-series.csv',
      '2024-09-18T01:00:00Z,search-prod,AllTraffic,Invocations,Sum,120',
      '2024-09-18T00:00:00Z,search-prod,AllTraffic,Invocations,Sum,100',
      '2024-09-18T00:00:00Z,search-prod,AllTraffic,ModelLatency,p99,85000.5',
      '2024-09-18T02:00:00Z,search-prod,AllTraffic,Invocations,Sum,90',
    );
    const { series, gaps } = await loadMetricsCsv(path);
    expect(gaps).toEqual([]);
    expect(
      series.map((s) => [s.endpoint, s.variant, s.metric, s.stat, [...s.t], [...s.v], s.periodSeconds]),
    ).toEqual([
      [
        'search-prod',
        'AllTraffic',
        'Invocations',
        'Sum',
        [Date.UTC(2024, 8, 18, 0), Date.UTC(2024, 8, 18, 1), Date.UTC(2024, 8, 18, 2)],
        [100, 120, 90],
        3600,
      ],
      ['search-prod', 'AllTraffic', 'ModelLatency', 'p99', [Date.UTC(2024, 8, 18, 0)], [85000.5], 3600],
    ]);
    expect(series[0]?.t).toBeInstanceOf(Float64Array);
    expect(series[0]?.v).toBeInstanceOf(Float64Array);
  });

  it('reads epoch seconds and offsets, and infers the period from the most common gap', async () => {
    const t0 = Date.UTC(2024, 8, 18) / 1000;
    const path = metrics(
      'five-minute.csv',
      `${t0},recs,blue,CPUUtilization,Average,40`,
      `${t0 + 300},recs,blue,CPUUtilization,Average,41`,
      '2024-09-18T02:10:00+02:00,recs,blue,CPUUtilization,Average,42',
      `${t0 + 1800},recs,blue,CPUUtilization,Average,43`,
      `${t0 + 2100},recs,blue,CPUUtilization,Maximum,99.5`,
      `${t0 + 2100},recs,green,CPUUtilization,p99.9,12`,
    );
    const { series } = await loadMetricsCsv(path);
    const [avg, max, green] = series;
    expect([...(avg?.t ?? [])]).toEqual([0, 300, 600, 1800].map((s) => (t0 + s) * 1000));
    expect(avg?.periodSeconds).toBe(300);
    expect(max).toMatchObject({ stat: 'Maximum', periodSeconds: 3600 });
    expect(green).toMatchObject({ variant: 'green', stat: 'p99.9' });
  });

  it('gives no series and a gap for a header-only file', async () => {
    const path = metrics('header-only.csv');
    expect(await loadMetricsCsv(path)).toEqual({
      series: [],
      gaps: [{ source: 'metrics', scope: path, message: 'the metrics file has no data rows' }],
    });
  });
});

describe('loadMetricsCsv on bad input', () => {
  const good = '2024-09-18T00:00:00Z,search-prod,AllTraffic,Invocations,Sum,1';

  it('names an unknown metric', async () => {
    const path = metrics('metric.csv', good, '2024-09-18T00:00:00Z,search-prod,AllTraffic,Latency,Average,1');
    await expect(loadMetricsCsv(path)).rejects.toThrow(
      new RegExp(
        `^${path}, row 3, column metric: expected a SageMaker metric name \\(Invocations, .*\\), got "Latency"$`,
      ),
    );
  });

  it('names a statistic that is not one', async () => {
    const path = metrics('stat.csv', '2024-09-18T00:00:00Z,search-prod,AllTraffic,ModelLatency,P99,1');
    await expect(loadMetricsCsv(path)).rejects.toThrow(`${path}, row 2, column stat: expected a statistic`);
    const tm = metrics('stat-tm.csv', '2024-09-18T00:00:00Z,search-prod,AllTraffic,ModelLatency,tm99,1');
    await expect(loadMetricsCsv(tm)).rejects.toThrow(`${tm}, row 2, column stat:`);
  });

  it('names both rows of a duplicate point, in order or not', async () => {
    const inOrder = metrics(
      'dup.csv',
      good,
      '2024-09-18T01:00:00Z,search-prod,AllTraffic,Invocations,Sum,2',
      good,
    );
    await expect(loadMetricsCsv(inOrder)).rejects.toThrow(
      `${inOrder}, row 4, column timestamp: duplicate point: search-prod/AllTraffic Invocations Sum at 2024-09-18T00:00:00.000Z is also on row 2`,
    );
    const sameInstant = metrics(
      'dup-epoch.csv',
      good,
      `${Date.UTC(2024, 8, 18) / 1000},search-prod,AllTraffic,Invocations,Sum,2`,
    );
    await expect(loadMetricsCsv(sameInstant)).rejects.toThrow(
      `${sameInstant}, row 3, column timestamp: duplicate point`,
    );
  });

  it('names a value that is not a finite number', async () => {
    for (const value of ['abc', '', 'NaN', 'Infinity', '1,5']) {
      const path = metrics(
        `value-${value.length}-${value.charCodeAt(0) || 0}.csv`,
        good.replace(/,1$/, `,${value}`),
      );
      const err = await loadMetricsCsv(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        value === '1,5'
          ? `${path}, row 2: expected 6 fields`
          : `${path}, row 2, column value: expected a finite number`,
      );
    }
  });

  it('names a timestamp without a zone, and epoch milliseconds', async () => {
    const local = metrics('local-time.csv', good.replace('00:00:00Z', '00:00:00'));
    await expect(loadMetricsCsv(local)).rejects.toThrow(
      `${local}, row 2, column timestamp: expected an ISO 8601 timestamp with Z or an offset`,
    );
    const millis = metrics('millis.csv', good.replace('2024-09-18T00:00:00Z', String(Date.UTC(2024, 8, 18))));
    await expect(loadMetricsCsv(millis)).rejects.toThrow(
      /column timestamp: expected epoch seconds, got "\d+" \(milliseconds\?\)/,
    );
  });

  it('names missing columns and requires the header', async () => {
    const noStat = tmp.write('no-stat.csv', 'timestamp,endpoint,variant,metric,value\n');
    await expect(loadMetricsCsv(noStat)).rejects.toThrow(
      `${noStat}, row 1, column stat: missing required column; found columns: timestamp, endpoint, variant, metric, value`,
    );
    const empty = tmp.write('empty.csv', '');
    await expect(loadMetricsCsv(empty)).rejects.toThrow(
      `${empty}: empty file: expected the header ${HEADER}`,
    );
  });
});

describe('loadMetricsCsv on counts that cannot be', () => {
  it('refuses a negative Invocations, naming the row', async () => {
    const path = metrics(
      'negative.csv',
      '2024-09-18T00:00:00Z,search-prod,AllTraffic,Invocations,Sum,100',
      '2024-09-18T01:00:00Z,search-prod,AllTraffic,Invocations,Sum,-5',
    );
    await expect(loadMetricsCsv(path)).rejects.toThrow(
      `${path}, row 3, column value: expected a value from 0 to 10^15 (Invocations), got "-5"`,
    );
  });

  it('refuses negative error counts and latencies, and values past 10^15', async () => {
    const errors = metrics('neg-5xx.csv', '2024-09-18T00:00:00Z,a,AllTraffic,Invocation5XXErrors,Sum,-1');
    await expect(loadMetricsCsv(errors)).rejects.toThrow(/row 2, column value: .*Invocation5XXErrors/);
    const latency = metrics('neg-latency.csv', '2024-09-18T00:00:00Z,a,AllTraffic,ModelLatency,p99,-0.5');
    await expect(loadMetricsCsv(latency)).rejects.toThrow(/row 2, column value: .*ModelLatency/);
    const huge = metrics('huge.csv', '2024-09-18T00:00:00Z,a,AllTraffic,Invocations,Sum,1e300');
    await expect(loadMetricsCsv(huge)).rejects.toThrow(
      /row 2, column value: expected a value from 0 to 10\^15/,
    );
  });
});
