import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  CloudWatchClient,
  type CloudWatchClientConfig,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricSource, COMPONENT_METRICS, ENDPOINT_METRICS } from '../../lambdas/aws/cloudwatch.ts';
import {
  MAX_DATAPOINTS_PER_REQUEST,
  MAX_QUERIES_PER_REQUEST,
  minimumRequests,
  planRequests,
} from '../../lambdas/aws/cloudwatch-plan.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import type { EndpointInfo, MetricSeries } from '../../lambdas/core/types.ts';

const FIXTURES = new URL('../fixtures/aws/cloudwatch/', import.meta.url);
const API = 'cloudwatch:GetMetricData';
const HOUR = 3_600_000;
const DAY = { start: '2024-09-29', end: '2024-09-30' };
const ID = /^[a-z][a-zA-Z0-9_]*$/;
/** Ten metric queries a variant, the figures of the batching tests below are worked for (all but InvocationsPerInstance). */
const TEN = ENDPOINT_METRICS.map((d) => d.metric).filter((m) => m !== 'InvocationsPerInstance');

type Output = Omit<GetMetricDataCommandOutput, '$metadata'>;

/** A fixture response with its ISO timestamps turned into Dates, as the SDK deserialises them. */
function fixture(name: string): Output {
  const raw = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as {
    MetricDataResults?: (Omit<MetricDataResult, 'Timestamps'> & { Timestamps?: string[] })[];
  } & Omit<Output, 'MetricDataResults'>;
  return {
    ...raw,
    MetricDataResults: raw.MetricDataResults?.map((r) => ({
      ...r,
      Timestamps: r.Timestamps?.map((t) => new Date(t)),
    })),
  };
}

/** A well-formed answer to any request: one point per period in its window, value = hour index. */
function answer(input: GetMetricDataCommandInput): Output {
  const start = (input.StartTime as Date).getTime();
  const end = (input.EndTime as Date).getTime();
  const period = (input.MetricDataQueries?.[0]?.MetricStat?.Period ?? 3600) * 1000;
  const ts: Date[] = [];
  const vs: number[] = [];
  for (let t = start; t < end; t += period) {
    ts.push(new Date(t));
    vs.push(t / HOUR);
  }
  return {
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({
      Id: q.Id,
      Label: q.MetricStat?.Metric?.MetricName,
      Timestamps: ts,
      Values: vs,
      StatusCode: 'Complete',
    })),
    Messages: [],
  };
}

function fleet(n: number, extra: Partial<EndpointInfo> = {}): EndpointInfo[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `ep-${String(i).padStart(4, '0')}`,
    tags: {},
    variants: [{ name: 'AllTraffic' }],
    ...extra,
  }));
}

function find(series: readonly MetricSeries[], endpoint: string, metric: string, stat: string) {
  return series.find((s) => s.endpoint === endpoint && s.metric === metric && s.stat === stat);
}

const client = new CloudWatchClient({ region: 'us-east-1' });
const cw = mockClient(client);

beforeEach(() => {
  cw.reset();
});

function inputs(): GetMetricDataCommandInput[] {
  return cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
}

