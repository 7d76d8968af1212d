/**
 * FOCUS 1.0 billing CSV, as AWS Data Exports writes it (and as other FOCUS producers do: the columns read here are
 * the specification's, plus AWS's `x_UsageType` / `x_ServiceCode`). `NULL` and empty cells mean absent.
 */
import { inputError } from '../core/errors.ts';
import { endpointFromArn, hostingInstanceType, trainingInstanceType } from '../core/sagemaker.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import {
  type CsvHeader,
  cellAt,
  detach,
  InstantReader,
  Interner,
  isHoursUnit,
  loadCostCsv,
  moneyCell,
  NO_TAGS,
  normaliseTagKey,
  numberCell,
  shown,
} from './csv.ts';

const REQUIRED = ['ChargePeriodStart', 'ChargePeriodEnd', 'ServiceName', 'BillingCurrency'] as const;

/** Loads every charge of a FOCUS CSV (`.csv` or `.csv.gz`); the amount is BilledCost or EffectiveCost. */
export async function loadFocusCsv(
  file: string,
  opts: { readonly costMetric: 'billed' | 'effective' },
): Promise<CostLoad> {
  const costColumn = opts.costMetric === 'billed' ? 'BilledCost' : 'EffectiveCost';
  return loadCostCsv(file, (header) => new FocusRows(header, costColumn), {
    header: `a FOCUS header with ${[...REQUIRED, costColumn].join(', ')}`,
    rows: 'FOCUS file has a header but no charges',
  });
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
  private readonly quantity: number;
  private readonly consumedUnit: number;
  private readonly pricingUnit: number;
  private readonly description: number;
  private readonly sku: number;
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
    this.category = header.find('ChargeCategory');
    this.resource = header.find('ResourceId');
    this.region = header.find('RegionId');
    this.account = header.find('SubAccountId');
    this.quantity = header.find('ConsumedQuantity');
    this.consumedUnit = header.find('ConsumedUnit');
    this.pricingUnit = header.find('PricingUnit');
    this.description = header.find('ChargeDescription');
    this.sku = header.find('SkuId');
    this.tagsColumn = header.find('Tags');
    this.usageType = header.find('x_UsageType');
    this.serviceCode = header.find('x_ServiceCode');
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
    const usage = usageType ?? cellAt(f, this.description) ?? cellAt(f, this.sku);
    const instanceType = s.get(hostingInstanceType(usage));
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
      usageHours: instanceType === undefined ? undefined : this.hours(f, row),
      training: trainingInstanceType(usage) !== undefined,
      tags: this.tags(cellAt(f, this.tagsColumn), row),
      source: { file, row },
    };
  }

  /** Instance-hours of a hosting row, when its quantity is in hours. */
  private hours(f: string[], row: number): number | undefined {
    const quantity = cellAt(f, this.quantity);
    if (quantity === undefined || !isHoursUnit(cellAt(f, this.consumedUnit) ?? cellAt(f, this.pricingUnit))) {
      return undefined;
    }
    return numberCell(this.file, row, 'ConsumedQuantity', quantity);
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
