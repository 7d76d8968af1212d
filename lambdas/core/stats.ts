/** Small robust statistics on plain numbers, for the forecast. */

export function median(values: readonly number[]): number {
  return values.length === 0 ? 0 : medianInPlace(Float64Array.from(values));
}

/** Median of a typed array, which it reorders (quickselect: linear time, where a sort is n log n). */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const mid = n >> 1;
  const hi = select(values, mid);
  if (n % 2 === 1) return hi;
  // after selection everything left of `mid` is <= values[mid]: the lower middle is their maximum
  let lo = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < mid; i++) if ((values[i] as number) > lo) lo = values[i] as number;
  return (lo + hi) / 2;
}

/** Hoare's quickselect: puts the k-th smallest value at index k, smaller ones before it, and returns it. */
export function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k] as number;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : sum(values) / values.length;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
