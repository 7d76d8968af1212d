/**
 * FOCUS 1.0 billing CSV, as AWS Data Exports writes it (and as other FOCUS producers do: the columns read here are
 * the specification's, plus AWS's `x_UsageType` / `x_ServiceCode`). `NULL` and empty cells mean absent.
 *
 * The same rows read from a local file, from a byte stream (an S3 object) or, for Parquet, from row objects: every
 * form goes through one record builder, so an export gives the same records whatever its format.
 */
import type { Readable } from 'node:stream';
import { inputError } from '../core/errors.ts';
import {
  endpointFromArn,
  endpointInstanceType,
  hoursQuantity,
  type SageMakerUsage,
  sageMakerUsage,
} from '../core/sagemaker.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import {
  type CostCsvOptions,
  CsvHeader,
  cellAt,
  detach,
  forEachCsvRecordIn,
  InstantReader,
  Interner,
  loadCostCsv,
  moneyCell,
  NO_TAGS,
  normaliseTagKey,
  numberCell,
  shown,
} from './csv.ts';

const REQUIRED = ['ChargePeriodStart', 'ChargePeriodEnd', 'ServiceName', 'BillingCurrency'] as const;
const OPTIONAL = [
  'ChargeCategory',
  'ResourceId',
  'RegionId',
  'SubAccountId',
  'ConsumedQuantity',
  'ConsumedUnit',
  'PricingQuantity',
  'PricingUnit',
  'ChargeDescription',
  'SkuId',
  'SkuPriceId',
  'Tags',
  'x_UsageType',
  'x_ServiceCode',
] as const;

export interface FocusOptions {
  /** `billed` reads BilledCost, `effective` EffectiveCost. */
  readonly costMetric: 'billed' | 'effective';
}

function costColumnOf(opts: FocusOptions): string {
  return opts.costMetric === 'billed' ? 'BilledCost' : 'EffectiveCost';
}

function expectedHeader(costColumn: string): string {
  return `a FOCUS header with ${[...REQUIRED, costColumn].join(', ')}`;
}

/** Loads every charge of a FOCUS CSV (`.csv` or `.csv.gz`); the amount is BilledCost or EffectiveCost. */
export async function loadFocusCsv(file: string, opts: FocusOptions & CostCsvOptions): Promise<CostLoad> {
  const costColumn = costColumnOf(opts);
  return loadCostCsv(
    file,
    (header) => new FocusRows(header, costColumn),
    { header: expectedHeader(costColumn), rows: 'FOCUS file has a header but no charges' },
    opts.rowKeys,
  );
}

/**
 * Reads FOCUS CSV from a byte stream (an S3 object body, gunzipped already) and hands each charge to `visit`;
 * `name` stands for the stream in messages and in each record's `source`. Returns the number of charges, 0 for a
 * header without rows; a stream without even a header is bad input, as an empty file is.
 */
export async function forEachFocusCsvRecord(
  bytes: Readable,
  name: string,
  opts: FocusOptions,
  visit: (record: CostRecord) => void,
): Promise<number> {
  const costColumn = costColumnOf(opts);
  let rows: FocusRows | undefined;
  let count = 0;
  await forEachCsvRecordIn(bytes, name, (fields, line) => {
    if (!rows) {
      rows = new FocusRows(new CsvHeader(name, fields), costColumn);
      return;
    }
    visit(rows.record(fields, line));
    count++;
  });
  if (!rows) throw inputError(name, `empty file: expected ${expectedHeader(costColumn)}`);
  return count;
}

/** A column of a columnar FOCUS file (Parquet): its name, and its scale when it is a DECIMAL. */
export interface FocusColumn {
  readonly name: string;
  readonly scale?: number;
}

/**
 * FOCUS charges from row objects, as a Parquet reader returns them, through the CSV record builder: each value
 * becomes the text a CSV export holds for it (null as an empty cell, a double in its shortest exact decimal, a
 * timestamp in ISO 8601, a map of tags as a JSON object), so the CSV and Parquet forms of one export give
 * identical records. `columns` are all the file's columns, so that a missing-column message lists what is there.
 */
