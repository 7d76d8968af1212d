/**
 * The errors the tool raises on purpose, one family. Each message is one line fit to show a user, naming what to fix
 * and never a secret; each error keeps the error it came from as `cause`. What an error means for the command line is
 * `exitCodeOf`, and for a cycle `gapOf` (an incomplete-data gap instead of a failed step), both below; the adapters
 * turn what their SDK throws into errors of the family (aws/errors.ts classifies AWS failures).
 */
import type { DataGap } from './types.ts';

export class PerfBudgetsError extends Error {
  override name = 'PerfBudgetsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Bad input: a file, row, path, flag or event that is not what the tool expects. The CLI prints `message` on one line
 * and exits 2. `message` always names the file (and row, column or path) and says what was expected.
 */
export class InputError extends PerfBudgetsError {
  override name = 'InputError';
  constructor(
    message: string,
    readonly where?: {
      readonly file?: string;
      readonly row?: number;
      readonly column?: string;
      readonly path?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An input that was read but cannot be used: a stored payload that is missing or does not parse, parts of a cycle
 * that do not fit together, an AWS response that is not what its API promises.
 */
export class DataError extends PerfBudgetsError {
  override name = 'DataError';
}

/** What an AWS failure left unknown: spend, metrics, inventory, the ledger, the outputs, or a role's credentials. */
export type AwsSource = 'costs' | 'metrics' | 'inventory' | 'ledger' | 'outputs' | 'credentials' | 'prices';
export type AwsFailureKind = 'throttled' | 'access-denied' | 'malformed' | 'failed';

/**
 * An AWS source that could not be read or written after the SDK's retries: denied, throttled, malformed or failed.
 * In a cycle it becomes an incomplete-data gap for that source while the rest goes on; `message` names the IAM action
 * to grant when access was denied.
 */
export class AwsAccessError extends PerfBudgetsError {
  override name = 'AwsAccessError';
  constructor(
    readonly source: AwsSource,
    readonly kind: AwsFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A deployment is configured wrongly (an environment variable, a secret, a stored budget file): names what to fix. */
export class ConfigurationError extends PerfBudgetsError {
  override name = 'ConfigurationError';
}

/** Exit codes of the CLI: 0 ok, 1 a budget breached (with --fail-on), 2 bad input, 3 an internal error. */
export const EXIT = { ok: 0, breach: 1, input: 2, internal: 3 } as const;

/**
 * The exit code of a command stopped by `err`: 2 for every error of the family (the input, the data, the account's
 * access or the configuration needs fixing, and the message says how), 3 for anything else (a bug).
 */
export function exitCodeOf(err: unknown): (typeof EXIT)['input' | 'internal'] {
  return err instanceof PerfBudgetsError ? EXIT.input : EXIT.internal;
}

/**
 * The incomplete-data gap a source that could not be read leaves in a cycle, which goes on without it. Bad input
 * is not a gap: it stops the cycle, and is thrown again, as is anything thrown that is not an Error.
 */
export function gapOf(source: DataGap['source'], err: unknown): DataGap {
  if (err instanceof InputError || !(err instanceof Error)) throw err;
  return { source, message: err.message };
}

/** "file.csv row 12, column BilledCost: ..." */
export function inputError(
  file: string,
  detail: string,
  at: { row?: number; column?: string; path?: string } = {},
  cause?: unknown,
): InputError {
  const parts = [file];
  if (at.row !== undefined) parts.push(`row ${at.row}`);
  if (at.column !== undefined) parts.push(`column ${at.column}`);
  if (at.path !== undefined) parts.push(at.path);
  const where = parts.join(at.row !== undefined || at.column !== undefined ? ', ' : ' ');
  return new InputError(`${where}: ${detail}`, { file, ...at }, { cause });
}
