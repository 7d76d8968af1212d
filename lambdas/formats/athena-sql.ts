/**
 * The one aggregate query a cycle sends to Athena over the FOCUS 1.0 table of an AWS Data Exports export (Parquet,
 * Athena's lower-case column names, `tags` a `map(varchar, varchar)`, partitioned by `billing_period` = the export's
 * `BILLING_PERIOD=YYYY-MM` folders), and the way back from its result rows to cost records.
 *
 * The query keeps the charge period as its grain, so the billing time zone's days are cut from ChargePeriodStart by
 * the same code as for a file, and groups by what the records are built from: resource, region, account, service,
 * charge category, usage type, consumed unit, currency and only the tag keys the budgets select on. It sums the cost
 * column as DECIMAL(38,12), each row cast before it is added (the file path parses each row's amount to pico-units,
 * MONEY_DECIMALS, and adds them exactly), and the consumed quantity (instance-hours, not money). A group with a
 * charge of no amount sums to NULL, which the record builder refuses as it refuses the empty cell of a file.
 *
 * The text is plain Trino SQL (Athena engine 3). Every value from the budget file enters it as a string literal or a
 * quoted identifier, escaped here: nothing a tag key holds can end the literal it is in.
 */
import { billingPeriods } from '../core/period.ts';
import type { CostRecord } from '../core/types.ts';
import { type FocusColumn, FocusObjectRows, type FocusOptions } from './focus.ts';

export interface FocusCostQueryInput {
  /** The Glue database and table over the export. */
  readonly database: string;
  readonly table: string;
  /** `billed` sums BilledCost, `effective` EffectiveCost. */
  readonly costMetric: FocusOptions['costMetric'];
  /**
   * The tag keys the records keep, as the budget file names them (the selectors' keys and the endpoint tag). A key
   * is read under its cost-allocation spelling `user:<key>` and as written, as the file path normalises both.
   */
  readonly tagKeys: readonly string[];
  /** Charges that start in [fromMs, toMs), epoch milliseconds (UTC instants: the billing zone's day bounds). */
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FocusCostQuery {
  readonly sql: string;
  /** The partitions the query reads (`billing_period` values, UTC months): nothing else is scanned. */
  readonly billingPeriods: readonly string[];
  /** The table's columns the query reads, partition key aside: what a Parquet scan is billed for. */
  readonly columnsRead: readonly string[];
  /** The result's columns in order: the alias Athena names each by, and the FOCUS column it stands for. */
  readonly resultColumns: readonly { readonly alias: string; readonly focus: string }[];
  /** The tag keys of the result's `tag_<n>` columns, in order (the input's keys, deduplicated). */
  readonly tagKeys: readonly string[];
}

/** Grouped FOCUS columns: the Athena column and the FOCUS name the record builder reads it by. */
const GROUPED: readonly (readonly [string, string])[] = [
  ['chargeperiodstart', 'ChargePeriodStart'],
  ['chargeperiodend', 'ChargePeriodEnd'],
  ['billingcurrency', 'BillingCurrency'],
  ['servicename', 'ServiceName'],
  ['chargecategory', 'ChargeCategory'],
  ['resourceid', 'ResourceId'],
  ['regionid', 'RegionId'],
  ['subaccountid', 'SubAccountId'],
  ['x_usagetype', 'x_UsageType'],
  ['consumedunit', 'ConsumedUnit'],
];
const TAG_PREFIX = 'user:';

/** A SQL string literal: the one escape Trino (and DuckDB) know inside one is a doubled quote. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier: a doubled double quote inside. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A timestamp literal of an instant, in UTC with milliseconds (the export's timestamps are UTC without a zone). */
function timestampLiteral(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`expected an instant in epoch ms, got ${ms}`);
  return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/** A tag's value: the `user:` spelling first (cost-allocation tags), an empty value read as untagged. */
function tagValue(key: string): string {
  const spellings = key.startsWith(TAG_PREFIX) ? [key] : [`${TAG_PREFIX}${key}`, key];
  const reads = spellings.map((k) => `NULLIF(element_at(tags, ${sqlString(k)}), '')`);
  return reads.length === 1 ? (reads[0] as string) : `COALESCE(${reads.join(', ')})`;
}

/**
 * The aggregate query of the charges that start in [fromMs, toMs), pruned to the billing periods that range touches.
 * The same input gives the same text (the adapter derives its idempotency token from it).
 */
export function focusCostQuery(input: FocusCostQueryInput): FocusCostQuery {
  if (!(input.toMs > input.fromMs)) {
    throw new RangeError(`expected a range that ends after it starts, got ${input.fromMs}..${input.toMs}`);
  }
  const cost = input.costMetric === 'billed' ? 'billedcost' : 'effectivecost';
  const costFocus = input.costMetric === 'billed' ? 'BilledCost' : 'EffectiveCost';
  const tagKeys = [...new Set(input.tagKeys)];
  const periods = billingPeriods(input.fromMs, input.toMs);
  const select = [
    ...GROUPED.map(([column]) => column),
    ...tagKeys.map((k, i) => `${tagValue(k)} AS tag_${i}`),
    `CASE WHEN count(${cost}) = count(*) THEN sum(CAST(${cost} AS DECIMAL(38, 12))) END AS ${cost}`,
    'sum(consumedquantity) AS consumedquantity',
  ];
  const grouped = GROUPED.length + tagKeys.length;
  const sql = [
    'SELECT',
    `  ${select.join(',\n  ')}`,
    `FROM ${sqlIdentifier(input.database)}.${sqlIdentifier(input.table)}`,
    `WHERE billing_period IN (${periods.map(sqlString).join(', ')})`,
    `  AND chargeperiodstart >= ${timestampLiteral(input.fromMs)}`,
    `  AND chargeperiodstart < ${timestampLiteral(input.toMs)}`,
    `GROUP BY ${Array.from({ length: grouped }, (_, i) => i + 1).join(', ')}`,
  ].join('\n');
  return {
    sql,
    billingPeriods: periods,
    columnsRead: [
      ...GROUPED.map(([column]) => column),
      ...(tagKeys.length > 0 ? ['tags'] : []),
      cost,
      'consumedquantity',
    ],
    resultColumns: [
      ...GROUPED.map(([alias, focus]) => ({ alias, focus })),
      ...tagKeys.map((_, i) => ({ alias: `tag_${i}`, focus: `tag_${i}` })),
      { alias: cost, focus: costFocus },
      { alias: 'consumedquantity', focus: 'ConsumedQuantity' },
    ],
    tagKeys,
  };
}

/**
 * Cost records from the query's result rows, through the FOCUS record builder of the file path: each row's cells
 * (text, as Athena returns every value; undefined for NULL) become the row object a Parquet reader would give, the
 * `tag_<n>` cells folded into the Tags map. `header` is the result's column names, checked against the query's.
 */
export class FocusQueryRows {
  private readonly rows: FocusObjectRows;
  private readonly names: readonly string[];
  private readonly tagAt: readonly { readonly index: number; readonly key: string }[];

