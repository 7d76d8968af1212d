import { readFileSync, statSync } from 'node:fs';
import type { BudgetFile } from '../lambdas/core/budget.ts';
import { checkBudgetText, formatProblem, type LoadBudgetResult } from '../lambdas/formats/budget-file.ts';
import { INPUT_LIMITS } from '../lambdas/formats/input-file.ts';

/** The budget file is wrong: the message lists every problem as `perf-budgets validate` prints it. */
export class BudgetFileError extends Error {
  override name = 'BudgetFileError';
}

/**
 * Reads and validates a budget file at synth time (synchronously: construct constructors cannot await), with the
 * same schema and the same messages as `perf-budgets validate`, so a bad file fails synth before anything deploys.
 */
export function readBudgetFile(path: string): BudgetFile {
  let r: LoadBudgetResult;
  try {
    // checked before a byte is read, as the CLI does: a FIFO would block synth forever, /dev/zero never ends
    const s = statSync(path);
    if (!s.isFile()) r = { ok: false, problems: [{ path: '(file)', message: 'expected a regular file' }] };
    else if (s.size > INPUT_LIMITS.budgets.bytes)
      r = {
        ok: false,
        problems: [
          {
            path: '(file)',
            message: `${s.size} bytes is more than the ${INPUT_LIMITS.budgets.label} a budget file may hold`,
          },
        ],
      };
    else r = checkBudgetText(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    r = {
      ok: false,
      problems: [
        { path: '(file)', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? err})` },
      ],
    };
  }
  if (r.ok) return r.file;
  const lines = r.problems.map((p) => formatProblem(path, p));
  throw new BudgetFileError(
    `budget file ${path} is not valid (check it with \`perf-budgets validate ${path}\`):\n${lines.join('\n')}`,
  );
}
