import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../../lambdas/core/plan/cron.ts';
import { nextOpen, openWindow } from '../../../lambdas/core/plan/windows.ts';

const NY = 'America/New_York';
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('openWindow', () => {
  const nineToFive = [{ cron: '0 9 * * *', durationHours: 8 }];

  it('is open from the fire time, inclusive, to the end of its duration, exclusive', () => {
    // 9:00 in New York on 3 March 2026 (EST, UTC-5) is 14:00Z
    expect(openWindow(nineToFive, at('2026-03-03T13:59:59Z'), NY)).toBeUndefined();
    const w = openWindow(nineToFive, at('2026-03-03T14:00:00Z'), NY);
    expect(iso(w?.openedAt)).toBe('2026-03-03T14:00:00.000Z');
    expect(iso(w?.closesAt)).toBe('2026-03-03T22:00:00.000Z');
    expect(openWindow(nineToFive, at('2026-03-03T21:59:59Z'), NY)).toBeDefined();
    expect(openWindow(nineToFive, at('2026-03-03T22:00:00Z'), NY)).toBeUndefined();
  });

  it('opens at the same wall-clock time on both sides of the spring DST switch', () => {
    // clocks go from EST to EDT on 8 March 2026: 9:00 is 14:00Z before, 13:00Z after
    expect(iso(openWindow(nineToFive, at('2026-03-07T14:30:00Z'), NY)?.openedAt)).toBe(
      '2026-03-07T14:00:00.000Z',
    );
    expect(openWindow(nineToFive, at('2026-03-09T12:59:00Z'), NY)).toBeUndefined();
    expect(iso(openWindow(nineToFive, at('2026-03-09T13:00:00Z'), NY)?.openedAt)).toBe(
      '2026-03-09T13:00:00.000Z',
    );
    // and durationHours are real hours: 8 h after 9:00 EDT is 17:00 EDT, 21:00Z
    expect(openWindow(nineToFive, at('2026-03-09T21:00:00Z'), NY)).toBeUndefined();
  });

  it('opens at the same wall-clock time on both sides of the autumn DST switch', () => {
    // EDT ends on 1 November 2026: 9:00 is 13:00Z on 31 October and 14:00Z on 2 November
    expect(iso(openWindow(nineToFive, at('2026-10-31T13:00:00Z'), NY)?.openedAt)).toBe(
      '2026-10-31T13:00:00.000Z',
    );
    expect(openWindow(nineToFive, at('2026-11-02T13:30:00Z'), NY)).toBeUndefined();
    expect(iso(openWindow(nineToFive, at('2026-11-02T14:00:00Z'), NY)?.openedAt)).toBe(
      '2026-11-02T14:00:00.000Z',
    );
  });

  it('opens a window set in the hour the spring switch skips at the first minute after it, and one in the repeated autumn hour once', () => {
    const skipped = [{ cron: '30 2 * * *', durationHours: 1 }];
    // 2:30 does not exist on 8 March 2026; the window opens at 3:00 EDT (07:00Z)
    expect(iso(openWindow(skipped, at('2026-03-08T07:10:00Z'), NY)?.openedAt)).toBe(
      '2026-03-08T07:00:00.000Z',
    );
    const repeated = [{ cron: '30 1 * * *', durationHours: 1 }];
    // 1:30 happens twice on 1 November 2026 (05:30Z EDT, 06:30Z EST): the window opens at the first only
    expect(iso(openWindow(repeated, at('2026-11-01T05:45:00Z'), NY)?.openedAt)).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(openWindow(repeated, at('2026-11-01T06:45:00Z'), NY)).toBeUndefined();
  });

  it('reads the cron in the given time zone, not UTC', () => {
    expect(openWindow(nineToFive, at('2026-03-03T09:30:00Z'), 'UTC')).toBeDefined();
    expect(openWindow(nineToFive, at('2026-03-03T09:30:00Z'), NY)).toBeUndefined();
  });

  it('keeps a window of several days open across the days its cron does not fire', () => {
    // a change freeze from Friday 18:00 for 63 hours, to Monday 9:00
    const weekend = [{ cron: '0 18 * * 5', durationHours: 63 }];
    expect(openWindow(weekend, at('2026-03-13T21:59:00Z'), NY)).toBeUndefined(); // Friday 17:59 EDT
    expect(openWindow(weekend, at('2026-03-15T15:00:00Z'), NY)).toBeDefined(); // Sunday
    expect(openWindow(weekend, at('2026-03-16T12:59:00Z'), NY)).toBeDefined(); // Monday 8:59 EDT
    expect(openWindow(weekend, at('2026-03-16T13:00:00Z'), NY)).toBeUndefined(); // Monday 9:00 EDT
    // over the spring switch the weekend loses an hour of clock time, not of freeze: it ends at 10:00 EDT
    expect(openWindow(weekend, at('2026-03-09T13:30:00Z'), NY)).toBeDefined();
    expect(openWindow(weekend, at('2026-03-09T14:00:00Z'), NY)).toBeUndefined();
  });

  it('returns the open window that closes last when several are open', () => {
    const both = [
      { cron: '0 9 * * *', durationHours: 2 },
      { cron: '0 8 * * *', durationHours: 6 },
    ];
    const w = openWindow(both, at('2026-03-03T14:30:00Z'), NY);
    expect(w?.cron).toBe('0 8 * * *');
    expect(iso(w?.closesAt)).toBe('2026-03-03T19:00:00.000Z');
  });

  it('is undefined with no windows', () => {
    expect(openWindow([], at('2026-03-03T14:30:00Z'), NY)).toBeUndefined();
  });
});

describe('nextOpen', () => {
  it('is the earliest next opening of any window, in the time zone', () => {
    const windows = [
      { cron: '0 9 * * 1-5', durationHours: 2 },
      { cron: '0 7 * * *', durationHours: 1 },
    ];
    // Saturday 7 March 2026, 12:00 EST: the daily one opens Sunday 7:00 EDT (11:00Z), the weekday one Monday
    expect(iso(nextOpen(windows, at('2026-03-07T17:00:00Z'), NY))).toBe('2026-03-08T11:00:00.000Z');
    expect(nextOpen([], at('2026-03-07T17:00:00Z'), NY)).toBeUndefined();
  });
});

describe('cronProblem', () => {
  it('accepts five-field crons with ranges, steps and lists', () => {
    for (const c of ['0 18 * * 5', '*/15 9-17 * * 1-5', '0 0 1,15 * *', '30 2 * 12 0'])
      expect(cronProblem(c)).toBeUndefined();
  });

  it('refuses other field counts, nicknames, bad values and dates that never come', () => {
    expect(cronProblem('0 9 * *')).toMatch(/five-field cron/);
    expect(cronProblem('0 0 9 * * *')).toMatch(/five-field cron/);
    expect(cronProblem('@daily')).toMatch(/five-field cron/);
    expect(cronProblem('0 25 * * *')).toMatch(/invalid cron "0 25 \* \* \*": .*hour/);
    expect(cronProblem('61 * * * *')).toMatch(/minute/);
    expect(cronProblem('0 0 31 2 *')).toMatch(/never fires/);
  });
});
