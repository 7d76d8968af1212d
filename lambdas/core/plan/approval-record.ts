/**
 * An approval's audit record as the ledgers store it (JSON text): a schema that checks every field on the way back
 * in, so that a stored record that lost its shape fails with its path instead of flowing on as a cast, and the rule
 * for the instants a ledger orders and selects records by.
 */
import * as z from 'zod';
import { assertStorable, canonicalInstant, loadStored } from './stored-record.ts';
import { APPROVAL_CHANNELS, APPROVAL_OUTCOMES, type ApprovalRecord, REFUSAL_REASONS } from './types.ts';

const Text = z.string().min(1);
/** What a listing may be bounded by: a day (its start, UTC) or an instant with its offset. */
const Bound = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** One decision or refusal as the ledger keeps it. */
export const ApprovalRecordSchema = z
  .strictObject({
    id: z.string().regex(/^apr-[0-9a-f]{16}$/, 'expected apr- and 16 lower-case hex digits'),
    outcome: z.enum(APPROVAL_OUTCOMES),
    reason: z.enum(REFUSAL_REASONS).optional(),
    // part of a DynamoDB partition key (at most 2048 bytes), and of no use longer than an action id ever is
    actionId: Text.max(256).optional(),
    budget: Text.optional(),
    endpoint: Text.optional(),
    by: Text,
    via: z.enum(APPROVAL_CHANNELS),
    at: z.iso.datetime(),
    detail: Text,
  })
  .superRefine((r, ctx) => {
    // a refusal says why; a decision took effect on one named action and was refused for no reason
    if (r.outcome === 'refused' && r.reason === undefined)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a refusal needs its reason' });
    if (r.outcome !== 'refused' && r.reason !== undefined)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `an ${r.outcome} record has no reason` });
    if (r.outcome !== 'refused' && r.actionId === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['actionId'],
        message: `an ${r.outcome} record names its action`,
      });
  }) satisfies z.ZodType<ApprovalRecord>;

/** A stored approval record, checked field by field; `where` names the record in the error. */
export function loadApprovalRecord(json: unknown, where: string): ApprovalRecord {
  return loadStored(ApprovalRecordSchema, json, where, 'approval');
}

/**
 * Throws unless `record` can be stored: its shape holds, and `at` is an instant in the one form `Date.toISOString`
 * writes, so that ordering and selecting by the text is ordering by time in every ledger.
 */
export function assertStorableApproval(record: ApprovalRecord): void {
  assertStorable(record, loadApprovalRecord, `approval ${record.id}`, 'at');
}

/**
 * The bounds of an approvals listing in the stored form: any ISO instant a caller gives (`2026-10-10`,
 * `2026-10-10T06:00:00Z`) becomes the text it compares with; a bound that is no instant is refused, as a bound
 * that would select nothing or everything by mistake.
 */
export function approvalBounds(filter: { readonly from?: string; readonly to?: string }): {
  readonly from?: string;
  readonly to?: string;
} {
  const bound = (name: 'from' | 'to', value: string | undefined) => {
    if (value === undefined) return {};
    const at = Bound.safeParse(value).success ? canonicalInstant(value) : undefined;
    if (at === undefined)
      throw new RangeError(
        `approvals: ${name} must be an ISO instant between years 0000 and 9999, got ${value}`,
      );
    return { [name]: at };
  };
  return { ...bound('from', filter.from), ...bound('to', filter.to) };
}

/**
 * The records of a listing, oldest first: those of `filter`'s id and action, made within its bounds (taken as
 * `approvalBounds` reads them), for a ledger that selects in memory what its keys could not.
 */
export function selectApprovals(
  records: readonly ApprovalRecord[],
  filter: { readonly actionId?: string; readonly id?: string; readonly from?: string; readonly to?: string },
): ApprovalRecord[] {
  const { from, to } = approvalBounds(filter);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return records
    .filter(
      (r) =>
        (filter.id === undefined || r.id === filter.id) &&
        (filter.actionId === undefined || r.actionId === filter.actionId) &&
        (from === undefined || r.at >= from) &&
        (to === undefined || r.at < to),
    )
    .sort((a, b) => cmp(a.at, b.at) || cmp(a.id, b.id));
}
