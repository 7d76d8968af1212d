import { describe, expect, it } from 'vitest';
import {
  budgetForecast,
  crossingDay,
  isSpendUnknown,
  spendThresholds,
} from '../../../lambdas/core/evaluate/spend-forecast.ts';
import { dailyRow, hostingRows } from '../../helpers/build.ts';
import { budget, contextOf, file, snap, steady } from './fixtures.ts';

const api = (asOf = '2026-10-10', costs = steady, gaps: { source: 'costs'; message: string }[] = []) =>
  contextOf(snap(costs, asOf, undefined, { gaps }), file([budget({ spendPerPeriod: 300 })]));

describe('the forecast of a budget', () => {
  it('adds the expected spend of the remaining days to spend to date', () => {
    const { ctx, view } = api();
    const { forecast, remaining } = budgetForecast(ctx, view);
    // $11.04 a day, 10 days spent and 21 to go
    expect(remaining).toBeCloseTo(21 * 11.04, 0);
    expect(forecast.expected).toBeCloseTo(31 * 11.04, 0);
    expect(forecast.low).toBeLessThanOrEqual(forecast.expected);
    expect(forecast.high).toBeGreaterThanOrEqual(forecast.expected);
  });
});

describe('the history a forecast reads', () => {
  // api-a from September 1: 3 instances on weekdays, 1 at weekends, one more in office hours
  const rhythm = hostingRows({
    endpoint: 'api-a',
    from: '2026-09-01',
    days: 40,
    type: 'ml.m5.xlarge',
    instances: (h) => (Math.floor(h / 24) % 7 < 5 ? 3 : 1) + (h % 24 >= 9 && h % 24 < 18 ? 1 : 0),
  });
  const remainingOf = (costs: typeof rhythm) => {
    const { ctx, view } = contextOf(snap(costs, '2026-10-10'), file([budget({ spendPerPeriod: 300 })]));
    return budgetForecast(ctx, view).remaining;
  };

  it('starts where the series starts, not at a stray row months earlier in the file', () => {
    const stray = dailyRow({ day: '2026-07-01', amount: 0 });
    expect(remainingOf([stray, ...rhythm])).toBe(remainingOf(rhythm));
  });

  it('takes days the cost source did not cover as gaps, not as days that cost nothing', () => {
    const uncovered = (r: (typeof rhythm)[number]) =>
      r.start >= Date.parse('2026-10-06') && r.start < Date.parse('2026-10-09');
    expect(remainingOf(rhythm.filter((r) => !uncovered(r)))).toBe(remainingOf(rhythm));
  });
});

describe('the forecast of a new endpoint', () => {
  it('forecasts an endpoint with one full day of history from that day, with an interval that is not zero-wide', () => {
    // api-b: created 2026-10-08 at 17:00, 4 x ml.g5.xlarge ($1.408/h): $135.17 a full day
    const created = hostingRows({
      endpoint: 'api-b',
      from: '2026-10-08',
      days: 2,
      type: 'ml.g5.xlarge',
      instances: (h) => (h >= 17 ? 4 : 0),
    });
    const { ctx, view } = api('2026-10-09', [...steady, ...created]);
    const { forecast, remaining } = budgetForecast(ctx, view);
    const fullDay = 4 * 24 * 1.408;
    // 22 days to go: api-a's $11.04 and api-b's full day, each day
    expect(remaining).toBeCloseTo(22 * (11.04 + fullDay), -1);
    expect(forecast.high - forecast.low).toBeGreaterThan(0.2 * 22 * fullDay);
  });
});

describe('the day the cap is crossed', () => {
  const { ctx } = api();

  it('spreads the forecast evenly over the remaining days', () => {
    // 21 days at $10 from $100 spent: $300 is reached on the 20th day after as-of
    expect(crossingDay(ctx, 100, 210, 300)).toBe('2026-10-30');
    expect(crossingDay(ctx, 100, 210, 101)).toBe('2026-10-11');
  });

  it('is none when the cap is not reached within the period, or nothing more is spent', () => {
    expect(crossingDay(ctx, 100, 210, 311)).toBeUndefined();
    expect(crossingDay(ctx, 100, 0, 101)).toBeUndefined();
  });
});

describe('alertAt thresholds', () => {
  it('lists the fractions reached, in order, on actual and on forecast spend', () => {
    expect(spendThresholds([1, 0.5, 0.8], 1000, 800, 1200)).toEqual({
      actual: [0.5, 0.8],
      forecast: [0.5, 0.8, 1],
    });
  });

  it('lists none when spend is not judged', () => {
    expect(spendThresholds([0.5], undefined, 800, 1200)).toEqual({ actual: [], forecast: [] });
  });
});

describe('unknown spend', () => {
  it('is unknown when nothing the selector takes was read', () => {
    const { ctx, view } = api('2026-10-10', [dailyRow({ day: '2026-10-09', amount: 5 })]);
    expect(isSpendUnknown(ctx, view, [])).toBe(true);
  });

  it('is unknown when the cost source failed and nothing of the period came through', () => {
    const september = steady.filter((r) => r.start < Date.parse('2026-10-01'));
    const { ctx, view } = api('2026-10-03', september);
    expect(isSpendUnknown(ctx, view, ['costs: throttled'])).toBe(true);
  });

  it('is unknown when the account has no cost row in the period of as-of, whatever else failed', () => {
    const september = steady.filter((r) => r.start < Date.parse('2026-10-01'));
    const { ctx, view } = api('2026-10-03', september);
    expect(isSpendUnknown(ctx, view, [])).toBe(true);
    expect(isSpendUnknown(ctx, view, ['metrics: denied'])).toBe(true);
  });

  it('is known, and zero, when the account has rows in the period but the budget none', () => {
    const other = dailyRow({ day: '2026-10-02', amount: 5 });
    const september = steady.filter((r) => r.start < Date.parse('2026-10-01'));
    const { ctx, view } = api('2026-10-03', [...september, other]);
    expect(isSpendUnknown(ctx, view, [])).toBe(false);
    expect(view.spendToDate).toBe(0n);
  });

  it('is known when the period has rows, whatever failed', () => {
    const { ctx, view } = api();
    expect(isSpendUnknown(ctx, view, ['costs: throttled'])).toBe(false);
  });
});
