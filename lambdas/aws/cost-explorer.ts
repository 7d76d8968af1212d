/**
 * Spend from Cost Explorer: GetCostAndUsage (daily, grouped by one budget tag and USAGE_TYPE, and once more per tag
 * condition that the grouping cannot tell apart: see cost-explorer-tags.ts), optionally
 * GetCostAndUsageWithResources for the last 14 days (resource-level attribution), and GetCostForecast as a
 * cross-check of our forecast. Every request costs $0.01 and is counted in `ApiUsage`, one per page.
 *
 * Closed days are read from a `CostDayCache` when cached, so that a daily cycle asks only for the days that can
 * still change. A day is closed when it is older than the last `openDays` up to as-of and older than yesterday in UTC
 * (Cost Explorer's days are UTC days, and today's and yesterday's are still arriving, whatever as-of says); a day that
 * Cost Explorer marks `Estimated` is never cached either, so a cache holds only final days. Throttling is retried by
 * the client's own retry strategy (build it with `maxAttempts`); what still fails becomes a gap for the days it
 * covered. A failed range contributes no records at all, not the pages that did load: incomplete spend must never
 * read as low spend.
 */
import {
  CostExplorerClient,
  type CostExplorerPaginationConfiguration,
  type Expression,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput,
  type GetCostAndUsageCommandOutput,
  GetCostAndUsageWithResourcesCommand,
  type GetCostAndUsageWithResourcesCommandInput,
  type GetCostAndUsageWithResourcesCommandOutput,
  GetCostForecastCommand,
  type GroupDefinition,
} from '@aws-sdk/client-cost-explorer';
import { createPaginator } from '@smithy/core';
import type { ApiUsage } from '../core/api-usage.ts';
import { mergeResourceLevel, type ResolvedTags } from '../core/attribution.ts';
import { AwsAccessError } from '../core/errors.ts';
import { displayMoney, type Money, parseMoney, ZERO } from '../core/money.ts';
import { addDays, daysOf, maxDay, minDay } from '../core/period.ts';
import type { CostRecord, DataGap } from '../core/types.ts';
import { parseCostExplorerResponse, recordsOfResponse } from '../formats/cost-explorer-file.ts';
import { Interner } from '../formats/csv.ts';
import type { CostDayCache, CostLoad, CostSource, TimeRange } from '../ports.ts';
import {
  describeTags,
  MAX_TAG_QUERIES,
  planTagQueries,
  relabel,
  type TagConditions,
  type TagPlan,
  tagFilter,
} from './cost-explorer-tags.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

export interface CostExplorerSourceOptions {
  /** Built once per cold start, with `maxAttempts` (and a retry strategy) of the caller's choosing. */
  readonly client: CostExplorerClient;
  readonly usage: ApiUsage;
  /** Closed days of earlier cycles; without it every load asks for every day. */
  readonly cache?: CostDayCache;
  /** billed: UnblendedCost; effective: NetAmortizedCost. */
  readonly costMetric: 'billed' | 'effective';
  /** The tags each budget selects on, in the budget file's order (a budget without tags: `{}` or left out). */
  readonly selectors: readonly TagConditions[];
  /** Tag queries a cycle may add to the main query (default MAX_TAG_QUERIES). */
  readonly maxTagQueries?: number;
  /** A cost-allocation tag whose value is the endpoint name; grouped by instead of the first budget tag. */
  readonly endpointTag?: string;
  /** Also read GetCostAndUsageWithResources for the last 14 days (opted in to in Cost Explorer's settings). */
  readonly resourceLevel?: boolean;
  /** The cycle's day (YYYY-MM-DD): nothing after it is asked for. */
  readonly asOf: string;
  /** Days up to as-of whose costs may still change, and so are never read from the cache. Default 3. */
  readonly openDays?: number;
  /** The instant the cycle runs, epoch ms: what "today" is for the days still open. Default: the system clock. */
  readonly now?: () => number;
}

export type CostExplorerApi = 'ce:GetCostAndUsage' | 'ce:GetCostAndUsageWithResources';

