/**
 * Bad input: a file, row or path that is not what the tool expects. The CLI prints `message` on one line and exits 2.
 * `message` always names the file (and row, column or path) and says what was expected.
 */
export class InputError extends Error {
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
