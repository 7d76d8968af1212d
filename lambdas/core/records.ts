import { formatMoney, parseMoney } from './money.ts';
import type { CostRecord, MetricSeries, Snapshot } from './types.ts';

/** A cost record as JSON can carry it: the exact amount as decimal text (bigint does not serialise). */
export type StoredCostRecord = Omit<CostRecord, 'amount'> & { readonly amount: string };

export function storeCostRecord(r: CostRecord): StoredCostRecord {
  return { ...r, amount: formatMoney(r.amount, 12) };
}

export function loadCostRecord(r: StoredCostRecord): CostRecord {
  const amount = parseMoney(r.amount);
  if (amount === undefined) throw new RangeError(`stored cost record with a bad amount: ${r.amount}`);
  return { ...r, amount };
}

/** A snapshot as JSON carries it between Step Functions states (through S3): bigint and typed arrays spelled out. */
export interface StoredSnapshot extends Omit<Snapshot, 'costs' | 'metrics'> {
  readonly costs: readonly StoredCostRecord[];
  readonly metrics?: readonly (Omit<MetricSeries, 't' | 'v'> & {
    readonly t: number[];
    readonly v: number[];
  })[];
}

export function storeSnapshot(s: Snapshot): StoredSnapshot {
  return {
    ...s,
    costs: s.costs.map(storeCostRecord),
    metrics: s.metrics?.map((m) => ({ ...m, t: Array.from(m.t), v: Array.from(m.v) })),
  };
}

export function loadSnapshot(s: StoredSnapshot): Snapshot {
  return {
    ...s,
    costs: s.costs.map(loadCostRecord),
    metrics: s.metrics?.map((m) => ({ ...m, t: Float64Array.from(m.t), v: Float64Array.from(m.v) })),
  };
}
