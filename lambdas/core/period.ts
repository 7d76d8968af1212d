import { midnightMs, wallClock } from './time-zone.ts';

/** A billing period: `start` inclusive, `end` exclusive (Cost Explorer's TimePeriod convention), days in `timezone`. */
export interface Period {
  readonly start: string;
  readonly end: string;
  readonly timezone: string;
}

export interface BillingPeriodConfig {
  readonly startDay: number;
  readonly timezone: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class InvalidDateError extends Error {
  override name = 'InvalidDateError';
}

/** A calendar day, as numbers. */
export interface CalendarDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function isoDay({ year, month, day }: CalendarDay): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `day` (YYYY-MM-DD) as numbers, refused unless it is a calendar day and `timezone` a time zone. */
export function parseDay(day: string, timezone = 'UTC'): CalendarDay {
  if (!DAY.test(day)) throw new InvalidDateError(`expected a day as YYYY-MM-DD, got "${day}"`);
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  if (month < 1 || month > 12 || date < 1 || date > daysInMonth(year, month))
    throw new InvalidDateError(
      `"${day}" is not a calendar day (no day ${date} in month ${month} of ${year})`,
    );
  if (!isValidTimezone(timezone))
    throw new InvalidDateError(`"${day}" is not a calendar day (the zone "${timezone}" is not supported)`);
  return { year, month, day: date };
}

/**
 * The zones known good: at first the engine's canonical names and UTC, which every engine supports but does not
 * list. Looking a name up here spares the first Intl.DateTimeFormat, which loads the engine's locale data (25 to 70
 * ms, most of what checking a budget file's time zone cost `validate`); aliases and other spellings take the full
 * check below once.
 */
let knownZones: Set<string> | undefined;

export function isValidTimezone(tz: string): boolean {
  // Only names of the IANA database are time zones here (Intl knows them; newer engines also take `+05:00`, which
  // the first character rules out): an offset such as `UTC+5` would ignore daylight saving.
  knownZones ??= new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  if (knownZones.has(tz)) return true;
  if (!/^[A-Za-z]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  knownZones.add(tz);
  return true;
}

/** The period that contains `asOf` (a day in the billing time zone). */
export function periodContaining(asOf: string, cfg: BillingPeriodConfig): Period {
  const day = parseDay(asOf, cfg.timezone);
  // the start day of a month, or its last day when the month is shorter; months count from `year`'s January
  const startIn = (year: number, month: number): CalendarDay => {
    const y = year + Math.floor((month - 1) / 12);
    const m = ((((month - 1) % 12) + 12) % 12) + 1;
    return { year: y, month: m, day: Math.min(cfg.startDay, daysInMonth(y, m)) };
  };
  const startMonth = day.day < cfg.startDay ? day.month - 1 : day.month;
  const start = startIn(day.year, startMonth);
  const end = startIn(day.year, startMonth + 1);
  return { start: isoDay(start), end: isoDay(end), timezone: cfg.timezone };
}

export function previousPeriod(p: Period, cfg: BillingPeriodConfig): Period {
  return periodContaining(addDays(p.start, -1), cfg);
}

/** How far back a cycle reads spend: the start of the period before the one containing as-of (the baseline). */
export function historyStart(asOf: string, cfg: BillingPeriodConfig): string {
  return previousPeriod(periodContaining(asOf, cfg), cfg).start;
}

/** Calendar arithmetic on YYYY-MM-DD days (no time zone is involved in counting days). */
function utcDays(day: string): number {
  const ms = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  if (!DAY.test(day) || Number.isNaN(ms))
    throw new InvalidDateError(`expected a day as YYYY-MM-DD, got "${day}"`);
  return ms / 86_400_000;
}

function fromUtcDays(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return fromUtcDays(utcDays(day) + n);
}

/** Whole days from `a` to `b` (b - a). */
export function daysBetween(a: string, b: string): number {
  return utcDays(b) - utcDays(a);
}

/** Every day from `start` (inclusive) to `end` (exclusive). */
export function daysOf(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = utcDays(start), e = utcDays(end); d < e; d++) out.push(fromUtcDays(d));
  return out;
}

/** The instant (epoch ms) at which `day` begins in `timezone`. */
export function dayStartMs(day: string, timezone: string): number {
  const d = parseDay(day, timezone);
  return midnightMs(d.year, d.month, d.day, timezone);
}

/**
 * Maps instants to billing days in one time zone. The day of each quarter hour is cached (every zone's offset is
 * a multiple of 15 minutes): a full cycle converts millions of timestamps and Intl is too slow to call for each.
 */
export class DayClock {
  private readonly cache = new Map<number, string>();
  private readonly weekHours = new Map<number, number>();
  constructor(readonly timezone: string) {}

  dayOf(ms: number): string {
    const slot = Math.floor(ms / 900_000);
    let day = this.cache.get(slot);
    if (day === undefined) {
      day = isoDay(wallClock(slot * 900_000, this.timezone));
      this.cache.set(slot, day);
    }
    return day;
  }

  /** The hour of the week of an instant: weekday (1 Monday .. 7 Sunday) * 24 + hour of the day (0..23). */
  weekHour(ms: number): number {
    const slot = Math.floor(ms / 900_000);
    let hour = this.weekHours.get(slot);
    if (hour === undefined) {
      const d = wallClock(slot * 900_000, this.timezone);
      hour = d.weekday * 24 + d.hour;
      this.weekHours.set(slot, hour);
    }
    return hour;
  }

  /** The hour of the day (0..23) of an instant. */
  hourOf(ms: number): number {
    return this.weekHour(ms) % 24;
  }
}

/** The earlier of two days (YYYY-MM-DD compares as text). */
export function minDay(a: string, b: string): string {
  return a <= b ? a : b;
}

/** The later of two days. */
export function maxDay(a: string, b: string): string {
  return a >= b ? a : b;
}

/** The UTC months (`YYYY-MM`) that [from, to) touches: AWS billing periods are calendar months in UTC. */
export function billingPeriods(fromMs: number, toMs: number): string[] {
  const periods: string[] = [];
  if (!(toMs > fromMs)) return periods;
  const last = new Date(toMs - 1);
  const d = new Date(Date.UTC(new Date(fromMs).getUTCFullYear(), new Date(fromMs).getUTCMonth(), 1));
  while (d.getTime() <= last.getTime()) {
    periods.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return periods;
}
