import type { TopLevelSpec } from 'vega-lite';

/**
 * The report's charts as Vega-Lite specs: the source of truth for how each kind of chart looks. They are compiled to
 * Vega ahead of time (`npm run charts:compile` writes vega-specs.ts, and a test fails when that file is not what
 * these specs compile to), so the report renders with Vega alone and Vega-Lite stays out of the report's Lambda.
 * Only the type of Vega-Lite is imported here.
 *
 * Each kind of chart is one spec whose data are named sets (`table`, and `rule` for the cap or limit). Days go on a
 * UTC time scale so that the output does not depend on the machine's time zone.
 */

export const COLORS = {
  actual: '#1f4e79',
  forecast: '#6b7f99',
  band: '#9db8d9',
  limit: '#b3261e',
  latency: '#7a4fa3',
} as const;

export type ChartKind = 'burn-up' | 'cost' | 'latency';

/**
 * Stands for the budget file's currency in the compiled specs (a title names it): the renderer puts the currency in
 * its place. Vega-Lite copies titles and descriptions as they are, so one compiled spec serves every currency.
 */
export const CURRENCY_SLOT = '{{currency}}';

const WIDTH = 560;
const HEIGHT = 220;
/** Two trend charts side by side fit the page's 1200px. */
const TREND_WIDTH = 440;
const TREND_HEIGHT = 154;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

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
function burnUp(currency: string): TopLevelSpec {
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
  } as unknown as TopLevelSpec;
}

function trend(field: string, title: string, color: string, format: string): TopLevelSpec {
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
  } as unknown as TopLevelSpec;
}

/**
 * The Vega-Lite spec of each kind of chart in a currency: the burn-up; the daily cost per 1k inferences of an
 * endpoint against the budget's limit; the daily p99 ModelLatency of an endpoint against the budget's ceiling.
 */
export const LITE_SPECS: Readonly<Record<ChartKind, (currency: string) => TopLevelSpec>> = {
  'burn-up': burnUp,
  cost: (currency) => trend('costPer1k', `cost per 1k (${currency})`, COLORS.actual, ',.4~f'),
  latency: () => trend('latencyP99Ms', 'p99 ModelLatency (ms)', COLORS.latency, ',~f'),
};
