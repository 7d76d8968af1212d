/**
 * The one rule for the day a cycle judges (its as-of: a day, inclusive, in the billing time zone), for the CLI and
 * the deployed pipeline alike: the day given; else the day before the instant the cycle runs for (a schedule's time,
 * an execution's start, the CLI's clock), since that day's costs are still arriving; a file run without a day judges
 * the last day of its data instead.
 *
 * A live run never judges a day after yesterday: Cost Explorer's days from today on are still open, and a cycle that
 * judged one would read (and cache) spend that is not yet there.
 */
import { InputError } from '../core/errors.ts';
import { addDays, DayClock, parseDay } from '../core/period.ts';

export interface AsOfInput {
  /** The day asked for (YYYY-MM-DD), e.g. `--as-of` or a manual execution's `asOf`. */
  readonly given?: string;
  /** The instant the cycle runs for, epoch ms (a schedule's time); the wall clock when absent. */
  readonly at?: number;
  /** The wall clock, read once at the edge. */
  readonly now: number;
  readonly timezone: string;
  /** A cycle against a live account: days after yesterday are refused. */
  readonly live: boolean;
  /** The day the data itself ends on (a file run's last cost day): the default instead of the clock's. */
  readonly dataEnd?: string;
  /** How the caller names the day in an error: `--as-of`, `asOf`. */
  readonly label?: string;
}

export function resolveAsOf(o: AsOfInput): string {
  const label = o.label ?? 'asOf';
  const clock = new DayClock(o.timezone);
  const yesterday = addDays(clock.dayOf(o.now), -1);
  let day: string;
  if (o.given !== undefined) {
    try {
      parseDay(o.given, o.timezone);
    } catch (err) {
      throw new InputError(`${label}: ${(err as Error).message}`, undefined, { cause: err });
    }
    day = o.given;
  } else if (o.dataEnd !== undefined && o.at === undefined) {
    day = o.dataEnd;
  } else {
    day = addDays(clock.dayOf(o.at ?? o.now), -1);
  }
  if (o.live && day > yesterday) {
    throw new InputError(
      `${label}: ${day} is after yesterday (${yesterday} in ${o.timezone}); a live cycle judges closed days only, since the costs of today and later are still arriving`,
    );
  }
  return day;
}
