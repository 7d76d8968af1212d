import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ComponentSeries, forecastRemaining } from '../../lambdas/core/forecast.ts';
import { forecastCombined } from '../../lambdas/core/forecast-combine.ts';

const days = <T>(n: number, f: (t: number) => T): T[] => Array.from({ length: n }, (_, t) => f(t));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('forecastCombined', () => {
  it('keeps the regime forecast for a clean step in a budget whose history it forecast well', () => {
    // 60 steady days, then a resize: the replay finds both methods right before it, so the step's level stands
    const components: ComponentSeries[] = [
      { key: 'search', values: [...days(60, () => 100), ...days(5, () => 180)] },
      { key: '(other charges)', values: days(65, () => 3) },
    ];
    const combined = forecastCombined(components, 20, 10);
    expect(combined.runRateWeight).toBe(0);
    expect(combined.expected).toBeCloseTo((180 + 3) * 20, 6);
    expect(combined.expected).toBe(forecastRemaining(components, 20).expected);
  });

  it("keeps a new budget's only endpoint on the level of its full days", () => {
    const values = [...days<number | null>(20, () => null), 40, ...days(4, () => 120)];
    const combined = forecastCombined([{ key: 'canary', values }], 20, 5);
    expect(combined.runRateWeight).toBe(0);
    expect(combined.expected).toBeCloseTo(120 * 20, 6);
  });

  it('leans on the run-rate when the history shows levels that come and go faster than they can be read', () => {
    // an experiment endpoint switched on for 4 days out of every 11, for months: the regime forecast keeps
    // whatever state the last days show, while the run-rate averages the on and off days
    const onOff = (t: number) => (t % 11 < 4 ? 50 : 0);
    const components: ComponentSeries[] = [
      { key: 'lab', values: days(80, onOff) },
      { key: '(other charges)', values: days(80, () => 1) },
    ];
    const elapsed = 14;
    const horizon = 16;
    const combined = forecastCombined(components, horizon, elapsed);
    const regime = forecastRemaining(components, horizon).expected;
    const truth = sum(days(horizon, (h) => onOff(80 + h) + 1));
    expect(combined.runRateWeight).toBeGreaterThan(0.3);
    expect(Math.abs(combined.expected - truth)).toBeLessThan(Math.abs(regime - truth));
  });

  it('averages the two in a young budget whose period spans a level the regime forecast has left behind', () => {
    // ten days of a few cents, then an instance at $1.29 a day for four: too little history to replay, and
    // nothing says yet whether the new level lasts
    const values = [...days(10, () => 0.055), 0.473, ...days(3, () => 1.286)];
    const combined = forecastCombined([{ key: 'account', values }], 15, 14);
    expect(combined.runRateWeight).toBe(0.5);
    expect(combined.runRate).toBeCloseTo((sum(values) / 14) * 15, 6);
    expect(combined.expected).toBeCloseTo(
      (forecastRemaining([{ key: 'account', values }], 15).expected + combined.runRate) / 2,
      6,
    );
    expect(combined.low).toBeLessThanOrEqual(combined.expected);
    expect(combined.high).toBeGreaterThanOrEqual(combined.expected);
  });

  it('forecasts nothing for a horizon of 0 days', () => {
    const combined = forecastCombined([{ key: 'x', values: days(40, () => 10) }], 0, 10);
    expect(combined.expected).toBe(0);
    expect(combined.runRateWeight).toBe(0);
  });

  it('gives an expected spend between the regime forecast and the run-rate, inside its interval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: 0, max: 1000, noNaN: true }), { minLength: 30, maxLength: 70 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 28 }),
        (values, horizon, elapsed) => {
          const components = [{ key: 'x', values }];
          const combined = forecastCombined(components, horizon, elapsed);
          const regime = forecastRemaining(components, horizon).expected;
          const [lo, hi] = [Math.min(regime, combined.runRate), Math.max(regime, combined.runRate)];
          expect(combined.runRateWeight).toBeGreaterThanOrEqual(0);
          expect(combined.runRateWeight).toBeLessThanOrEqual(1);
          expect(combined.expected).toBeGreaterThanOrEqual(lo - 1e-6 * (1 + hi));
          expect(combined.expected).toBeLessThanOrEqual(hi + 1e-6 * (1 + hi));
          expect(combined.low).toBeLessThanOrEqual(combined.expected + 1e-9);
          expect(combined.high).toBeGreaterThanOrEqual(combined.expected - 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });
});
