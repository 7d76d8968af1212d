import { budgetCharts } from './charts.ts';
import { renderHtml } from './html.ts';
import { renderReportMarkdown } from './markdown.ts';
import { type ReportInput, type ReportModel, reportModel } from './model.ts';

export type { ActionRecord, ReportInput, ReportModel } from './model.ts';
export { reportModel } from './model.ts';

export interface BuiltReport {
  readonly model: ReportModel;
  /** Self-contained page: inline CSS and SVG charts, no scripts, nothing fetched. */
  readonly html: string;
  readonly markdown: string;
  /** The model as JSON. */
  readonly json: string;
}

/** The billing-cycle report of one evaluated cycle, in its three forms. Pure apart from rendering the charts. */
export async function buildReport(input: ReportInput): Promise<BuiltReport> {
  const model = reportModel(input);
  const charts = [];
  for (const b of model.budgets) charts.push(await budgetCharts(b, model.currency));
  return {
    model,
    html: renderHtml(model, charts),
    markdown: renderReportMarkdown(model),
    json: `${JSON.stringify(model, null, 2)}\n`,
  };
}

/** File names and contents of a built report, for a writer (local directory or bucket). */
export function reportFiles(r: BuiltReport): Record<string, string> {
  return { 'report.html': r.html, 'report.md': r.markdown, 'report.json': r.json };
}
