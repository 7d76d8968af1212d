/**
 * Wall-clock time in IANA time zones, read from the engine's own time zone data through Intl (what date libraries
 * do underneath), so that no date library rides in every Lambda bundle.
 */

const FIELDS = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
} as const satisfies Intl.DateTimeFormatOptions;
const formats = new Map<string, Intl.DateTimeFormat>();

function format(timezone: string): Intl.DateTimeFormat {
  const known = formats.get(timezone);
  if (known) return known;
  const made = new Intl.DateTimeFormat('en-US', { ...FIELDS, timeZone: timezone });
  formats.set(timezone, made);
  return made;
}

export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 1 (Monday) to 7 (Sunday), ISO 8601. */
  readonly weekday: number;
}

/** The date and time a clock in `timezone` shows at the instant `ms`. */
export function wallClock(ms: number, timezone: string): WallClock {
  const p: Record<string, number> = {};
  for (const { type, value } of format(timezone).formatToParts(ms)) p[type] = Number(value);
  const year = p.year ?? Number.NaN;
  const month = p.month ?? Number.NaN;
  const day = p.day ?? Number.NaN;
  const sunday0 = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return {
    year,
    month,
    day,
    hour: p.hour ?? Number.NaN,
    minute: p.minute ?? Number.NaN,
    second: p.second ?? Number.NaN,
    weekday: sunday0 === 0 ? 7 : sunday0,
  };
}

/** How far the clock of `timezone` is ahead of UTC at the instant `ms`, in ms. */
export function offsetMs(ms: number, timezone: string): number {
  const w = wallClock(ms, timezone);
  const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return shown - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant at which the clock of `timezone` shows midnight starting the day `year-month-day`. A midnight the
 * clock shows twice (a switch back at midnight) is the first one; a midnight it skips (a switch forward at
 * midnight) gives the instant the day begins, the first minute after the gap.
 */
export function midnightMs(year: number, month: number, day: number, timezone: string): number {
  const shown = Date.UTC(year, month - 1, day);
  // no zone switches twice in two days: the offsets a day either side are the only candidates
  const before = offsetMs(shown - 86_400_000, timezone);
  const after = offsetMs(shown + 86_400_000, timezone);
  const instants = [shown - before, shown - after].filter((t) => t + offsetMs(t, timezone) === shown);
  return instants.length > 0 ? Math.min(...instants) : shown - Math.min(before, after);
}