describe('CloudWatchMetricSource requests', () => {
  it('asks each inference component of an endpoint for its own metrics, and returns them marked as its', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const inventory: EndpointInfo[] = [
      {
        name: 'llm-ic',
        tags: {},
        variants: [{ name: 'AllTraffic' }],
        components: [{ name: 'llama-8b-ic', variant: 'AllTraffic', copies: 2 }],
      },
    ];
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory });

    const { series } = await source.load({ start: '2024-09-01', end: '2024-09-02' }, ['llm-ic']);

    const queries = inputs()[0]?.MetricDataQueries ?? [];
    expect(queries).toHaveLength(ENDPOINT_METRICS.length + COMPONENT_METRICS.length);
    expect(queries).toContainEqual({
      Id: expect.stringMatching(ID),
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SageMaker',
          MetricName: 'NoCapacityInvocationFailures',
          Dimensions: [{ Name: 'InferenceComponentName', Value: 'llama-8b-ic' }],
        },
        Period: 3600,
        Stat: 'Sum',
      },
    });
    const mine = series.filter((x) => x.component === 'llama-8b-ic');
    expect(mine.map((x) => `${x.metric}/${x.stat}`).sort()).toEqual(
      COMPONENT_METRICS.map((d) => `${d.metric}/${d.stat}`).sort(),
    );
    expect(
      mine.every((x) => x.endpoint === 'llm-ic' && x.variant === 'AllTraffic' && x.t.length === 24),
    ).toBe(true);
    // the endpoint's own series are not the component's
    expect(series.filter((x) => x.component === undefined)).toHaveLength(ENDPOINT_METRICS.length);
  });

  it('asks each variant for the SageMaker and endpoint-instance metrics, hourly and oldest first, over the days', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [], Messages: [] });
    const inventory: EndpointInfo[] = [
      { name: 'search-prod', tags: {}, variants: [{ name: 'blue' }, { name: 'green' }] },
    ];
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory });

    await source.load({ start: '2024-09-01', end: '2024-09-08' }, ['search-prod']);

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 1);
    const input = inputs()[0] as GetMetricDataCommandInput;
    expect(input.StartTime).toEqual(new Date('2024-09-01T00:00:00Z'));
    expect(input.EndTime).toEqual(new Date('2024-09-08T00:00:00Z'));
    expect(input.ScanBy).toBe('TimestampAscending');
    expect(input.NextToken).toBeUndefined();
    const queries = input.MetricDataQueries ?? [];
    expect(queries).toHaveLength(2 * ENDPOINT_METRICS.length);
    expect(queries).toContainEqual({
      Id: expect.stringMatching(ID),
      MetricStat: {
        Metric: {
          Namespace: 'AWS/SageMaker',
          MetricName: 'ModelLatency',
          Dimensions: [
            { Name: 'EndpointName', Value: 'search-prod' },
            { Name: 'VariantName', Value: 'green' },
          ],
        },
        Period: 3600,
        Stat: 'p99',
      },
    });
    const asked = (ns: string, variant: string) =>
      queries
        .filter(
          (q) =>
            q.MetricStat?.Metric?.Namespace === ns &&
            q.MetricStat.Metric.Dimensions?.[1]?.Value === variant &&
            q.MetricStat.Metric.Dimensions?.[0]?.Value === 'search-prod',
        )
        .map((q) => `${q.MetricStat?.Metric?.MetricName} ${q.MetricStat?.Stat}`)
        .sort();
    for (const variant of ['blue', 'green']) {
      expect(asked('AWS/SageMaker', variant)).toEqual([
        'Invocation4XXErrors Sum',
        'Invocation5XXErrors Sum',
        'Invocations Sum',
        'InvocationsPerInstance Sum',
        'ModelLatency p50',
        'ModelLatency p99',
        'OverheadLatency p99',
      ]);
      expect(asked('/aws/sagemaker/Endpoints', variant)).toEqual([
        'CPUUtilization Average',
        'GPUMemoryUtilization Average',
        'GPUUtilization Average',
        'MemoryUtilization Average',
      ]);
    }
    // units are CloudWatch's: no Unit filter that could drop data
    expect(queries.every((q) => q.MetricStat?.Unit === undefined)).toBe(true);
  });

  it('asks AllTraffic for an endpoint the inventory has no variants for', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [], Messages: [] });
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    await source.load(DAY, ['deleted-last-week']);

    const queries = inputs()[0]?.MetricDataQueries ?? [];
    expect(queries).toHaveLength(ENDPOINT_METRICS.length);
    expect(new Set(queries.map((q) => q.MetricStat?.Metric?.Dimensions?.[1]?.Value))).toEqual(
      new Set(['AllTraffic']),
    );
  });

  it('uses the period given and the billing time zone for the day boundaries', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [], Messages: [] });
    const source = new CloudWatchMetricSource({
      client,
      usage: new ApiUsage(),
      inventory: fleet(1),
      periodSeconds: 300,
      timeZone: 'Europe/Berlin',
    });

    await source.load(DAY, ['ep-0000']);

    const input = inputs()[0] as GetMetricDataCommandInput;
    expect(input.StartTime).toEqual(new Date('2024-09-28T22:00:00Z'));
    expect(input.EndTime).toEqual(new Date('2024-09-29T22:00:00Z'));
    expect(input.MetricDataQueries?.every((q) => q.MetricStat?.Period === 300)).toBe(true);
  });

  it('gives every query an Id that CloudWatch accepts, unique in the request', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [], Messages: [] });
    const inventory = fleet(30).map((e, i) => ({
      ...e,
      variants: [{ name: 'AllTraffic' }, { name: `canary-${i}` }],
    }));
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory });

    await source.load(
      DAY,
      inventory.map((e) => e.name),
    );

    const ids = inputs().flatMap((i) => (i.MetricDataQueries ?? []).map((q) => q.Id as string));
    expect(ids).toHaveLength(60 * ENDPOINT_METRICS.length);
    expect(ids.filter((id) => !ID.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(60 * ENDPOINT_METRICS.length);
  });

  it('makes no call at all for an empty account', async () => {
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({ client, usage, inventory: [] });

    const load = await source.load(DAY, []);

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 0);
    expect(load).toEqual({ series: [], gaps: [] });
    expect(usage.report().requests).toBe(0);
  });

  it('rejects a period CloudWatch cannot serve, naming the fix', () => {
    expect(
      () => new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [], periodSeconds: 90 }),
    ).toThrow(/periodSeconds must be a positive multiple of 60.*got 90; use 3600/);
  });
});

