/**
 * What the Athena cost source scans per cycle on the benchmark account (a benchmark, not a test: it reports and never
 * gates), computed from Parquet metadata, not billed by AWS: no Athena is called.
 *
 *   npm run bench:athena [-- --regen]
 *
 * Takes the account of generate-account.ts (2,000 endpoints x 90 days of daily FOCUS 1.0 rows; generated once and
 * cached in the OS temp dir under its version, as bench:cycle does), writes its cost rows the way AWS Data Exports
 * does (Parquet with the export's column types, Snappy, one folder a month, `BILLING_PERIOD=YYYY-MM`) with DuckDB,
 * and for each cycle builds the query the adapter sends (lambdas/formats/athena-sql.ts focusCostQuery) and adds up
 * the compressed sizes of the column chunks it reads (its `columnsRead`) in the partitions it reads (its
 * `billingPeriods`), from DuckDB's `parquet_metadata()`. That is what Athena bills for a Parquet scan: the columns a
 * query names, in the partitions it is pruned to. Row groups that Parquet statistics let Athena skip are counted
 * too, so the figure is an upper bound for the same files. The bill rounds each query up to the next MB with a 10 MB
 * minimum, at $5 per TB (decimal units: Athena's smallest cutoff is 10,000,000 bytes).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ATHENA_USD_PER_TB, athenaBilledBytes } from '../../lambdas/core/api-usage.ts';
import { formatMoney } from '../../lambdas/core/money.ts';
import { addDays, dayStartMs, periodContaining } from '../../lambdas/core/period.ts';
import { focusCostQuery } from '../../lambdas/formats/athena-sql.ts';
import { checkBudgetText } from '../../lambdas/formats/budget-file.ts';
import { ACCOUNT_VERSION, type AccountManifest, accountPaths, generateAccount } from './generate-account.ts';

/** Dollars per 10^12 bytes are pico-dollars per byte: the cost stays exact. */
const PICO_USD_PER_BYTE = BigInt(ATHENA_USD_PER_TB);
const MB = 1_000_000;
/**
 * The Athena source's open days (lambdas/aws/athena.ts, default 3): a steady cycle asks for them and the day that
 * closed since, which the ledger does not hold yet; the other closed days come from the ledger.
 */
const OPEN_DAYS = 3;

