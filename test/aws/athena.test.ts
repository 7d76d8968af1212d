import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionOutput,
  GetQueryResultsCommand,
  type GetQueryResultsOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaCostSource, type AthenaCostSourceOptions } from '../../lambdas/aws/athena.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { sumMoney } from '../../lambdas/core/money.ts';
import { MemoryCache } from '../helpers/cost-day-cache.ts';

const athena = mockClient(AthenaClient);
const client = new AthenaClient({ region: 'us-east-1', maxAttempts: 1 });
const ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const HEADER = [
  'chargeperiodstart',
  'chargeperiodend',
  'billingcurrency',
  'servicename',
  'chargecategory',
  'resourceid',
  'regionid',
  'subaccountid',
  'x_usagetype',
  'consumedunit',
  'tag_0',
  'billedcost',
  'consumedquantity',
];
const ARN = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod';

/** One hosting row of the query's result, as Athena returns it: every value text, NULL a cell without one. */
function row(
  day: string,
  hour: number,
  cost: string,
  team: string | null = 'search',
): (string | undefined)[] {
  const at = (h: number) => `${day} ${String(h).padStart(2, '0')}:00:00.000`;
  return [
    at(hour),
    at(hour + 1),
    'USD',
    'Amazon SageMaker',
    'Usage',
    ARN,
    'us-east-1',
    '111122223333',
    'USE1-Host:ml.g5.xlarge',
    'Hrs',
    team ?? undefined,
    cost,
    '1.0',
  ];
}

