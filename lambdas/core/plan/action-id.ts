/**
 * An action's id: `act-` and 16 hex digits of a 64-bit FNV-1a hash of what identifies the change (budget, resource,
 * kind, the day that planned it, the state it aims at). Deterministic, so a rerun of the same cycle finds its own
 * record; not a secret and not a signature (approvals check the ledger's record, not the id).
 */
import type { ScalingPlan } from './types.ts';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

export function fnv1a64(text: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK;
  }
  return h;
}

export function actionId(plan: ScalingPlan, asOf: string): string {
  const key = [plan.budget, plan.resource.resourceId, plan.kind, asOf, JSON.stringify(plan.after)].join('|');
  return `act-${fnv1a64(key).toString(16).padStart(16, '0')}`;
}