const n = (x: number): string => x.toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / MB).toFixed(2)} MB`;

function account(regen: boolean): { dir: string; manifest: AccountManifest } {
  const dir = join(tmpdir(), `perf-budgets-${ACCOUNT_VERSION}`);
  const path = join(dir, 'manifest.json');
  const cached =
    !regen && existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as AccountManifest) : undefined;
  if (cached?.version === ACCOUNT_VERSION) return { dir, manifest: cached };
  console.log(`account: generating into ${dir}`);
  return { dir, manifest: generateAccount(dir) };
}

/** The export's Parquet types (AWS's FOCUS 1.0 table dictionary): money and quantities double, periods timestamp. */
const DOUBLE = [
  'BilledCost',
  'ConsumedQuantity',
  'EffectiveCost',
  'ListCost',
  'ListUnitPrice',
  'PricingQuantity',
];
const TIMESTAMP = ['BillingPeriodEnd', 'BillingPeriodStart', 'ChargePeriodEnd', 'ChargePeriodStart'];

interface Chunk {
  readonly partition: string;
  readonly column: string;
  readonly bytes: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { regen: { type: 'boolean', default: false } } });
  const { dir, manifest } = account(values.regen ?? false);
  const paths = accountPaths(dir);
  const parsed = checkBudgetText(readFileSync(paths.budgets, 'utf8'));
  if (!parsed.ok) throw new Error(`${paths.budgets}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  const file = parsed.file;
  const out = mkdtempSync(join(tmpdir(), 'perf-budgets-athena-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  try {
    const csv = paths.costs.replaceAll("'", "''");
    const header = readFileSync(paths.costs, 'utf8').slice(0, 4096).split('\n')[0]?.split(',') ?? [];
    const typed = header.map((h) => {
      if (DOUBLE.includes(h)) return `CAST("${h}" AS DOUBLE) AS "${h}"`;
      if (TIMESTAMP.includes(h)) return `CAST("${h}" AS TIMESTAMP) AS "${h}"`;
      if (h === 'Tags') return `CAST(CAST("${h}" AS JSON) AS MAP(VARCHAR, VARCHAR)) AS "${h}"`;
      return `"${h}"`;
    });
    await c.run(
      `COPY (SELECT ${typed.join(', ')}, strftime(CAST("BillingPeriodStart" AS TIMESTAMP), '%Y-%m') AS BILLING_PERIOD
             FROM read_csv('${csv}', header = true, all_varchar = true))
       TO '${out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (BILLING_PERIOD))`,
    );
    const meta = await c.runAndReadAll(
      `SELECT file_name, path_in_schema, total_compressed_size FROM parquet_metadata('${out}/*/*.parquet')`,
    );
    const chunks: Chunk[] = meta.getRowObjects().map((o) => ({
      partition: /BILLING_PERIOD=([0-9-]+)/.exec(String(o.file_name))?.[1] ?? '?',
      // a map's key and value chunks are both read when the query names the map
      column: (String(o.path_in_schema).split(', ')[0] as string).toLowerCase(),
      bytes: Number(o.total_compressed_size),
    }));
    const rows = await c.runAndReadAll(
      `SELECT BILLING_PERIOD AS p, count(*) AS n FROM read_parquet('${out}/*/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
    );
    const rowsOf = new Map(rows.getRowObjects().map((o) => [String(o.p), Number(o.n)]));

    console.log(
      `perf-budgets bench:athena (computed from Parquet metadata, not billed by AWS) - load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `account: ${n(manifest.counts.endpoints)} endpoints, ${manifest.options.costDays} days, ${n(manifest.counts.costRows)} FOCUS rows (${mb(manifest.bytes.costs)} CSV), as of ${manifest.asOf}`,
    );
    console.log(`export written as Parquet (Snappy, a folder a month):`);
    const sum = (xs: readonly Chunk[]) => xs.reduce((s, x) => s + x.bytes, 0);
    for (const [p, count] of rowsOf) {
      console.log(
        `  BILLING_PERIOD=${p}  ${n(count).padStart(7)} rows  ${mb(sum(chunks.filter((x) => x.partition === p))).padStart(9)} (all columns)`,
      );
    }

    const asOf = manifest.asOf;
    const period = periodContaining(asOf, file.billingPeriod);
    const previous = periodContaining(addDays(period.start, -1), file.billingPeriod);
    const zone = file.billingPeriod.timezone;
    const tagKeys = [...new Set(file.budgets.flatMap((b) => Object.keys(b.selector.tags ?? {})))];
    const base = { database: 'billing', table: 'focus', costMetric: file.costMetric, tagKeys };
    const cycles = [
      { label: 'first cycle (empty ledger)', from: previous.start, to: asOf },
      {
        label: `steady daily cycle (${OPEN_DAYS} open days + 1)`,
        from: addDays(asOf, -OPEN_DAYS),
        to: asOf,
      },
      {
        label: 'steady cycle across a month start',
        from: addDays(period.start, -OPEN_DAYS),
        to: period.start,
      },
    ];
    console.log(
      `\ncycle                                  days asked             partitions         scanned     billed   cost`,
    );
    for (const cycle of cycles) {
      const q = focusCostQuery({
        ...base,
        fromMs: dayStartMs(cycle.from, zone),
        toMs: dayStartMs(addDays(cycle.to, 1), zone),
      });
      const read = chunks.filter(
        (x) => q.billingPeriods.includes(x.partition) && q.columnsRead.includes(x.column),
      );
      const scanned = sum(read);
      const billed = athenaBilledBytes(scanned);
      const cost = BigInt(billed) * PICO_USD_PER_BYTE;
      const partitionRows = q.billingPeriods.reduce((s, p) => s + (rowsOf.get(p) ?? 0), 0);
      console.log(
        `${cycle.label.padEnd(38)} ${`${cycle.from}..${cycle.to}`.padEnd(22)} ${q.billingPeriods.join(',').padEnd(17)} ${mb(scanned).padStart(9)} ${mb(billed).padStart(9)}  $${formatMoney(cost, 6)}`,
      );
      console.log(
        `${''.padEnd(38)} ${q.columnsRead.length} of ${header.length} columns, ${n(partitionRows)} rows: ${(scanned / partitionRows).toFixed(1)} bytes a row`,
      );
    }
    // every cycle's query reads the same columns, whatever its range
    const columnsRead = new Set(focusCostQuery({ ...base, fromMs: 0, toMs: 1 }).columnsRead);
    const byColumn = [...columnsRead]
      .map((col) => [col, sum(chunks.filter((x) => x.column === col))] as const)
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `\ncolumns read, all partitions: ${byColumn.map(([col, b]) => `${col} ${(b / 1000).toFixed(1)} kB`).join(', ')}`,
    );
    const perRow =
      sum(chunks.filter((x) => columnsRead.has(x.column))) / [...rowsOf.values()].reduce((s, x) => s + x, 0);
    const bigMonth = 1_000_000 * 30;
    const bigScan = perRow * bigMonth * 2;
    console.log(
      `\nscaled: at ${perRow.toFixed(1)} bytes a row, a bill of 1,000,000 rows a day scans ~${mb(bigScan)} on a cycle that reads two months ($${formatMoney(BigInt(athenaBilledBytes(bigScan)) * PICO_USD_PER_BYTE, 4)}), ~${mb(bigScan / 2)} on one that reads one ($${formatMoney(BigInt(athenaBilledBytes(bigScan / 2)) * PICO_USD_PER_BYTE, 4)})`,
    );
  } finally {
    c.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
