/**
 * Off-hours: the quiet hours of the day, in the billing time zone, during which a resource can be held at its floor,
 * and the two scheduled actions (cron in that zone) that enter and leave them.
 */
import { type ScheduledSetting, TOOL_NAMES } from './types.ts';

/** Off-hours shorter than this are not worth two scheduled actions a day. */
export const MIN_OFF_HOURS = 4;

/**
 * The longest run of hours of the day (wrapping past midnight) that are all quiet, as [start, end) hours; null when
 * no run of MIN_OFF_HOURS exists or every hour is quiet (then the floor is the plan, not a schedule).
 */
export function offHoursWindow(quiet: readonly boolean[]): { start: number; end: number } | null {
  if (quiet.length !== 24 || quiet.every(Boolean)) return null;
  let best: { start: number; length: number } | null = null;
  for (let start = 0; start < 24; start++) {
    if (!quiet[start] || quiet[(start + 23) % 24]) continue;
    let length = 0;
    while (length < 24 && quiet[(start + length) % 24]) length++;
    if (!best || length > best.length) best = { start, length };
  }
  if (!best || best.length < MIN_OFF_HOURS) return null;
  return { start: best.start, end: (best.start + best.length) % 24 };
}

/** Application Auto Scaling's six-field cron, daily at the top of `hour`. */
export const dailyCron = (hour: number): string => `cron(0 ${hour} * * ? *)`;

export function offHoursSchedules(
  window: { start: number; end: number },
  timezone: string,
  off: { min: number; max: number },
  on: { min: number; max: number },
): ScheduledSetting[] {
  return [
    { name: TOOL_NAMES.schedule('off-hours-start'), schedule: dailyCron(window.start), timezone, ...off },
    { name: TOOL_NAMES.schedule('off-hours-end'), schedule: dailyCron(window.end), timezone, ...on },
  ];
}
