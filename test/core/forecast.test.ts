import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ComponentSeries, forecastRemaining, runRateRemaining } from '../../lambdas/core/forecast.ts';

/** Deterministic, roughly normal noise with standard deviation 1 (mulberry32, sum of four uniforms). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return () => (uniform() + uniform() + uniform() + uniform()) * Math.sqrt(3);
}

const days = (n: number, f: (t: number) => number) => Array.from({ length: n }, (_, t) => f(t));
const one = (values: number[]): ComponentSeries[] => [{ key: 'endpoint', values }];
const total = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('forecastRemaining', () => {
  it('follows a mid-period instance-type step up', () => {
    const values = [...days(30, () => 100), ...days(5, () => 180)];
    const result = forecastRemaining(one(values), 20);
    expect(result.expected).toBeCloseTo(180 * 20, 6);
    expect(result.components[0]?.levelShiftAt).toBe(30);
  });

  it('follows a step in noisy spend from the day it happened', () => {
    const r = noise(1);
    const values = days(35, (t) => (t < 30 ? 100 : 180) * (1 + 0.06 * r()));
    const result = forecastRemaining(one(values), 20);
    expect(result.expected / 20).toBeGreaterThan(176);
    expect(result.expected / 20).toBeLessThan(184);
    expect(result.components[0]?.levelShiftAt).toBe(30);
  });

  it('picks up a new endpoint that started 3 days ago', () => {
    const result = forecastRemaining(
      [
        { key: 'search-prod', values: days(30, () => 200) },
        { key: 'search-canary', values: days(30, (t) => (t < 27 ? 0 : 150)) },
      ],
      10,
    );
    const canary = result.components[1];
    expect(canary?.levelShiftAt).toBe(27);
    expect(canary?.remaining).toBeCloseTo(1500, 6);
    expect(result.expected).toBeCloseTo(2000 + 1500, 6);
  });

  it('drops a retired endpoint', () => {
    const r = noise(2);
    const values = [...days(28, () => 120 + 10 * r()), 0, 0];
    const result = forecastRemaining(one(values), 15);
    expect(result.expected).toBe(0);
    expect(result.low).toBe(0);
    expect(result.components[0]?.levelShiftAt).toBe(28);
  });

  it('does not drop an endpoint after a single day without spend', () => {
    const values = [...days(29, () => 120), 0];
    expect(forecastRemaining(one(values), 15).expected).toBeCloseTo(120 * 15, 6);
  });

  it('extrapolates a steady growth trend', () => {
    const r = noise(3);
    const growth = (t: number) => 100 + 2 * t;
    const values = days(30, (t) => growth(t) + 3 * r());
    const flatAtLastLevel = growth(29) * 20;
    const continued = total(days(20, (h) => growth(30 + h)));
    const result = forecastRemaining(one(values), 20);
    expect(result.components[0]?.trendPerDay).toBeCloseTo(2, 0);
    expect(result.expected).toBeGreaterThan(flatAtLastLevel + 0.5 * (continued - flatAtLastLevel));
    expect(Math.abs(result.expected - continued) / continued).toBeLessThan(0.03);
  });

  it('fits no trend on fewer than a week of days after a shift', () => {
    const values = [...days(20, () => 50), 100, 110, 120, 130];
    const result = forecastRemaining(one(values), 10);
    expect(result.components[0]?.trendPerDay).toBe(0);
  });

  it('ignores a single-day spike', () => {
    const r = noise(4);
    const base = days(30, () => 100 + 4 * r());
    const flat = forecastRemaining(one(base), 20).expected;
    const midSpike = base.map((v, t) => (t === 20 ? 900 : v));
    const lastDaySpike = base.map((v, t) => (t === 29 ? 900 : v));
    expect(forecastRemaining(one(midSpike), 20).expected).toBeCloseTo(flat, -1);
    expect(forecastRemaining(one(lastDaySpike), 20).expected).toBeCloseTo(flat, -1);
  });

  it('counts spikes that recur into the expected spend', () => {
    // A retraining job every 5 days on top of 10/day of storage: the average of the jobs is spend to come.
    const values = days(30, (t) => 10 + (t % 5 === 4 ? 50 : 0));
    const result = forecastRemaining(one(values), 10);
    expect(result.expected).toBeCloseTo(20 * 10, 6);
    expect(result.components[0]?.method).toContain('recurring-spikes');
  });

  it('is flat for flat data, with an interval that still allows for a change over the month', () => {
    const r = noise(5);
    const result = forecastRemaining(one(days(30, () => 100 + r())), 30);
    expect(result.expected).toBeCloseTo(3000, -1);
    expect(result.components[0]?.trendPerDay).toBe(0);
    // about +-3.5%: a level that has not moved yet may still move before the period ends
    expect((result.high - result.low) / result.expected).toBeGreaterThan(0.04);
    expect((result.high - result.low) / result.expected).toBeLessThan(0.1);
  });

  it('gives a wider interval for noisier data', () => {
    const r = noise(6);
    const shocks = days(30, () => r());
    const calm = forecastRemaining(one(shocks.map((e) => 100 + 2 * e)), 20);
    const noisy = forecastRemaining(one(shocks.map((e) => 100 + 20 * e)), 20);
    expect(noisy.high - noisy.low).toBeGreaterThan(3 * (calm.high - calm.low));
  });

  const width = (s: ComponentSeries[], h: number) => {
    const f = forecastRemaining(s, h);
    return f.high - f.low;
  };

  it('widens the interval with the horizon', () => {
    const r = noise(7);
    const series = one(days(40, () => 100 + 3 * r()));
    expect(width(series, 20)).toBeGreaterThan(width(series, 10));
    expect(width(series, 10)).toBeGreaterThan(width(series, 5));
  });

  it('widens the interval for a level seen only a few days', () => {
    // Same shocks, so both noise estimates come out alike (2.42 and 2.47 for this seed): the difference is the
    // uncertainty of a level read from 3 days instead of 40, about sqrt(153 / 30) = 2.3 times the width.
    const r = noise(1);
    const shocks = days(40, () => r());
    const settled = one(shocks.map((e) => 100 + 3 * e));
    const young = one(shocks.map((e, t) => (t < 37 ? 20 : 100) + 3 * e));
    expect(width(young, 20)).toBeGreaterThan(1.5 * width(settled, 20));
  });

  it('follows a weekly pattern once three weeks support it', () => {
    // Weekdays 100, weekends 20 (as-of is index 34, a weekend day by this pattern's phase).
    const weekly = (t: number) => (t % 7 >= 5 ? 20 : 100);
    const values = days(35, weekly);
    const result = forecastRemaining(one(values), 14);
    expect(result.components[0]?.method).toContain('weekly');
    expect(result.expected).toBeCloseTo(total(days(14, (h) => weekly(35 + h))), 6);
  });

  it('does not take a weekend dip for a retired endpoint', () => {
    const weekly = (t: number) => (t % 7 >= 5 ? 20 : 100);
    const endsOnWeekend = days(35, weekly);
    expect(endsOnWeekend.slice(-2)).toEqual([20, 20]);
    const result = forecastRemaining(one(endsOnWeekend), 7);
    expect(result.components[0]?.levelShiftAt).toBeUndefined();
    expect(result.expected).toBeCloseTo(5 * 100 + 2 * 20, 6);
  });

  it('forecasts 0 for a component that never spent', () => {
    const result = forecastRemaining([{ key: 'idle', values: days(30, () => 0) }], 30);
    expect(result).toMatchObject({ expected: 0, low: 0, high: 0 });
    expect(result.components[0]?.method).toBe('zero');
  });

  it('forecasts nothing for a horizon of 0 days', () => {
    const result = forecastRemaining(one(days(30, (t) => 100 + t)), 0);
    expect(result).toMatchObject({ expected: 0, low: 0, high: 0 });
  });

  it('combines components by summing expectations and variances', () => {
    const r = noise(8);
    const a = { key: 'a', values: days(30, () => 100 + 10 * r()) };
    const b = { key: 'b', values: days(30, () => 50 + 10 * r()) };
    const both = forecastRemaining([a, b], 10);
    const [fa, fb] = [forecastRemaining([a], 10), forecastRemaining([b], 10)];
    expect(both.expected).toBeCloseTo(fa.expected + fb.expected, 9);
    const halfWidth = (f: typeof both) => f.high - f.expected;
    expect(halfWidth(both)).toBeCloseTo(Math.hypot(halfWidth(fa), halfWidth(fb)), 9);
  });

  it('widens the interval for a higher coverage', () => {
    const r = noise(9);
    const series = one(days(30, () => 100 + 10 * r()));
    const narrow = forecastRemaining(series, 10, { coverage: 0.5 });
    const wide = forecastRemaining(series, 10, { coverage: 0.95 });
    // Normal quantiles: z(0.975) / z(0.75) = 1.95996 / 0.67449.
    expect((wide.high - wide.expected) / (narrow.high - narrow.expected)).toBeCloseTo(1.95996 / 0.67449, 4);
  });

  it('rejects components of different lengths, a bad horizon and a bad coverage', () => {
    const a = { key: 'a', values: [1, 2, 3] };
    expect(() => forecastRemaining([a, { key: 'b', values: [1, 2] }], 5)).toThrow(/"b" has 2 days/);
    expect(() => forecastRemaining([a], -1)).toThrow(RangeError);
    expect(() => forecastRemaining([a], 2.5)).toThrow(RangeError);
    expect(() => forecastRemaining([a], 5, { coverage: 1 })).toThrow(/coverage/);
    expect(() => forecastRemaining([{ key: 'n', values: [1, Number.NaN] }], 5)).toThrow(/non-finite/);
  });
});

describe('forecastRemaining: a young regime', () => {
  // history padded before the endpoint existed; its first day is billed from 17:00 only
  const young = (full: number[], before = 20): ComponentSeries[] => [
    { key: 'new-endpoint', values: [...Array<null>(before).fill(null), 0.3 * (full[0] ?? 0), ...full] },
  ];

  it('forecasts a new endpoint with one full day from that day, not from its partial first day', () => {
    const result = forecastRemaining(young([100]), 20);
    expect(result.expected).toBeCloseTo(2000, 6);
  });

  it('gives a new endpoint an interval that says how little is known, narrowing as days accrue', () => {
    const oneDay = forecastRemaining(young([100]), 20);
    expect(oneDay.low).toBeLessThan(0.85 * oneDay.expected);
    expect(oneDay.high).toBeGreaterThan(1.15 * oneDay.expected);
    const r = noise(11);
    const threeWeeks = forecastRemaining(young(days(21, () => 100 + 2 * r())), 20);
    expect(threeWeeks.high - threeWeeks.low).toBeLessThan((oneDay.high - oneDay.low) / 2);
  });
});

describe('forecastRemaining: the chance of a change before the period ends', () => {
  /** A level walking 2% a day with 5% daily noise: `n` days of history, then `h` days to forecast. */
  const walk = (seed: number, n: number, h: number) => {
    const r = noise(seed);
    let level = 100;
    return days(n + h, () => {
      level *= 1 + 0.02 * r();
      return level * (1 + 0.05 * r());
    });
  };

  it('covers the actual spend about as often as the interval says (80%)', () => {
    let inside = 0;
    const runs = 200;
    for (let seed = 1; seed <= runs; seed++) {
      const series = walk(seed, 60, 20);
      const f = forecastRemaining(one(series.slice(0, 60)), 20);
      const actual = total(series.slice(60));
      if (f.low <= actual && actual <= f.high) inside++;
    }
    expect(inside / runs).toBeGreaterThan(0.7);
    expect(inside / runs).toBeLessThan(0.92);
  });

  it('is widest early in the period: more days ahead, and more room for the level to move in each', () => {
    const series = walk(7, 60, 0);
    const width = (h: number) => {
      const f = forecastRemaining(one(series), h);
      return f.high - f.low;
    };
    // as of day 7 (24 days ahead) and day 21 (10 days ahead) of a 31-day month
    expect(width(24)).toBeGreaterThan(2 * width(10));
    expect(width(24) / 24).toBeGreaterThan(width(10) / 10);
  });

  it('is wider for a component whose level has moved from week to week than for a steady one', () => {
    const r = noise(8);
    const steady = days(56, () => 100 + 3 * r());
    const weeks = [100, 130, 85, 120, 90, 100, 100, 100];
    const moving = days(56, (t) => (weeks[Math.floor(t / 7)] ?? 100) + 3 * r());
    const width = (values: number[]) => {
      const f = forecastRemaining(one(values), 20);
      return f.high - f.low;
    };
    expect(width(moving)).toBeGreaterThan(2 * width(steady));
  });
});

