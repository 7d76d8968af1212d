/**
 * The metrics file of local runs: CSV `timestamp,endpoint,variant,metric,stat,value`, one CloudWatch datapoint a
 * row, in CloudWatch units. Points are kept in growable Float64Array columns per series, never as an object per
 * point: a month of 5-minute data for a fleet is millions of rows.
 */
import { inputError } from '../core/errors.ts';
import { compareSeries } from '../core/metrics.ts';
import { KNOWN_METRICS, type MetricName, type MetricSeries } from '../core/types.ts';
import type { MetricLoad } from '../ports.ts';
import { CsvHeader, detach, forEachCsvRecord, Interner, parseInstant, parseNumber, shown } from './csv.ts';

const COLUMNS = ['timestamp', 'endpoint', 'variant', 'metric', 'stat', 'value'] as const;
const METRICS: ReadonlySet<string> = new Set(KNOWN_METRICS);
const STAT = /^(?:Sum|Average|Maximum|Minimum|SampleCount|p(?:\d{1,2}(?:\.\d+)?|100))$/;
const EPOCH_SECONDS = /^\s*\d+(?:\.\d+)?\s*$/;
/**
 * Every SageMaker metric read here is a count, a duration or a percentage: none is negative (a negative Invocations
 * would switch off the unit-cost and error checks), and none comes near 10^15 in one datapoint (beyond it sums of a
 * month's points lose their units in a double).
 */
const MAX_VALUE = 1e15;
/** Epoch seconds beyond this (year 5138) are almost certainly milliseconds. */
const MAX_EPOCH_SECONDS = 1e11;

/** Loads every series of a metrics CSV; a header-only file gives no series and a gap. */
export async function loadMetricsCsv(file: string): Promise<MetricLoad> {
  const series = new Map<string, SeriesBuilder>();
  const strings = new Interner();
  const instants = new Map<string, number>();
  let header: CsvHeader | undefined;
  let at = [0, 0, 0, 0, 0, 0];
  let last: SeriesBuilder | undefined;

  const timestamp = (row: number, text: string): number => {
    let ms = instants.get(text);
    if (ms !== undefined) return ms;
    if (EPOCH_SECONDS.test(text)) {
      const s = Number(text);
      if (s >= MAX_EPOCH_SECONDS) {
        throw inputError(file, `expected epoch seconds, got ${shown(text)} (milliseconds?)`, {
          row,
          column: 'timestamp',
        });
      }
      ms = Math.round(s * 1000);
    } else {
      ms = parseInstant(text, true);
      if (ms === undefined) {
        throw inputError(
          file,
          `expected an ISO 8601 timestamp with Z or an offset (2024-09-18T22:00:00Z) or epoch seconds, got ${shown(text)}`,
          { row, column: 'timestamp' },
        );
      }
    }
    if (instants.size >= 65_536) instants.clear();
    instants.set(detach(text), ms);
    return ms;
  };

  await forEachCsvRecord(file, (fields, line) => {
    if (!header) {
      header = new CsvHeader(file, fields);
      at = COLUMNS.map((c) => (header as CsvHeader).require(c));
      return;
    }
    const [ti, ei, vi, mi, si, xi] = at as [number, number, number, number, number, number];
    const endpoint = fields[ei] as string;
    const variant = fields[vi] as string;
    const metric = fields[mi] as string;
    const stat = fields[si] as string;
    let s = last;
    if (!s || s.endpoint !== endpoint || s.variant !== variant || s.metric !== metric || s.stat !== stat) {
      const key = `${endpoint}\u0000${variant}\u0000${metric}\u0000${stat}`;
      s = series.get(key);
      if (!s) {
        s = new SeriesBuilder(
          strings.get(required(file, line, 'endpoint', endpoint)),
          strings.get(required(file, line, 'variant', variant)),
          strings.get(knownMetric(file, line, metric)) as MetricName,
          strings.get(knownStat(file, line, stat)),
        );
        series.set(detach(key), s);
      }
      last = s;
    }
    const valueText = fields[xi] as string;
    const value = parseNumber(valueText);
    if (value === undefined || !(value >= 0 && value <= MAX_VALUE)) {
      const expected = value === undefined ? 'a finite number' : 'a value from 0 to 10^15';
      throw inputError(file, `expected ${expected} (${s.metric}), got ${shown(valueText)}`, {
        row: line,
        column: 'value',
      });
    }
    s.push(timestamp(line, fields[ti] as string), value, line, file);
  });
  if (!header) throw inputError(file, `empty file: expected the header ${COLUMNS.join(',')}`);
  if (series.size === 0) {
    return {
      series: [],
      gaps: [{ source: 'metrics', scope: file, message: 'the metrics file has no data rows' }],
    };
  }
  const out = [...series.values()].map((s) => s.build(file));
  out.sort(compareSeries);
  return { series: out, gaps: [] };
}

