/**
 * Legacy Cost and Usage Report (CUR v1) CSV: `lineItem/...`, `product/...`, `resourceTags/...` columns.
 * Empty cells mean absent; `lineItem/ResourceId` and the tag columns exist only when the report was set up with them.
 */
import { inputError } from '../core/errors.ts';
import { type Money, ZERO } from '../core/money.ts';
import * as sagemaker from '../core/sagemaker.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import * as csv from './csv.ts';

const UNBLENDED = 'lineItem/UnblendedCost';
const REQUIRED = [
  'lineItem/UsageStartDate',
  'lineItem/UsageEndDate',
  UNBLENDED,
  'lineItem/ProductCode',
  'lineItem/CurrencyCode',
] as const;
const TAG_PREFIX = 'resourceTags/';
/** Line item types whose usage amount is the usage itself (a negation or fee row repeats or lacks it). */
const USAGE_TYPES = new Set(['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage']);

/** Loads every line item of a CUR v1 CSV (`.csv` or `.csv.gz`). */
export async function loadCurCsv(
  file: string,
  opts: { readonly costMetric: 'billed' | 'effective' } & csv.CostCsvOptions,
): Promise<CostLoad> {
  return csv.loadCostCsv(
    file,
    (header) => new CurRows(header, opts.costMetric),
    { header: `a CUR header with ${REQUIRED.join(', ')}`, rows: 'CUR file has a header but no line items' },
    opts.rowKeys,
  );
}

class CurRows {
  private readonly file: string;
  private readonly start: number;
  private readonly end: number;
  private readonly unblended: number;
  private readonly productCode: number;
  private readonly currency: number;
  private readonly productName: number;
  private readonly lineItemType: number;
  private readonly usageType: number;
  private readonly description: number;
  private readonly resource: number;
  private readonly usageAmount: number;
  private readonly unit: number;
  private readonly region: number;
  private readonly account: number;
  private readonly tagColumns: readonly { readonly index: number; readonly key: string }[];
  private readonly strings = new csv.Interner();
  private readonly instants: csv.InstantReader;
  private readonly tagSets = new Map<string, Readonly<Record<string, string>>>();

  constructor(
    private readonly header: csv.CsvHeader,
    private readonly costMetric: 'billed' | 'effective',
  ) {
    this.file = header.file;
    [this.start, this.end, this.unblended, this.productCode, this.currency] = REQUIRED.map((c) =>
      header.require(c),
    ) as [number, number, number, number, number];
    // Which amortised column applies depends on the line item type.
    this.lineItemType =
      costMetric === 'effective'
        ? header.require('lineItem/LineItemType')
        : header.find('lineItem/LineItemType');
    this.productName = header.find('product/ProductName');
    this.usageType = header.find('lineItem/UsageType');
    this.description = header.find('lineItem/LineItemDescription');
    this.resource = header.find('lineItem/ResourceId');
    this.usageAmount = header.find('lineItem/UsageAmount');
    this.unit = header.find('pricing/unit');
    this.region = header.find('product/region');
    if (this.region < 0) this.region = header.find('product/regionCode');
    this.account = header.find('lineItem/UsageAccountId');
    this.tagColumns = header.names.flatMap((name, index) =>
      name.startsWith(TAG_PREFIX) ? [{ index, key: csv.normaliseTagKey(name.slice(TAG_PREFIX.length)) }] : [],
    );
    this.instants = new csv.InstantReader(this.file);
  }

  record(f: string[], row: number): CostRecord {
    const file = this.file;
    const s = this.strings;
    const start = this.instants.read(row, 'lineItem/UsageStartDate', csv.cellAt(f, this.start));
    const end = this.instants.read(row, 'lineItem/UsageEndDate', csv.cellAt(f, this.end));
    if (end < start) {
      const detail = `expected a time not before lineItem/UsageStartDate, got ${csv.shown(f[this.end])}`;
      throw inputError(file, detail, { row, column: 'lineItem/UsageEndDate' });
    }
    const type = s.get(csv.cellAt(f, this.lineItemType));
    const currency = csv.cellAt(f, this.currency);
    if (currency === undefined) {
      throw inputError(file, 'expected a currency code, got an empty cell', {
        row,
        column: 'lineItem/CurrencyCode',
      });
    }
    const productCode = csv.cellAt(f, this.productCode);
    const usageType = s.get(csv.cellAt(f, this.usageType));
    const usage = sagemaker.sageMakerUsage({ usageType, description: csv.cellAt(f, this.description) });
    const instanceType = s.get(sagemaker.endpointInstanceType(usage));
    const resourceId = s.get(csv.cellAt(f, this.resource));
    return {
      start,
      end,
      amount: this.costMetric === 'billed' ? this.money(f, row, UNBLENDED) : this.effective(f, row, type),
      currency: s.get(currency),
      service: s.get(type === 'Tax' ? 'Tax' : (csv.cellAt(f, this.productName) ?? productCode ?? 'Unknown')),
      chargeCategory: type,
      usageType,
      resourceId,
      region: s.get(csv.cellAt(f, this.region)),
      account: s.get(csv.cellAt(f, this.account)),
      endpoint: s.get(sagemaker.endpointFromArn(resourceId)),
      instanceType,
      usageHours: usage && instanceType !== undefined ? this.hours(f, row, type, usage) : undefined,
      training: usage?.kind === 'training',
      tags: this.tags(f),
      source: { file, row },
    };
  }

