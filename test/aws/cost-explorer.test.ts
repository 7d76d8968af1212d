import { readFileSync } from 'node:fs';
import {
  CostExplorerClient,
  type CostExplorerClientConfig,
  type Expression,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput,
  type GetCostAndUsageCommandOutput,
  GetCostAndUsageWithResourcesCommand,
  GetCostForecastCommand,
  type GetCostForecastCommandOutput,
  LimitExceededException,
} from '@aws-sdk/client-cost-explorer';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { HttpRequest } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CostExplorerSource,
  type CostExplorerSourceOptions,
  contiguousRanges,
} from '../../lambdas/aws/cost-explorer.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { attributeSpend } from '../../lambdas/core/attribution.ts';
import { formatMoney, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import { daysOf } from '../../lambdas/core/period.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { MemoryCache } from '../helpers/cost-day-cache.ts';

type Response = Omit<GetCostAndUsageCommandOutput, '$metadata'>;

const fixture = <T = Response>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/aws/ce/${name}`, import.meta.url), 'utf8')) as T;
const PAGE_1 = fixture('get-cost-and-usage.page-1.json');
const PAGE_2 = fixture('get-cost-and-usage.page-2.json');
const PAGE_3 = fixture('get-cost-and-usage.page-3.json');
const EMPTY = fixture('get-cost-and-usage.empty-account.json');
const WITH_RESOURCES = fixture('get-cost-and-usage-with-resources.json');
const FORECAST = fixture<Omit<GetCostForecastCommandOutput, '$metadata'>>('get-cost-forecast.json');
// python3: sum of every UnblendedCost Amount over the three pages -> 279.7344567900
const PAGES_TOTAL = parseMoney('279.73445679') as bigint;

const SAGEMAKER: Expression = { Dimensions: { Key: 'SERVICE', Values: ['Amazon SageMaker'] } };
const present = (key: string): Expression => ({ Not: { Tags: { Key: key, MatchOptions: ['ABSENT'] } } });

const client = new CostExplorerClient({ region: 'us-east-1', maxAttempts: 3 });
const ce = mockClient(client);
let usage: ApiUsage;

beforeEach(() => {
  ce.reset();
  usage = new ApiUsage();
});

/** When the cycles below run, unless a test says otherwise: well after every day they ask for. */
const LATER = Date.parse('2026-11-05T06:00:00Z');

function source(opts: Partial<CostExplorerSourceOptions> = {}): CostExplorerSource {
  return new CostExplorerSource({
    client,
    usage,
    costMetric: 'billed',
    selectors: [{ team: 'search' }],
    asOf: '2026-10-03',
    now: () => LATER,
    ...opts,
  });
}

const total = (records: readonly CostRecord[]) => sumMoney(records.map((r) => r.amount));
const utc = (day: string) => Date.parse(`${day}T00:00:00Z`);

/**
 * A DAILY response with one group a day over the request's TimePeriod; the days from `estimatedFrom` on are marked
 * `Estimated`, as Cost Explorer marks the days it has not finalised.
 */
function dailyGroup(
  input: GetCostAndUsageCommandInput,
  group: { keys: string[]; amount: string; quantity: string; unit: string },
  estimatedFrom?: string,
): Response {
  const { Start, End } = input.TimePeriod as { Start: string; End: string };
  return {
    GroupDefinitions: input.GroupBy,
    ResultsByTime: daysOf(Start, End).map((day, i, all) => ({
      TimePeriod: { Start: day, End: all[i + 1] ?? End },
      Total: {},
      Groups: [
        {
          Keys: group.keys,
          Metrics: {
            UnblendedCost: { Amount: group.amount, Unit: 'USD' },
            UsageQuantity: { Amount: group.quantity, Unit: group.unit },
          },
        },
      ],
      Estimated: estimatedFrom !== undefined && day >= estimatedFrom,
    })),
  };
}

/** One hosting group a day. */
function daily(input: GetCostAndUsageCommandInput, amount = '33.792', estimatedFrom?: string): Response {
  const keys = ['team$search', 'USE1-Host:ml.g5.xlarge'];
  return dailyGroup(input, { keys, amount, quantity: '24', unit: 'Hrs' }, estimatedFrom);
}

/** Closed days kept in memory, with every write recorded. */

/**
 * A client whose HTTP layer answers in-process, so that the SDK's real retry strategy, serialisation and error
 * parsing run (aws-sdk-client-mock replaces `send`, which skips them). Backoff is 10 ms to keep the test fast.
 */
function clientOverHttp(answer: (attempt: number) => { status: number; body: unknown }) {
  const attempts: { target: string; input: Record<string, unknown> }[] = [];
  const handler = {
    async handle(request: HttpRequest) {
      const text =
        typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('utf8');
      attempts.push({
        target: String(request.headers['x-amz-target']),
        input: JSON.parse(text) as Record<string, unknown>,
      });
      const { status, body } = answer(attempts.length);
      return {
        response: {
          statusCode: status,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  } as unknown as CostExplorerClientConfig['requestHandler'];
  const http = new CostExplorerClient({
    region: 'us-east-1',
    maxAttempts: 3,
    retryStrategy: new ConfiguredRetryStrategy(3, () => 10),
    requestHandler: handler,
  });
  return { client: http, attempts };
}

const throttled = { status: 400, body: { __type: 'LimitExceededException', message: 'Rate exceeded' } };

describe('CostExplorerSource requests', () => {
  it('asks for DAILY UnblendedCost and UsageQuantity by a budget tag and USAGE_TYPE, SageMaker or tagged rows only', async () => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    await source({ selectors: [{ team: 'search' }, { 'cost-center': 'cc-1' }] }).load({
      start: '2026-10-01',
      end: '2026-10-04',
    });
    expect(ce).toReceiveCommandWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-01', End: '2026-10-04' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost', 'UsageQuantity'],
      GroupBy: [
        { Type: 'TAG', Key: 'team' },
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
      ],
      // A budget's spend is every row its tags select, whatever the service: rows with a budget tag stay in.
      Filter: { Or: [SAGEMAKER, present('cost-center'), present('team')] },
    });
    expect(ce.commandCalls(GetCostAndUsageCommand)[0]?.args[0].input).not.toHaveProperty('NextPageToken');
  });

  it('groups by the endpoint tag when there is one and asks NetAmortizedCost for the effective metric', async () => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    await source({ costMetric: 'effective', endpointTag: 'endpoint' }).load({
      start: '2026-10-01',
      end: '2026-10-04',
    });
    expect(ce).toReceiveCommandWith(GetCostAndUsageCommand, {
      Metrics: ['NetAmortizedCost', 'UsageQuantity'],
      GroupBy: [
        { Type: 'TAG', Key: 'endpoint' },
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
      ],
      Filter: { Or: [SAGEMAKER, present('endpoint'), present('team')] },
    });
  });

  it('without budget tags groups by USAGE_TYPE alone and filters to SageMaker', async () => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    const src = source({ selectors: [] });
    await src.load({ start: '2026-10-01', end: '2026-10-04' });
    expect(ce).toReceiveCommandWith(GetCostAndUsageCommand, {
      GroupBy: [{ Type: 'DIMENSION', Key: 'USAGE_TYPE' }],
      Filter: SAGEMAKER,
    });
    expect(src.groupTag).toBeUndefined();
  });

  it('never asks for days after as-of', async () => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    await source().load({ start: '2026-10-01', end: '2026-11-01' });
    expect(ce).toReceiveCommandWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-01', End: '2026-10-04' },
    });
    expect(await source().load({ start: '2026-10-05', end: '2026-11-01' })).toEqual({
      records: [],
      gaps: [],
    });
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 1);
  });

  it('names the metric, grouping and filter in the cache key', () => {
    const keys = new Set([
      source().cacheSource,
      source({ costMetric: 'effective' }).cacheSource,
      source({ selectors: [{ 'cost-center': 'cc-1' }] }).cacheSource,
      source({ selectors: [{ team: 'search' }, { 'cost-center': 'cc-1' }] }).cacheSource,
      source({ endpointTag: 'endpoint' }).cacheSource,
    ]);
    expect(keys.size).toBe(5);
    expect(source().cacheSource).toBe(source({ asOf: '2026-10-20' }).cacheSource);
  });
});

describe('CostExplorerSource pagination and records', () => {
  it('follows NextPageToken over three pages, one counted request each', async () => {
    ce.on(GetCostAndUsageCommand)
      .resolvesOnce(PAGE_1)
      .resolvesOnce(PAGE_2)
      .resolvesOnce(PAGE_3)
      .rejects(new Error('asked for a fourth page'));
    const { records, gaps } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(gaps).toEqual([]);
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 3);
    expect(ce).toReceiveNthCommandWith(GetCostAndUsageCommand, 2, {
      TimePeriod: { Start: '2026-10-01', End: '2026-10-04' },
      NextPageToken: PAGE_1.NextPageToken,
    });
    expect(ce).toReceiveNthCommandWith(GetCostAndUsageCommand, 3, { NextPageToken: PAGE_2.NextPageToken });
    expect(usage.requests('ce:GetCostAndUsage')).toBe(3);
    expect(usage.report().costUsd).toBe(0.03);
    expect(records).toHaveLength(10);
    expect(total(records)).toBe(PAGES_TOTAL);
  });

  it('reads exact amounts, UTC days, tag groups, instance types and hours from the groups', async () => {
    ce.on(GetCostAndUsageCommand).resolvesOnce(PAGE_1).resolvesOnce(PAGE_2).resolvesOnce(PAGE_3);
    const { records } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    const view = records.map((r) => ({
      day: new Date(r.start).toISOString(),
      hours: (r.end - r.start) / 3_600_000,
      amount: formatMoney(r.amount, 10),
      tags: r.tags,
      usageType: r.usageType,
      instanceType: r.instanceType,
      usageHours: r.usageHours,
      training: r.training,
    }));
    expect(view[0]).toEqual({
      day: '2026-10-01T00:00:00.000Z',
      hours: 24,
      amount: '67.5840000000',
      tags: { team: 'search' },
      usageType: 'USE1-Host:ml.g5.xlarge',
      instanceType: 'ml.g5.xlarge',
      usageHours: 48,
      training: false,
    });
    // Storage in GB-Mo is not instance usage: no hours.
    expect(view[1]).toMatchObject({ amount: '0.0123456789', instanceType: undefined, usageHours: undefined });
    // `team$` is the untagged group.
    expect(view[2]).toMatchObject({ tags: {}, instanceType: 'ml.m5.large', usageHours: 24 });
    expect(view.find((v) => v.usageType === 'USE1-Train:ml.p3.2xlarge')).toMatchObject({
      training: true,
      instanceType: undefined,
    });
    expect(records.every((r) => r.currency === 'USD')).toBe(true);
  });

  it('returns no records and no gap for an account without charges', async () => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    const load = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(load).toEqual({ records: [], gaps: [] });
    ce.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [] });
    expect(await source().load({ start: '2026-10-01', end: '2026-10-04' })).toEqual({
      records: [],
      gaps: [],
    });
  });

  it('turns a malformed amount into a gap for the range, without the rows of the pages that were fine', async () => {
    const bad = structuredClone(PAGE_2);
    const group = bad.ResultsByTime?.[0]?.Groups?.[0];
    if (group?.Metrics?.UnblendedCost) group.Metrics.UnblendedCost.Amount = 'abc';
    ce.on(GetCostAndUsageCommand).resolvesOnce(PAGE_1).resolvesOnce(bad);
    const { records, gaps } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(records).toEqual([]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.scope).toBe('Cost Explorer 2026-10-01 to 2026-10-03');
    expect(gaps[0]?.message).toContain(
      'malformed response: ce:GetCostAndUsage 2026-10-01..2026-10-04 page 2 ResultsByTime[0].Groups[0].Metrics.UnblendedCost.Amount: expected a decimal amount as a string, got "abc"',
    );
  });

  it('stops on a page token it has already followed', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ ...EMPTY, NextPageToken: 'again' });
    const { records, gaps } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 2);
    expect(records).toEqual([]);
    expect(gaps[0]?.message).toContain('returned the page token "again" twice');
  });

  it('gives rows ready for attribution: grouped by the tag the source names', async () => {
    ce.on(GetCostAndUsageCommand).resolvesOnce(PAGE_1).resolvesOnce(PAGE_2).resolvesOnce(PAGE_3);
    const src = source();
    const { records } = await src.load({ start: '2026-10-01', end: '2026-10-04' });
    const inventory = [
      { name: 'search-prod', instanceType: 'ml.g5.xlarge', instanceCount: 1, tags: { team: 'search' } },
      { name: 'search-canary', instanceType: 'ml.g5.xlarge', instanceCount: 1, tags: { team: 'search' } },
      { name: 'recs-prod', instanceType: 'ml.g5.xlarge', instanceCount: 1, tags: { team: 'recs' } },
    ];
    const out = attributeSpend(records, inventory, { groupTag: src.groupTag, endpointTag: src.endpointTag });
    expect(total(out.records)).toBe(PAGES_TOTAL);
    const recsProd = out.records.filter((r) => r.endpoint === 'recs-prod');
    // recs' hosting goes to its one endpoint only, never to search's.
    expect(total(recsProd)).toBe(parseMoney('67.584'));
    expect(out.attribution.get('search-prod')).toBe('estimated');
  });
});

describe('CostExplorerSource day cache', () => {
  const month = { start: '2026-10-01', end: '2026-11-01' };

  it('asks a steady daily cycle only for the days that can still change', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    const cache = new MemoryCache();
    const first = await source({ cache, asOf: '2026-10-10' }).load(month);
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-01', End: '2026-10-11' },
    });
    expect(first.records).toHaveLength(10);
    // Closed: older than the last 3 days (10-08, 10-09, 10-10).
    const key = source().cacheSource;
    expect(cache.cachedDays(key)).toEqual(daysOf('2026-10-01', '2026-10-08'));

    ce.resetHistory();
    const second = await source({ cache, asOf: '2026-10-11' }).load(month);
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-08', End: '2026-10-12' },
    });
    expect(usage.requests('ce:GetCostAndUsage')).toBe(2);
    expect(second.records.map((r) => new Date(r.start).toISOString().slice(0, 10))).toEqual(
      daysOf('2026-10-01', '2026-10-12'),
    );
    expect(total(second.records)).toBe((parseMoney('33.792') as bigint) * 11n);
    expect(cache.cachedDays(key)).toEqual(daysOf('2026-10-01', '2026-10-09'));
  });

  it('asks for the uncached days in as few contiguous ranges as there are runs of them', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    const cache = new MemoryCache();
    const src = source({ cache, asOf: '2026-10-10' });
    const cached = new Map(
      ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-05', '2026-10-06'].map((d) => [
        d,
        [] as CostRecord[],
      ]),
    );
    await cache.putDays(src.cacheSource, cached);
    await src.load(month);
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 2);
    expect(ce).toReceiveNthCommandWith(GetCostAndUsageCommand, 1, {
      TimePeriod: { Start: '2026-10-04', End: '2026-10-05' },
    });
    expect(ce).toReceiveNthCommandWith(GetCostAndUsageCommand, 2, {
      TimePeriod: { Start: '2026-10-07', End: '2026-10-11' },
    });
  });

  it('never caches a day Cost Explorer marks Estimated: the next cycle asks for it again', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) =>
      daily(input, '33.792', '2026-10-05'),
    );
    const cache = new MemoryCache();
    const now = () => Date.parse('2026-10-11T06:00:00Z');
    await source({ cache, asOf: '2026-10-10', now }).load(month);
    expect(cache.cachedDays(source().cacheSource)).toEqual(daysOf('2026-10-01', '2026-10-05'));

    ce.resetHistory();
    const next = await source({
      cache,
      asOf: '2026-10-11',
      now: () => Date.parse('2026-10-12T06:00:00Z'),
    }).load(month);
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-05', End: '2026-10-12' },
    });
    expect(total(next.records)).toBe((parseMoney('33.792') as bigint) * 11n);
  });

  it('never caches today or yesterday in UTC, nor a day after them, whatever as-of says', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    const cache = new MemoryCache();
    // As of the 20th on the 11th: the days from the 10th on are open or to come, not closed.
    await source({ cache, asOf: '2026-10-20', now: () => Date.parse('2026-10-11T23:59:00Z') }).load(month);
    expect(cache.cachedDays(source().cacheSource)).toEqual(daysOf('2026-10-01', '2026-10-10'));
  });

  it('asks Cost Explorer for a still-open day even when an earlier cycle put it in the cache', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    const cache = new MemoryCache();
    const src = source({ cache, asOf: '2026-10-20', now: () => Date.parse('2026-10-11T06:00:00Z') });
    await cache.putDays(src.cacheSource, new Map(daysOf('2026-10-01', '2026-10-18').map((d) => [d, []])));
    await src.load(month);
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2026-10-10', End: '2026-10-21' },
    });
  });

  it('caches a closed day without charges, so that it is not asked again', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [] });
    const cache = new MemoryCache();
    await source({ cache, asOf: '2026-10-10' }).load(month);
    expect(cache.cachedDays(source().cacheSource)).toEqual(daysOf('2026-10-01', '2026-10-08'));
  });

  it('keeps cached days and returns no rows for a failed range, which it does not cache', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    const cache = new MemoryCache();
    await source({ cache, asOf: '2026-10-10' }).load(month);
    ce.reset();
    ce.on(GetCostAndUsageCommand).rejects(
      new LimitExceededException({ message: 'Rate exceeded', $metadata: {} }),
    );
    const puts = cache.puts.length;

    const load = await source({ cache, asOf: '2026-10-11' }).load(month);
    // The rule: a failed range contributes nothing but its gap; cached days still count; the data is complete
    // only up to the day before the failure, so the missing days are never read as zero spend.
    expect(load.records.map((r) => new Date(r.start).toISOString().slice(0, 10))).toEqual(
      daysOf('2026-10-01', '2026-10-08'),
    );
    expect(load.gaps).toEqual([
      {
        source: 'costs',
        scope: 'Cost Explorer 2026-10-08 to 2026-10-11',
        message:
          "ce:GetCostAndUsage was throttled (LimitExceededException) after the SDK's retries; try a later cycle; spend on those days is unknown, not zero",
      },
    ]);
    expect(load.completeThrough).toBe('2026-10-07');
    expect(cache.puts).toHaveLength(puts);
  });
});

describe('CostExplorerSource tag queries', () => {
  const PROD = { team: 'search', env: 'prod' };
  const week = { start: '2026-10-01', end: '2026-10-04' };
  /** The team's S3 model artefacts of one day: $45.83 of prod, $12 of dev; one Cost Explorer row per team. */
  function storage(input: GetCostAndUsageCommandInput): Response {
    const amount = input.Filter?.And !== undefined ? '45.83' : '57.83';
    const keys = ['team$search', 'USE1-TimedStorage-ByteHrs'];
    return dailyGroup(input, { keys, amount, quantity: '2000', unit: 'GB-Mo' });
  }

  it('asks once more for the rows carrying the other tags of a multi-tag selector, grouped as the main query', async () => {
    ce.on(GetCostAndUsageCommand).callsFake(storage);
    const { records, gaps } = await source({ selectors: [PROD] }).load(week);
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 2);
    expect(ce).toReceiveCommandWith(GetCostAndUsageCommand, {
      GroupBy: [
        { Type: 'TAG', Key: 'team' },
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
      ],
      Filter: {
        And: [
          { Tags: { Key: 'team', Values: ['search'], MatchOptions: ['EQUALS'] } },
          { Tags: { Key: 'env', Values: ['prod'], MatchOptions: ['EQUALS'] } },
        ],
      },
    });
    expect(gaps).toEqual([]);
    const prod = records.filter((r) => r.tags.env === 'prod');
    expect(total(prod)).toBe(parseMoney('137.49'));
    expect(total(records)).toBe(parseMoney('173.49'));
    expect(usage.requests('ce:GetCostAndUsage')).toBe(2);
  });

  it("names the spend at stake when a tag query fails, and keeps the main query's rows whole", async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => {
      if (input.Filter?.And !== undefined)
        throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      return storage(input);
    });
    const { records, gaps, completeThrough } = await source({ selectors: [PROD] }).load(week);
    expect(total(records)).toBe(parseMoney('173.49'));
    expect(records.some((r) => r.tags.env !== undefined)).toBe(false);
    expect(completeThrough).toBeUndefined();
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: 'Cost Explorer env=prod and team=search 2026-10-01 to 2026-10-03',
        message: expect.stringMatching(
          /^ce:GetCostAndUsage was denied .*; up to \$173\.49 of spend on those days could not be told apart by env=prod and team=search, so budgets selecting env=prod and team=search may miss part of it$/,
        ),
      },
    ]);
  });

  it('caches each tag query under its own key, so that a steady cycle asks it only for the open days', async () => {
    ce.on(GetCostAndUsageCommand).callsFake(storage);
    const cache = new MemoryCache();
    await source({ selectors: [PROD], cache, asOf: '2026-10-10' }).load({
      start: '2026-10-01',
      end: '2026-11-01',
    });
    expect(cache.puts.map((p) => p.days.at(-1))).toEqual(['2026-10-07', '2026-10-07']);
    expect(new Set(cache.puts.map((p) => p.source)).size).toBe(2);
    ce.resetHistory();
    await source({ selectors: [PROD], cache, asOf: '2026-10-11' }).load({
      start: '2026-10-01',
      end: '2026-11-01',
    });
    expect(ce.commandCalls(GetCostAndUsageCommand).map((c) => c.args[0].input.TimePeriod)).toEqual([
      { Start: '2026-10-08', End: '2026-10-12' },
      { Start: '2026-10-08', End: '2026-10-12' },
    ]);
  });
});

describe('CostExplorerSource faults', () => {
  it('does not retry on its own: a rejected call is one request and a gap (retrying is the SDK client’s job)', async () => {
    ce.on(GetCostAndUsageCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves(PAGE_3);
    const { records, gaps } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(ce).toReceiveCommandTimes(GetCostAndUsageCommand, 1);
    expect(records).toEqual([]);
    expect(gaps[0]?.message).toContain('ce:GetCostAndUsage was throttled (ThrottlingException)');
  });

  it('loads after throttling: the SDK client built with maxAttempts 3 retries the request', async () => {
    const { client: http, attempts } = clientOverHttp((n) =>
      n === 1
        ? { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }
        : { status: 200, body: PAGE_3 },
    );
    const { records, gaps } = await source({ client: http }).load({ start: '2026-10-01', end: '2026-10-04' });
    expect(attempts.map((a) => a.target)).toEqual([
      'AWSInsightsIndexService.GetCostAndUsage',
      'AWSInsightsIndexService.GetCostAndUsage',
    ]);
    expect(attempts[1]?.input).toMatchObject({ TimePeriod: { Start: '2026-10-01', End: '2026-10-04' } });
    expect(gaps).toEqual([]);
    expect(total(records)).toBe(parseMoney('105.201'));
    expect(usage.requests('ce:GetCostAndUsage')).toBe(1);
  });

  it('reports throttling that outlasts the retries as a gap, never as zero spend', async () => {
    const { client: http, attempts } = clientOverHttp(() => throttled);
    const load = await source({ client: http }).load({ start: '2026-10-01', end: '2026-10-04' });
    expect(attempts).toHaveLength(3);
    expect(load.records).toEqual([]);
    expect(load.gaps).toHaveLength(1);
    expect(load.gaps[0]?.message).toContain(
      "ce:GetCostAndUsage was throttled (LimitExceededException) after the SDK's retries",
    );
    expect(load.completeThrough).toBe('2026-09-30');
  });

  it('names the IAM action ce:GetCostAndUsage when access is denied', async () => {
    ce.on(GetCostAndUsageCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:sts::111122223333:assumed-role/perf-budgets/collect is not authorized to perform: ce:GetCostAndUsage',
        ),
        { name: 'AccessDeniedException' },
      ),
    );
    const { records, gaps } = await source().load({ start: '2026-10-01', end: '2026-10-04' });
    expect(records).toEqual([]);
    expect(gaps[0]?.message).toContain(
      'ce:GetCostAndUsage was denied (AccessDeniedException): grant the IAM action ce:GetCostAndUsage',
    );
  });
});

describe('CostExplorerSource resource level', () => {
  it('asks GetCostAndUsageWithResources for SageMaker by resource and usage type, within the last 14 days', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    ce.on(GetCostAndUsageWithResourcesCommand).resolves({ ResultsByTime: [] });
    await source({ resourceLevel: true }).load({ start: '2026-09-01', end: '2026-10-04' });
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageWithResourcesCommand, {
      TimePeriod: { Start: '2026-09-20', End: '2026-10-04' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost', 'UsageQuantity'],
      GroupBy: [
        { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
      ],
      Filter: SAGEMAKER,
    });
    expect(usage.requests('ce:GetCostAndUsageWithResources')).toBe(1);
  });

  it('replaces the tag-grouped hosting rows of those days by per-endpoint rows, the total unchanged', async () => {
    ce.on(GetCostAndUsageCommand).resolvesOnce(PAGE_1).resolvesOnce(PAGE_2).resolvesOnce(PAGE_3);
    ce.on(GetCostAndUsageWithResourcesCommand).resolves(WITH_RESOURCES);
    const { records, gaps } = await source({ resourceLevel: true }).load({
      start: '2026-10-01',
      end: '2026-10-04',
    });
    expect(gaps).toEqual([]);
    expect(total(records)).toBe(PAGES_TOTAL);
    const hosting = (day: string, type: string) =>
      records.filter((r) => r.start === utc(day) && r.instanceType === type);

    // 10-01: both queries say 101.376 for ml.g5.xlarge: the resource amounts as they are.
    expect(
      hosting('2026-10-01', 'ml.g5.xlarge').map((r) => [r.endpoint, formatMoney(r.amount, 10), r.tags]),
    ).toEqual([
      ['search-prod', '33.7920000000', {}],
      ['search-canary', '33.7920000000', {}],
      ['recs-prod', '33.7920000000', {}],
    ]);
    // 10-01 ml.m5.large: a resource row without an endpoint (NoResourceId): the tag-grouped row stays.
    expect(hosting('2026-10-01', 'ml.m5.large').map((r) => [r.endpoint, r.tags])).toEqual([[undefined, {}]]);
    // 10-02: the resource rows are 1e-10 above the tag-grouped 101.376; the tag-grouped total is kept exactly.
    const oct2 = hosting('2026-10-02', 'ml.g5.xlarge');
    expect(oct2.map((r) => r.endpoint)).toEqual(['search-prod', 'search-canary', 'recs-prod']);
    expect(total(oct2)).toBe(parseMoney('101.376'));
    // 10-03: one tag group (team$search) for the whole usage type: its tag holds for the resource rows.
    expect(hosting('2026-10-03', 'ml.g5.xlarge').map((r) => [r.endpoint, r.tags])).toEqual([
      ['search-prod', { team: 'search' }],
    ]);
    // Storage stays as the tag-grouped query gave it (with its tag), not twice.
    expect(records.filter((r) => r.usageType === 'USE1-Host:VolumeUsage.gp2')).toHaveLength(1);
  });

  it('asks a steady daily cycle for the open days of the resource window only', async () => {
    ce.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => daily(input));
    ce.on(GetCostAndUsageWithResourcesCommand).resolves({ ResultsByTime: [] });
    const cache = new MemoryCache();
    const month = { start: '2026-10-01', end: '2026-11-01' };
    await source({ cache, resourceLevel: true, asOf: '2026-10-20' }).load(month);
    expect(ce).toReceiveCommandWith(GetCostAndUsageWithResourcesCommand, {
      TimePeriod: { Start: '2026-10-07', End: '2026-10-21' },
    });
    ce.resetHistory();
    await source({ cache, resourceLevel: true, asOf: '2026-10-21' }).load(month);
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostAndUsageWithResourcesCommand, {
      TimePeriod: { Start: '2026-10-18', End: '2026-10-22' },
    });
  });

  it('does not pay for resource rows of days whose spend failed to load', async () => {
    ce.on(GetCostAndUsageCommand).rejects(
      new LimitExceededException({ message: 'Rate exceeded', $metadata: {} }),
    );
    ce.on(GetCostAndUsageWithResourcesCommand).resolves(WITH_RESOURCES);
    const { records, gaps } = await source({ resourceLevel: true }).load({
      start: '2026-10-01',
      end: '2026-10-04',
    });
    expect(ce).not.toReceiveCommand(GetCostAndUsageWithResourcesCommand);
    expect(records).toEqual([]);
    expect(gaps).toHaveLength(1);
  });

  it('keeps the estimated path when resource-level data is denied, naming its IAM action', async () => {
    ce.on(GetCostAndUsageCommand).resolvesOnce(PAGE_1).resolvesOnce(PAGE_2).resolvesOnce(PAGE_3);
    ce.on(GetCostAndUsageWithResourcesCommand).rejects(
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }),
    );
    const { records, gaps, completeThrough } = await source({ resourceLevel: true }).load({
      start: '2026-10-01',
      end: '2026-10-04',
    });
    expect(total(records)).toBe(PAGES_TOTAL);
    expect(records.every((r) => r.endpoint === undefined)).toBe(true);
    expect(completeThrough).toBeUndefined();
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.scope).toBe('resource-level attribution 2026-10-01 to 2026-10-03');
    expect(gaps[0]?.message).toContain('grant the IAM action ce:GetCostAndUsageWithResources');
  });
});

describe('CostExplorerSource forecast cross-check', () => {
  it('asks GetCostForecast for the account total from as-of, with the metric of the budget file', async () => {
    ce.on(GetCostForecastCommand).resolves(FORECAST);
    const check = await source().forecastCrossCheck({ start: '2026-10-01', end: '2026-11-01' });
    expect(ce).toReceiveCommandExactlyOnceWith(GetCostForecastCommand, {
      TimePeriod: { Start: '2026-10-03', End: '2026-11-01' },
      Metric: 'UNBLENDED_COST',
      Granularity: 'MONTHLY',
    });
    expect(ce.commandCalls(GetCostForecastCommand)[0]?.args[0].input).not.toHaveProperty('Filter');
    expect(check).toEqual({
      ok: true,
      range: { start: '2026-10-03', end: '2026-11-01' },
      metric: 'UNBLENDED_COST',
      mean: parseMoney('3120.4567891234'),
      currency: 'USD',
    });
    expect(usage.requests('ce:GetCostForecast')).toBe(1);
  });

  it('forecasts NET_AMORTIZED_COST for the effective metric and nothing for a range already past', async () => {
    ce.on(GetCostForecastCommand).resolves(FORECAST);
    await source({ costMetric: 'effective' }).forecastCrossCheck({ start: '2026-10-03', end: '2026-11-01' });
    expect(ce).toReceiveCommandWith(GetCostForecastCommand, { Metric: 'NET_AMORTIZED_COST' });
    expect(await source().forecastCrossCheck({ start: '2026-09-01', end: '2026-10-01' })).toBeUndefined();
    expect(usage.requests('ce:GetCostForecast')).toBe(1);
  });

  it('returns a failed cross-check as a gap instead of throwing', async () => {
    ce.on(GetCostForecastCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    const check = await source().forecastCrossCheck({ start: '2026-10-03', end: '2026-11-01' });
    expect(check?.ok).toBe(false);
    expect(check && !check.ok ? check.gap.message : '').toContain('grant the IAM action ce:GetCostForecast');
  });
});

describe('contiguousRanges', () => {
  it('joins consecutive days, across a month end, and splits at holes', () => {
    expect(contiguousRanges(['2026-10-02', '2026-09-30', '2026-10-01', '2026-10-05', '2026-10-05'])).toEqual([
      { start: '2026-09-30', end: '2026-10-03' },
      { start: '2026-10-05', end: '2026-10-06' },
    ]);
    expect(contiguousRanges([])).toEqual([]);
  });
});
