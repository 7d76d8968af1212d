import { describe, expect, it } from 'vitest';
import { limiter, mapLimit, optionLimit } from '../../lambdas/aws/concurrency.ts';
import { InputError } from '../../lambdas/core/errors.ts';

/** A task that records how many run at once and finishes after the others have had a turn. */
function tracker() {
  const t = { inFlight: 0, peak: 0, started: [] as number[] };
  const task = async (i: number) => {
    t.started.push(i);
    t.peak = Math.max(t.peak, ++t.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
    t.inFlight--;
    return i * 10;
  };
  return { t, task };
}

describe('mapLimit', () => {
  it('runs at most the limit at once, starts in order and returns results in order', async () => {
    const { t, task } = tracker();
    const items = Array.from({ length: 20 }, (_, i) => i);
    expect(await mapLimit(items, 4, task)).toEqual(items.map((i) => i * 10));
    expect(t.peak).toBe(4);
    expect(t.started).toEqual(items);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const { t, task } = tracker();
    const items = Array.from({ length: 20 }, (_, i) => i);
    const run = mapLimit(items, 2, async (i) => {
      if (i === 3) throw new Error('item 3 failed');
      return task(i);
    });
    await expect(run).rejects.toThrow('item 3 failed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Math.max(...t.started)).toBeLessThan(6);
  });

  it('does nothing for no items', async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
});

describe('limiter', () => {
  it('shares its slots between every caller', async () => {
    const { t, task } = tracker();
    const run = limiter(3);
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => run(() => task(i))),
      ...Array.from({ length: 5 }, (_, i) => run(() => task(10 + i))),
    ]);
    expect(t.peak).toBe(3);
  });

  it('frees the slot of a task that failed', async () => {
    const run = limiter(1);
    await expect(run(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await run(async () => 'next')).toBe('next');
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => limiter(0)).toThrow('a concurrency limit must be a whole number of at least 1, got 0');
    expect(() => limiter(1.5)).toThrow(RangeError);
  });
});

describe('optionLimit', () => {
  it('refuses a concurrency option that is not a whole number of at least 1 as bad input', () => {
    expect(() => optionLimit(0, 8)).toThrow(InputError);
    expect(() => optionLimit(2.5, 8)).toThrow(/got 2.5/);
  });

  it('runs no more tasks at once than the option, or the fallback when it is absent', async () => {
    for (const [option, expected] of [
      [2, 2],
      [undefined, 3],
    ] as const) {
      const run = optionLimit(option, 3);
      let active = 0;
      let most = 0;
      const task = async () => {
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
      };
      await Promise.all(Array.from({ length: 6 }, () => run(task)));
      expect(most).toBe(expected);
    }
  });
});
