/**
 * Inference metrics of SageMaker endpoints from CloudWatch GetMetricData: the AWS side of the MetricSource port,
 * producing the same series as the metrics file of local runs (CloudWatch names, statistics and units).
 *
 * GetMetricData takes at most 500 queries and returns at most 100,800 datapoints a request, and is billed per
 * metric requested ($0.01 per 1,000). Requests are planned up front so that each stays within both limits, and
 * so that there are as few as the limits allow: ceil(queries / 500) whenever 500 queries of the whole range fit
 * under the datapoint limit (hourly data up to 8 days); for longer ranges query groups and time windows are chosen
 * together (see cloudwatch-plan.ts).
 *
 * Throttling and transient errors are retried by the client's retry strategy (see aws/clients.ts). What fails
 * after that, and any result that cannot be trusted, leaves out the affected endpoints' metrics with a gap; the
 * rest of the fleet's series are returned.
 */
import {
  type CloudWatchClient,
  type MetricDataQuery,
  type MetricDataResult,
  paginateGetMetricData,
} from '@aws-sdk/client-cloudwatch';
import type { ApiUsage } from '../core/api-usage.ts';
import { compareSeries } from '../core/metrics.ts';
import { dayStartMs, isValidTimezone } from '../core/period.ts';
import type { DataGap, EndpointInfo, MetricName, MetricSeries } from '../core/types.ts';
import type { MetricLoad, MetricSource, TimeRange } from '../ports.ts';
import { type PlannedRequest, planRequests } from './cloudwatch-plan.ts';
import { mapLimit } from './concurrency.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

const API = 'cloudwatch:GetMetricData';
const DEFAULT_VARIANT = 'AllTraffic';

export interface MetricQueryDef {
  readonly namespace: 'AWS/SageMaker' | '/aws/sagemaker/Endpoints';
  readonly metric: MetricName;
  readonly stat: string;
  /** The query Id's suffix: letters, digits and underscores. */
  readonly key: string;
}

/** What is asked for each endpoint variant, in this order; dimensions EndpointName and VariantName. */
export const ENDPOINT_METRICS: readonly MetricQueryDef[] = [
  { namespace: 'AWS/SageMaker', metric: 'Invocations', stat: 'Sum', key: 'invocations' },
  // with Invocations, the instances serving each hour when billing is daily (Cost Explorer): the peak of maxInstances
  {
    namespace: 'AWS/SageMaker',
    metric: 'InvocationsPerInstance',
    stat: 'Sum',
    key: 'invocations_per_instance',
  },
  { namespace: 'AWS/SageMaker', metric: 'ModelLatency', stat: 'p99', key: 'model_latency_p99' },
  { namespace: 'AWS/SageMaker', metric: 'ModelLatency', stat: 'p50', key: 'model_latency_p50' },
  { namespace: 'AWS/SageMaker', metric: 'OverheadLatency', stat: 'p99', key: 'overhead_latency_p99' },
  { namespace: 'AWS/SageMaker', metric: 'Invocation4XXErrors', stat: 'Sum', key: 'errors_4xx' },
  { namespace: 'AWS/SageMaker', metric: 'Invocation5XXErrors', stat: 'Sum', key: 'errors_5xx' },
  // summed over cores / GPUs, as CloudWatch publishes them: the core divides by the instance's vCPU or GPU count
  { namespace: '/aws/sagemaker/Endpoints', metric: 'CPUUtilization', stat: 'Average', key: 'cpu' },
  { namespace: '/aws/sagemaker/Endpoints', metric: 'MemoryUtilization', stat: 'Average', key: 'memory' },
  { namespace: '/aws/sagemaker/Endpoints', metric: 'GPUUtilization', stat: 'Average', key: 'gpu' },
  {
    namespace: '/aws/sagemaker/Endpoints',
    metric: 'GPUMemoryUtilization',
    stat: 'Average',
    key: 'gpu_memory',
  },
];

