/**
 * Spend from Athena over the FOCUS 1.0 table of an AWS Data Exports export: one aggregate query a cycle (see
 * formats/athena-sql.ts), for the organisations whose export has outgrown one Lambda's reading of the files.
 *
 * The query is started with an idempotency token made of its text, the as-of and the hour it runs in, so that a
 * step retried within the hour is given the same execution instead of paying for a second scan, and a later run is
 * not handed an old failure. It is polled with a growing wait, bounded in total below the Lambda's timeout, and
 * stopped when the bound passes. The bytes it scanned are metered in `ApiUsage` (Athena bills a cancelled query's
 * scan too). Results are read page by page; Athena returns every value as text and a NULL as a cell without one.
 *
 * Closed days come from the `CostDayCache` as with Cost Explorer, so a daily cycle queries only the days that can
 * still change (and the billing periods they fall in). A query that fails, is cancelled (by the workgroup's
 * bytes-scanned cutoff, say) or times out is a gap over its days, never zero spend; a billing period the table
 * holds no charges for at all is one too.
 */
import { createHash } from 'node:crypto';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionOutput,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { ApiUsage } from '../core/api-usage.ts';
import type { AthenaConfig } from '../core/budget.ts';
import { AwsAccessError } from '../core/errors.ts';
import { addDays, billingPeriods, DayClock, dayStartMs, daysOf, minDay } from '../core/period.ts';
import type { CostRecord, DataGap } from '../core/types.ts';
import { type FocusCostQuery, FocusQueryRows, focusCostQuery } from '../formats/athena-sql.ts';
import type { FocusOptions } from '../formats/focus.ts';
import type { CostDayCache, CostLoad, CostSource, TimeRange } from '../ports.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

export interface AthenaCostSourceOptions {
  readonly client: AthenaClient;
  readonly usage: ApiUsage;
  /** Closed days of earlier cycles; without it every load queries every day. */
  readonly cache?: CostDayCache;
  /** The budget file's `athena` block: database, table, workgroup, output location. */
  readonly athena: Pick<
    AthenaConfig,
    'database' | 'table' | 'workgroup' | 'outputLocation' | 'bytesScannedLimit'
  >;
  readonly costMetric: FocusOptions['costMetric'];
  /** The tag keys the budgets select on, and the endpoint tag: the only tags the query reads. */
  readonly tagKeys: readonly string[];
  /** The billing time zone: the range's days, and the days cached. */
  readonly timezone: string;
  /** The cycle's day (YYYY-MM-DD): nothing after it is asked for. */
  readonly asOf: string;
  /** Days up to as-of whose costs may still change, never read from the cache. Default 3. */
  readonly openDays?: number;
  /** The wall clock, epoch ms: today for the days still open, and the polling's bound. */
  readonly now: () => number;
  /** Waits between polls; a test passes one that advances its clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest wait for the query, from its start. Default 5 minutes (the collect Lambda has 10). */
  readonly maxWaitMs?: number;
}

