import { type ChartKind, COLORS, CURRENCY_SLOT } from './chart-specs.ts';
import type { BudgetReport, EndpointTrendReport } from './model.ts';
import * as vega from './vega.ts';
import { VEGA_SPECS } from './vega-specs.ts';

/**
 * The report's charts: Vega specs (compiled from the Vega-Lite specs in chart-specs.ts at build time) rendered to
 * SVG in Node, headless, with no canvas, fonts or network.
 *
 * A renderer parses each kind of chart once and swaps the data per chart: parsing a spec costs tens of milliseconds,
 * re-running its dataflow a few, and an account has hundreds of budgets and endpoints.
 */

export { COLORS };

/** Endpoints charted per budget: every one over a limit first, then the largest spenders. */
export const MAX_ENDPOINT_CHARTS = 6;
/**
 * Endpoints charted in the whole report, worst budgets first: a page of thousands of charts reads like none, and
 * each pair costs ~10 ms to draw. The others stay in the tables and the JSON.
 */
export const MAX_ENDPOINT_CHARTS_TOTAL = 40;

export type Row = Record<string, string | number | null>;
/** Rows per named data set of a spec. */
export type ChartData = Readonly<Record<string, readonly Row[]>>;

function symbol(currency: string): string {
  return currency === 'USD' ? '$' : `${currency} `;
}

/** `value` with every string in it holding `currency` where the compiled spec holds its slot. */
function withCurrency<T>(value: T, currency: string): T {
  if (typeof value === 'string') return value.replaceAll(CURRENCY_SLOT, currency) as T;
  if (Array.isArray(value)) return value.map((v) => withCurrency(v, currency)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withCurrency(v, currency)])) as T;
  return value;
}

/** The Vega spec of one kind of chart in the report's currency. */
export function chartSpec(kind: ChartKind, currency: string): vega.Spec {
  return withCurrency(VEGA_SPECS[kind], currency);
}

/** Burn-up: cumulative actual spend, the forecast band and its expected path, and the cap. */
export function burnUpSpec(currency: string): vega.Spec {
  return chartSpec('burn-up', currency);
}

/** Daily cost per 1k inferences of an endpoint against the budget's limit. */
export function costPer1kSpec(currency: string): vega.Spec {
  return chartSpec('cost', currency);
}

/** Daily p99 ModelLatency of an endpoint against the budget's ceiling. */
export function latencySpec(): vega.Spec {
  return chartSpec('latency', '');
}

export function burnUpData(b: BudgetReport, currency: string): ChartData {
  return {
    table: b.burnUp.map((p) => ({ ...p })),
    rule:
      b.cap === null
        ? []
        : [{ value: b.cap, series: 'cap', label: `cap ${symbol(currency)}${b.cap.toLocaleString('en-US')}` }],
  };
}

export function costPer1kData(e: EndpointTrendReport, currency: string): ChartData {
  const lim = e.limits.costPer1kInferences;
  return {
    table: e.daily.map((d) => ({ day: d.day, costPer1k: d.costPer1k })),
    rule: lim === null ? [] : [{ value: lim, label: `limit ${symbol(currency)}${lim}` }],
  };
}

export function latencyData(e: EndpointTrendReport): ChartData {
  const lim = e.limits.latencyP99Ms;
  return {
    table: e.daily.map((d) => ({ day: d.day, latencyP99Ms: d.latencyP99Ms })),
    rule: lim === null ? [] : [{ value: lim, label: `ceiling ${lim} ms` }],
  };
}

/** True when at least one row has a number in `field`: a series with none is "no data", not a flat line. */
export function hasData(rows: readonly Row[], field: string): boolean {
  return rows.some((r) => typeof r[field] === 'number');
}

function newView(spec: vega.Spec): vega.View {
  return new vega.View(vega.parse(spec), { renderer: 'none', logLevel: vega.Warn });
}

async function draw(view: vega.View, data: ChartData): Promise<string> {
  // Vega tags the rows it is given: hand it copies
  for (const [name, rows] of Object.entries(data))
    view.data(
      name,
      rows.map((r) => ({ ...r })),
    );
  // autosize again: the axes' label widths change with the data
  await view.resize().runAsync();
  return view.toSVG();
}