describe('CloudWatchMetricSource batching', () => {
  it('asks 2,000 endpoints x 11 metrics in exactly ceil(22,000 / 500) = 44 requests, all counted', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const usage = new ApiUsage();
    const inventory = fleet(2000);
    const source = new CloudWatchMetricSource({ client, usage, inventory });

    const load = await source.load(
      { start: '2024-09-23', end: '2024-09-30' },
      inventory.map((e) => e.name),
    );

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 44);
    expect(inputs().map((i) => i.MetricDataQueries?.length)).toEqual(Array(44).fill(500));
    expect(usage.report().byApi).toEqual([{ api: API, requests: 44, metrics: 22_000, costUsd: 0.22 }]);
    expect(load.series).toHaveLength(22_000);
    expect(load.gaps).toEqual([]);
    expect(find(load.series, 'ep-1999', 'GPUMemoryUtilization', 'Average')?.t.length).toBe(168);
  });

  it('keeps 500 queries over 14 hourly days within 100,800 datapoints a request, in the fewest requests', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const usage = new ApiUsage();
    const inventory = fleet(50);
    const source = new CloudWatchMetricSource({ client, usage, inventory, metrics: TEN });

    const load = await source.load(
      { start: '2024-09-16', end: '2024-09-30' },
      inventory.map((e) => e.name),
    );

    // 500 x 336 = 168,000 datapoints: one request cannot hold them, two can
    expect(minimumRequests(500, 336)).toBe(2);
    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    for (const i of inputs()) {
      const n = i.MetricDataQueries?.length ?? 0;
      const hours = ((i.EndTime as Date).getTime() - (i.StartTime as Date).getTime()) / HOUR;
      expect(n).toBeLessThanOrEqual(MAX_QUERIES_PER_REQUEST);
      expect(n * hours).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_REQUEST);
    }
    expect(load.series).toHaveLength(500);
    expect(load.series.every((s) => s.t.length === 336)).toBe(true);
  });

  it('splits a month of hourly data in time where that saves a request, and joins the windows', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const usage = new ApiUsage();
    const inventory = fleet(2000);
    const source = new CloudWatchMetricSource({ client, usage, inventory, metrics: TEN });

    const load = await source.load(
      { start: '2024-08-01', end: '2024-09-01' },
      inventory.map((e) => e.name),
    );

    // 20,000 x 744 hours: 135 queries a request over the whole month would take 149 requests
    expect(minimumRequests(20_000, 744)).toBe(148);
    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 148);
    const windows = new Set(inputs().map((i) => `${(i.StartTime as Date).toISOString()}`));
    expect(windows.size).toBeGreaterThan(1);
    for (const i of inputs()) {
      const hours = ((i.EndTime as Date).getTime() - (i.StartTime as Date).getTime()) / HOUR;
      expect((i.MetricDataQueries?.length ?? 0) * hours).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_REQUEST);
    }
    expect(load.gaps).toEqual([]);
    const s = find(load.series, 'ep-0777', 'Invocations', 'Sum') as MetricSeries;
    expect(s.t.length).toBe(744);
    expect(s.t[0]).toBe(Date.parse('2024-08-01T00:00:00Z'));
    expect(s.t[743]).toBe(Date.parse('2024-08-31T23:00:00Z'));
    expect([...s.t].every((t, i) => i === 0 || t - (s.t[i - 1] as number) === HOUR)).toBe(true);
    expect([...s.v].every((v, i) => v === (s.t[i] as number) / HOUR)).toBe(true);
  });

  it('asks each metric once when told to minimise the metrics billed instead', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const usage = new ApiUsage();
    const inventory = fleet(2000);
    const source = new CloudWatchMetricSource({
      client,
      usage,
      inventory,
      minimize: 'metrics',
      metrics: TEN,
    });

    await source.load(
      { start: '2024-08-01', end: '2024-09-01' },
      inventory.map((e) => e.name),
    );

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 149);
    expect(usage.report().byApi[0]?.metrics).toBe(20_000);
  });

  it('splits the range of a single query that has more than 100,800 periods', async () => {
    cw.on(GetMetricDataCommand).callsFake(answer);
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({
      client,
      usage,
      inventory: [{ name: 'ep-async', tags: {}, asynchronous: true }],
      periodSeconds: 60,
    });

    // 71 days of minutes = 102,240 periods x 9 queries (no Invocations for an async endpoint)
    const load = await source.load({ start: '2024-06-01', end: '2024-08-11' }, ['ep-async']);

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, minimumRequests(9, 102_240));
    for (const i of inputs()) {
      const minutes = ((i.EndTime as Date).getTime() - (i.StartTime as Date).getTime()) / 60_000;
      expect((i.MetricDataQueries?.length ?? 0) * minutes).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_REQUEST);
    }
    expect(load.series.every((s) => s.t.length === 102_240 && s.periodSeconds === 60)).toBe(true);
  });

  it('plans requests that cover every query and period once, within both limits, never fewer than possible', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 2500 }),
        fc.constantFrom('requests' as const, 'metrics' as const),
        (queries, periods, minimize) => {
          const plan = planRequests(queries, periods, minimize);
          const covered = new Map<number, number>();
          for (const r of plan) {
            expect(r.count).toBeGreaterThan(0);
            expect(r.count).toBeLessThanOrEqual(MAX_QUERIES_PER_REQUEST);
            expect(r.count * (r.to - r.from)).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_REQUEST);
            for (let q = r.first; q < r.first + r.count; q++)
              covered.set(q, (covered.get(q) ?? 0) + r.to - r.from);
          }
          expect(covered.size).toBe(queries);
          expect([...covered.values()].every((p) => p === periods)).toBe(true);
          expect(plan.length).toBeGreaterThanOrEqual(minimumRequests(queries, periods));
          // when 500 queries of the whole range fit, the count is the query limit's: ceil(queries / 500)
          if (periods * MAX_QUERIES_PER_REQUEST <= MAX_DATAPOINTS_PER_REQUEST) {
            expect(plan.length).toBe(Math.ceil(queries / MAX_QUERIES_PER_REQUEST));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('CloudWatchMetricSource results', () => {
  it('turns results into ascending series in CloudWatch units, with the request period', async () => {
    cw.on(GetMetricDataCommand).resolves(fixture('get-metric-data-endpoint.json'));
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    const load = await source.load(DAY, ['search-prod']);

    expect(load.gaps).toEqual([]);
    expect(load.series).toHaveLength(10);
    const latency = find(load.series, 'search-prod', 'ModelLatency', 'p99') as MetricSeries;
    expect(latency.variant).toBe('AllTraffic');
    expect(latency.periodSeconds).toBe(3600);
    expect(latency.t).toEqual(
      new Float64Array([
        Date.parse('2024-09-29T20:00:00Z'),
        Date.parse('2024-09-29T21:00:00Z'),
        Date.parse('2024-09-29T22:00:00Z'),
      ]),
    );
    expect(latency.v).toEqual(new Float64Array([84210.5, 91877.25, 79003.0]));
    expect(find(load.series, 'search-prod', 'ModelLatency', 'p50')?.v[0]).toBe(31020);
    expect(find(load.series, 'search-prod', 'CPUUtilization', 'Average')?.v[1]).toBe(151.9);
    expect(find(load.series, 'search-prod', 'Invocation5XXErrors', 'Sum')?.v[1]).toBe(2);
  });

  it('sorts points into ascending order even when a page lists them newest first', async () => {
    const newest = fixture('get-metric-data-endpoint.json');
    const results = newest.MetricDataResults?.map((r) => ({
      ...r,
      Timestamps: [...(r.Timestamps ?? [])].reverse(),
      Values: [...(r.Values ?? [])].reverse(),
    }));
    cw.on(GetMetricDataCommand).resolves({ ...newest, MetricDataResults: results });
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    const load = await source.load(DAY, ['search-prod']);

    const inv = find(load.series, 'search-prod', 'Invocations', 'Sum') as MetricSeries;
    expect([...inv.t]).toEqual([...inv.t].sort((a, b) => a - b));
    expect([...inv.v]).toEqual([1200, 1350, 980]);
  });

  it('follows NextToken through PartialData pages and joins them', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce(fixture('get-metric-data-page-1.json'))
      .resolvesOnce(fixture('get-metric-data-page-2.json'));
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({ client, usage, inventory: [] });

    const load = await source.load(DAY, ['search-prod']);

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    expect(cw).toReceiveNthCommandWith(GetMetricDataCommand, 2, { NextToken: 'eyJwYWdlIjoyfQ==' });
    expect(usage.report().byApi).toEqual([{ api: API, requests: 2, metrics: 22, costUsd: 0.00022 }]);
    expect(load.gaps).toEqual([]);
    expect([...(find(load.series, 'search-prod', 'Invocations', 'Sum')?.v ?? [])]).toEqual([1200, 1350, 980]);
  });

  it('leaves out an endpoint whose last page is still PartialData, with a gap', async () => {
    const page = fixture('get-metric-data-page-1.json');
    cw.on(GetMetricDataCommand).resolves({ ...page, NextToken: undefined });
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    const load = await source.load(DAY, ['search-prod']);

    expect(load.series).toEqual([]);
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'search-prod',
        message: expect.stringContaining('PartialData for Invocations Sum with no NextToken to follow'),
      },
    ]);
  });

  it('leaves out the endpoints of a request whose pages come back to a token already followed, with a gap', async () => {
    const page = fixture('get-metric-data-page-1.json');
    cw.on(GetMetricDataCommand).resolves(page);
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({ client, usage, inventory: [] });

    const load = await source.load(DAY, ['search-prod']);

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    expect(usage.requests(API)).toBe(2);
    expect(load.series).toEqual([]);
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'search-prod',
        message: `${API} returned the page token "${page.NextToken}" twice; the metrics of these endpoints are left out`,
      },
    ]);
  });

  it('handles an asynchronous endpoint: no Invocations asked or returned, its other metrics kept, no gap', async () => {
    const page = fixture('get-metric-data-endpoint.json');
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      ...page,
      MetricDataResults: page.MetricDataResults?.filter((r) =>
        input.MetricDataQueries?.some((q) => q.Id === r.Id),
      ),
    }));
    const source = new CloudWatchMetricSource({
      client,
      usage: new ApiUsage(),
      inventory: [{ name: 'search-prod', tags: {}, asynchronous: true, variants: [{ name: 'AllTraffic' }] }],
    });

    const load = await source.load(DAY, ['search-prod']);

    const metrics = inputs()[0]?.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.MetricName);
    expect(metrics).toHaveLength(9);
    expect(metrics).not.toContain('Invocations');
    expect(find(load.series, 'search-prod', 'Invocations', 'Sum')).toBeUndefined();
    expect(find(load.series, 'search-prod', 'ModelLatency', 'p99')?.v.length).toBe(3);
    expect(load.gaps).toEqual([]);
  });

  it('leaves out the endpoint of an InternalError result with a gap, keeps the others, and surfaces Messages', async () => {
    cw.on(GetMetricDataCommand).resolves(fixture('get-metric-data-internal-error.json'));
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    const load = await source.load(DAY, ['search-prod', 'search-canary']);

    expect(load.series.map((s) => `${s.endpoint} ${s.metric}`)).toEqual([
      'search-canary Invocations',
      'search-canary ModelLatency',
    ]);
    expect(load.gaps).toContainEqual({
      source: 'metrics',
      scope: 'search-prod',
      message: expect.stringMatching(
        /^cloudwatch:GetMetricData returned StatusCode InternalError for ModelLatency p99/,
      ),
    });
    expect(load.gaps).toContainEqual({
      source: 'metrics',
      scope: 'search-prod',
      message:
        'CloudWatch on ModelLatency p99: InternalError: An internal error occurred while retrieving the data points.',
    });
    expect(load.gaps).toContainEqual({
      source: 'metrics',
      scope: API,
      message: 'CloudWatch: MaxMetricsExceeded: Maximum number of allowed metrics exceeded',
    });
  });

  it('fails only the endpoint of a malformed result (timestamps and values of different lengths)', async () => {
    cw.on(GetMetricDataCommand).resolves(fixture('get-metric-data-malformed.json'));
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory: [] });

    const load = await source.load(DAY, ['search-prod', 'search-canary']);

    expect(load.series.map((s) => s.endpoint)).toEqual(['search-canary']);
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'search-prod',
        message: expect.stringContaining('malformed result for Invocations Sum: 3 timestamps but 2 values'),
      },
    ]);
  });
});