/**
 * What is asked for each inference component of a selected endpoint; dimension InferenceComponentName alone, in
 * AWS/SageMaker, as SageMaker publishes a component's invocations, latency, errors and the requests it refused for
 * want of a copy. The series carry `component` (and the hosting variant), so the endpoint's own figures never
 * count them twice.
 */
export const COMPONENT_METRICS: readonly MetricQueryDef[] = [
  { namespace: 'AWS/SageMaker', metric: 'Invocations', stat: 'Sum', key: 'invocations' },
  { namespace: 'AWS/SageMaker', metric: 'ModelLatency', stat: 'p99', key: 'model_latency_p99' },
  { namespace: 'AWS/SageMaker', metric: 'Invocation5XXErrors', stat: 'Sum', key: 'errors_5xx' },
  { namespace: 'AWS/SageMaker', metric: 'NoCapacityInvocationFailures', stat: 'Sum', key: 'no_capacity' },
];

export interface CloudWatchMetricSourceOptions {
  readonly client: CloudWatchClient;
  readonly usage: ApiUsage;
  /** Where each endpoint's variants come from, and whether it is asynchronous. */
  readonly inventory: readonly EndpointInfo[];
  /** Datapoint period; default 3600 (hourly, kept by CloudWatch for 455 days). A multiple of 60. */
  readonly periodSeconds?: number;
  /** Time zone of the range's days (the billing period's); default UTC. */
  readonly timeZone?: string;
  /** Requests in flight at once; default 5 (GetMetricData allows 50 a second per account and region). */
  readonly concurrency?: number;
  /**
   * `requests` (default): the fewest requests, then the fewest metrics billed. `metrics`: the fewest metrics
   * billed (each query asked once over the whole range), then the fewest requests. They differ only when 500
   * queries of the range exceed 100,800 datapoints (hourly data over more than 8 days), where splitting the range
   * saves requests but asks some metrics twice: a month of hourly data for 2,000 endpoints is 148 requests and
   * 40,000 metrics ($0.40), or 149 requests and 20,000 metrics ($0.20).
   */
  readonly minimize?: 'requests' | 'metrics';
  /**
   * Only these metrics (default: all of ENDPOINT_METRICS). The baseline before the judging window needs the
   * Invocations alone: asking for them only bills one metric per variant instead of eleven.
   */
  readonly metrics?: readonly MetricName[];
}

interface Query {
  /** Index of the endpoint in the load's selection. */
  readonly endpoint: number;
  readonly name: string;
  readonly variant: string;
  readonly component?: string;
  readonly def: MetricQueryDef;
  readonly request: MetricDataQuery;
}

/** Endpoints per message, in the order first seen. */
class Problems {
  readonly byMessage = new Map<string, Set<string>>();
  add(message: string, endpoint?: string): void {
    let set = this.byMessage.get(message);
    if (!set) {
      set = new Set();
      this.byMessage.set(message, set);
    }
    if (endpoint !== undefined) set.add(endpoint);
  }
}

