/**
 * The report step: the files a cycle writes, the same for `run --out`, `perf-budgets report` and the report Lambda:
 * the billing-cycle report (HTML with charts, Markdown, JSON), and the cycle's own summary and JSON beside it.
 */

import type { CycleResult } from '../core/evaluate/types.ts';
import { displayMoney, moneyFromNumber } from '../core/money.ts';
import { addDays } from '../core/period.ts';
import type { Status } from '../core/types.ts';
import type { ReportSink } from '../ports.ts';
import { type BuiltReport, buildReport, type ReportInput, reportFiles } from '../report/index.ts';
import { renderMarkdown } from '../report/summary.ts';
import type { ReportSummary } from '../slack/blocks.ts';
import { CYCLE_FILES, type CycleFileName, LATEST_REPORT_DIR } from './contract.ts';

/** The cycle's result as cycle.json and summary.md. */
export function resultFiles(result: CycleResult): Record<'cycle.json' | 'summary.md', string> {
  return { 'cycle.json': `${JSON.stringify(result, null, 2)}\n`, 'summary.md': renderMarkdown(result) };
}

/** The billing-cycle report of an evaluated cycle, and the cycle's own files beside it. */
export async function reportStep(input: ReportInput & { readonly result: CycleResult }): Promise<{
  readonly report: BuiltReport;
  readonly files: Record<CycleFileName, string>;
}> {
  const report = await buildReport(input);
  return { report, files: { ...resultFiles(input.result), ...reportFiles(report) } };
}

/**
 * Writes a cycle's files under `<period start>/<as-of>/` of the sink, and the report under `latest/` too (what the
 * alerts of the days between two reports link to). Returns where the report's three forms went, and the key of its
 * page.
 */
export async function publishReport(
  sink: ReportSink,
  result: CycleResult,
  files: Record<CycleFileName, string>,
): Promise<{ html: string; markdown: string; json: string; page: string }> {
  const dir = `${result.period.start}/${result.asOf}`;
  const written = new Map<string, string>();
  for (const [name, type] of Object.entries(CYCLE_FILES)) {
    written.set(name, await sink.write(`${dir}/${name}`, files[name as CycleFileName], type));
  }
  for (const name of ['report.html', 'report.md', 'report.json'] as const) {
    await sink.write(`${LATEST_REPORT_DIR}/${name}`, files[name], CYCLE_FILES[name]);
  }
  const at = (name: string) => written.get(name) ?? name;
  return {
    html: at('report.html'),
    markdown: at('report.md'),
    json: at('report.json'),
    page: `${dir}/report.html`,
  };
}

/** The Slack summary of a report: a line per budget with status, spend against cap and forecast. */
export function reportSummary(result: CycleResult, url: string): ReportSummary {
  const last = addDays(result.period.end, -1);
  return {
    title: `Billing-cycle report ${result.period.start}..${last}`,
    period: `${result.period.start}..${last}, as of ${result.asOf}`,
    lines: summaryLines(result),
    url,
  };
}

const STATUS_WORDS: Readonly<Record<Status, string>> = {
  breached: 'BREACHED',
  unknown: 'UNKNOWN',
  'at-risk': 'AT RISK',
  ok: 'OK',
};

/** One line per budget for the Slack summary: status, spend against cap, forecast. */
export function summaryLines(result: CycleResult): string[] {
  const money = (x: number | null) =>
    x === null ? 'unknown' : displayMoney(moneyFromNumber(x), result.currency);
  return result.budgets.map((b) => {
    const status = STATUS_WORDS[b.status];
    const cap = b.cap === null ? 'no cap' : `of ${money(b.cap)}`;
    return `${status} ${b.name}: ${money(b.spendToDate)} ${cap}, forecast ${money(b.forecast.expected)}`;
  });
}
