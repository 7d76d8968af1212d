import { InputError } from '../core/errors.ts';
import { evaluateCycle } from '../core/evaluate/index.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { checkOutDir, writeOutputSet } from '../fs/dir-sink.ts';
import { buildReport, reportFiles } from '../report/index.ts';
import type { DemoInputs } from './demo.ts';
import { snapshotOfFiles } from './run.ts';
import { print } from './terminal.ts';

export interface ReportFlags {
  budgets?: string;
  costs?: string[];
  metrics?: string;
  asOf?: string;
  out: string;
  demo?: boolean;
}

/**
 * `perf-budgets report`: collect and evaluate like `run`, without the ledger or alerts, and write the billing-cycle
 * report (report.html, report.md, report.json). Nothing is written unless all three are ready.
 */
export async function report(flags: ReportFlags, demoInputs: () => Promise<DemoInputs>): Promise<number> {
  const demo = flags.demo ? await demoInputs() : undefined;
  const budgets = flags.budgets ?? demo?.budgets;
  const costs = flags.costs ?? demo?.costs;
  if (!budgets) throw new InputError('report: --budgets FILE is required (or --demo)');
  if (!costs || costs.length === 0) throw new InputError('report: --costs FILE is required (or --demo)');
  const file = await loadBudgetFile(budgets);
  await checkOutDir(flags.out);
  const snapshot = await snapshotOfFiles(
    file,
    { costs, metrics: flags.metrics ?? demo?.metrics },
    { asOf: flags.asOf ?? demo?.asOf, now: new Date() },
  );
  const evaluation = evaluateCycle(snapshot, file);
  const built = await buildReport({ evaluation, snapshot, file });
  const written = await writeOutputSet(flags.out, reportFiles(built));
  print(`Wrote ${written.join(', ')}.\n`);
  return 0;
}
