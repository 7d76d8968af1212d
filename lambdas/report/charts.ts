import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { BudgetReport, EndpointTrendReport } from './model.ts';

/**
 * The report's charts: Vega-Lite specs rendered to SVG in Node, headless, with no canvas, fonts or network. Days go
 * on a UTC time scale so that the output does not depend on the machine's time zone.
 *
 * Each kind of chart is one spec whose data are named sets (`table`, and `rule` for the cap or limit). A renderer
 * compiles each kind once and swaps the data per chart: compiling and parsing a spec costs tens of milliseconds,
 * re-running its dataflow a few, and an account has hundreds of budgets and endpoints.
 */

export const COLORS = {
  actual: '#1f4e79',
  forecast: '#6b7f99',
  band: '#9db8d9',
  limit: '#b3261e',
  latency: '#7a4fa3',
} as const;

/** Endpoints charted per budget: every one over a limit first, then the largest spenders. */
export const MAX_ENDPOINT_CHARTS = 6;
/**
 * Endpoints charted in the whole report, worst budgets first: a page of thousands of charts reads like none, and
 * each pair costs ~10 ms to draw. The others stay in the tables and the JSON.
 */
export const MAX_ENDPOINT_CHARTS_TOTAL = 40;

const WIDTH = 560;
const HEIGHT = 220;
/** Two trend charts side by side fit the page's 1200px. */
const TREND_WIDTH = 440;
const TREND_HEIGHT = 154;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

type Spec = vl.TopLevelSpec;
export type Row = Record<string, string | number | null>;
/** Rows per named data set of a spec. */
export type ChartData = Readonly<Record<string, readonly Row[]>>;

const config = {
  // the figure around each chart carries its description: per-mark ARIA labels only swell the SVG
  aria: false,
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: {
    labelColor: '#333',
    titleColor: '#333',
    gridColor: '#e6e6e6',
    labelFontSize: 11,
    titleFontSize: 11,
  },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', labelLimit: 0 },
} as const;

const dayAxis = {
  field: 'day',
  type: 'temporal',
  timeUnit: 'utcyearmonthdate',
  title: null,
  axis: { format: '%b %d', labelAngle: 0, tickCount: 6 },
} as const;

function symbol(currency: string): string {
  return currency === 'USD' ? '$' : `${currency} `;
}

/** A dashed rule at `value` with its label at the left end, from the `rule` data set (empty: no rule). */
function ruleLayer(color: string, extra: Record<string, unknown> = {}) {
  return {
    data: { name: 'rule' },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2, strokeDash: [2, 2], color },
        encoding: { y: { field: 'value', type: 'quantitative' }, ...extra },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, dy: -7, x: 0, fontSize: 11, color },
        encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
}

/** Burn-up: cumulative actual spend, the forecast band and its expected path, and the cap. */
export function burnUpSpec(currency: string): Spec {
  const y = {
    type: 'quantitative',
    title: `cumulative spend (${currency})`,
    axis: { format: ',.0f' },
  } as const;
  const series = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: {
      domain: ['actual', 'forecast (expected)', 'forecast range', 'cap'],
      range: [COLORS.actual, COLORS.forecast, COLORS.band, COLORS.limit],
    },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Burn-up: cumulative spend by day, the forecast range to period end, and the cap',
    width: WIDTH,
    height: HEIGHT,
    data: { name: 'table' },
    layer: [
      {
        mark: { type: 'area', opacity: 0.45 },
        transform: [{ filter: 'isValid(datum.low)' }, { calculate: "'forecast range'", as: 'series' }],
        encoding: { x: dayAxis, y: { ...y, field: 'low' }, y2: { field: 'high' }, color: series },
      },
      {
        mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 2 },
        transform: [
          { filter: 'isValid(datum.expected)' },
          { calculate: "'forecast (expected)'", as: 'series' },
        ],
        encoding: { x: dayAxis, y: { ...y, field: 'expected' }, color: series },
      },
      {
        // a day without data breaks the line: it is never drawn as zero
        mark: { type: 'line', strokeWidth: 2.5, point: { size: 18 }, invalid: 'break-paths-show-domains' },
        transform: [{ calculate: "'actual'", as: 'series' }],
        encoding: { x: dayAxis, y: { ...y, field: 'actual' }, color: series },
      },
      ruleLayer(COLORS.limit, { color: series }),
    ],
    config,
  } as unknown as Spec;
}

function trendSpec(field: string, title: string, color: string, format: string): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${title} by day against its limit`,
    width: TREND_WIDTH,
    height: TREND_HEIGHT,
    data: { name: 'table' },
    layer: [
      {
        mark: {
          type: 'line',
          strokeWidth: 2,
          color,
          point: { size: 18, color },
          invalid: 'break-paths-show-domains',
        },
        encoding: {
          x: dayAxis,
          y: { field, type: 'quantitative', title, axis: { format } },
        },
      },
      ruleLayer(COLORS.limit),
    ],
    config,
  } as unknown as Spec;
}

/** Daily cost per 1k inferences of an endpoint against the budget's limit. */
export function costPer1kSpec(currency: string): Spec {
  return trendSpec('costPer1k', `cost per 1k (${currency})`, COLORS.actual, ',.4~f');
}

/** Daily p99 ModelLatency of an endpoint against the budget's ceiling. */
export function latencySpec(): Spec {
  return trendSpec('latencyP99Ms', 'p99 ModelLatency (ms)', COLORS.latency, ',~f');
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

function newView(spec: Spec): vega.View {
  return new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none', logLevel: vega.Warn });
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
export async function renderSvg(spec: Spec, data: ChartData): Promise<string> {
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

  private view(kind: 'burn-up' | 'cost' | 'latency'): vega.View {
    let v = this.views.get(kind);
    if (!v) {
      v = newView(
        kind === 'burn-up'
          ? burnUpSpec(this.currency)
          : kind === 'cost'
            ? costPer1kSpec(this.currency)
            : latencySpec(),
      );
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