/** "a, b, c, d, e and 45 more" */
function scopeOf(endpoints: ReadonlySet<string>): string {
  const names = [...endpoints];
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** What one load gathers: points per query as the pages arrive, the endpoints that failed and why, notes. */
class Collection {
  private readonly byId = new Map<string, number>();
  /** Per query, one chunk per page and window. */
  private readonly chunks: { t: Float64Array[]; v: Float64Array[] }[] = [];
  /** Endpoint index -> the first reason its metrics cannot be used. */
  private readonly failed = new Map<number, string>();
  readonly notes = new Problems();

  constructor(
    readonly queries: readonly Query[],
    private readonly periodSeconds: number,
  ) {
    for (const [i, q] of queries.entries()) this.byId.set(q.request.Id as string, i);
  }

  indexOf(id: string | undefined): number | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  fail(q: number, message: string): void {
    const endpoint = (this.queries[q] as Query).endpoint;
    if (!this.failed.has(endpoint)) this.failed.set(endpoint, message);
  }

  failRange(req: PlannedRequest, message: string): void {
    for (let q = req.first; q < req.first + req.count; q++) this.fail(q, message);
  }

  add(q: number, t: Float64Array, v: Float64Array): void {
    let c = this.chunks[q];
    if (!c) {
      c = { t: [], v: [] };
      this.chunks[q] = c;
    }
    c.t.push(t);
    c.v.push(v);
  }

  result(): MetricLoad {
    const built: { readonly q: Query; readonly s: MetricSeries }[] = [];
    for (const [i, q] of this.queries.entries()) {
      const c = this.chunks[i];
      if (!c || this.failed.has(q.endpoint)) continue;
      const points = join(c.t, c.v);
      if (typeof points === 'string') {
        this.fail(i, malformed(q, points));
        continue;
      }
      built.push({
        q,
        s: {
          endpoint: q.name,
          variant: q.variant,
          ...(q.component === undefined ? {} : { component: q.component }),
          metric: q.def.metric,
          stat: q.def.stat,
          t: points.t,
          v: points.v,
          periodSeconds: this.periodSeconds,
        },
      });
    }
    const series = built.filter(({ q }) => !this.failed.has(q.endpoint)).map(({ s }) => s);
    series.sort(compareSeries);

    const names = new Map(this.queries.map((q) => [q.endpoint, q.name]));
    const failures = new Problems();
    for (const [endpoint, message] of [...this.failed].sort(([a], [b]) => a - b)) {
      failures.add(`${message}; the metrics of these endpoints are left out`, names.get(endpoint));
    }
    const gaps: DataGap[] = [];
    for (const problems of [failures, this.notes]) {
      for (const [message, where] of problems.byMessage) {
        gaps.push({ source: 'metrics', scope: where.size > 0 ? scopeOf(where) : API, message });
      }
    }
    return { series, gaps };
  }
}

export class CloudWatchMetricSource implements MetricSource {
  private readonly client: CloudWatchClient;
  private readonly usage: ApiUsage;
  private readonly inventory: ReadonlyMap<string, EndpointInfo>;
  private readonly periodSeconds: number;
  private readonly timeZone: string;
  private readonly metricDefs: readonly MetricQueryDef[];
  private readonly componentDefs: readonly MetricQueryDef[];
  private readonly concurrency: number;
  private readonly minimize: 'requests' | 'metrics';

  constructor(opts: CloudWatchMetricSourceOptions) {
    const period = opts.periodSeconds ?? 3600;
    if (!Number.isInteger(period) || period <= 0 || period % 60 !== 0) {
      throw new Error(
        `periodSeconds must be a positive multiple of 60 (SageMaker publishes 1-minute metrics), got ${period}; use 3600 for hourly data`,
      );
    }
    const concurrency = opts.concurrency ?? 5;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`concurrency must be a whole number of requests, at least 1, got ${concurrency}`);
    }
    const timeZone = opts.timeZone ?? 'UTC';
    if (!isValidTimezone(timeZone)) {
      throw new Error(`timeZone must be an IANA time zone such as UTC or Europe/Berlin, got "${timeZone}"`);
    }
    this.client = opts.client;
    this.usage = opts.usage;
    this.inventory = new Map(opts.inventory.map((e) => [e.name, e]));
    this.periodSeconds = period;
    this.timeZone = timeZone;
    this.metricDefs = opts.metrics
      ? ENDPOINT_METRICS.filter((d) => opts.metrics?.includes(d.metric))
      : ENDPOINT_METRICS;
    this.componentDefs = opts.metrics
      ? COMPONENT_METRICS.filter((d) => opts.metrics?.includes(d.metric))
      : COMPONENT_METRICS;
    this.concurrency = concurrency;
    this.minimize = opts.minimize ?? 'requests';
  }

  /**
   * Every metric of ENDPOINT_METRICS for each endpoint in `endpoints` and each of its variants (AllTraffic when
   * the inventory lists none, as for an endpoint deleted since), and of COMPONENT_METRICS for each inference
   * component the inventory lists on it, over the range's days. Asynchronous endpoints
   * publish no Invocations and are not asked for it. Series with no datapoints are left out, as in the metrics file.
   */
  async load(range: TimeRange, endpoints: readonly string[]): Promise<MetricLoad> {
    const periodMs = this.periodSeconds * 1000;
    // whole periods covering the days, aligned to the epoch so that hourly points fall on the hour
    const startMs = Math.floor(dayStartMs(range.start, this.timeZone) / periodMs) * periodMs;
    const endMs = Math.ceil(dayStartMs(range.end, this.timeZone) / periodMs) * periodMs;
    const periods = Math.max(0, (endMs - startMs) / periodMs);

    const col = new Collection(this.queries([...new Set(endpoints)]), this.periodSeconds);
    const plan = planRequests(col.queries.length, periods, this.minimize);
    let denied: string | undefined;
    await mapLimit(plan, this.concurrency, async (req) => {
      if (denied !== undefined) {
        // the rest would be denied too: not asked
        col.failRange(req, denied);
        return;
      }
      const window = {
        start: new Date(startMs + req.from * periodMs),
        end: new Date(startMs + req.to * periodMs),
      };
      try {
        await this.fetch(req, window, col);
      } catch (err) {
        const e = sourceError('metrics', API, err);
        col.failRange(req, e.message);
        if (e.kind === 'access-denied') denied = e.message;
      }
    });
    return col.result();
  }

  private queries(names: readonly string[]): Query[] {
    const out: Query[] = [];
    for (const [e, name] of names.entries()) {
      const info = this.inventory.get(name);
      const listed = info?.variants?.map((v) => v.name) ?? [];
      const variants = listed.length > 0 ? [...new Set(listed)] : [DEFAULT_VARIANT];
      for (const [v, variant] of variants.entries()) {
        for (const def of this.metricDefs) {
          // an asynchronous endpoint publishes neither (its requests are counted in its queue's metrics)
          if (info?.asynchronous && (def.metric === 'Invocations' || def.metric === 'InvocationsPerInstance'))
            continue;
          out.push({
            endpoint: e,
            name,
            variant,
            def,
            request: {
              Id: `e${e}_${v}_${def.key}`,
              MetricStat: {
                Metric: {
                  Namespace: def.namespace,
                  MetricName: def.metric,
                  Dimensions: [
                    { Name: 'EndpointName', Value: name },
                    { Name: 'VariantName', Value: variant },
                  ],
                },
                Period: this.periodSeconds,
                Stat: def.stat,
              },
            },
          });
        }
      }
      for (const [c, component] of (info?.components ?? []).entries()) {
        for (const def of this.componentDefs) {
          out.push({
            endpoint: e,
            name,
            variant: component.variant,
            component: component.name,
            def,
            request: {
              Id: `c${e}_${c}_${def.key}`,
              MetricStat: {
                Metric: {
                  Namespace: def.namespace,
                  MetricName: def.metric,
                  Dimensions: [{ Name: 'InferenceComponentName', Value: component.name }],
                },
                Period: this.periodSeconds,
                Stat: def.stat,
              },
            },
          });
        }
      }
    }
    return out;
  }

  /** One planned request, every page of it; throws what the client throws, or on a page token already followed. */
  private async fetch(
    req: PlannedRequest,
    window: { start: Date; end: Date },
    col: Collection,
  ): Promise<void> {
    const batch = col.queries.slice(req.first, req.first + req.count).map((q) => q.request);
    let partial: number[] = [];
    const listing = pages(
      paginateGetMetricData,
      this.client,
      {
        MetricDataQueries: batch,
        StartTime: window.start,
        EndTime: window.end,
        ScanBy: 'TimestampAscending',
      },
      { api: API, next: (page) => page.NextToken },
    );
    for await (const out of listing) {
      // counted once answered: a denied or failed request is not billed
      this.usage.count(API, batch.length);
      for (const m of out.Messages ?? [])
        col.notes.add(`CloudWatch: ${m.Code ?? 'message'}: ${m.Value ?? ''}`);
      partial = [];
      for (const r of out.MetricDataResults ?? []) {
        const q = col.indexOf(r.Id);
        if (q === undefined || q < req.first || q >= req.first + req.count) {
          col.notes.add(`${API} returned a result for a query it was not asked (Id ${r.Id ?? 'missing'})`);
          continue;
        }
        const query = col.queries[q] as Query;
        const what = `${query.def.metric} ${query.def.stat}`;
        for (const m of r.Messages ?? []) {
          col.notes.add(`CloudWatch on ${what}: ${m.Code ?? 'message'}: ${m.Value ?? ''}`, query.name);
        }
        if (r.StatusCode === 'PartialData') partial.push(q);
        else if (r.StatusCode !== undefined && r.StatusCode !== 'Complete') {
          // InternalError, Forbidden: this metric is missing for the window
          col.fail(q, `${API} returned StatusCode ${r.StatusCode} for ${what}`);
          continue;
        }
        const points = readPoints(r);
        if (typeof points === 'string') col.fail(q, malformed(query, points));
        else if (points.t.length > 0) col.add(q, points.t, points.v);
      }
    }
    // PartialData with a NextToken is followed; on the last page nothing more will come
    for (const q of partial) {
      const d = (col.queries[q] as Query).def;
      col.fail(q, `${API} returned PartialData for ${d.metric} ${d.stat} with no NextToken to follow`);
    }
  }
}