describe('runRateRemaining', () => {
  it('projects the average day to date over the rest of the period', () => {
    expect(runRateRemaining([10, 20, 30], 27)).toBe(20 * 27);
    expect(runRateRemaining([], 30)).toBe(0);
  });
});

/** Absolute percentage error of (spend to date + forecast) against the true period total. */
const ape = (toDate: number, remaining: number, truth: number) =>
  Math.abs(toDate + remaining - truth) / truth;

describe('backtest on synthetic SageMaker months, as of day 15', () => {
  const MONTH = 30;
  const AS_OF = 15;
  const HISTORY = 30;
  const r = noise(42);
  const jitter = (v: number) => v * (1 + 0.04 * r());
  // Day t of the period is index HISTORY + t - 1; each case returns its components' daily spend over history + month.
  const cases: Record<string, (day: (i: number) => number) => number[][]> = {
    'instance type change on day 8': (day) => [days(HISTORY + MONTH, (i) => jitter(day(i) < 8 ? 110 : 198))],
    'instance type change on day 12': (day) => [
      days(HISTORY + MONTH, (i) => jitter(day(i) < 12 ? 230 : 460)),
    ],
    'new endpoint from day 11': (day) => [
      days(HISTORY + MONTH, () => jitter(200)),
      days(HISTORY + MONTH, (i) => (day(i) < 11 ? 0 : jitter(150))),
    ],
    'endpoint retired after day 9': (day) => [
      days(HISTORY + MONTH, () => jitter(200)),
      days(HISTORY + MONTH, (i) => (day(i) <= 9 ? jitter(160) : 0)),
    ],
    'autoscaling adds an instance on day 10': (day) => [
      days(HISTORY + MONTH, (i) => jitter(day(i) < 10 ? 240 : 360)),
    ],
    'steady traffic growth': () => [days(HISTORY + MONTH, (i) => jitter(100 + 2.5 * i))],
    'growth with a weekend dip': () => [
      days(HISTORY + MONTH, (i) => jitter((i % 7 >= 5 ? 0.5 : 1) * (150 + 2 * i))),
    ],
    'instance downsized on day 6 while traffic grows': (day) => [
      days(HISTORY + MONTH, (i) => jitter((day(i) < 6 ? 300 : 150) + 1.5 * i)),
    ],
  };

  const results = Object.entries(cases).map(([name, build]) => {
    const components = build((i) => i - HISTORY + 1);
    const daily = days(HISTORY + MONTH, (i) => total(components.map((c) => c[i] ?? 0)));
    const truth = total(daily.slice(HISTORY));
    const toDate = total(daily.slice(HISTORY, HISTORY + AS_OF));
    const asOf = components.map((values, k) => ({ key: `c${k}`, values: values.slice(0, HISTORY + AS_OF) }));
    const ours = ape(toDate, forecastRemaining(asOf, MONTH - AS_OF).expected, truth);
    const runRate = ape(
      toDate,
      runRateRemaining(daily.slice(HISTORY, HISTORY + AS_OF), MONTH - AS_OF),
      truth,
    );
    return { name, ours, runRate };
  });

  it.each(results)('lands within 10% of the month total: $name', ({ ours }) => {
    expect(ours).toBeLessThan(0.1);
  });

  it('has a lower mean absolute percentage error than run-rate', () => {
    const mape = (k: 'ours' | 'runRate') => total(results.map((x) => x[k])) / results.length;
    expect(mape('ours')).toBeLessThan(mape('runRate'));
  });
});