/** Renders one spec with its data to an SVG string. */
export async function renderSvg(spec: vega.Spec, data: ChartData): Promise<string> {
  const view = newView(spec);
  try {
    return await draw(view, data);
  } finally {
    view.finalize();
  }
}

export interface Chart {
  readonly title: string;
  /** One sentence for readers who cannot see the chart (and for the Markdown version). */
  readonly alt: string;
  /** Null when the series has no data at all: the page says "no data" instead of drawing an empty chart. */
  readonly svg: string | null;
}

export interface BudgetCharts {
  readonly burnUp: Chart;
  readonly endpoints: readonly {
    readonly name: string;
    readonly costPer1k: Chart;
    readonly latency: Chart;
  }[];
  /** Endpoints of the budget left without charts (they stay in its table and in the JSON). */
  readonly uncharted: number;
}

/** Whether an endpoint's window value breaks one of its limits. */
function overLimit(e: EndpointTrendReport): boolean {
  const { costPer1kInferences: c, latencyP99Ms: l } = e.limits;
  return (
    (c !== null && e.costPer1k !== null && e.costPer1k > c) ||
    (l !== null && e.latencyP99Ms !== null && e.latencyP99Ms > l)
  );
}

/** The endpoints a budget's section charts: over a limit first, then by spend (the model's order). */
export function chartedEndpoints(b: BudgetReport, max = MAX_ENDPOINT_CHARTS): readonly EndpointTrendReport[] {
  const over = b.endpoints.filter(overLimit);
  const rest = b.endpoints.filter((e) => !overLimit(e));
  const picked = new Set([...over, ...rest].slice(0, max));
  return b.endpoints.filter((e) => picked.has(e));
}

/** Renders the report's charts, one compiled view per kind of chart; `close` releases them. */
export class ChartRenderer {
  private readonly views = new Map<string, vega.View>();

  constructor(readonly currency: string) {}

  private view(kind: ChartKind): vega.View {
    let v = this.views.get(kind);
    if (!v) {
      v = newView(chartSpec(kind, this.currency));
      this.views.set(kind, v);
    }
    return v;
  }

  /** Every chart of one budget (its burn-up, and unit cost and p99 of the endpoints it charts). */
  async budgetCharts(b: BudgetReport, maxEndpoints = MAX_ENDPOINT_CHARTS): Promise<BudgetCharts> {
    const c = this.currency;
    const burn = burnUpData(b, c);
    const burnUp: Chart = {
      title: `${b.name}: spend burn-up`,
      alt: `Cumulative spend of ${b.name} by day${b.cap === null ? '' : ' against its cap'}, with the forecast range to period end.`,
      svg: hasData(burn.table ?? [], 'actual') ? await draw(this.view('burn-up'), burn) : null,
    };
    const charted = chartedEndpoints(b, maxEndpoints);
    const endpoints = [];
    for (const e of charted) {
      const cost = costPer1kData(e, c);
      const lat = latencyData(e);
      endpoints.push({
        name: e.name,
        costPer1k: {
          title: `${e.name}: cost per 1k inferences`,
          alt: `Daily cost per 1k inferences of ${e.name}${e.limits.costPer1kInferences === null ? '' : ' against its limit'}.`,
          svg: hasData(cost.table ?? [], 'costPer1k') ? await draw(this.view('cost'), cost) : null,
        },
        latency: {
          title: `${e.name}: p99 ModelLatency`,
          alt: `Daily p99 ModelLatency of ${e.name}${e.limits.latencyP99Ms === null ? '' : ' against its ceiling'}.`,
          svg: hasData(lat.table ?? [], 'latencyP99Ms') ? await draw(this.view('latency'), lat) : null,
        },
      });
    }
    return { burnUp, endpoints, uncharted: b.endpoints.length - charted.length };
  }

  close(): void {
    for (const v of this.views.values()) v.finalize();
    this.views.clear();
  }
}