describe('CloudWatchMetricSource faults', () => {
  it('names the IAM action when access is denied, and stops asking', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
      }),
    );
    const usage = new ApiUsage();
    const inventory = fleet(120);
    const source = new CloudWatchMetricSource({ client, usage, inventory, concurrency: 1 });

    const load = await source.load(
      DAY,
      inventory.map((e) => e.name),
    );

    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 1);
    expect(load.series).toEqual([]);
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'ep-0000, ep-0001, ep-0002, ep-0003, ep-0004 and 115 more',
        message: expect.stringContaining('grant the IAM action cloudwatch:GetMetricData'),
      },
    ]);
    // a denied request is not billed
    expect(usage.report().requests).toBe(0);
  });

  it('keeps the endpoints of the requests that succeeded when one request fails', async () => {
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      if (input.MetricDataQueries?.some((q) => q.Id === 'e0_0_invocations')) {
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
      }
      return answer(input);
    });
    const inventory = fleet(60);
    const source = new CloudWatchMetricSource({ client, usage: new ApiUsage(), inventory, metrics: TEN });

    const load = await source.load(
      DAY,
      inventory.map((e) => e.name),
    );

    // 600 queries: the first request holds endpoints 0-49, the second 50-59
    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    expect(new Set(load.series.map((s) => s.endpoint))).toEqual(
      new Set(inventory.slice(50).map((e) => e.name)),
    );
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'ep-0000, ep-0001, ep-0002, ep-0003, ep-0004 and 45 more',
        message: expect.stringMatching(/^cloudwatch:GetMetricData failed \(ServiceUnavailable\)/),
      },
    ]);
  });
});

