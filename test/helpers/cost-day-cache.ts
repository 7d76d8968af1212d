import type { CostRecord } from '../../lambdas/core/types.ts';
import type { CostDayCache } from '../../lambdas/ports.ts';

/** A day cache in memory that remembers what was put in it. */
export class MemoryCache implements CostDayCache {
  readonly store = new Map<string, Map<string, readonly CostRecord[]>>();
  readonly puts: { source: string; days: string[] }[] = [];

  async getDays(source: string, days: readonly string[]) {
    const out = new Map<string, readonly CostRecord[]>();
    for (const d of days) {
      const hit = this.store.get(source)?.get(d);
      if (hit) out.set(d, hit);
    }
    return out;
  }

  async putDays(source: string, days: ReadonlyMap<string, readonly CostRecord[]>) {
    this.puts.push({ source, days: [...days.keys()].sort() });
    const s = this.store.get(source) ?? new Map<string, readonly CostRecord[]>();
    for (const [d, r] of days) s.set(d, r);
    this.store.set(source, s);
  }

  cachedDays(source: string): string[] {
    return [...(this.store.get(source)?.keys() ?? [])].sort();
  }
}