describe('backtest on real Cost Explorer daily spend', () => {
  interface CostExplorerDay {
    TimePeriod: { Start: string };
    Groups: { Keys: string[]; Metrics: { UnblendedCost: { Amount: string } } }[];
  }
  const fixture = JSON.parse(
    readFileSync(
      new URL('../fixtures/cost-explorer/cloudtoolbox-daily-by-service.json', import.meta.url),
      'utf8',
    ),
  ) as { ResultsByTime: CostExplorerDay[] };
  const spend = fixture.ResultsByTime.map((d) => ({
    day: d.TimePeriod.Start,
    amount: total(
      d.Groups.filter((g) => g.Keys[0] !== 'Tax').map((g) => Number(g.Metrics.UnblendedCost.Amount)),
    ),
  }));

  function backtest(month: string, asOfDay: number) {
    const first = spend.findIndex((d) => d.day.startsWith(month));
    const inMonth = spend.filter((d) => d.day.startsWith(month)).map((d) => d.amount);
    const history = spend.slice(0, first + asOfDay).map((d) => d.amount);
    const toDate = total(inMonth.slice(0, asOfDay));
    const horizon = inMonth.length - asOfDay;
    const truth = total(inMonth);
    const forecast = forecastRemaining([{ key: 'account', values: history }], horizon);
    return {
      ours: ape(toDate, forecast.expected, truth),
      runRate: ape(toDate, runRateRemaining(inMonth.slice(0, asOfDay), horizon), truth),
    };
  }

  /*
   * Absolute percentage error of the month total (the account's daily spend summed over services, without Tax):
   *
   *   month    as of   truth    ours    run-rate
   *   2024-02  day 10  $13.19   87.9%   87.9%    $0.055/day so far; an EC2 instance starts on day 11
   *   2024-02  day 15  $13.19   82.9%   10.4%    EC2 at $1.29/day for 4 days, stopped after day 20
   *   2024-02  day 20  $13.19   82.8%   37.8%    EC2 at $1.29/day for 9 days, stopped after day 20
   *   2024-03  day 10  $3.94    78.8%   95.8%    near-zero days with sporadic charges of $0.05-$0.97
   *   2024-03  day 15  $3.94    26.1%   22.0%
   *   2024-03  day 20  $3.94     4.3%    0.5%
   *   mean                      60.5%   42.4%
   *
   * Run-rate wins February, so ours is worse on average over both months. The forecast follows the new EC2
   * level, which held steadily for 4 and 9 days with nothing hinting at an end, and the instance was stopped the
   * day after; run-rate's blend of the two regimes landed nearer by chance. A forecast that is to pick up a new
   * endpoint after 3 days cannot also foresee its deletion. In March, where the history gives the forecast a
   * regime to fit, ours is ahead on average (36.4% against 39.4%), much better on day 10 and a little worse on
   * days 15 and 20. The tests pin what holds: March no worse than run-rate on average, and every figure no
   * worse than recorded above, so a change that makes the forecast worse on real data fails here.
   */
  const recorded = {
    '2024-02': { 10: 0.879, 15: 0.829, 20: 0.828 },
    '2024-03': { 10: 0.788, 15: 0.261, 20: 0.043 },
  } as const;
  const runs = Object.entries(recorded).flatMap(([month, byDay]) =>
    Object.entries(byDay).map(([day, error]) => ({
      month,
      day: Number(day),
      recorded: error,
      ...backtest(month, Number(day)),
    })),
  );

  it.each(runs)('$month as of day $day is no worse than recorded', ({ ours, recorded: error }) => {
    expect(ours).toBeLessThanOrEqual(error + 0.001);
  });

  it('is no worse than run-rate on average in March, the month with history to fit', () => {
    const march = runs.filter((x) => x.month === '2024-03');
    const mean = (k: 'ours' | 'runRate') => total(march.map((x) => x[k])) / march.length;
    expect(mean('ours')).toBeLessThanOrEqual(mean('runRate'));
  });
});

