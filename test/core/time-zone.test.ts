import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DayClock, dayStartMs, daysOf } from '../../lambdas/core/period.ts';
import { midnightMs, offsetMs, wallClock } from '../../lambdas/core/time-zone.ts';

// zones with daylight saving, half- and quarter-hour offsets, and switches at midnight (Santiago, Havana, Beirut,
// Cairo, São Paulo until 2019): luxon, the date library the core used before, is the oracle
const ZONES = [
  'UTC',
  'America/Los_Angeles',
  'America/New_York',
  'America/St_Johns',
  'America/Santiago',
  'America/Havana',
  'America/Sao_Paulo',
  'Europe/London',
  'Europe/Berlin',
  'Africa/Cairo',
  'Asia/Beirut',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
];

describe('wall-clock time in a time zone', () => {
  it('starts every day where luxon starts it, or at the first of two midnights, over years of switches', () => {
    const days = [...daysOf('2018-01-01', '2020-01-01'), ...daysOf('2026-01-01', '2027-01-01')];
    for (const zone of ZONES) {
      const wrong = days.filter((day) => {
        const start = dayStartMs(day, zone);
        // where the clock shows midnight twice (Havana goes back from 01:00), luxon picks one by today's offset
        const l = DateTime.fromISO(day, { zone }).toMillis();
        const firstOfTwo = start === l - 3_600_000 && wallClock(l, zone).hour === 0;
        return start !== l && !firstOfTwo;
      });
      expect({ zone, wrong }).toEqual({ zone, wrong: [] });
    }
  });

  it('begins a day whose midnight the clock shows twice at the first of them', () => {
    // Havana moved its clocks from 01:00 back to 00:00 on 2026-11-01
    const start = midnightMs(2026, 11, 1, 'America/Havana');
    expect(new Date(start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });

  it('shows at any instant the date, hour and weekday luxon shows, and the same offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...ZONES),
        (ms, zone) => {
          const l = DateTime.fromMillis(ms, { zone });
          const w = wallClock(ms, zone);
          expect([w.year, w.month, w.day, w.hour, w.minute, w.second, w.weekday]).toEqual([
            l.year,
            l.month,
            l.day,
            l.hour,
            l.minute,
            l.second,
            l.weekday,
          ]);
          expect(offsetMs(ms, zone)).toBe(l.offset * 60_000);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('begins a day the clock enters at 01:00 (midnight skipped) at the first minute after the gap', () => {
    // Chile moved its clocks from 00:00 to 01:00 on 2026-09-06
    const start = midnightMs(2026, 9, 6, 'America/Santiago');
    expect(new Date(start).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(wallClock(start, 'America/Santiago').hour).toBe(1);
  });

  it('maps instants either side of a switch to their billing days', () => {
    const clock = new DayClock('America/Los_Angeles');
    // 2026-11-01 01:30 happens twice in Los Angeles: both are that day
    expect(clock.dayOf(Date.parse('2026-11-01T08:30:00Z'))).toBe('2026-11-01');
    expect(clock.dayOf(Date.parse('2026-11-01T09:30:00Z'))).toBe('2026-11-01');
    expect(clock.dayOf(Date.parse('2026-11-01T06:59:59Z'))).toBe('2026-10-31');
  });
});
