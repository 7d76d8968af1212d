import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, select } from '../../lambdas/core/stats.ts';

const sortedMedian = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

describe('stats', () => {
  it('median by quickselect equals the median of the sorted values, duplicates included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: -5, max: 5 }).map((x) => x / 2),
          { minLength: 1, maxLength: 60 },
        ),
        (xs) => {
          expect(median(xs)).toBe(sortedMedian(xs));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('select puts the k-th smallest at k with nothing larger before it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.nat(),
        (xs, k0) => {
          const k = k0 % xs.length;
          const a = Float64Array.from(xs);
          const v = select(a, k);
          expect(v).toBe([...xs].sort((x, y) => x - y)[k]);
          for (let i = 0; i < k; i++) expect(a[i]).toBeLessThanOrEqual(v);
          for (let i = k + 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(v);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the median of nothing is 0', () => {
    expect(median([])).toBe(0);
  });
});
