import { ChartRenderer, MAX_ENDPOINT_CHARTS, MAX_ENDPOINT_CHARTS_TOTAL } from './charts.ts';
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
  const renderer = new ChartRenderer(model.currency);
  const charts = [];
  try {
    let left = MAX_ENDPOINT_CHARTS_TOTAL;
    for (const b of model.budgets) {
      const c = await renderer.budgetCharts(b, Math.min(MAX_ENDPOINT_CHARTS, left));
      left -= c.endpoints.length;
      charts.push(c);
    }
  } finally {
    renderer.close();
  }
  return {
    model,
    html: renderHtml(model, charts),
    markdown: renderReportMarkdown(model),
    // compact: it holds every endpoint's daily series, twice the size and memory when indented on large accounts
    json: `${JSON.stringify(model)}\n`,
  };
}

/** File names and contents of a built report, for a writer (local directory or bucket). */
export function reportFiles(r: BuiltReport): Record<'report.html' | 'report.md' | 'report.json', string> {
  return { 'report.html': r.html, 'report.md': r.markdown, 'report.json': r.json };
}
