/**
 * Reading and writing the payloads of the deployed pipeline: every read parses with the contract's schema (never a
 * cast), so a payload of another shape fails where it is read, naming its key and the first field that is wrong.
 */
import * as z from 'zod';
import type { BudgetFile } from '../core/budget.ts';
import { DataError } from '../core/errors.ts';
import { withActionFindings } from '../core/plan/action-findings.ts';
import type { PayloadStore } from '../ports.ts';
import {
  ActionsPayloadSchema,
  type Findings,
  FindingsSchema,
  type SnapshotPart,
  SnapshotPartSchema,
} from './contract.ts';

/** A stored payload does not have the shape the contract gives it. */
export class PayloadError extends DataError {
  override name = 'PayloadError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** The first problems of a failed parse, each as `path: message`. */
export function issuesText(error: z.ZodError, most = 3): string {
  const shown = error.issues.slice(0, most).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

export async function readPayload<S extends z.ZodType>(
  store: PayloadStore,
  key: string,
  schema: S,
): Promise<z.output<S>> {
  const parsed = schema.safeParse(await store.getJson(key));
  if (parsed.success) return parsed.data;
  throw new PayloadError(key, `${key} is not the payload this step reads: ${issuesText(parsed.error)}`);
}

export async function writePayload<S extends z.ZodType>(
  store: PayloadStore,
  key: string,
  schema: S,
  value: z.output<S>,
): Promise<string> {
  return store.putJson(key, z.encode(schema, value));
}

/** The snapshot parts of a cycle, read and parsed in the order given. */
export function readParts(store: PayloadStore, keys: readonly string[]): Promise<SnapshotPart[]> {
  return Promise.all(keys.map((k) => readPayload(store, k, SnapshotPartSchema)));
}

/**
 * A cycle's findings with what act did, as the CLI's run has them: the result carries the cycle's actions, and each
 * rolled-back change is a finding of its budget. Without `actionsKey` (an execution started before act stored its
 * actions) the findings alone.
 */
export async function readFindingsWithActions(
  store: PayloadStore,
  resultKey: string,
  actionsKey: string | undefined,
  file: BudgetFile,
): Promise<Findings> {
  const findings = await readPayload(store, resultKey, FindingsSchema);
  if (actionsKey === undefined) return findings;
  const { asOf, actions, approvals } = await readPayload(store, actionsKey, ActionsPayloadSchema);
  if (asOf !== findings.result.asOf) {
    throw new PayloadError(
      actionsKey,
      `${actionsKey} holds the actions of ${asOf}, not of ${findings.result.asOf} (${resultKey})`,
    );
  }
  return { ...findings, result: withActionFindings(findings.result, actions, file, approvals) };
}
