/**
 * What the ledgers' records share on their way in and out (actions, approvals): a record read back is parsed by its
 * schema, never cast, and an instant it is ordered or selected by is kept in the one text form that orders as time.
 */
import type * as z from 'zod';

/** `json` checked by `schema`; a failure names `where`, the kind of record, and its first wrong field. */
export function loadStored<T>(schema: z.ZodType<T>, json: unknown, where: string, kind: string): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new RangeError(`${where}: stored ${kind} record: ${issue?.path.join('.')}: ${issue?.message}`);
}

/**
 * Throws unless `record` survives the JSON it is stored as and its instant `field` is in the form Date.toISOString
 * writes (years 0000 to 9999), so that ordering by the text is ordering by time in every ledger. `load` is the
 * record's loader; `label` names the record in the error.
 */
export function assertStorable<T extends object>(
  record: T,
  load: (json: unknown, where: string) => T,
  label: string,
  field: keyof T & string,
): void {
  load(JSON.parse(JSON.stringify(record)), label);
  const value = String(record[field]);
  if (canonicalInstant(value) !== value)
    throw new RangeError(
      `${label}: ${field} must be an ISO instant as Date.toISOString writes it (YYYY-MM-DDTHH:mm:ss.sssZ), got ${value}`,
    );
}

/** The instant `text` names in Date.toISOString's form; undefined if it is none, or outside years 0000 to 9999. */
export function canonicalInstant(text: string): string | undefined {
  const t = Date.parse(text);
  if (Number.isNaN(t)) return undefined;
  const iso = new Date(t).toISOString();
  return /^\d{4}-/.test(iso) ? iso : undefined;
}