function required(file: string, row: number, column: string, text: string): string {
  if (text.trim() === '') {
    const what = column === 'variant' ? 'a production variant name (e.g. AllTraffic)' : 'an endpoint name';
    throw inputError(file, `expected ${what}, got an empty cell`, { row, column });
  }
  return text;
}

function knownMetric(file: string, row: number, text: string): MetricName {
  if (!METRICS.has(text)) {
    throw inputError(
      file,
      `expected a SageMaker metric name (${KNOWN_METRICS.join(', ')}), got ${shown(text)}`,
      {
        row,
        column: 'metric',
      },
    );
  }
  return text as MetricName;
}

function knownStat(file: string, row: number, text: string): string {
  if (!STAT.test(text)) {
    throw inputError(
      file,
      `expected a statistic (Sum, Average, Maximum, Minimum, SampleCount or a percentile like p99 or p99.9), got ${shown(text)}`,
      { row, column: 'stat' },
    );
  }
  return text;
}

/** One series while it is read: columns that grow by half when full, plus each point's line for messages. */
class SeriesBuilder {
  private t = new Float64Array(16);
  private v = new Float64Array(16);
  private lines = new Uint32Array(16);
  private n = 0;
  private sorted = true;

  constructor(
    readonly endpoint: string,
    readonly variant: string,
    readonly metric: MetricName,
    readonly stat: string,
  ) {}

  push(t: number, v: number, line: number, file: string): void {
    const n = this.n;
    if (n === this.t.length) this.grow(n + (n >> 1));
    if (n > 0) {
      const prev = this.t[n - 1] as number;
      if (t === prev) this.duplicate(file, line, this.lines[n - 1] as number, t);
      if (t < prev) this.sorted = false;
    }
    this.t[n] = t;
    this.v[n] = v;
    this.lines[n] = line;
    this.n = n + 1;
  }

  private grow(capacity: number): void {
    const t = new Float64Array(capacity);
    t.set(this.t.subarray(0, this.n));
    const v = new Float64Array(capacity);
    v.set(this.v.subarray(0, this.n));
    const lines = new Uint32Array(capacity);
    lines.set(this.lines.subarray(0, this.n));
    this.t = t;
    this.v = v;
    this.lines = lines;
  }

  private duplicate(file: string, line: number, other: number, t: number): never {
    const [first, second] = line < other ? [line, other] : [other, line];
    throw inputError(
      file,
      `duplicate point: ${this.endpoint}/${this.variant} ${this.metric} ${this.stat} at ${new Date(t).toISOString()} is also on row ${first}`,
      { row: second, column: 'timestamp' },
    );
  }

  build(file: string): MetricSeries {
    const n = this.n;
    let t = this.t.slice(0, n);
    let v = this.v.slice(0, n);
    if (!this.sorted) {
      const lines = this.lines;
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      const tt = t;
      order.sort(
        (a, b) => (tt[a] as number) - (tt[b] as number) || (lines[a] as number) - (lines[b] as number),
      );
      const vv = v;
      t = new Float64Array(n);
      v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const j = order[i] as number;
        t[i] = tt[j] as number;
        v[i] = vv[j] as number;
        if (i > 0 && t[i] === t[i - 1]) {
          this.duplicate(file, lines[j] as number, lines[order[i - 1] as number] as number, t[i] as number);
        }
      }
    }
    this.lines = new Uint32Array(0);
    return {
      endpoint: this.endpoint,
      variant: this.variant,
      metric: this.metric,
      stat: this.stat,
      t,
      v,
      periodSeconds: commonGapSeconds(t),
    };
  }
}

/** The most common gap between consecutive points (the smaller on a tie); 3600 for a single point. */
function commonGapSeconds(t: Float64Array): number {
  if (t.length < 2) return 3600;
  const counts = new Map<number, number>();
  for (let i = 1; i < t.length; i++) {
    const gap = Math.max(1, Math.round(((t[i] as number) - (t[i - 1] as number)) / 1000));
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 3600;
  let bestCount = 0;
  for (const [gap, count] of counts) {
    if (count > bestCount || (count === bestCount && gap < best)) {
      best = gap;
      bestCount = count;
    }
  }
  return best;
}
