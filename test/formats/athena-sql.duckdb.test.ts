/**
 * The Athena query, run for real: the FOCUS fixtures loaded into DuckDB as the Data Exports table Athena sees
 * (lower-case columns, `billing_period`, costs as double, `tags` a map), the same SQL text the adapter sends
 * through the dialect shim below, the rows through the adapter's row path; the totals must equal the file path's.
 */
import { readFileSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Budget, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { DayClock, dayStartMs } from '../../lambdas/core/period.ts';
import { SelectorMatcher } from '../../lambdas/core/selector.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { type FocusCostQuery, FocusQueryRows, focusCostQuery } from '../../lambdas/formats/athena-sql.ts';
import { loadFocusCsv } from '../../lambdas/formats/focus.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

/**
 * Where DuckDB's dialect differs from Athena's (Trino) in the query's text. Only one construct:
 * `element_at(map, key)` is the map's value (NULL for an absent key) in Trino, a one-element list in DuckDB, whose
 * `map_extract_value` is Trino's `element_at`. (Rendering differs too, outside the text: Athena returns every value
 * as text, so the harness casts every column to VARCHAR; DuckDB prints a timestamp without Athena's `.000` and a
 * small double as `1.5e-07` where Athena prints `1.5E-7`, both of which the record builder reads.)
 */
function duckdbDialect(athenaSql: string): string {
  return athenaSql.replaceAll('element_at(tags, ', 'map_extract_value(tags, ');
}

const tmp = scratch();
const SAGEMAKER_CSV = fixture('focus/sagemaker-endpoints.csv');
const SAMPLE_CSV = fixture('focus/focus_sample.csv');
const COMMITMENTS_CSV = fixture('focus/sagemaker-commitments.csv');
/** A tag key with a quote in it, in data and in a selector: the literal must hold it. */
const QUOTED_CSV = tmp.write(
  'quoted-tag.csv',
  readFileSync(SAGEMAKER_CSV, 'utf8').replaceAll('""user:team""', '""user:o\'team""'),
);
/**
 * AWS's types (double costs, millisecond timestamps, a map of tags), a converter's (decimal costs, text timestamps
 * and tags), and pyarrow's two data page formats. The codec is DuckDB's business, not the query's.
 */
const PARQUET = [
  'aws/focus-export/sagemaker-endpoints.snappy.parquet',
  'aws/focus-export/sagemaker-endpoints.decimal-gzip.parquet',
  'parquet/sagemaker-endpoints.zstd.v1.parquet',
  'parquet/sagemaker-endpoints.snappy.v2.parquet',
];

/** The table's columns as Athena's Glue table over the Parquet export types them. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ['chargeperiodstart', 'TIMESTAMP'],
  ['chargeperiodend', 'TIMESTAMP'],
  ['billingcurrency', 'VARCHAR'],
  ['servicename', 'VARCHAR'],
  ['chargecategory', 'VARCHAR'],
  ['resourceid', 'VARCHAR'],
  ['regionid', 'VARCHAR'],
  ['subaccountid', 'VARCHAR'],
  ['x_usagetype', 'VARCHAR'],
  ['consumedunit', 'VARCHAR'],
  ['consumedquantity', 'DOUBLE'],
  ['billedcost', 'DOUBLE'],
  ['effectivecost', 'DOUBLE'],
];

let instance: DuckDBInstance;
let db: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  await db.run('CREATE SCHEMA cur');
});
afterAll(() => {
  db?.closeSync();
  instance?.closeSync();
});

/** Loads one fixture as the table `cur.focus`, partitioned by the UTC month of ChargePeriodStart. */
async function loadTable(path: string): Promise<void> {
  const source = path.endsWith('.parquet')
    ? `read_parquet('${path}')`
    : `read_csv('${path}', all_varchar = true, nullstr = ['NULL', ''], header = true)`;
  const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const types = new Map(
    described.getRowObjectsJS().map((r) => [String(r.column_name).toLowerCase(), String(r.column_type)]),
  );
  const name = (lower: string) =>
    `"${described.getRowObjectsJS().find((r) => String(r.column_name).toLowerCase() === lower)?.column_name}"`;
  const columns = COLUMNS.map(([column, type]) =>
    types.has(column)
      ? `CAST(${name(column)} AS ${type}) AS ${column}`
      : `CAST(NULL AS ${type}) AS ${column}`,
  );
  const tags = types.get('tags')?.startsWith('MAP')
    ? `${name('tags')} AS tags`
    : `CAST(CAST(${name('tags')} AS JSON) AS MAP(VARCHAR, VARCHAR)) AS tags`;
  await db.run(`CREATE OR REPLACE TABLE cur.focus AS
    SELECT ${[...columns, tags].join(', ')},
      strftime(CAST(${name('chargeperiodstart')} AS TIMESTAMP), '%Y-%m') AS billing_period
    FROM ${source}`);
}

/** The records of the query, read the way the adapter reads Athena's rows: every cell text, NULL undefined. */
async function athenaRecords(
  query: FocusCostQuery,
  costMetric: 'billed' | 'effective',
): Promise<CostRecord[]> {
  const reader = await db.runAndReadAll(
    `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${duckdbDialect(query.sql)})`,
  );
  const rows = new FocusQueryRows(query, 'athena', reader.columnNames(), { costMetric });
  return reader.getRows().map((cells, i) =>
    rows.record(
      cells.map((c) => (c === null ? undefined : String(c))),
      i + 2,
    ),
  );
}

type Selectors = readonly { endpoints?: string[]; tags?: Record<string, string> }[];

function budgetsOf(selectors: Selectors): Budget[] {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { t: { mode: 'advise' } },
    budgets: selectors.map((selector, i) => ({
      name: `b${i}`,
      owner: 'o@example.com',
      tier: 't',
      environment: 'prod',
      selector,
      limits: { spendPerPeriod: 1000 },
    })),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return [...r.file.budgets];
}

function totals(
  records: readonly CostRecord[],
  key: (r: CostRecord) => string | undefined,
): Record<string, string> {
  const sums = new Map<string, bigint>();
  for (const r of records) {
    const k = key(r);
    if (k !== undefined) sums.set(k, (sums.get(k) ?? 0n) + r.amount);
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)]));
}

