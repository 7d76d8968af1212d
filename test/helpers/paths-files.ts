/**
 * The files of the account in paths-account.ts: its bill as a FOCUS 1.0 CSV the way AWS Data Exports prints it (the
 * columns and conventions of the real sample in ../shared/data/focus_sample_data: `NULL` for absent values,
 * `2026-09-01 00:00:00` timestamps), with or without AWS's `x_` columns, and its metrics in the CLI's metrics format.
 * Without the `x_` columns, hosting is known only by what any FOCUS producer writes: ChargeDescription as AWS prints
 * it ("$1.4084 per Hosting ml.g5.xlarge hour in US East (N. Virginia)"), SkuId and PricingUnit.
 */
import { formatMoney, parseMoney } from '../../lambdas/core/money.ts';
import {
  ACCOUNT,
  ENDPOINTS,
  endpointHours,
  type LineItem,
  lineItems,
  metricsOf,
  REGION,
  REGION_NAME,
  skuOf,
  T0,
  VARIANT,
} from './paths-account.ts';

/** The header of AWS's FOCUS 1.0 export, as the real sample prints it. */
const FOCUS_HEADER =
  'AvailabilityZone,BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,CommitmentDiscountCategory,CommitmentDiscountId,' +
  'CommitmentDiscountName,CommitmentDiscountStatus,CommitmentDiscountType,ConsumedQuantity,ConsumedUnit,ContractedCost,ContractedUnitPrice,EffectiveCost,InvoiceIssuerName,ListCost,ListUnitPrice,PricingCategory,PricingQuantity,PricingUnit,ProviderName,' +
  'PublisherName,RegionId,RegionName,ResourceId,ResourceName,ResourceType,ServiceCategory,Id,ServiceName,SkuId,SkuPriceId,SubAccountId,SubAccountName,Tags';
/** The AWS-specific columns of the same export. */
const AWS_HEADER = 'x_CostCategories,x_Discounts,x_Operation,x_ServiceCode,x_UsageType';

const NULL = 'NULL';
const focusTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const csvField = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function monthOf(ms: number): { start: number; end: number } {
  const d = new Date(ms);
  return {
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

function focusValues(i: LineItem, id: number): Readonly<Record<string, string>> {
  const month = monthOf(i.startMs);
  const cost = formatMoney(i.amount, 11);
  const quantity = `${formatMoney(parseMoney(i.quantity) ?? 0n, 12)}000`;
  const sku = skuOf(i.usageType);
  const tags = Object.entries(i.tags);
  return {
    AvailabilityZone: NULL,
    BilledCost: cost,
    BillingAccountId: ACCOUNT,
    BillingAccountName: 'Example Corp',
    BillingCurrency: 'USD',
    BillingPeriodEnd: focusTime(month.end),
    BillingPeriodStart: focusTime(month.start),
    ChargeCategory: 'Usage',
    ChargeClass: NULL,
    ChargeDescription: i.description,
    ChargeFrequency: 'Usage-Based',
    ChargePeriodEnd: focusTime(i.endMs),
    ChargePeriodStart: focusTime(i.startMs),
    CommitmentDiscountCategory: NULL,
    CommitmentDiscountId: NULL,
    CommitmentDiscountName: NULL,
    CommitmentDiscountStatus: NULL,
    CommitmentDiscountType: NULL,
    ConsumedQuantity: quantity,
    ConsumedUnit: i.unit,
    ContractedCost: cost,
    ContractedUnitPrice: i.unitPrice,
    EffectiveCost: cost,
    InvoiceIssuerName: 'Amazon Web Services, Inc.',
    ListCost: cost,
    ListUnitPrice: i.unitPrice,
    PricingCategory: 'Standard',
    PricingQuantity: quantity,
    PricingUnit: i.unit,
    ProviderName: 'AWS',
    PublisherName: 'Amazon Web Services, Inc.',
    RegionId: REGION,
    RegionName: REGION_NAME,
    ResourceId: i.resourceId ?? NULL,
    ResourceName: NULL,
    ResourceType: NULL,
    ServiceCategory: i.serviceCategory,
    Id: String(id),
    ServiceName: i.service,
    SkuId: sku,
    SkuPriceId: `${sku}.JRTCKXETXF.6YS6EN2CT7`,
    SubAccountId: ACCOUNT,
    SubAccountName: 'inference',
    // user-defined cost allocation tags carry their `user:` prefix in the export
    Tags:
      tags.length === 0 ? NULL : JSON.stringify(Object.fromEntries(tags.map(([k, v]) => [`user:${k}`, v]))),
    x_CostCategories: NULL,
    x_Discounts: NULL,
    x_Operation: i.operation,
    x_ServiceCode: i.serviceCode,
    x_UsageType: i.usageType,
  };
}

/** The account's bill as a FOCUS 1.0 CSV; `awsColumns: false` leaves out every `x_` column. */
export function focusCsv(opts: { readonly awsColumns: boolean }): string {
  const columns = (opts.awsColumns ? `${FOCUS_HEADER},${AWS_HEADER}` : FOCUS_HEADER).split(',');
  const lines = [columns.join(',')];
  lineItems().forEach((item, n) => {
    const values = focusValues(item, n + 1);
    lines.push(
      columns
        .map((c) => {
          const v = values[c];
          if (v === undefined) throw new Error(`no value for FOCUS column ${c}`);
          return csvField(v);
        })
        .join(','),
    );
  });
  return `${lines.join('\n')}\n`;
}

/** Every hour's CloudWatch values of every endpoint, as `timestamp,endpoint,variant,metric,stat,value`. */
export function metricsCsv(): string {
  const lines = ['timestamp,endpoint,variant,metric,stat,value'];
  for (const e of ENDPOINTS) {
    for (const { h, at } of endpointHours(e)) {
      const ts = new Date(T0 + h * 3_600_000).toISOString().replace('.000Z', 'Z');
      for (const [key, value] of Object.entries(metricsOf(e, at))) {
        const [metric, stat] = key.split('/');
        lines.push(`${ts},${e.name},${VARIANT},${metric},${stat},${value}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
