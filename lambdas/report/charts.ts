import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { BudgetReport, EndpointTrendReport } from './model.ts';

/**
 * The report's charts: Vega-Lite specs rendered to SVG in Node, headless, with no canvas, fonts or network. Days go
 * on a UTC time scale so that the output does not depend on the machine's time zone.
 */

export const COLORS = {
  actual: '#1f4e79',
  forecast: '#6b7f99',
  band: '#9db8d9',
  limit: '#b3261e',
  latency: '#7a4fa3',
} as const;

const WIDTH = 560;
const HEIGHT = 220;
/** Two trend charts side by side fit the page's 1200px. */
const TREND_WIDTH = 440;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

type Spec = vl.TopLevelSpec;
type Row = Record<string, string | number | null>;

const config = {
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
  title: { fontSize: 13, anchor: 'start', color: '#222' },
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

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** True when at least one row has a number in `field`: a series with none is "no data", not a flat line. */
export function hasData(rows: readonly Row[], field: string): boolean {
  return rows.some((r) => typeof r[field] === 'number');
}

/** Burn-up of a budget: cumulative actual spend, the forecast band and its expected path, and the cap. */
export function burnUpSpec(b: BudgetReport, currency: string): Spec {
  const rows: Row[] = b.burnUp.map((p) => ({ ...p }));
  const $ = symbol(currency);
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
  const layers: unknown[] = [];
  if (hasData(rows, 'low')) {
    layers.push({
      mark: { type: 'area', opacity: 0.45 },
      transform: [{ filter: 'isValid(datum.low)' }, { calculate: "'forecast range'", as: 'series' }],
      encoding: { x: dayAxis, y: { ...y, field: 'low' }, y2: { field: 'high' }, color: series },
    });
    layers.push({
      mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 2 },
      transform: [
        { filter: 'isValid(datum.expected)' },
        { calculate: "'forecast (expected)'", as: 'series' },
      ],
      encoding: { x: dayAxis, y: { ...y, field: 'expected' }, color: series },
    });
  }
  layers.push({
    // a day without data breaks the line: it is never drawn as zero
    mark: { type: 'line', strokeWidth: 2.5, point: { size: 18 }, invalid: 'break-paths-show-domains' },
    transform: [{ calculate: "'actual'", as: 'series' }],
    encoding: { x: dayAxis, y: { ...y, field: 'actual' }, color: series },
  });
  if (b.cap !== null) {
    layers.push({
      data: { values: [{ cap: b.cap, series: 'cap', label: `cap ${$}${b.cap.toLocaleString('en-US')}` }] },
      layer: [
        {
          mark: { type: 'rule', strokeWidth: 2, strokeDash: [2, 2] },
          encoding: { y: { field: 'cap', type: 'quantitative' }, color: series },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -7, x: 0, fontSize: 11, color: COLORS.limit },
          encoding: { y: { field: 'cap', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Burn-up of ${b.name}: cumulative spend, forecast band and cap`,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: layers,
    config,
  } as unknown as Spec;
}

function trendSpec(opts: {
  rows: Row[];
  field: string;
  title: string;
  description: string;
  color: string;
  format: string;
  limit: number | null;
  limitLabel: string;
}): Spec {
  const y = { field: opts.field, type: 'quantitative', title: opts.title, axis: { format: opts.format } };
  const layers: unknown[] = [
    {
      mark: {
        type: 'line',
        strokeWidth: 2,
        color: opts.color,
        point: { size: 18, color: opts.color },
        invalid: 'break-paths-show-domains',
      },
      encoding: { x: dayAxis, y },
    },
  ];
  if (opts.limit !== null) {
    layers.push({
      data: { values: [{ limit: opts.limit, label: opts.limitLabel }] },
      layer: [
        {
          mark: { type: 'rule', strokeWidth: 2, strokeDash: [2, 2], color: COLORS.limit },
          encoding: { y: { field: 'limit', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -7, x: 0, fontSize: 11, color: COLORS.limit },
          encoding: { y: { field: 'limit', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: opts.description,
    width: TREND_WIDTH,
    height: Math.round(HEIGHT * 0.7),
    data: { values: opts.rows },
    layer: layers,
    config,
  } as unknown as Spec;
}

function trendRows(e: EndpointTrendReport): Row[] {
  return e.daily.map((d) => ({ day: d.day, costPer1k: d.costPer1k, latencyP99Ms: d.latencyP99Ms }));
}

/** Daily cost per 1k inferences of an endpoint against the budget's limit. */
export function costPer1kSpec(e: EndpointTrendReport, currency: string): Spec {
  const lim = e.limits.costPer1kInferences;
  return trendSpec({
    rows: trendRows(e),
    field: 'costPer1k',
    title: `cost per 1k (${currency})`,
    description: `Daily cost per 1k inferences of ${e.name} against its limit`,
    color: COLORS.actual,
    format: ',.4~f',
    limit: lim,
    limitLabel: lim === null ? '' : `limit ${symbol(currency)}${lim}`,
  });
}

/** Daily p99 ModelLatency of an endpoint against the budget's ceiling. */
export function latencySpec(e: EndpointTrendReport): Spec {
  const lim = e.limits.latencyP99Ms;
  return trendSpec({
    rows: trendRows(e),
    field: 'latencyP99Ms',
    title: 'p99 ModelLatency (ms)',
    description: `Daily p99 ModelLatency of ${e.name} against its ceiling`,
    color: COLORS.latency,
    format: ',~f',
    limit: lim,
    limitLabel: lim === null ? '' : `ceiling ${lim} ms`,
  });
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
}

/** Every chart of one budget, rendered. */
export async function budgetCharts(b: BudgetReport, currency: string): Promise<BudgetCharts> {
  const burnUp: Chart = {
    title: `${b.name}: spend burn-up`,
    alt: `Cumulative spend of ${b.name} by day${b.cap === null ? '' : ' against its cap'}, with the forecast range to period end.`,
    svg: hasData(b.burnUp as unknown as Row[], 'actual') ? await renderSvg(burnUpSpec(b, currency)) : null,
  };
  const endpoints = [];
  for (const e of b.endpoints) {
    const rows = trendRows(e);
    endpoints.push({
      name: e.name,
      costPer1k: {
        title: `${e.name}: cost per 1k inferences`,
        alt: `Daily cost per 1k inferences of ${e.name}${e.limits.costPer1kInferences === null ? '' : ' against its limit'}.`,
        svg: hasData(rows, 'costPer1k') ? await renderSvg(costPer1kSpec(e, currency)) : null,
      },
      latency: {
        title: `${e.name}: p99 ModelLatency`,
        alt: `Daily p99 ModelLatency of ${e.name}${e.limits.latencyP99Ms === null ? '' : ' against its ceiling'}.`,
        svg: hasData(rows, 'latencyP99Ms') ? await renderSvg(latencySpec(e)) : null,
      },
    });
  }
  return { burnUp, endpoints };
}