/** What the equivalence is judged on: per-budget, per-billing-day and per-endpoint totals, and endpoint hours. */
function summary(records: readonly CostRecord[], budgets: readonly Budget[], timezone: string) {
  const clock = new DayClock(timezone);
  const matchers = budgets.map((b) => new SelectorMatcher(b));
  const hours = new Map<string, number>();
  for (const r of records) {
    if (r.endpoint && r.usageHours !== undefined)
      hours.set(r.endpoint, (hours.get(r.endpoint) ?? 0) + r.usageHours);
  }
  return {
    budgets: Object.fromEntries(
      matchers.map((m) => [
        m.budget.name,
        totals(
          records.filter((r) => m.matches(r.endpoint, r.tags)),
          () => 'all',
        ),
      ]),
    ),
    days: totals(records, (r) => clock.dayOf(r.start)),
    endpoints: totals(records, (r) => r.endpoint),
    hours: Object.fromEntries([...hours].sort().map(([e, h]) => [e, Number(h.toFixed(9))])),
  };
}

interface Case {
  readonly source: string;
  /** The CSV the file path reads for the same charges. */
  readonly csv: string;
  readonly range: { readonly start: string; readonly end: string };
  readonly selectors: Selectors;
  /** Billing time zones to cut days in (default: UTC, one behind it, one ahead by a half hour). */
  readonly timezones?: readonly string[];
}