const START = 'athena:StartQueryExecution';
const GET = 'athena:GetQueryExecution';
const RESULTS = 'athena:GetQueryResults';
const STOP = 'athena:StopQueryExecution';
/** Days the export may still restate whatever as-of says: today and yesterday in UTC. */
const UTC_OPEN_DAYS = 2;
const FIRST_POLL_MS = 500;
const LONGEST_POLL_MS = 5_000;
const DEFAULT_MAX_WAIT_MS = 300_000;
const CUTOFF = /bytes scanned limit/i;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AthenaCostSource implements CostSource {
  /** Names the query in the day cache: table, cost metric, tags and time zone. */
  readonly cacheSource: string;
  private readonly openDays: number;
  private readonly clock: DayClock;

  constructor(private readonly opts: AthenaCostSourceOptions) {
    this.openDays = opts.openDays ?? 3;
    if (!Number.isInteger(this.openDays) || this.openDays < 1) {
      throw new RangeError(`openDays must be a whole number of days, 1 or more, got ${opts.openDays}`);
    }
    const a = opts.athena;
    const tags = JSON.stringify([...new Set(opts.tagKeys)].sort());
    this.cacheSource = `athena ${a.database}.${a.table} ${opts.costMetric} tags=${tags} tz=${opts.timezone}`;
    this.clock = new DayClock(opts.timezone);
  }

  async load(range: TimeRange): Promise<CostLoad> {
    const end = minDay(range.end, addDays(this.opts.asOf, 1));
    if (range.start >= end) return { records: [], gaps: [] };
    const days = daysOf(range.start, end);
    const lastClosed = minDay(
      addDays(this.opts.asOf, -this.openDays),
      addDays(utcDay(this.opts.now()), -UTC_OPEN_DAYS),
    );
    const closed = days.filter((d) => d <= lastClosed);
    const cache = this.opts.cache;
    const cached =
      cache && closed.length > 0 ? await cache.getDays(this.cacheSource, closed) : new Map<string, never>();
    const toQuery = days.filter((d) => !cached.has(d));
    const fromCache = days.filter((d) => cached.has(d)).flatMap((d) => cached.get(d) ?? []);
    const first = toQuery[0];
    const last = toQuery[toQuery.length - 1];
    if (first === undefined || last === undefined) return { records: fromCache, gaps: [] };

    // One query over the span of the days to read: a cached day inside it is read again rather than split the query.
    const span = daysOf(first, addDays(last, 1));
    const query = focusCostQuery({
      database: this.opts.athena.database,
      table: this.opts.athena.table,
      costMetric: this.opts.costMetric,
      tagKeys: this.opts.tagKeys,
      fromMs: dayStartMs(first, this.opts.timezone),
      toMs: dayStartMs(addDays(last, 1), this.opts.timezone),
    });
    let fresh: CostRecord[];
    try {
      fresh = await this.run(query);
    } catch (err) {
      const e = sourceError('costs', START, err);
      return {
        records: fromCache,
        gaps: [
          {
            source: 'costs',
            scope: `Athena ${first} to ${last}`,
            message: `${e.message}; spend on those days is unknown, not zero`,
          },
        ],
        completeThrough: addDays(first, -1),
      };
    }

    const byDay = new Map<string, CostRecord[]>(span.map((d) => [d, []]));
    for (const r of fresh) byDay.get(this.clock.dayOf(r.start))?.push(r);
    const gaps = this.emptyPeriods(query, span, fresh);
    const unsure = new Set(gaps.flatMap((g) => g.days));
    const toCache = new Map<string, readonly CostRecord[]>();
    for (const d of span) {
      if (d <= lastClosed && !cached.has(d) && !unsure.has(d)) toCache.set(d, byDay.get(d) ?? []);
    }
    if (cache && toCache.size > 0) await cache.putDays(this.cacheSource, toCache);
    const records = days.flatMap((d) =>
      d >= first && d <= last ? (byDay.get(d) ?? []) : (cached.get(d) ?? []),
    );
    return { records, gaps: gaps.map((g) => g.gap) };
  }

  /**
   * The billing periods of the query that returned no charge at all although a whole day asked lies in them: a
   * partition Data Exports has not written (or a table over the wrong prefix), whose spend is unknown, not zero.
   * (A period touched only by the hours of a day that straddles the month, as a billing zone behind UTC makes at
   * month end, is still arriving, as the last hours of any day are.) The days that touch them are not cached.
   */
  private emptyPeriods(
    query: FocusCostQuery,
    span: readonly string[],
    records: readonly CostRecord[],
  ): { gap: DataGap; days: string[] }[] {
    const seen = new Set(records.map((r) => utcDay(r.start).slice(0, 7)));
    const { database, table } = this.opts.athena;
    const tz = this.opts.timezone;
    const periodsOf = new Map(
      span.map((d) => [d, billingPeriods(dayStartMs(d, tz), dayStartMs(addDays(d, 1), tz))]),
    );
    return query.billingPeriods
      .filter((p) => !seen.has(p) && span.some((d) => periodsOf.get(d)?.join() === p))
      .map((p) => ({
        gap: {
          source: 'costs' as const,
          scope: `Athena ${database}.${table} billing_period=${p}`,
          message: `the Athena table ${database}.${table} holds no charges of billing period ${p} on the days asked: their spend is unknown, not zero (has the export delivered that month?)`,
        },
        days: span.filter((d) => periodsOf.get(d)?.includes(p)),
      }));
  }

  /** Runs the query to its end and reads its rows into records; throws on any failure. */
  private async run(query: FocusCostQuery): Promise<CostRecord[]> {
    const id = await this.start(query);
    await this.wait(id);
    return this.results(id, query);
  }

  private async start(query: FocusCostQuery): Promise<string> {
    const a = this.opts.athena;
    const hour = new Date(this.opts.now()).toISOString().slice(0, 13);
    const token = createHash('sha256').update(`${query.sql}\n${this.opts.asOf}\n${hour}`).digest('hex');
    this.opts.usage.count(START);
    const out = await this.opts.client.send(
      new StartQueryExecutionCommand({
        QueryString: query.sql,
        ClientRequestToken: token,
        QueryExecutionContext: { Database: a.database },
        WorkGroup: a.workgroup,
        ...(a.outputLocation ? { ResultConfiguration: { OutputLocation: a.outputLocation } } : {}),
      }),
    );
    if (!out.QueryExecutionId) {
      throw new AwsAccessError('costs', 'malformed', `${START} returned no QueryExecutionId`);
    }
    return out.QueryExecutionId;
  }

  /** Polls until the query ends; meters the bytes it scanned; throws if it did not succeed or took too long. */
  private async wait(id: string): Promise<void> {
    const sleep = this.opts.sleep ?? realSleep;
    const maxWait = this.opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const started = this.opts.now();
    for (let poll = 0; ; poll++) {
      this.opts.usage.count(GET);
      let out: GetQueryExecutionOutput;
      try {
        out = await this.opts.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      } catch (err) {
        throw sourceError('costs', GET, err);
      }
      const q = out.QueryExecution;
      const state = q?.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') {
        const scanned = q?.Statistics?.DataScannedInBytes;
        // A failed query is not billed; a cancelled one is, for what it scanned before it stopped.
        if (state !== 'FAILED' && scanned !== undefined) this.opts.usage.scanned(START, scanned);
        if (state === 'SUCCEEDED') return;
        throw this.failure(id, state, q?.Status?.StateChangeReason, scanned);
      }
      if (state !== 'QUEUED' && state !== 'RUNNING') {
        throw new AwsAccessError('costs', 'malformed', `${GET} of ${id} returned the state ${String(state)}`);
      }
      const waited = this.opts.now() - started;
      if (waited >= maxWait) {
        await this.stop(id);
        throw new AwsAccessError(
          'costs',
          'failed',
          `the Athena query ${id} did not finish within ${Math.round(maxWait / 1000)} s and was stopped`,
        );
      }
      await sleep(Math.min(FIRST_POLL_MS * 2 ** poll, LONGEST_POLL_MS, maxWait - waited));
    }
  }

  private failure(id: string, state: string, reason: string | undefined, scanned: number | undefined) {
    const wg = this.opts.athena.workgroup;
    if (reason && CUTOFF.test(reason)) {
      const limit = this.opts.athena.bytesScannedLimit;
      return new AwsAccessError(
        'costs',
        'failed',
        `the Athena query ${id} was cancelled by workgroup ${wg}'s bytes-scanned limit${limit ? ` (${limit} bytes a query)` : ''} after scanning ${scanned ?? 'an unknown number of'} bytes: raise the workgroup's per-query data usage control (athena.bytesScannedLimit when the stack creates it) or check that the table is partitioned by billing_period`,
      );
    }
    return new AwsAccessError(
      'costs',
      'failed',
      `the Athena query ${id} ${state === 'FAILED' ? 'failed' : 'was cancelled'} in workgroup ${wg}: ${reason ?? 'no reason given'}`,
    );
  }

  /** Best effort: the query is abandoned whatever the answer, and billed for what it scanned until it stops. */
  private async stop(id: string): Promise<void> {
    this.opts.usage.count(STOP);
    try {
      await this.opts.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch {
      // the timeout is the failure reported; a query that could not be stopped ends at Athena's own limit
    }
  }

  /** Every page of the results; the header row comes first on the first page only. */
  private async results(id: string, query: FocusCostQuery): Promise<CostRecord[]> {
    const records: CostRecord[] = [];
    let rows: FocusQueryRows | undefined;
    let row = 1;
    const listing = pages(
      paginateGetQueryResults,
      this.opts.client,
      { QueryExecutionId: id },
      { api: RESULTS, usage: this.opts.usage, next: (p) => p.NextToken },
    );
    try {
      for await (const page of listing) {
        for (const r of page.ResultSet?.Rows ?? []) {
          const cells = (r.Data ?? []).map((d) => d.VarCharValue);
          if (!rows) {
            rows = new FocusQueryRows(
              query,
              `Athena query ${id}`,
              cells.map((c) => c ?? ''),
              {
                costMetric: this.opts.costMetric,
              },
            );
            continue;
          }
          records.push(rows.record(cells, ++row));
        }
      }
    } catch (err) {
      if (err instanceof AwsAccessError) throw err;
      const e = sourceError('costs', RESULTS, err);
      if (e.kind !== 'failed') throw e;
      throw new AwsAccessError('costs', 'malformed', `${RESULTS} of ${id}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!rows) throw new AwsAccessError('costs', 'malformed', `${RESULTS} of ${id} returned no header row`);
    return records;
  }
}
