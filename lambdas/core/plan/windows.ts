/**
 * Freeze and allow windows: a window opens each time its cron fires (in the billing time zone) and stays open for
 * durationHours. Open at `now` means it fired in the last durationHours.
 */
import { lastFire, nextFire } from './cron.ts';
import type { Window } from './types.ts';

const HOUR = 3_600_000;

export interface OpenWindow extends Window {
  /** When this opening began and when it ends (ms). */
  readonly openedAt: number;
  readonly closesAt: number;
}

/**
 * The window open at `now`, or undefined when none is. Where several are open (or one's openings overlap), the one
 * that stays open longest: what holds a change is over only when it closes.
 */
export function openWindow(
  windows: readonly Window[],
  now: number,
  timezone: string,
): OpenWindow | undefined {
  let best: OpenWindow | undefined;
  for (const w of windows) {
    const openedAt = lastFire(w.cron, now, timezone);
    if (openedAt === undefined) continue;
    const closesAt = openedAt + w.durationHours * HOUR;
    // the latest opening closes last: an earlier one of the same window still open closes before it
    if (closesAt > now && (best === undefined || closesAt > best.closesAt))
      best = { ...w, openedAt, closesAt };
  }
  return best;
}

/** The next time one of `windows` opens after `now` (ms), or undefined when none will. */
export function nextOpen(windows: readonly Window[], now: number, timezone: string): number | undefined {
  const times = windows.map((w) => nextFire(w.cron, now, timezone)).filter((t) => t !== undefined);
  return times.length > 0 ? Math.min(...times) : undefined;
}
