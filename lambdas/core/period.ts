import { DateTime } from 'luxon';

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

export function parseDay(day: string, timezone = 'UTC'): DateTime {
  if (!DAY.test(day)) throw new InvalidDateError(`expected a day as YYYY-MM-DD, got "${day}"`);
  const dt = DateTime.fromISO(day, { zone: timezone });
  if (!dt.isValid)
    throw new InvalidDateError(`"${day}" is not a calendar day (${dt.invalidExplanation ?? 'invalid'})`);
  return dt;
}

export function isValidTimezone(tz: string): boolean {
  // luxon also takes `local`, `system` and offsets such as `UTC+5`: the first two make results depend on the
  // machine's TZ, the last ignores daylight saving. Only names of the IANA database are time zones here (Intl
  // knows them; newer engines also take `+05:00`, which the first character rules out).
  if (!/^[A-Za-z]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  return DateTime.local().setZone(tz).isValid;
}

/** The period that contains `asOf` (a day in the billing time zone). */
export function periodContaining(asOf: string, cfg: BillingPeriodConfig): Period {
  const day = parseDay(asOf, cfg.timezone);
  let start = day.set({ day: Math.min(cfg.startDay, day.daysInMonth ?? 28) });
  if (day.day < cfg.startDay) {
    const prev = day.minus({ months: 1 });
    start = prev.set({ day: Math.min(cfg.startDay, prev.daysInMonth ?? 28) });
  }
  const next = start.plus({ months: 1 });
  const end = next.set({ day: Math.min(cfg.startDay, next.daysInMonth ?? 28) });
  return { start: start.toISODate() as string, end: end.toISODate() as string, timezone: cfg.timezone };
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
  return parseDay(day, timezone).toMillis();
}

/**
 * Maps instants to billing days in one time zone. The day of each quarter hour is cached (every zone's offset is
 * a multiple of 15 minutes): a full cycle converts millions of timestamps and luxon is too slow to call for each.
 */
export class DayClock {
  private readonly cache = new Map<number, string>();
  constructor(readonly timezone: string) {}

  dayOf(ms: number): string {
    const slot = Math.floor(ms / 900_000);
    let day = this.cache.get(slot);
    if (day === undefined) {
      day = DateTime.fromMillis(slot * 900_000, { zone: this.timezone }).toISODate() as string;
      this.cache.set(slot, day);
    }
    return day;
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
