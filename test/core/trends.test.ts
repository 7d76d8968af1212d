import { describe, expect, it } from 'vitest';
import { type Money, parseMoney } from '../../lambdas/core/money.ts';
import { dayRange, endpointDailyTrends } from '../../lambdas/core/trends.ts';
import type { MetricSeries } from '../../lambdas/core/types.ts';
import { series } from '../helpers/build.ts';

const money = (s: string): Money => parseMoney(s) as Money;
const days = ['2026-10-01', '2026-10-02', '2026-10-03'];

function variant(s: MetricSeries, name: string): MetricSeries {
  return { ...s, variant: name };
}

describe('endpointDailyTrends', () => {
  it('divides each day’s spend by that day’s invocations over every variant', () => {
    const inv = [
      variant(
        series('api', 'Invocations', 'Sum', '2026-10-01', 72, () => 100),
        'a',
      ),
      variant(
        series('api', 'Invocations', 'Sum', '2026-10-01', 72, () => 25),
        'b',
      ),
    ];
    const spend = new Map([
      ['2026-10-01', money('6.000000000001')],
      ['2026-10-02', money('3.005')],
      ['2026-10-03', money('1.5')],
    ]);
    const out = endpointDailyTrends({
      range: dayRange(days, 'UTC'),
      series: inv,
      spend,
      completeThrough: '2026-10-03',
    });
    // 24 h x 125 = 3000 invocations a day
    expect(out.map((d) => d.invocations)).toEqual([3000, 3000, 3000]);
    expect(out.map((d) => d.costPer1k)).toEqual([2, 1.001667, 0.5]);
    // spend shown to the cent, half away from zero
    expect(out.map((d) => d.spend)).toEqual([6, 3.01, 1.5]);
  });

  it('weights each variant’s hourly p99 by its own traffic, in milliseconds', () => {
    const s = [
      variant(
        series('api', 'Invocations', 'Sum', '2026-10-01', 24, () => 300),
        'a',
      ),
      variant(
        series('api', 'Invocations', 'Sum', '2026-10-01', 24, () => 100),
        'b',
      ),
      variant(
        series('api', 'ModelLatency', 'p99', '2026-10-01', 24, () => 40_000),
        'a',
      ),
      variant(
        series('api', 'ModelLatency', 'p99', '2026-10-01', 24, () => 80_000),
        'b',
      ),
    ];
    const [d] = endpointDailyTrends({
      range: dayRange(['2026-10-01'], 'UTC'),
      series: s,
      spend: undefined,
      completeThrough: '2026-10-01',
    });
    expect(d?.latencyP99Ms).toBe(50); // (40 x 300 + 80 x 100) / 400
  });

  it('leaves a day without data as null, never zero', () => {
    // metrics stop after the first day; spend has no row on the second day
    const s = [
      series('api', 'Invocations', 'Sum', '2026-10-01', 24, () => 10),
      series('api', 'ModelLatency', 'p99', '2026-10-01', 24, () => 20_000),
    ];
    const out = endpointDailyTrends({
      range: dayRange(days, 'UTC'),
      series: s,
      spend: new Map([
        ['2026-10-01', money('1')],
        ['2026-10-03', money('1')],
      ]),
      completeThrough: '2026-10-03',
    });
    expect(out[0]).toEqual({
      day: '2026-10-01',
      spend: 1,
      invocations: 240,
      costPer1k: 4.166667,
      latencyP99Ms: 20,
    });
    expect(out[1]).toEqual({
      day: '2026-10-02',
      spend: null,
      invocations: null,
      costPer1k: null,
      latencyP99Ms: null,
    });
    // spend but no invocations: the unit cost is unknown
    expect(out[2]?.spend).toBe(1);
    expect(out[2]?.costPer1k).toBeNull();
  });

  it('gives no unit cost on a day with zero invocations or with partial cost data', () => {
    const s = [series('api', 'Invocations', 'Sum', '2026-10-01', 72, (h) => (h < 24 ? 0 : 50))];
    const spend = new Map(days.map((d) => [d, money('2')]));
    const out = endpointDailyTrends({
      range: dayRange(days, 'UTC'),
      series: s,
      spend,
      completeThrough: '2026-10-02',
    });
    expect(out[0]?.invocations).toBe(0);
    expect(out[0]?.costPer1k).toBeNull();
    expect(out[1]?.costPer1k).toBeCloseTo(1.666667, 6);
    expect(out[2]?.costPer1k).toBeNull();
    expect(out[2]?.spend).toBe(2);
  });

  it('has no metric values at all when no metrics were collected', () => {
    const out = endpointDailyTrends({
      range: dayRange(days, 'UTC'),
      series: undefined,
      spend: new Map([['2026-10-01', money('5')]]),
      completeThrough: '2026-10-03',
    });
    expect(out.every((d) => d.invocations === null && d.latencyP99Ms === null && d.costPer1k === null)).toBe(
      true,
    );
  });

  it('cuts days in the billing time zone', () => {
    // one invocation per hour from 2026-10-01T00:00Z: the New York day 2026-10-01 starts at 04:00Z
    const s = [series('api', 'Invocations', 'Sum', '2026-10-01', 48, () => 1)];
    const [d] = endpointDailyTrends({
      range: dayRange(['2026-10-01'], 'America/New_York'),
      series: s,
      spend: undefined,
      completeThrough: '2026-10-01',
    });
    expect(d?.invocations).toBe(24);
  });
});
