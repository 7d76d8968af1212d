import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { evaluateCycle } from '../core/evaluate/index.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { checkOutDir, writeOutputSet } from '../fs/dir-sink.ts';
import { buildReport, reportFiles } from '../report/index.ts';
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

export interface DemoInputs {
  readonly budgets: string;
  readonly costs: string[];
  readonly metrics?: string;
  readonly asOf: string;
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

/** Adds the `report` command to the CLI. */
export function registerReport(
  cli: Command,
  opts: { setExit: (code: number) => void; demoInputs: () => Promise<DemoInputs> },
): void {
  cli
    .command('report')
    .description(
      'write the billing-cycle report (HTML with charts, Markdown, JSON) for the period containing --as-of',
    )
    .option('--budgets <file>', 'budget file (YAML or JSON)')
    .option(
      '--costs <files...>',
      'cost files: FOCUS 1.0 CSV, legacy CUR CSV or a saved Cost Explorer response',
    )
    .option('--metrics <file>', 'metrics CSV: timestamp,endpoint,variant,metric,stat,value')
    .option('--as-of <day>', 'the day to report, YYYY-MM-DD inclusive (default: last day of the cost data)')
    .requiredOption(
      '--out <dir>',
      'write report.html, report.md and report.json here, as one set; a new or empty directory, or one an earlier run wrote holding nothing else',
    )
    .option('--demo', 'report on the bundled demo account (examples/demo)')
    .action(async (flags: ReportFlags) => opts.setExit(await report(flags, opts.demoInputs)));
}
