/**
 * An action's ledger record as the ledgers store it (JSON text): a schema that checks every field on the way back
 * in, so that a stored record that lost its shape fails with its path instead of flowing on as a cast, and the rule
 * for the instants a ledger orders actions by.
 */
import * as z from 'zod';
import { assertStorable, loadStored } from './stored-record.ts';
import {
  ACTION_STATUSES,
  type ActionRecord,
  CHANGE_KINDS,
  COMPONENT_DIMENSION,
  VARIANT_DIMENSION,
} from './types.ts';

const Status = z.enum(ACTION_STATUSES);
const Count = z.number().int().nonnegative();
const OrNull = z.number().nullable();

export const ScalingStateSchema = z.strictObject({
  target: z.strictObject({ min: Count, max: Count }).nullable(),
  targetTracking: z
    .strictObject({
      metric: z.string(),
      targetValue: z.number(),
      scaleInCooldownSeconds: z.number(),
      scaleOutCooldownSeconds: z.number(),
    })
    .nullable(),
  wakeOnRequest: z.boolean(),
  schedules: z
    .array(
      z.strictObject({
        name: z.string(),
        schedule: z.string(),
        timezone: z.string(),
        min: Count,
        max: Count,
      }),
    )
    .readonly(),
});

const Window = z.strictObject({
  p99Ms: OrNull,
  errors5xx: OrNull,
  noCapacity: OrNull,
  instanceHours: OrNull,
});

/** One action as the ledger keeps it, the act payload carries it and `run --format json` prints it. */
export const ActionRecordSchema = z.strictObject({
  id: z.string().min(1),
  budget: z.string(),
  kind: z.enum(CHANGE_KINDS),
  resource: z.strictObject({
    resourceId: z.string().min(1),
    dimension: z.enum([VARIANT_DIMENSION, COMPONENT_DIMENSION]),
    endpoint: z.string().min(1),
    variant: z.string().optional(),
    component: z.string().optional(),
    instanceType: z.string().optional(),
    account: z.string().optional(),
    region: z.string().optional(),
  }),
  status: Status,
  reason: z.string().optional(),
  before: ScalingStateSchema,
  after: ScalingStateSchema,
  predicted: z.strictObject({ spend: z.number(), p99Ms: OrNull }),
  estimatedSavings: z.number().optional(),
  why: z.string().optional(),
  infeasible: z.string().optional(),
  evidence: z.strictObject({ hours: z.number(), from: z.string(), to: z.string() }),
  measured: z.strictObject({ hours: z.number(), before: Window, after: Window, saving: OrNull }).optional(),
  asOf: z.iso.date(),
  createdAt: z.iso.datetime(),
  appliedAt: z.iso.datetime().optional(),
  history: z
    .array(
      z.strictObject({
        status: Status,
        at: z.string(),
        reason: z.string().optional(),
        by: z.string().optional(),
      }),
    )
    .readonly(),
}) satisfies z.ZodType<ActionRecord>;

/** A stored action record, checked field by field; `where` names the record in the error. */
export function loadActionRecord(json: unknown, where: string): ActionRecord {
  return loadStored(ActionRecordSchema, json, where, 'action');
}

/**
 * Throws unless `record` can be stored: its shape holds, and `createdAt` is an instant in the one form
 * `Date.toISOString` writes, so that ordering by the text (newest first) is ordering by time in every ledger.
 */
export function assertStorableAction(record: ActionRecord): void {
  assertStorable(record, loadActionRecord, `action ${record.id}`, 'createdAt');
}

/** `a` moved to `status` at `at`: its reason, and an entry in its history (with who, for a person's decision). */
export function moveAction(
  a: ActionRecord,
  status: ActionRecord['status'],
  at: string,
  reason: string,
  by?: string,
): ActionRecord {
  return { ...a, status, reason, history: [...a.history, { status, at, reason, ...(by ? { by } : {}) }] };
}
