import { DateTime } from 'luxon';
import { describe, expect, it, vi } from 'vitest';
import {
  addDays,
  DayClock,
  daysBetween,
  isValidTimezone,
  periodContaining,
} from '../../lambdas/core/period.ts';

describe('billing periods', () => {
  it('a monthly period starting on the 1st contains its days, end exclusive', () => {
    expect(periodContaining('2026-10-15', { startDay: 1, timezone: 'UTC' })).toEqual({
      start: '2026-10-01',
      end: '2026-11-01',
      timezone: 'UTC',
    });
  });

  it('a period starting on the 15th runs to the 15th of the next month', () => {
    expect(periodContaining('2026-10-14', { startDay: 15, timezone: 'UTC' })).toMatchObject({
      start: '2026-09-15',
      end: '2026-10-15',
    });
    expect(periodContaining('2026-10-15', { startDay: 15, timezone: 'UTC' })).toMatchObject({
      start: '2026-10-15',
      end: '2026-11-15',
    });
  });

  it('crosses the year and counts leap days', () => {
    expect(periodContaining('2027-01-03', { startDay: 10, timezone: 'UTC' })).toMatchObject({
      start: '2026-12-10',
      end: '2027-01-10',
    });
    expect(daysBetween('2028-02-01', '2028-03-01')).toBe(29);
  });

  it('rejects days that are not calendar days', () => {
    expect(() => periodContaining('2026-02-30', { startDay: 1, timezone: 'UTC' })).toThrow(
      /not a calendar day/,
    );
    expect(() => periodContaining('15/10/2026', { startDay: 1, timezone: 'UTC' })).toThrow(/YYYY-MM-DD/);
  });

  it('maps instants to the billing day of its time zone, half-hour offsets included', () => {
    const utc = new DayClock('UTC');
    const la = new DayClock('America/Los_Angeles');
    const india = new DayClock('Asia/Kolkata');
    const t = Date.parse('2026-10-01T03:00:00Z');
    expect(utc.dayOf(t)).toBe('2026-10-01');
    expect(la.dayOf(t)).toBe('2026-09-30');
    expect(india.dayOf(Date.parse('2026-09-30T18:29:00Z'))).toBe('2026-09-30');
    expect(india.dayOf(Date.parse('2026-09-30T18:30:00Z'))).toBe('2026-10-01');
  });

  it("gives each instant's hour of the week in its zone as luxon does, across daylight saving and 45-minute offsets", () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu']) {
      const clock = new DayClock(zone);
      // the weeks around the autumn change in both hemispheres' northern zones, every quarter hour
      for (let t = Date.parse('2026-10-20T00:00:00Z'); t < Date.parse('2026-11-05T00:00:00Z'); t += 900_000) {
        const d = DateTime.fromMillis(t, { zone });
        expect(clock.weekHour(t)).toBe(d.weekday * 24 + d.hour);
        expect(clock.hourOf(t)).toBe(d.hour);
      }
    }
    // Monday 2026-10-05 00:00 in Kathmandu (UTC+5:45) is Sunday 18:15 UTC
    expect(new DayClock('Asia/Kathmandu').weekHour(Date.parse('2026-10-04T18:15:00Z'))).toBe(24);
    expect(new DayClock('Asia/Kathmandu').weekHour(Date.parse('2026-10-04T18:14:59Z'))).toBe(7 * 24 + 23);
  });

  it('adds days across month ends', () => {
    expect(addDays('2026-10-31', 1)).toBe('2026-11-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});

describe('time zones', () => {
  it('takes IANA names, their aliases and any case, and refuses what is not one', () => {
    const valid = ['UTC', 'utc', 'Etc/UTC', 'GMT', 'Etc/GMT+5', 'Europe/Berlin', 'europe/berlin'];
    const aliases = ['Asia/Kolkata', 'Asia/Calcutta', 'US/Eastern', 'EST5EDT'];
    const invalid = ['local', 'system', 'UTC+5', '+05:00', 'Z', 'Mars/Olympus', ''];
    expect([...valid, ...aliases].filter((z) => !isValidTimezone(z))).toEqual([]);
    expect(invalid.filter(isValidTimezone)).toEqual([]);
    expect(Intl.supportedValuesOf('timeZone').filter((z) => !isValidTimezone(z))).toEqual([]);
  });

  it("checks UTC and the engine's canonical names without an Intl.DateTimeFormat (it loads the locale data)", async () => {
    // a fresh module: nothing checked before, as at a start
    vi.resetModules();
    const fresh = await import('../../lambdas/core/period.ts');
    const format = vi.spyOn(Intl, 'DateTimeFormat');
    try {
      expect(['UTC', 'Europe/Berlin', 'America/Los_Angeles'].every(fresh.isValidTimezone)).toBe(true);
      expect(format).not.toHaveBeenCalled();
      // what the engine does not list still takes the full check
      expect(fresh.isValidTimezone('europe/berlin')).toBe(true);
      expect(format).toHaveBeenCalled();
    } finally {
      format.mockRestore();
    }
  });
});