const SAGEMAKER_SELECTORS: Selectors = [
  { endpoints: ['search-*'] },
  { tags: { team: 'search' } },
  { tags: { env: 'prod' } },
  { endpoints: ['*'], tags: { team: 'search' } },
];
const CASES: Record<string, Case> = {
  'the FOCUS sample (1,000 rows of many services, tags)': {
    source: SAMPLE_CSV,
    csv: SAMPLE_CSV,
    range: { start: '2024-09-01', end: '2024-10-01' },
    selectors: [
      { tags: { environment: 'dev' } },
      { tags: { business_unit: 'ViennaAI' } },
      { tags: { application: 'BrightLensMatrix', environment: 'dev' } },
    ],
  },
  'SageMaker endpoints (CSV)': {
    source: SAGEMAKER_CSV,
    csv: SAGEMAKER_CSV,
    range: { start: '2024-09-17', end: '2024-09-20' },
    selectors: SAGEMAKER_SELECTORS,
  },
  'savings plan commitments': {
    source: COMMITMENTS_CSV,
    csv: COMMITMENTS_CSV,
    range: { start: '2026-09-30', end: '2026-10-03' },
    selectors: [{ endpoints: ['search-*'] }, { tags: { team: 'search' } }],
  },
  'a tag key with a quote in it': {
    source: QUOTED_CSV,
    csv: QUOTED_CSV,
    range: { start: '2024-09-17', end: '2024-09-20' },
    selectors: [{ tags: { "o'team": 'search' } }, { endpoints: ['search-*'], tags: { "o'team": 'search' } }],
  },
  ...Object.fromEntries(
    PARQUET.map((p) => [
      `Parquet ${p}`,
      {
        source: fixture(p),
        csv: SAGEMAKER_CSV,
        range: { start: '2024-09-17', end: '2024-09-20' },
        selectors: SAGEMAKER_SELECTORS,
        timezones: ['America/Los_Angeles'],
      },
    ]),
  ),
};

describe('the Athena query on DuckDB gives the file path’s totals to the pico-unit', () => {
  for (const [name, c] of Object.entries(CASES)) {
    for (const timezone of c.timezones ?? ['UTC', 'America/Los_Angeles', 'Asia/Kolkata']) {
      for (const costMetric of ['billed', 'effective'] as const) {
        it(`${name}, ${costMetric} cost, days in ${timezone}`, async () => {
          await loadTable(c.source);
          const budgets = budgetsOf(c.selectors);
          const fromMs = dayStartMs(c.range.start, timezone);
          const toMs = dayStartMs(c.range.end, timezone);
          const tagKeys = budgets.flatMap((b) => Object.keys(b.selector.tags ?? {}));
          const query = focusCostQuery({
            database: 'cur',
            table: 'focus',
            costMetric,
            tagKeys,
            fromMs,
            toMs,
          });

          const viaAthena = await athenaRecords(query, costMetric);
          const all = (await loadFocusCsv(c.csv, { costMetric })).records;
          const viaFile = all.filter((r) => r.start >= fromMs && r.start < toMs);

          expect(viaFile.length).toBeGreaterThan(0);
          expect(summary(viaAthena, budgets, timezone)).toEqual(summary(viaFile, budgets, timezone));
        });
      }
    }
  }

  it('cuts the range at the billing zone’s midnight, not UTC’s (rows outside it are left out on both paths)', async () => {
    await loadTable(SAMPLE_CSV);
    const fromMs = dayStartMs('2024-09-10', 'America/Los_Angeles');
    const toMs = dayStartMs('2024-09-11', 'America/Los_Angeles');
    const query = focusCostQuery({
      database: 'cur',
      table: 'focus',
      costMetric: 'billed',
      tagKeys: [],
      fromMs,
      toMs,
    });
    const viaAthena = await athenaRecords(query, 'billed');
    const all = (await loadFocusCsv(SAMPLE_CSV, { costMetric: 'billed' })).records;
    const viaFile = all.filter((r) => r.start >= fromMs && r.start < toMs);
    expect(viaFile.length).toBeGreaterThan(0);
    expect(viaFile.length).toBeLessThan(all.length);
    expect(viaAthena.every((r) => r.start >= fromMs && r.start < toMs)).toBe(true);
    expect(totals(viaAthena, () => 'day')).toEqual(totals(viaFile, () => 'day'));
  });
});
