import { formatMoney, parseMoney } from './money.ts';
import type { CostRecord } from './types.ts';

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