  private money(f: string[], row: number, column: string): Money {
    const index = column === UNBLENDED ? this.unblended : this.header.find(column);
    if (index < 0) throw csv.missingColumn(this.file, column, this.header.names);
    return csv.moneyCell(this.file, row, column, csv.cellAt(f, index));
  }

  /**
   * Amortised cost, the CUR's counterpart of FOCUS EffectiveCost and of Cost Explorer's AmortizedCost (the rule of
   * AWS's CUR query library):
   * - usage covered by a reservation (DiscountedUsage): reservation/EffectiveCost;
   * - usage covered by a Savings Plan (SavingsPlanCoveredUsage): savingsPlan/SavingsPlanEffectiveCost;
   * - SavingsPlanNegation: 0 (it undoes the on-demand price of covered usage, already counted at its effective cost);
   * - upfront fees of a commitment (SavingsPlanUpfrontFee, a Fee row with a reservation/ReservationARN): 0, the fee
   *   is spread over the covered usage;
   * - RIFee: only the unused part, reservation/UnusedAmortizedUpfrontFeeForBillingPeriod + UnusedRecurringFee;
   * - SavingsPlanRecurringFee: only the unused commitment, TotalCommitmentToDate - UsedCommitment;
   * - anything else (on-demand usage, tax, credits, refunds): lineItem/UnblendedCost.
   * A row that needs a column the file lacks is an error naming the row, not a silent fallback.
   */
  private effective(f: string[], row: number, type: string | undefined): Money {
    switch (type) {
      case 'DiscountedUsage':
        return this.money(f, row, 'reservation/EffectiveCost');
      case 'SavingsPlanCoveredUsage':
        return this.money(f, row, 'savingsPlan/SavingsPlanEffectiveCost');
      case 'SavingsPlanNegation':
      case 'SavingsPlanUpfrontFee':
        return ZERO;
      case 'RIFee':
        return (
          this.money(f, row, 'reservation/UnusedAmortizedUpfrontFeeForBillingPeriod') +
          this.money(f, row, 'reservation/UnusedRecurringFee')
        );
      case 'SavingsPlanRecurringFee':
        return (
          this.money(f, row, 'savingsPlan/TotalCommitmentToDate') -
          this.money(f, row, 'savingsPlan/UsedCommitment')
        );
      case 'Fee':
        if (csv.cellAt(f, this.header.find('reservation/ReservationARN')) !== undefined) return ZERO;
        return this.money(f, row, UNBLENDED);
      default:
        return this.money(f, row, UNBLENDED);
    }
  }

  /**
   * Instance-hours of an endpoint instance row: its usage amount, when `pricing/unit` (or, without one, the
   * description) says it is in hours; a negation or fee row repeats or lacks the usage and counts none.
   */
  private hours(
    f: string[],
    row: number,
    type: string | undefined,
    usage: sagemaker.SageMakerUsage,
  ): number | undefined {
    if (type !== undefined && !USAGE_TYPES.has(type)) return undefined;
    const amount = csv.cellAt(f, this.usageAmount);
    const unit = csv.cellAt(f, this.unit);
    const hours = sagemaker.hoursQuantity(usage, { value: amount, unit }, { value: amount, unit });
    return hours === undefined ? undefined : csv.numberCell(this.file, row, 'lineItem/UsageAmount', hours);
  }

  /** Tags from the `resourceTags/...` columns; rows with the same values share one frozen object. */
  private tags(f: string[]): Readonly<Record<string, string>> {
    if (this.tagColumns.length === 0) return csv.NO_TAGS;
    let signature = '';
    let any = false;
    for (const { index } of this.tagColumns) {
      const v = csv.cellAt(f, index);
      if (v !== undefined) any = true;
      signature += `${v ?? ''}\u0001`;
    }
    if (!any) return csv.NO_TAGS;
    const hit = this.tagSets.get(signature);
    if (hit) return hit;
    const tags: Record<string, string> = {};
    for (const { index, key } of this.tagColumns) {
      const v = csv.cellAt(f, index);
      if (v !== undefined) tags[key] = csv.detach(v);
    }
    const frozen = Object.freeze(tags);
    if (this.tagSets.size < 100_000) this.tagSets.set(csv.detach(signature), frozen);
    return frozen;
  }
}
