/**
 * One temporary directory per test file, made on first use and removed after the file's tests (test/setup.ts):
 * helpers that write inputs at collection time, outside any test, keep them there instead of leaving a directory
 * behind per call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;
let count = 0;

/** A new path in the test file's scratch directory, `<name>-<n><extension>`. */
export function scratchPath(name: string, extension: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'perf-budgets-scratch-'));
  return join(dir, `${name}-${++count}${extension}`);
}

/** Removes the scratch directory, if one was made. */
export function removeScratch(): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}