  constructor(query: FocusCostQuery, name: string, header: readonly string[], opts: FocusOptions) {
    const expected = query.resultColumns.map((c) => c.alias);
    if (header.length !== expected.length || header.some((h, i) => h.toLowerCase() !== expected[i])) {
      throw new Error(
        `${name}: expected the result columns ${expected.join(', ')}, got ${header.join(', ') || 'none'}`,
      );
    }
    const focusNames = query.resultColumns.filter((c) => !c.alias.startsWith('tag_')).map((c) => c.focus);
    const columns: FocusColumn[] = [...focusNames, 'Tags'].map((n) => ({ name: n }));
    this.rows = new FocusObjectRows(name, columns, opts);
    this.names = query.resultColumns.map((c) => c.focus);
    this.tagAt = query.tagKeys.map((key, i) => ({ index: GROUPED.length + i, key }));
  }

  /** The record of one result row; `row` numbers it in messages (the first data row is 2, as in a file). */
  record(cells: readonly (string | undefined)[], row: number): CostRecord {
    const values: Record<string, unknown> = {};
    this.names.forEach((n, i) => {
      values[n] = cells[i];
    });
    if (this.tagAt.length > 0) {
      const tags: Record<string, string> = {};
      for (const t of this.tagAt) {
        const v = cells[t.index];
        if (v !== undefined) tags[t.key] = v;
      }
      values.Tags = tags;
    }
    return this.rows.record(values, row);
  }
}
