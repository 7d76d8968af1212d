/** `perf-budgets validate FILE`: every problem of a budget file, with its path and line. */
import { EXIT } from '../core/errors.ts';
import { checkBudgetFile, formatProblem } from '../formats/budget-file.ts';
import { print, printError } from './terminal.ts';

export async function validate(file: string): Promise<number> {
  const r = await checkBudgetFile(file);
  if (r.ok) {
    print(`${file}: ok (${r.file.budgets.length} budgets, ${Object.keys(r.file.tiers).length} tiers)\n`);
    return EXIT.ok;
  }
  for (const p of r.problems) printError(`${formatProblem(file, p)}\n`);
  return EXIT.input;
}