describe('forecastRemaining: trends that bend', () => {
  // weekday rhythm: weekends at 70%
  const weekly = (t: number) => (t % 7 === 5 || t % 7 === 6 ? 0.7 : 1);

  it('follows a step inside a weekly rhythm from the level it has reached', () => {
    // 35 days flat at 100/day, then traffic grows 6%/day for 9 days and holds at ~170
    const values = Array.from({ length: 46 }, (_, t) => {
      const level = t < 35 ? 100 : Math.min(170, 100 * 1.06 ** (t - 34));
      return level * weekly(t);
    });
    const r = forecastRemaining([{ key: 'search', values }], 15);
    const truth = Array.from({ length: 15 }, (_, h) => 170 * weekly(46 + h)).reduce((a, b) => a + b, 0);
    expect(Math.abs(r.expected - truth) / truth).toBeLessThan(0.1);
  });

  it('refits a trend that bends on the recent days: between holding the level reached and growing on', () => {
    // 35 days flat at ~100, then a linear ramp of 9 days to 170 and two days there; deterministic 5% noise
    const noise = (t: number) => ((Math.sin(t * 12.9898) * 43758.5453) % 1) * 0.05;
    const values = Array.from(
      { length: 46 },
      (_, t) => (t < 35 ? 100 : Math.min(170, 100 + (70 * (t - 34)) / 9)) * (1 + noise(t)),
    );
    const r = forecastRemaining([{ key: 'search', values }], 15);
    expect(r.components[0]?.method).toContain('recent');
    const holds = 170 * 15;
    const growsOn = Array.from({ length: 15 }, (_, h) => 170 + (70 / 9) * (h + 1)).reduce((a, b) => a + b, 0);
    expect(r.expected).toBeGreaterThan(0.95 * holds);
    expect(r.expected).toBeLessThan(growsOn);
  });

  it('does not mistake a single recent spike for a bend', () => {
    const values = Array.from({ length: 40 }, (_, t) => (t === 37 ? 400 : 100));
    const r = forecastRemaining([{ key: 'x', values }], 10);
    expect(r.components[0]?.method).not.toContain('recent');
    expect(r.expected).toBeCloseTo(1000, 0);
  });

  it('never gives a steady series a zero-width interval', () => {
    const r = forecastRemaining([{ key: 'x', values: Array.from({ length: 20 }, () => 50) }], 10);
    expect(r.expected).toBeCloseTo(500, 6);
    expect(r.high - r.low).toBeGreaterThan(0);
  });
});

describe('forecastRemaining: weekly rhythm across a level shift', () => {
  it('keeps the weekdays of the weeks before an instance-type step for the few days after it', () => {
    const weekly = (t: number) => (t % 7 === 5 || t % 7 === 6 ? 0.6 : 1);
    // 42 days at 100/day on weekdays, then the same traffic on an instance type costing 1.5x, for 8 days
    const values = Array.from({ length: 50 }, (_, t) => (t < 42 ? 100 : 150) * weekly(t));
    const r = forecastRemaining([{ key: 'rank', values }], 14);
    const truth = Array.from({ length: 14 }, (_, h) => 150 * weekly(50 + h)).reduce((a, b) => a + b, 0);
    expect(r.components[0]?.levelShiftAt).toBe(42);
    expect(r.components[0]?.method).toContain('weekly');
    expect(Math.abs(r.expected - truth) / truth).toBeLessThan(0.02);
  });
});