/** A GetQueryResults page in the API's shape: the header row on the first page only. */
function page(
  rows: (string | undefined)[][],
  o: { first?: boolean; next?: string } = {},
): GetQueryResultsOutput {
  const all = o.first === false ? rows : [HEADER, ...rows];
  return {
    ResultSet: {
      Rows: all.map((cells) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
      ResultSetMetadata: {
        ColumnInfo: HEADER.map((name) => ({
          CatalogName: 'hive',
          SchemaName: '',
          TableName: '',
          Name: name,
          Label: name,
          Type: 'varchar',
          Precision: 2147483647,
          Scale: 0,
          Nullable: 'UNKNOWN',
          CaseSensitive: true,
        })),
      },
    },
    UpdateCount: 0,
    ...(o.next ? { NextToken: o.next } : {}),
  };
}

function execution(
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
  o: { scanned?: number; reason?: string } = {},
): GetQueryExecutionOutput {
  return {
    QueryExecution: {
      QueryExecutionId: ID,
      Query: 'SELECT ...',
      StatementType: 'DML',
      ResultConfiguration: { OutputLocation: `s3://results-bucket/athena/${ID}.csv` },
      QueryExecutionContext: { Database: 'cur', Catalog: 'awsdatacatalog' },
      Status: {
        State: state,
        SubmissionDateTime: new Date('2024-09-20T06:00:00Z'),
        ...(o.reason ? { StateChangeReason: o.reason } : {}),
        ...(state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED'
          ? { CompletionDateTime: new Date('2024-09-20T06:00:04Z') }
          : {}),
      },
      Statistics: {
        EngineExecutionTimeInMillis: 3600,
        ...(o.scanned === undefined ? {} : { DataScannedInBytes: o.scanned }),
        TotalExecutionTimeInMillis: 3821,
        QueryQueueTimeInMillis: 267,
        QueryPlanningTimeInMillis: 1175,
      },
      WorkGroup: 'perf-budgets',
    },
  };
}

let usage: ApiUsage;
let clock: number;
let sleeps: number[];

beforeEach(() => {
  athena.reset();
  usage = new ApiUsage();
  clock = Date.parse('2024-09-20T06:00:00Z');
  sleeps = [];
});

function source(o: Partial<AthenaCostSourceOptions> = {}): AthenaCostSource {
  return new AthenaCostSource({
    client,
    usage,
    athena: {
      database: 'cur',
      table: 'focus',
      workgroup: 'perf-budgets',
      outputLocation: 's3://results-bucket/athena/',
    },
    costMetric: 'billed',
    tagKeys: ['team'],
    timezone: 'UTC',
    asOf: '2024-09-19',
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...o,
  });
}

const startedSql = (n = 0) =>
  athena.commandCalls(StartQueryExecutionCommand)[n]?.args[0].input.QueryString ?? '';

describe('the Athena cost source', () => {
  it('starts the query in the workgroup and database, polls it with a growing wait, and reads every page', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('QUEUED'))
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED', { scanned: 203089 }));
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce(page([row('2024-09-18', 22, '1.408000000000')], { next: 'token-2' }))
      .resolves(page([row('2024-09-18', 21, '2.816000000000', null)], { first: false }));

    const load = await source().load({ start: '2024-09-18', end: '2024-09-20' });

    expect(athena).toReceiveCommandWith(StartQueryExecutionCommand, {
      QueryExecutionContext: { Database: 'cur' },
      WorkGroup: 'perf-budgets',
      ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/' },
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(startedSql()).toContain("billing_period IN ('2024-09')");
    expect(startedSql()).toContain("chargeperiodstart >= TIMESTAMP '2024-09-18 00:00:00.000'");
    expect(startedSql()).toContain("chargeperiodstart < TIMESTAMP '2024-09-20 00:00:00.000'");
    expect(sleeps).toEqual([500, 1000]);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: ID },
      { QueryExecutionId: ID, NextToken: 'token-2' },
    ]);
    expect(load.gaps).toEqual([]);
    expect(load.records.map((r) => [r.endpoint, r.usageHours, r.tags])).toEqual([
      ['search-prod', 1, { team: 'search' }],
      ['search-prod', 1, {}],
    ]);
    expect(sumMoney(load.records.map((r) => r.amount))).toBe(4_224_000_000_000n);
  });

  it('meters the bytes scanned: the request, the bytes, and their cost at the 10 MB minimum', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 203089 }));
    athena.on(GetQueryResultsCommand).resolves(page([row('2024-09-18', 22, '1.408')]));
    await source().load({ start: '2024-09-18', end: '2024-09-20' });
    expect(usage.report().byApi).toEqual([
      { api: 'athena:GetQueryExecution', requests: 1, costUsd: 0 },
      { api: 'athena:GetQueryResults', requests: 1, costUsd: 0 },
      // 10 MB at $5 per TB
      { api: 'athena:StartQueryExecution', requests: 1, bytesScanned: 203089, costUsd: 0.00005 },
    ]);
  });

  it('gives a retried run within the hour the same idempotency token, and a later run another', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 0 }));
    athena.on(GetQueryResultsCommand).resolves(page([row('2024-09-18', 22, '1.408')]));
    const range = { start: '2024-09-18', end: '2024-09-20' };
    await source().load(range);
    clock += 10 * 60_000;
    await source().load(range);
    clock += 60 * 60_000;
    await source().load(range);
    const tokens = athena
      .commandCalls(StartQueryExecutionCommand)
      .map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[1]);
  });

  it('says in plain words that the workgroup’s bytes-scanned limit cancelled the query, and bills the scan', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena
      .on(GetQueryExecutionCommand)
      .resolves(execution('CANCELLED', { scanned: 10_485_760, reason: 'Bytes scanned limit was exceeded' }));
    const load = await source({
      athena: { database: 'cur', table: 'focus', workgroup: 'perf-budgets', bytesScannedLimit: 10_000_000 },
    }).load({ start: '2024-09-18', end: '2024-09-20' });
    expect(load.records).toEqual([]);
    expect(load.completeThrough).toBe('2024-09-17');
    expect(load.gaps).toEqual([
      {
        source: 'costs',
        scope: 'Athena 2024-09-18 to 2024-09-19',
        message: expect.stringMatching(
          /cancelled by workgroup perf-budgets's bytes-scanned limit \(10000000 bytes a query\) after scanning 10485760 bytes: raise .*; spend on those days is unknown, not zero$/,
        ),
      },
    ]);
    expect(athena).not.toReceiveCommand(GetQueryResultsCommand);
    expect(usage.report().byApi.find((l) => l.api === 'athena:StartQueryExecution')).toEqual({
      api: 'athena:StartQueryExecution',
      requests: 1,
      bytesScanned: 10_485_760,
      costUsd: 0.000055,
    });
  });

  it('names the reason of a failed query in its gap and bills nothing for it', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    const reason =
      'Insufficient permissions to execute the query. User: arn:aws:sts::111122223333:assumed-role/collect/x is not authorized to perform: glue:GetTable';
    athena.on(GetQueryExecutionCommand).resolves(execution('FAILED', { scanned: 0, reason }));
    const load = await source().load({ start: '2024-09-18', end: '2024-09-20' });
    expect(load.gaps[0]?.message).toContain(
      `the Athena query ${ID} failed in workgroup perf-budgets: ${reason}`,
    );
    expect(usage.report().costUsd).toBe(0);
  });

  it('names the IAM action when starting the query is denied', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const load = await source().load({ start: '2024-09-18', end: '2024-09-20' });
    expect(load.gaps[0]?.message).toBe(
      'athena:StartQueryExecution was denied (AccessDeniedException): grant the IAM action athena:StartQueryExecution to the role running perf-budgets; spend on those days is unknown, not zero',
    );
  });

  it('stops a query that outlasts its bound and reports the days as unknown', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const load = await source({ maxWaitMs: 20_000 }).load({ start: '2024-09-18', end: '2024-09-20' });
    expect(sleeps).toEqual([500, 1000, 2000, 4000, 5000, 5000, 2500]);
    expect(athena).toReceiveCommandWith(StopQueryExecutionCommand, { QueryExecutionId: ID });
    expect(load.gaps[0]?.message).toContain(
      `the Athena query ${ID} did not finish within 20 s and was stopped`,
    );
  });

  it('refuses a result whose columns are not the query’s, as malformed', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 1 }));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'x' }] }] } });
    const load = await source().load({ start: '2024-09-18', end: '2024-09-20' });
    expect(load.records).toEqual([]);
    expect(load.gaps[0]?.message).toMatch(/expected the result columns chargeperiodstart/);
  });

  it('reports a billing period the table holds no charges of, and does not cache its days', async () => {
    const cache = new MemoryCache();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 1 }));
    athena.on(GetQueryResultsCommand).resolves(page([row('2024-09-02', 0, '1.408')]));
    clock = Date.parse('2024-09-20T06:00:00Z');
    const load = await source({ cache }).load({ start: '2024-08-30', end: '2024-09-03' });
    expect(startedSql()).toContain("billing_period IN ('2024-08', '2024-09')");
    expect(load.gaps).toEqual([
      {
        source: 'costs',
        scope: 'Athena cur.focus billing_period=2024-08',
        message: expect.stringContaining('holds no charges of billing period 2024-08'),
      },
    ]);
    const s = source({ cache }).cacheSource;
    expect(cache.cachedDays(s)).toEqual(['2024-09-01', '2024-09-02']);
  });

  it('does not take the first hours of a month, reached by a billing zone behind UTC, for a missing month', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 1 }));
    athena.on(GetQueryResultsCommand).resolves(page([row('2024-09-30', 12, '1.408')]));
    clock = Date.parse('2024-10-01T09:00:00Z');
    const load = await source({ timezone: 'America/Los_Angeles', asOf: '2024-09-30' }).load({
      start: '2024-09-29',
      end: '2024-10-01',
    });
    expect(startedSql()).toContain("billing_period IN ('2024-09', '2024-10')");
    expect(load.gaps).toEqual([]);
  });
});

