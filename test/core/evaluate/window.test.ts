import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambdas/core/errors.ts';
import {
  baselineWindow,
  checkAsOf,
  costSpan,
  cycleWindow,
  FORECAST_HISTORY_DAYS,
  MAX_DATA_LAG_DAYS,
} from '../../../lambdas/core/evaluate/window.ts';
import { addDays, DayClock, periodContaining } from '../../../lambdas/core/period.ts';
import { dailyRow, ms } from '../../helpers/build.ts';

const MONTHLY = { startDay: 1, timezone: 'UTC' };
const rows = (from: string, to: string) => {
  const out = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(dailyRow({ day: d, amount: 1 }));
  return out;
};
const spanOf = (from: string, to: string, asOf = to) =>
  costSpan(rows(from, to), new DayClock('UTC'), ms(addDays(asOf, 1)));
const windowOf = (from: string, to: string, asOf: string, costsCompleteThrough?: string) =>
  cycleWindow({ asOf, billingPeriod: MONTHLY, span: spanOf(from, to, asOf), costsCompleteThrough });

describe('the days the cost rows cover', () => {
  it('counts days in the billing time zone, and days with rows only up to as-of', () => {
    const r = dailyRow({ day: '2026-10-01', amount: 1 });
    const span = costSpan([r], new DayClock('America/Los_Angeles'), ms('2026-10-02'));
    // midnight UTC is still the evening before in Los Angeles
    expect(span).toEqual({ from: '2026-09-30', last: '2026-09-30', daysWithRows: new Set(['2026-09-30']) });
    expect(spanOf('2026-10-01', '2026-10-20', '2026-10-10').daysWithRows.size).toBe(10);
  });

  it('knows no day when there is no row', () => {
    expect(costSpan([], new DayClock('UTC'), ms('2026-10-02'))).toEqual({
      from: undefined,
      last: undefined,
      daysWithRows: new Set(),
    });
  });
});

describe('the as-of day', () => {
  const span = spanOf('2026-09-01', '2026-10-10');

  it(`may lag the last cost row by up to ${MAX_DATA_LAG_DAYS} days`, () => {
    expect(() => checkAsOf(addDays('2026-10-10', MAX_DATA_LAG_DAYS), span)).not.toThrow();
    expect(() => checkAsOf(addDays('2026-10-10', MAX_DATA_LAG_DAYS + 1), span)).toThrow(InputError);
  });

  it('may not come before the cost data', () => {
    expect(() => checkAsOf('2026-09-01', span)).not.toThrow();
    expect(() => checkAsOf('2026-08-31', span)).toThrow(/outside the cost data \(2026-09-01 to 2026-10-10\)/);
  });

  it('is not checked without cost data', () => {
    expect(() => checkAsOf('2030-01-01', spanOf('2026-09-01', '2026-08-01'))).not.toThrow();
  });
});

describe('the judging window', () => {
  it('is the last 7 days to as-of', () => {
    const w = windowOf('2026-09-01', '2026-10-31', '2026-10-15');
    expect(w.window).toEqual({ from: '2026-10-09', to: '2026-10-16' });
    expect(w.through).toBe('2026-10-15');
    expect(w.remainingDays).toBe(16);
    expect(w.daysInPeriod).toBe(31);
  });

  it('starts no earlier than the period', () => {
    expect(windowOf('2026-09-01', '2026-10-31', '2026-10-03').window).toEqual({
      from: '2026-10-01',
      to: '2026-10-04',
    });
  });

  it('ends with the cost data when it lags as-of, and leaves the days after to the forecast', () => {
    const w = windowOf('2026-09-01', '2026-10-12', '2026-10-15');
    expect(w.through).toBe('2026-10-12');
    expect(w.lastWithData).toBe('2026-10-12');
    expect(w.window).toEqual({ from: '2026-10-09', to: '2026-10-13' });
    expect(w.remainingDays).toBe(19);
  });

  it('ends on the last day the cost source calls complete', () => {
    const w = windowOf('2026-09-01', '2026-10-15', '2026-10-15', '2026-10-13');
    expect(w.through).toBe('2026-10-13');
    expect(w.lastWithData).toBe('2026-10-15');
  });

  it('starts at the period when no cost data of the period is complete yet', () => {
    const w = windowOf('2026-09-01', '2026-09-28', '2026-10-02');
    expect(w.through).toBe('2026-09-30');
    expect(w.window).toEqual({ from: '2026-10-01', to: '2026-10-01' });
    expect(w.remainingDays).toBe(31);
  });

  it(`reads at most ${FORECAST_HISTORY_DAYS} days of history, and none before the first cost row`, () => {
    const long = windowOf('2026-01-01', '2026-10-15', '2026-10-15').historyDays;
    expect(long).toHaveLength(FORECAST_HISTORY_DAYS + 1);
    expect(long.at(-1)).toBe('2026-10-15');
    expect(windowOf('2026-10-05', '2026-10-15', '2026-10-15').historyDays[0]).toBe('2026-10-05');
  });
});

describe('the baseline', () => {
  const october = periodContaining('2026-10-15', MONTHLY);
  const september = periodContaining('2026-09-15', MONTHLY);

  it('is the previous period, from the first cost row, when the data has a week of it', () => {
    expect(baselineWindow('2026-09-01', october, september, '2026-10-09')).toEqual({
      from: '2026-09-01',
      to: '2026-10-01',
    });
    expect(baselineWindow('2026-09-24', october, september, '2026-10-09')).toEqual({
      from: '2026-09-24',
      to: '2026-10-01',
    });
  });

  it('is the days of this period before the window when the previous one has less than a week', () => {
    expect(baselineWindow('2026-09-25', october, september, '2026-10-09')).toEqual({
      from: '2026-10-01',
      to: '2026-10-09',
    });
    expect(baselineWindow('2026-10-06', october, september, '2026-10-09')).toEqual({
      from: '2026-10-06',
      to: '2026-10-09',
    });
  });

  it('is none with fewer than 3 days before the window, or without cost data', () => {
    expect(baselineWindow('2026-10-07', october, september, '2026-10-09')).toBeUndefined();
    expect(baselineWindow(undefined, october, september, '2026-10-09')).toBeUndefined();
  });
});
