/**
 * Bounded concurrency for AWS requests, written once: a limit that any number of calls can share (`limiter`), and a
 * map over a list with at most so many calls in flight (`mapLimit`). Work starts in the order it was asked for, so a
 * caller can stop what has not started yet (after a denial, say) and know which items were never tried.
 */
import { InputError } from '../core/errors.ts';

/** Runs a task when a slot is free. */
export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `max` tasks at once, first come first served. */
export function limiter(max: number): Limit {
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`a concurrency limit must be a whole number of at least 1, got ${max}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `active` only drops when nobody waits.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/**
 * `fn` over every item, at most `limit` at once, results in the items' order. Like Promise.all it rejects with the
 * first failure, and then starts no item that has not started yet; a caller that wants every outcome catches inside
 * `fn`.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const run = limiter(limit);
  let failure: { readonly error: unknown } | undefined;
  return Promise.all(
    items.map((item, i) =>
      run(async () => {
        if (failure) throw failure.error;
        try {
          return await fn(item, i);
        } catch (error) {
          failure ??= { error };
          throw error;
        }
      }),
    ),
  );
}

/** An adapter's `concurrency` option as its limit: `fallback` when absent, bad input when not a whole number >= 1. */
export function optionLimit(concurrency: number | undefined, fallback: number): Limit {
  const max = concurrency ?? fallback;
  if (!Number.isInteger(max) || max < 1) {
    throw new InputError(`concurrency must be a whole number of at least 1, got ${max}`);
  }
  return limiter(max);
}
