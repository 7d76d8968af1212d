import { join } from 'node:path';
import type { AlertLinks, AlertMessage } from '../core/alert-text.ts';
import type { BudgetFile } from '../core/budget.ts';
import { InputError } from '../core/errors.ts';
import { type CycleResult, evaluateCycle } from '../core/evaluate.ts';
import { cycleRecords } from '../core/ledger-records.ts';
import { DayClock, parseDay } from '../core/period.ts';
import type { CostRecord, Snapshot } from '../core/types.ts';
import { alertStep } from '../cycle/notify.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { loadCostFiles } from '../formats/cost-files.ts';
import { loadMetricsCsv } from '../formats/metrics-csv.ts';
import { writeAtomically } from '../fs/dir-sink.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import type { Delivery, Ledger, Notifier } from '../ports.ts';
import { buildReport, reportFiles } from '../report/index.ts';
import { renderMarkdown } from '../report/summary.ts';

export interface LocalRunOptions {
  readonly budgets: string;
  readonly costs: readonly string[];
  readonly metrics?: string;
  /** Day (inclusive, billing time zone); defaults to the last day of the cost data. */
  readonly asOf?: string;
  /** Directory for cycle.json, summary.md and the report (report.html, .md, .json); nothing is written when absent. */
  readonly out?: string;
  /** Ledger directory; `false` runs without one (every finding counts as new). */
  readonly state?: string | false;
  /** The wall clock, read once at the edge: alert timestamps only, never what counts as "to date". */
  readonly now: Date;
  /** Where the cycle's new alerts go (Slack when SLACK_WEBHOOK_URL is set); none by default. */
  readonly notifiers?: readonly Notifier[];
  /** Links the alerts carry (report, dashboard, runbook). */
  readonly links?: AlertLinks;
}

export interface LocalRunOutput {
  readonly result: CycleResult;
  readonly file: BudgetFile;
  /** The alerts this cycle opened, escalated or resolved (with --no-state: every open one), with their words. */
  readonly alerts: readonly AlertMessage[];
  /** Alerts still open in the same state as already sent this period: not sent again. */
  readonly unchanged: number;
  /** What became of each alert on each notifier. */
  readonly deliveries: readonly Delivery[];
  /** Alerts no channel delivered: forgotten by the ledger, so the next run sends them again. */
  readonly undelivered: number;
  readonly written: readonly string[];
}

/** Loads and checks every input; reads nothing from the clock and writes nothing. */
export async function collectLocal(opts: LocalRunOptions, file: BudgetFile): Promise<Snapshot> {
  const costs = await loadCostFiles([...opts.costs], { costMetric: file.costMetric });
  checkCurrency(costs.records, file.currency);
  const clock = new DayClock(file.billingPeriod.timezone);
  let asOf = opts.asOf;
  if (asOf !== undefined) {
    try {
      parseDay(asOf, file.billingPeriod.timezone);
    } catch (err) {
      throw new InputError(`--as-of: ${(err as Error).message}`, undefined, { cause: err });
    }
  } else {
    let last = Number.NEGATIVE_INFINITY;
    for (const r of costs.records) if (r.start > last) last = r.start;
    if (!Number.isFinite(last))
      throw new InputError(`${opts.costs.join(', ')}: no cost rows; give --as-of or a file with data`);
    asOf = clock.dayOf(last);
  }
  const metrics = opts.metrics === undefined ? undefined : await loadMetricsCsv(opts.metrics);
  return {
    asOf,
    currency: file.currency,
    costs: costs.records,
    metrics: metrics?.series,
    inventory: [],
    gaps: [...costs.gaps, ...(metrics?.gaps ?? [])],
    costsCompleteThrough: costs.completeThrough,
  };
}

function checkCurrency(records: readonly CostRecord[], currency: string): void {
  for (const r of records) {
    if (r.currency !== currency) {
      const where = r.source
        ? `${r.source.file}${r.source.row !== undefined ? ` row ${r.source.row}` : ''}`
        : 'costs';
      throw new InputError(
        `${where}: billed in ${r.currency}, but the budget file is in ${currency}; convert the export or set currency: ${r.currency}`,
      );
    }
  }
}

/** One full governance cycle on files: collect, evaluate, write outputs, remember alerts. */
export async function runLocal(opts: LocalRunOptions): Promise<LocalRunOutput> {
  const file = await loadBudgetFile(opts.budgets);
  const snapshot = await collectLocal(opts, file);
  return finishCycle(file, snapshot, opts);
}

export interface FinishOptions {
  readonly out?: string;
  readonly state?: string | false;
  readonly now: Date;
  readonly notifiers?: readonly Notifier[];
  readonly links?: AlertLinks;
  /** Keys added to cycle.json beside the result (e.g. `apiUsage` of a live run). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * The part of a cycle after collection, whatever the source: evaluate, write cycle.json and summary.md, then
 * remember alerts, closed days and exceptions in the ledger. Nothing is written before everything is computed.
 */
export async function finishCycle(
  file: BudgetFile,
  snapshot: Snapshot,
  opts: FinishOptions,
): Promise<LocalRunOutput> {
  const evaluation = evaluateCycle(snapshot, file);
  const result: CycleResult = { ...evaluation.result, ...opts.extra };

  const records = cycleRecords(evaluation, file);

  const report = opts.out ? await buildReport({ evaluation, snapshot, file, result }) : undefined;

  // Everything is computed; only now is anything written.
  const written = opts.out
    ? await writeAtomically(opts.out, {
        'cycle.json': `${JSON.stringify(result, null, 2)}\n`,
        'summary.md': renderMarkdown(result),
        ...(report ? reportFiles(report) : {}),
      })
    : [];

  const ledger: Ledger | undefined =
    opts.state === false ? undefined : new SqliteLedger(join(opts.state ?? '.perf-budgets', 'ledger.db'));
  try {
    const step = await alertStep({
      result,
      records,
      ledger,
      notifiers: opts.notifiers ?? [],
      links: opts.links,
      now: opts.now,
    });
    return { result, file, ...step, written };
  } finally {
    await ledger?.close();
  }
}