/**
 * A real client whose HTTP is answered in process, so the SDK's own serialisation and retry strategy run (a
 * mocked `send` would skip both). `throttle` says which requests get a 400 ThrottlingException.
 */
function throttlingClient(throttle: (input: { MetricDataQueries: { Id: string }[] }, n: number) => boolean) {
  const seen: { MetricDataQueries: { Id: string }[]; StartTime: number; EndTime: number }[] = [];
  const handler = {
    async handle(req: { body?: unknown }) {
      const input = JSON.parse(new TextDecoder().decode(req.body as Uint8Array)) as (typeof seen)[number];
      seen.push(input);
      const throttled = throttle(input, seen.length);
      const body = throttled
        ? { __type: 'com.amazonaws.cloudwatch#ThrottlingException', message: 'Rate exceeded' }
        : {
            MetricDataResults: input.MetricDataQueries.map((q) => ({
              Id: q.Id,
              Timestamps: [input.StartTime, input.StartTime + 3600],
              Values: [1, 2],
              StatusCode: 'Complete',
            })),
            Messages: [],
          };
      return {
        response: {
          statusCode: throttled ? 400 : 200,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            ...(throttled ? { 'x-amzn-query-error': 'Throttling;Sender' } : {}),
          },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
        },
      };
    },
  };
  const real = new CloudWatchClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    retryStrategy: new ConfiguredRetryStrategy(3, 1),
    requestHandler: handler as unknown as CloudWatchClientConfig['requestHandler'],
  });
  return { client: real, seen };
}