describe('closed days from the cache', () => {
  it('queries only the days that can still change once the closed ones are cached', async () => {
    const cache = new MemoryCache();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { scanned: 5_000_000 }));
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce(page(['10', '11', '12', '13', '14'].map((d) => row(`2024-09-${d}`, 5, '1.000000000000'))))
      .resolves(page(['14'].map((d) => row(`2024-09-${d}`, 5, '2.000000000000'))));

    // as-of the 14th, run on the 15th: the 10th and 11th are closed (3 open days up to as-of)
    clock = Date.parse('2024-09-15T06:00:00Z');
    const first = await source({ cache, asOf: '2024-09-14' }).load({
      start: '2024-09-10',
      end: '2024-09-15',
    });
    expect(first.records).toHaveLength(5);
    const s = source({ cache }).cacheSource;
    expect(cache.cachedDays(s)).toEqual(['2024-09-10', '2024-09-11']);

    // a day later, as-of the 15th: the 12th is closed now too, but was never cached, so the query starts there
    clock = Date.parse('2024-09-16T06:00:00Z');
    const second = await source({ cache, asOf: '2024-09-15' }).load({
      start: '2024-09-10',
      end: '2024-09-16',
    });
    expect(startedSql(1)).toContain("chargeperiodstart >= TIMESTAMP '2024-09-12 00:00:00.000'");
    expect(startedSql(1)).toContain("chargeperiodstart < TIMESTAMP '2024-09-16 00:00:00.000'");
    expect(second.records.map((r) => new Date(r.start).toISOString().slice(0, 10))).toEqual([
      '2024-09-10',
      '2024-09-11',
      '2024-09-14',
    ]);
    expect(cache.cachedDays(s)).toEqual(['2024-09-10', '2024-09-11', '2024-09-12']);
  });

  it('asks nothing of Athena when every day asked is cached', async () => {
    const cache = new MemoryCache();
    const s = source({ cache }).cacheSource;
    await cache.putDays(s, new Map([['2024-09-01', []]]));
    const load = await source({ cache }).load({ start: '2024-09-01', end: '2024-09-02' });
    expect(load).toEqual({ records: [], gaps: [] });
    expect(athena).not.toReceiveCommand(StartQueryExecutionCommand);
  });

  it('names its cache entries by table, cost metric, tags and time zone', () => {
    const a = source().cacheSource;
    expect(source({ costMetric: 'effective' }).cacheSource).not.toBe(a);
    expect(source({ tagKeys: ['env'] }).cacheSource).not.toBe(a);
    expect(source({ timezone: 'Europe/Berlin' }).cacheSource).not.toBe(a);
    expect(source({ tagKeys: ['team', 'team'] }).cacheSource).toBe(a);
  });
});
