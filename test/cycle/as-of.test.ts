import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { resolveAsOf } from '../../lambdas/cycle/as-of.ts';

const NOW = Date.parse('2026-10-16T03:00:00Z');

describe('resolveAsOf', () => {
  it('judges the day given', () => {
    expect(resolveAsOf({ given: '2026-10-10', now: NOW, timezone: 'UTC', live: true })).toBe('2026-10-10');
  });

  it('judges the day before the instant the cycle runs for, in the billing time zone', () => {
    // 03:00 UTC on the 16th is still the 15th in Los Angeles: the day before is the 14th
    const at = Date.parse('2026-10-16T03:00:00Z');
    expect(resolveAsOf({ at, now: NOW, timezone: 'UTC', live: true })).toBe('2026-10-15');
    expect(resolveAsOf({ at, now: NOW, timezone: 'America/Los_Angeles', live: true })).toBe('2026-10-14');
  });

  it('judges the day before the clock when nothing else is given', () => {
    expect(resolveAsOf({ now: NOW, timezone: 'UTC', live: true })).toBe('2026-10-15');
  });

  it('judges the last day of the data on a file run without a day', () => {
    expect(resolveAsOf({ now: NOW, timezone: 'UTC', live: false, dataEnd: '2026-09-30' })).toBe('2026-09-30');
  });

  it('refuses on a live run a day after yesterday, naming the flag and the last day allowed', () => {
    expect(() =>
      resolveAsOf({ given: '2026-10-16', now: NOW, timezone: 'UTC', live: true, label: '--as-of' }),
    ).toThrow(/^--as-of: 2026-10-16 is after yesterday \(2026-10-15 in UTC\)/);
    expect(() => resolveAsOf({ given: '2027-01-01', now: NOW, timezone: 'UTC', live: true })).toThrow(
      InputError,
    );
  });

  it('takes any day on a file run: a backtest replays the future of a file as well as its past', () => {
    expect(resolveAsOf({ given: '2026-12-31', now: NOW, timezone: 'UTC', live: false })).toBe('2026-12-31');
  });

  it('refuses a malformed day as bad input', () => {
    expect(() =>
      resolveAsOf({ given: '2026-02-30', now: NOW, timezone: 'UTC', live: false, label: '--as-of' }),
    ).toThrow(/^--as-of: /);
  });
});