describe('CloudWatchMetricSource throttling (SDK retries)', () => {
  it('gets the data when the SDK retries a throttled request', async () => {
    const { client: real, seen } = throttlingClient((_input, n) => n <= 2);
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({ client: real, usage, inventory: fleet(1), metrics: TEN });

    const load = await source.load(DAY, ['ep-0000']);

    expect(seen).toHaveLength(3);
    expect(load.gaps).toEqual([]);
    expect(load.series).toHaveLength(10);
    expect([...(find(load.series, 'ep-0000', 'Invocations', 'Sum')?.t ?? [])]).toEqual([
      Date.parse('2024-09-29T00:00:00Z'),
      Date.parse('2024-09-29T01:00:00Z'),
    ]);
    expect(usage.report().byApi).toEqual([{ api: API, requests: 1, metrics: 10, costUsd: 0.0001 }]);
  });

  it('reports a throttled request as a gap once the SDK gives up, and keeps the other requests', async () => {
    const { client: real, seen } = throttlingClient((input) =>
      input.MetricDataQueries.some((q) => q.Id === 'e0_0_invocations'),
    );
    const inventory = fleet(60);
    const source = new CloudWatchMetricSource({
      client: real,
      usage: new ApiUsage(),
      inventory,
      metrics: TEN,
    });

    const load = await source.load(
      DAY,
      inventory.map((e) => e.name),
    );

    // the first request was tried 3 times by the SDK's strategy, the second once
    expect(seen.filter((s) => s.MetricDataQueries.some((q) => q.Id === 'e0_0_invocations'))).toHaveLength(3);
    expect(seen).toHaveLength(4);
    expect(new Set(load.series.map((s) => s.endpoint)).size).toBe(10);
    expect(load.gaps).toEqual([
      {
        source: 'metrics',
        scope: 'ep-0000, ep-0001, ep-0002, ep-0003, ep-0004 and 45 more',
        message: expect.stringMatching(/^cloudwatch:GetMetricData was throttled \(Throttling(Exception)?\)/),
      },
    ]);
  });
});

describe('CloudWatchMetricSource: a subset of metrics', () => {
  it('asks only the metrics it is given, one query per endpoint and variant', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const inventory = [
      { name: 'a', tags: {} },
      { name: 'b', tags: {} },
    ];
    const usage = new ApiUsage();
    const source = new CloudWatchMetricSource({
      client: new CloudWatchClient({}),
      usage,
      inventory,
      periodSeconds: 86_400,
      metrics: ['Invocations'],
    });
    await source.load({ start: '2026-09-01', end: '2026-10-01' }, ['a', 'b']);
    const queries = cw
      .commandCalls(GetMetricDataCommand)
      .flatMap((c) => c.args[0].input.MetricDataQueries ?? []);
    expect(queries.map((q) => q.MetricStat?.Metric?.MetricName)).toEqual(['Invocations', 'Invocations']);
    expect(usage.report().byApi).toEqual([
      { api: 'cloudwatch:GetMetricData', requests: 1, metrics: 2, costUsd: 0.00002 },
    ]);
    cw.restore();
  });
});