export class FocusObjectRows {
  /** The columns the records are built from: a columnar reader need decode no others. */
  readonly columnsToRead: readonly string[];
  private readonly rows: FocusRows;
  private readonly used: readonly {
    readonly index: number;
    readonly name: string;
    readonly scale?: number;
  }[];
  /** One row's cells, reused: the record builder keeps none of them. */
  private readonly cells: string[];

  constructor(name: string, columns: readonly FocusColumn[], opts: FocusOptions) {
    this.rows = new FocusRows(
      new CsvHeader(
        name,
        columns.map((c) => c.name),
      ),
      costColumnOf(opts),
    );
    const wanted = new Set(
      [...REQUIRED, ...OPTIONAL, 'BilledCost', 'EffectiveCost'].map((c) => c.toLowerCase()),
    );
    this.used = columns.flatMap((c, index) =>
      wanted.has(c.name.trim().toLowerCase()) ? [{ index, name: c.name, scale: c.scale }] : [],
    );
    this.columnsToRead = this.used.map((c) => c.name);
    this.cells = columns.map(() => '');
  }

  /** The record of one row object; `row` is the line the row would have in the CSV form (the first row is 2). */
  record(values: Readonly<Record<string, unknown>>, row: number): CostRecord {
    for (const c of this.used) this.cells[c.index] = cellText(values[c.name], c.scale);
    return this.rows.record(this.cells, row);
  }
}

const UTF8 = new TextDecoder();

/**
 * The CSV text of a columnar value. A double prints as the shortest decimal that reads back as the same double,
 * which is the decimal the exporter wrote (billing amounts carry at most 15 significant digits); a DECIMAL column
 * prints at its scale, because the reader has already scaled its integer through a double.
 */