/** Cost Explorer's own forecast of the account total, shown next to ours. */
export type ForecastCrossCheck =
  | {
      readonly ok: true;
      /** The days forecast: the asked range, starting no earlier than as-of (Cost Explorer forecasts no past). */
      readonly range: TimeRange;
      /** GetCostForecast metric: UNBLENDED_COST or NET_AMORTIZED_COST. */
      readonly metric: string;
      /** The mean forecast over the range, exact. */
      readonly mean: Money;
      readonly currency: string;
    }
  | { readonly ok: false; readonly range: TimeRange; readonly gap: DataGap };

const SAGEMAKER = 'Amazon SageMaker';
/** Days Cost Explorer may still change whatever the as-of: today and yesterday in UTC are never closed. */
const UTC_OPEN_DAYS = 2;
// The SDK ships no paginator for these two; its own factory makes them, as it makes those it ships.
const paginateGetCostAndUsage = createPaginator<
  CostExplorerPaginationConfiguration,
  GetCostAndUsageCommandInput,
  GetCostAndUsageCommandOutput
>(CostExplorerClient, GetCostAndUsageCommand, 'NextPageToken', 'NextPageToken');
const paginateGetCostAndUsageWithResources = createPaginator<
  CostExplorerPaginationConfiguration,
  GetCostAndUsageWithResourcesCommandInput,
  GetCostAndUsageWithResourcesCommandOutput
>(CostExplorerClient, GetCostAndUsageWithResourcesCommand, 'NextPageToken', 'NextPageToken');
/** GetCostAndUsageWithResources serves the last 14 days only. */
export const RESOURCE_LEVEL_DAYS = 14;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

interface Query {
  readonly api: CostExplorerApi;
  readonly groupBy: GroupDefinition[];
  readonly filter: Expression;
  /** Names the query in the day cache: metric, grouping and filter. */
  readonly cacheSource: string;
}

interface Fetched {
  /** Records of every day that loaded (from the cache or the API), possibly none for a day without charges. */
  readonly byDay: Map<string, readonly CostRecord[]>;
  readonly failures: { readonly start: string; readonly end: string; readonly error: AwsAccessError }[];
}

/** The records of one range, and the days of it that Cost Explorer marked `Estimated`. */
interface RangeRead {
  readonly records: CostRecord[];
  readonly estimated: ReadonlySet<string>;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Maximal runs of consecutive days, as [start, end) ranges. */
export function contiguousRanges(days: readonly string[]): TimeRange[] {
  const out: { start: string; end: string }[] = [];
  for (const day of [...days].sort()) {
    const last = out[out.length - 1];
    if (last && last.end === day) last.end = addDays(day, 1);
    else if (!last || day >= last.end) out.push({ start: day, end: addDays(day, 1) });
  }
  return out;
}

function tagPresent(key: string): Expression {
  return { Not: { Tags: { Key: key, MatchOptions: ['ABSENT'] } } };
}

export class CostExplorerSource implements CostSource {
  /** The tag key the rows are grouped by: what `attributeSpend` needs as `groupTag`. */
  readonly groupTag: string | undefined;
  readonly endpointTag: string | undefined;
  /** The tag queries beside the main query, and the selector conditions left unresolved. */
  readonly tagPlan: TagPlan;
  private readonly metric: 'UnblendedCost' | 'NetAmortizedCost';
  private readonly openDays: number;
  private readonly now: () => number;
  private readonly main: Query;
  private readonly tagQueries: readonly Query[];
  private readonly resource: Query | undefined;

