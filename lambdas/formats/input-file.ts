/**
 * What a local input must be before a byte of it is read: a regular file (a FIFO would block the read forever, a
 * device such as /dev/zero never ends) of a size the tool can hold. The bounds are per kind of input:
 * - a budget file: 1 MiB (a file of a thousand budgets is about 300 KB);
 * - a saved Cost Explorer response (JSON, parsed whole): 256 MiB;
 * - a CSV (costs or metrics), streamed: 4 GiB, after decompression for `.gz`, where the bound is counted while
 *   reading. A bill larger than that belongs in Athena over the Data Export, not in one process's memory;
 * - a CloudFormation template: 1 MiB, the most CloudFormation deploys (a cloud assembly's manifests and a price
 *   table are JSON documents, bounded as JSON).
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError, inputError } from '../core/errors.ts';

const MiB = 1024 * 1024;

export const INPUT_LIMITS = {
  budgets: { bytes: MiB, label: '1 MiB' },
  json: { bytes: 256 * MiB, label: '256 MiB' },
  csv: { bytes: 4 * 1024 * MiB, label: '4 GiB' },
  /** CloudFormation takes a template of at most 1 MB: a larger one could not be deployed. */
  template: { bytes: MiB, label: '1 MiB' },
} as const;

export type InputKind = keyof typeof INPUT_LIMITS;

/** The kind of a file system entry that is not a regular file, in words. */
function entryKind(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks that `file` (symbolic links followed) is a regular file within the bound of its kind, and returns its
 * status (its device and inode tell two names of one file apart from two files).
 */
export async function checkInputFile(file: string, kind: InputKind): Promise<Stats> {
  let s: Stats;
  try {
    s = await stat(file);
  } catch (err) {
    throw readError(file, err);
  }
  if (!s.isFile()) throw inputError(file, `expected a regular file, found ${entryKind(s)}`);
  const limit = INPUT_LIMITS[kind];
  if (s.size > limit.bytes) throw tooLarge(file, kind, `${s.size} bytes`);
  return s;
}

/** The error for an input past the bound of its kind; `size` says how large it is or got. */
export function tooLarge(file: string, kind: InputKind, size: string): InputError {
  return inputError(file, `${size} is more than the ${INPUT_LIMITS[kind].label} a ${noun[kind]} may hold`);
}

const noun: Record<InputKind, string> = {
  budgets: 'budget file',
  json: 'saved Cost Explorer response',
  csv: 'CSV input',
  template: 'CloudFormation template (CloudFormation deploys at most 1 MB)',
};

/** An I/O error as an `InputError` naming the file; anything else (an `InputError` already, a bug) unchanged. */
export function readError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof InputError || typeof code !== 'string') return err;
  if (code === 'ENOENT') return inputError(file, 'file not found', {}, err);
  if (code === 'EACCES') return inputError(file, 'permission denied', {}, err);
  if (code === 'ELOOP') return inputError(file, 'too many levels of symbolic links', {}, err);
  if (code.startsWith('Z_')) return inputError(file, 'not a valid gzip file', {}, err);
  return inputError(file, `cannot read: ${(err as Error).message}`, {}, err);
}