function cellText(value: unknown, scale: number | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    return scale !== undefined && scale <= 100 && Number.isFinite(value)
      ? value.toFixed(scale)
      : String(value);
  }
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString();
  if (value instanceof Uint8Array) return UTF8.decode(value);
  const plain = value instanceof Map ? Object.fromEntries(value) : value;
  return JSON.stringify(plain, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/** Column positions of one file and the caches that keep a large export compact. */
class FocusRows {
  private readonly file: string;
  private readonly start: number;
  private readonly end: number;
  private readonly service: number;
  private readonly currency: number;
  private readonly cost: number;
  private readonly category: number;
  private readonly resource: number;
  private readonly region: number;
  private readonly account: number;
  private readonly consumedQuantity: number;
  private readonly consumedUnit: number;
  private readonly pricingQuantity: number;
  private readonly pricingUnit: number;
  private readonly description: number;
  private readonly sku: number;
  private readonly skuPrice: number;
  private readonly tagsColumn: number;
  private readonly usageType: number;
  private readonly serviceCode: number;
  private readonly strings = new Interner();
  private readonly instants: InstantReader;
  private readonly tagSets = new Map<string, Readonly<Record<string, string>>>();

  constructor(
    header: CsvHeader,
    private readonly costColumn: string,
  ) {
    this.file = header.file;
    [this.start, this.end, this.service, this.currency] = REQUIRED.map((c) => header.require(c)) as [
      number,
      number,
      number,
      number,
    ];
    this.cost = header.require(costColumn);
    // Typed to OPTIONAL, so a column read here is always one the Parquet reader decodes.
    const find = (column: (typeof OPTIONAL)[number]) => header.find(column);
    this.category = find('ChargeCategory');
    this.resource = find('ResourceId');
    this.region = find('RegionId');
    this.account = find('SubAccountId');
    this.consumedQuantity = find('ConsumedQuantity');
    this.consumedUnit = find('ConsumedUnit');
    this.pricingQuantity = find('PricingQuantity');
    this.pricingUnit = find('PricingUnit');
    this.description = find('ChargeDescription');
    this.sku = find('SkuId');
    this.skuPrice = find('SkuPriceId');
    this.tagsColumn = find('Tags');
    this.usageType = find('x_UsageType');
    this.serviceCode = find('x_ServiceCode');
    this.instants = new InstantReader(this.file);
  }

  record(f: string[], row: number): CostRecord {
    const file = this.file;
    const start = this.instants.read(row, 'ChargePeriodStart', cellAt(f, this.start));
    const end = this.instants.read(row, 'ChargePeriodEnd', cellAt(f, this.end));
    if (end < start) {
      const detail = `expected a time not before ChargePeriodStart, got ${shown(f[this.end])}`;
      throw inputError(file, detail, { row, column: 'ChargePeriodEnd' });
    }
    const amount = moneyCell(file, row, this.costColumn, cellAt(f, this.cost));
    const currency = cellAt(f, this.currency);
    if (currency === undefined) {
      throw inputError(file, `expected a currency code, got ${shown(f[this.currency])}`, {
        row,
        column: 'BillingCurrency',
      });
    }
    const s = this.strings;
    const chargeCategory = s.get(cellAt(f, this.category));
    const usageType = s.get(cellAt(f, this.usageType));
    const usage = sageMakerUsage({
      usageType,
      description: cellAt(f, this.description),
      skus: [cellAt(f, this.sku), cellAt(f, this.skuPrice)],
    });
    const instanceType = s.get(endpointInstanceType(usage));
    const resourceId = s.get(cellAt(f, this.resource));
    return {
      start,
      end,
      amount,
      currency: s.get(currency),
      service: s.get(
        cellAt(f, this.service) ??
          cellAt(f, this.serviceCode) ??
          (chargeCategory === 'Tax' ? 'Tax' : 'Unknown'),
      ),
      chargeCategory,
      usageType,
      resourceId,
      region: s.get(cellAt(f, this.region)),
      account: s.get(cellAt(f, this.account)),
      endpoint: s.get(endpointFromArn(resourceId)),
      instanceType,
      usageHours: usage && instanceType !== undefined ? this.hours(f, row, usage) : undefined,
      training: usage?.kind === 'training',
      tags: this.tags(cellAt(f, this.tagsColumn), row),
      source: { file, row },
    };
  }

  /** Instance-hours of an endpoint instance row: its quantity stated in hours, else unknown. */
  private hours(f: string[], row: number, usage: SageMakerUsage): number | undefined {
    const column = hoursQuantity(
      usage,
      { value: ['ConsumedQuantity', this.consumedQuantity] as const, unit: cellAt(f, this.consumedUnit) },
      { value: ['PricingQuantity', this.pricingQuantity] as const, unit: cellAt(f, this.pricingUnit) },
    );
    const quantity = column && cellAt(f, column[1]);
    return column && quantity !== undefined ? numberCell(this.file, row, column[0], quantity) : undefined;
  }

  /** The Tags JSON object, `user:` prefixes stripped; identical cells share one frozen object. */
  private tags(text: string | undefined, row: number): Readonly<Record<string, string>> {
    if (text === undefined) return NO_TAGS;
    const hit = this.tagSets.get(text);
    if (hit) return hit;
    const bad = (why: string) =>
      inputError(this.file, `expected a JSON object of tag keys and values, ${why}`, { row, column: 'Tags' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw bad(`got ${shown(text)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw bad(`got ${shown(text)}`);
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      // An empty or null value is how exports write "not tagged with this key".
      if (value === null || value === '') continue;
      if (typeof value === 'object') throw bad(`got ${JSON.stringify(value)} for key ${JSON.stringify(key)}`);
      tags[normaliseTagKey(key)] = String(value);
    }
    const frozen = Object.keys(tags).length === 0 ? NO_TAGS : Object.freeze(tags);
    if (this.tagSets.size < 100_000) this.tagSets.set(detach(text), frozen);
    return frozen;
  }
}