  constructor(private readonly opts: CostExplorerSourceOptions) {
    if (!DAY.test(opts.asOf)) throw new RangeError(`asOf must be a day as YYYY-MM-DD, got "${opts.asOf}"`);
    this.openDays = opts.openDays ?? 3;
    if (!Number.isInteger(this.openDays) || this.openDays < 1) {
      throw new RangeError(`openDays must be a whole number of days, 1 or more, got ${opts.openDays}`);
    }
    this.now = opts.now ?? Date.now;
    this.metric = opts.costMetric === 'billed' ? 'UnblendedCost' : 'NetAmortizedCost';
    this.endpointTag = opts.endpointTag;
    this.tagPlan = planTagQueries(opts.selectors, opts.endpointTag, opts.maxTagQueries);
    this.groupTag = this.tagPlan.groupTag;

    const groupBy: GroupDefinition[] = [];
    if (this.groupTag !== undefined) groupBy.push({ Type: 'TAG', Key: this.groupTag });
    groupBy.push({ Type: 'DIMENSION', Key: 'USAGE_TYPE' });
    // A budget takes every row its tags select, whatever the service; untagged rows only if SageMaker's.
    const sagemaker: Expression = { Dimensions: { Key: 'SERVICE', Values: [SAGEMAKER] } };
    const selectorKeys = opts.selectors.flatMap((s) => Object.keys(s));
    const keys = [...new Set([...selectorKeys, ...(opts.endpointTag ? [opts.endpointTag] : [])])].sort();
    const filter: Expression = keys.length === 0 ? sagemaker : { Or: [sagemaker, ...keys.map(tagPresent)] };
    this.main = this.query('ce:GetCostAndUsage', groupBy, filter);
    const g = this.groupTag;
    this.tagQueries =
      g === undefined
        ? []
        : this.tagPlan.queries.map((q) => this.query('ce:GetCostAndUsage', groupBy, tagFilter(g, q)));
    this.resource = opts.resourceLevel
      ? this.query(
          'ce:GetCostAndUsageWithResources',
          [
            { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
            { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
          ],
          sagemaker,
        )
      : undefined;
  }

  private query(api: CostExplorerApi, groupBy: GroupDefinition[], filter: Expression): Query {
    const metrics = `${this.metric}+UsageQuantity`;
    const cacheSource = `${api} DAILY ${metrics} groupBy=${JSON.stringify(groupBy)} filter=${JSON.stringify(filter)}`;
    return { api, groupBy, filter, cacheSource };
  }

  /** The day-cache key of the GetCostAndUsage query (for inspection and tests). */
  get cacheSource(): string {
    return this.main.cacheSource;
  }

  async load(range: TimeRange): Promise<CostLoad> {
    const end = minDay(range.end, addDays(this.opts.asOf, 1));
    if (range.start >= end) return { records: [], gaps: [] };
    const days = daysOf(range.start, end);
    const strings = new Interner();
    const gaps: DataGap[] = [];

    const main = await this.fetch(this.main, days, strings);
    for (const f of main.failures) {
      gaps.push({
        source: 'costs',
        scope: `Cost Explorer ${f.start} to ${addDays(f.end, -1)}`,
        message: `${f.error.message}; spend on those days is unknown, not zero`,
      });
    }
    let records = days.flatMap((d) => main.byDay.get(d) ?? []);
    if (this.tagQueries.length > 0 || this.tagPlan.unresolved.length > 0) {
      records = await this.resolveTags(
        records,
        days.filter((d) => main.byDay.has(d)),
        strings,
        gaps,
      );
    }

    if (this.resource) {
      const from = addDays(this.opts.asOf, -(RESOURCE_LEVEL_DAYS - 1));
      // Only days whose spend loaded: resource rows refine an attribution, they never stand in for spend.
      const recent = days.filter((d) => d >= from && main.byDay.has(d));
      if (recent.length > 0) {
        const res = await this.fetch(this.resource, recent, strings);
        for (const f of res.failures) {
          gaps.push({
            source: 'costs',
            scope: `resource-level attribution ${f.start} to ${addDays(f.end, -1)}`,
            message: `${f.error.message}; endpoint spend on those days is attributed by tag or estimated instead`,
          });
        }
        const both = new Set(recent.filter((d) => main.byDay.has(d) && res.byDay.has(d)));
        records = mergeResourceLevel(
          records,
          recent.flatMap((d) => res.byDay.get(d) ?? []),
          both,
        );
      }
    }

    const firstFailed = main.failures.reduce<string | undefined>(
      (first, f) => (first === undefined ? f.start : minDay(first, f.start)),
      undefined,
    );
    return {
      records,
      gaps,
      ...(firstFailed === undefined ? {} : { completeThrough: addDays(firstFailed, -1) }),
    };
  }

  /**
   * The main query's rows relabelled with the tags each selector needs, from one tag query per condition set of the
   * plan over the days the main query loaded. What stays unresolved (a tag query that failed, conditions past the
   * limit of queries) is a gap naming the spend it leaves unplaced: never a silent shortfall of a budget.
   */
  private async resolveTags(
    records: CostRecord[],
    days: readonly string[],
    strings: Interner,
    gaps: DataGap[],
  ): Promise<CostRecord[]> {
    const plan = this.tagPlan;
    const currency = records[0]?.currency;
    const money = (m: Money) => displayMoney(m, currency);
    const byQuery: CostRecord[][] = [];
    const loaded: Set<string>[] = [];
    const failures: { query: ResolvedTags; range: string; message: string; index: number }[] = [];
    for (const [i, q] of this.tagQueries.entries()) {
      const got = days.length === 0 ? { byDay: new Map(), failures: [] } : await this.fetch(q, days, strings);
      byQuery.push(days.flatMap((d) => got.byDay.get(d) ?? []));
      loaded.push(new Set(days.filter((d) => got.byDay.has(d))));
      for (const f of got.failures) {
        const range = `${f.start} to ${addDays(f.end, -1)}`;
        failures.push({ query: plan.queries[i] as ResolvedTags, range, message: f.error.message, index: i });
      }
    }
    const out = relabel(records, plan, byQuery, loaded, utcDay);
    for (const f of failures) {
      const tags = describeTags(plan.groupTag, f.query);
      gaps.push({
        source: 'costs',
        scope: `Cost Explorer ${tags} ${f.range}`,
        message: `${f.message}; up to ${money(out.atStake.get(f.index) ?? ZERO)} of spend on those days could not be told apart by ${tags}, so budgets selecting ${tags} may miss part of it`,
      });
    }
    for (const u of plan.unresolved) {
      const tags = describeTags(plan.groupTag, u);
      const g = plan.groupTag;
      let atStake = ZERO;
      for (const r of records) {
        if (g === undefined || u.groupValues === undefined || u.groupValues.includes(r.tags[g] ?? ''))
          atStake += r.amount;
      }
      gaps.push({
        source: 'costs',
        scope: `Cost Explorer ${tags}`,
        message: `telling ${tags} apart would take more than ${this.opts.maxTagQueries ?? MAX_TAG_QUERIES} tag queries a cycle; up to ${money(atStake)} of spend could not be told apart by it, so budgets selecting ${tags} may miss part of it`,
      });
    }
    return out.records;
  }

  /**
   * Cost Explorer's forecast of the whole account's spend over `range` (from as-of at the earliest), with the cost
   * metric of the budget file. A failure is returned, not thrown: the cross-check is an aside to our forecast.
   */
  async forecastCrossCheck(range: TimeRange): Promise<ForecastCrossCheck | undefined> {
    const used: TimeRange = { start: maxDay(range.start, this.opts.asOf), end: range.end };
    if (used.start >= used.end) return undefined;
    const metric = this.opts.costMetric === 'billed' ? 'UNBLENDED_COST' : 'NET_AMORTIZED_COST';
    const api = 'ce:GetCostForecast';
    this.opts.usage.count(api);
    try {
      const out = await this.opts.client.send(
        new GetCostForecastCommand({
          TimePeriod: { Start: used.start, End: used.end },
          Metric: metric,
          Granularity: 'MONTHLY',
        }),
      );
      const mean = parseMoney(out.Total?.Amount ?? '');
      if (mean === undefined || !out.Total?.Unit) {
        throw new AwsAccessError(
          'costs',
          'malformed',
          `${api} returned no Total amount and unit: ${JSON.stringify(out.Total ?? null)}`,
        );
      }
      return { ok: true, range: used, metric, mean, currency: out.Total.Unit };
    } catch (err) {
      const e = sourceError('costs', api, err);
      return {
        ok: false,
        range: used,
        gap: { source: 'costs', scope: 'forecast cross-check', message: e.message },
      };
    }
  }

  /** The last day that can no longer change: `openDays` before as-of, and before yesterday in UTC. */
  private lastClosed(): string {
    return minDay(addDays(this.opts.asOf, -this.openDays), addDays(utcDay(this.now()), -UTC_OPEN_DAYS));
  }

  /**
   * Records of `days` for one query: cached closed days from the cache, the rest from the API in as few
   * contiguous ranges as possible. Closed days that loaded final (not `Estimated`) are put in the cache; failed
   * ranges are not.
   */
  private async fetch(query: Query, days: readonly string[], strings: Interner): Promise<Fetched> {
    const lastClosed = this.lastClosed();
    const closed = days.filter((d) => d <= lastClosed);
    const cache = this.opts.cache;
    const cached =
      cache && closed.length > 0
        ? await cache.getDays(query.cacheSource, closed)
        : new Map<string, readonly CostRecord[]>();
    const byDay = new Map<string, readonly CostRecord[]>();
    for (const d of closed) {
      const hit = cached.get(d);
      if (hit !== undefined) byDay.set(d, hit);
    }
    const failures: Fetched['failures'] = [];
    const toCache = new Map<string, readonly CostRecord[]>();

    for (const r of contiguousRanges(days.filter((d) => !byDay.has(d)))) {
      let read: RangeRead;
      try {
        read = await this.fetchRange(query, r, strings);
      } catch (err) {
        failures.push({ start: r.start, end: r.end, error: sourceError('costs', query.api, err) });
        continue;
      }
      const loaded = new Map<string, CostRecord[]>(daysOf(r.start, r.end).map((d) => [d, []]));
      for (const rec of read.records) {
        const d = utcDay(rec.start);
        const list = loaded.get(d);
        if (list) list.push(rec);
        else loaded.set(d, [rec]);
      }
      for (const [d, list] of loaded) {
        byDay.set(d, list);
        if (d <= lastClosed && !read.estimated.has(d)) toCache.set(d, list);
      }
    }
    if (cache && toCache.size > 0) await cache.putDays(query.cacheSource, toCache);
    return { byDay, failures };
  }

  /** Every page of one query over one range; any failure fails the whole range. */
  private async fetchRange(query: Query, range: TimeRange, strings: Interner): Promise<RangeRead> {
    const records: CostRecord[] = [];
    const estimated = new Set<string>();
    const input = {
      TimePeriod: { Start: range.start, End: range.end },
      Granularity: 'DAILY' as const,
      Metrics: [this.metric, 'UsageQuantity'],
      GroupBy: query.groupBy,
      Filter: query.filter,
    };
    const paging = {
      api: query.api,
      usage: this.opts.usage,
      next: (p: { NextPageToken?: string }) => p.NextPageToken,
    };
    const listing =
      query.api === 'ce:GetCostAndUsage'
        ? pages(paginateGetCostAndUsage, this.opts.client, input, paging)
        : pages(paginateGetCostAndUsageWithResources, this.opts.client, input, paging);
    let page = 0;
    for await (const out of listing) {
      const origin = `${query.api} ${range.start}..${range.end} page ${++page}`;
      try {
        const response = parseCostExplorerResponse(origin, out);
        for (const r of recordsOfResponse(origin, response, this.metric, strings).records) records.push(r);
        for (const r of response.ResultsByTime) {
          if (r.Estimated)
            for (const d of daysOf(r.TimePeriod.Start.slice(0, 10), r.TimePeriod.End.slice(0, 10)))
              estimated.add(d);
        }
      } catch (err) {
        throw new AwsAccessError('costs', 'malformed', `malformed response: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return { records, estimated };
  }
}
