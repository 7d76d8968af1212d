/**
 * Deterministic randomness for the generators (the demo account and the benchmark account): the same seed gives
 * the same numbers on every machine and Node version, so generated files can be committed and compared.
 */

/** FNV-1a: a string seed to 32 bits. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeededRandom {
  private state: number;
  constructor(seed: string) {
    this.state = fnv1a(seed);
  }
  /** mulberry32, uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Multiplicative noise around 1 with log-space sigma, bounded to +-3 sigma. */
  jitter(sigma: number): number {
    return Math.exp(sigma * Math.max(-3, Math.min(3, this.normal())));
  }
  /** Log-normal with the given median and log-space sigma, bounded to +-3 sigma. */
  logNormal(median: number, sigma: number): number {
    return median * this.jitter(sigma);
  }
  pick<T>(weighted: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of weighted) total += w;
    let x = this.next() * total;
    for (const [v, w] of weighted) {
      x -= w;
      if (x < 0) return v;
    }
    return (weighted.at(-1) as readonly [T, number])[0];
  }
}