function malformed(q: Query, detail: string): string {
  return `${API} returned a malformed result for ${q.def.metric} ${q.def.stat}: ${detail}`;
}

/** The points of one result, or what is wrong with them. */
function readPoints(r: MetricDataResult): { t: Float64Array; v: Float64Array } | string {
  const ts = r.Timestamps ?? [];
  const vs = r.Values ?? [];
  if (ts.length !== vs.length) return `${ts.length} timestamps but ${vs.length} values`;
  const t = new Float64Array(ts.length);
  const v = new Float64Array(vs.length);
  for (let i = 0; i < ts.length; i++) {
    const at = ts[i];
    const ms = at instanceof Date ? at.getTime() : Number.NaN;
    if (Number.isNaN(ms)) return `timestamp ${i} is not a time (${String(at)})`;
    const x = vs[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      return `value ${i} is not a finite number (${String(x)})`;
    t[i] = ms;
    v[i] = x;
  }
  return { t, v };
}

/**
 * Joins a query's chunks (pages and windows, in whatever order they arrived) into one ascending series; the same
 * time twice with two values is malformed.
 */
function join(
  ts: readonly Float64Array[],
  vs: readonly Float64Array[],
): { t: Float64Array; v: Float64Array } | string {
  let n = 0;
  for (const c of ts) n += c.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  n = 0;
  for (const [i, c] of ts.entries()) {
    t.set(c, n);
    v.set(vs[i] as Float64Array, n);
    n += c.length;
  }
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = (t[i] as number) > (t[i - 1] as number);
  if (ascending) return { t, v };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (t[a] as number) - (t[b] as number));
  const st = new Float64Array(n);
  const sv = new Float64Array(n);
  let m = 0;
  for (const i of order) {
    const at = t[i] as number;
    const x = v[i] as number;
    if (m > 0 && st[m - 1] === at) {
      if (sv[m - 1] !== x) return `two values (${sv[m - 1]} and ${x}) at ${new Date(at).toISOString()}`;
      continue;
    }
    st[m] = at;
    sv[m] = x;
    m++;
  }
  return { t: st.slice(0, m), v: sv.slice(0, m) };
}
