/**
 * Five-field cron (minute hour day-of-month month day-of-week), as budget files give windows: parsed by croner, fire
 * times computed in an IANA time zone, so a window opens at the same wall-clock time on both sides of a DST switch
 * (a time the spring switch skips fires at the first minute after the gap; one the autumn switch repeats, once).
 */
import { Cron } from 'croner';

const FIELDS = 5;
/** Any fixed instant: whether an expression can ever fire does not depend on today. */
const EPOCH = new Date(0);

const compile = (expr: string, timezone?: string): Cron =>
  new Cron(expr, { paused: true, mode: '5-part', ...(timezone !== undefined ? { timezone } : {}) });

/** Why an expression is not a five-field cron that fires, or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  // croner also takes nicknames (@daily) and six or seven fields: a budget file says exactly five
  if (expr.trim().split(/\s+/).length !== FIELDS)
    return `expected a five-field cron (minute hour day-of-month month day-of-week) such as "0 18 * * 5", got "${expr}"`;
  let cron: Cron;
  try {
    cron = compile(expr);
  } catch (err) {
    return `invalid cron "${expr}": ${(err as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return cron.nextRun(EPOCH) === null ? `the cron "${expr}" never fires (no such date)` : undefined;
}

/** The first time `expr` fires strictly after `afterMs` (ms), in `timezone`; undefined when it never does. */
export function nextFire(expr: string, afterMs: number, timezone: string): number | undefined {
  return compile(expr, timezone).nextRun(new Date(afterMs))?.getTime();
}

/** The last time `expr` fired at or before `atMs` (ms), in `timezone`; undefined when it never did. */
export function lastFire(expr: string, atMs: number, timezone: string): number | undefined {
  const cron = compile(expr, timezone);
  const before = cron.previousRuns(1, new Date(atMs))[0]?.getTime();
  // previousRuns is strictly before the reference: a fire at exactly `atMs` comes next after the one before
  const next = cron.nextRun(new Date(before ?? atMs - 1))?.getTime();
  return next !== undefined && next <= atMs ? next : before;
}
