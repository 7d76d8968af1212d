/**
 * The columns of the Glue table over an AWS Data Exports "FOCUS 1.0 with AWS columns" export, in the Hive types of
 * the Parquet AWS writes (AWS's table dictionary for that export: costs, prices and quantities `double`, charge and
 * billing periods `timestamp` in milliseconds, Tags `map<string,string>`, the rest `string`). Names as AWS writes
 * them; Glue and Athena store them lower-cased. Athena reads Parquet columns by name, so a column declared here and
 * absent from a file reads as null, and the query pays only for the columns it names.
 *
 * Left out: x_CostCategories and x_Discounts, maps whose value types the cycle has no use for; a wrong declaration
 * would fail a query that reads them, an absent one cannot.
 */
export const FOCUS_TABLE_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['AvailabilityZone', 'string'],
  ['BilledCost', 'double'],
  ['BillingAccountId', 'string'],
  ['BillingAccountName', 'string'],
  ['BillingCurrency', 'string'],
  ['BillingPeriodEnd', 'timestamp'],
  ['BillingPeriodStart', 'timestamp'],
  ['ChargeCategory', 'string'],
  ['ChargeClass', 'string'],
  ['ChargeDescription', 'string'],
  ['ChargeFrequency', 'string'],
  ['ChargePeriodEnd', 'timestamp'],
  ['ChargePeriodStart', 'timestamp'],
  ['CommitmentDiscountCategory', 'string'],
  ['CommitmentDiscountId', 'string'],
  ['CommitmentDiscountName', 'string'],
  ['CommitmentDiscountStatus', 'string'],
  ['CommitmentDiscountType', 'string'],
  ['ConsumedQuantity', 'double'],
  ['ConsumedUnit', 'string'],
  ['ContractedCost', 'double'],
  ['ContractedUnitPrice', 'double'],
  ['EffectiveCost', 'double'],
  ['InvoiceIssuerName', 'string'],
  ['ListCost', 'double'],
  ['ListUnitPrice', 'double'],
  ['PricingCategory', 'string'],
  ['PricingQuantity', 'double'],
  ['PricingUnit', 'string'],
  ['ProviderName', 'string'],
  ['PublisherName', 'string'],
  ['RegionId', 'string'],
  ['RegionName', 'string'],
  ['ResourceId', 'string'],
  ['ResourceName', 'string'],
  ['ResourceType', 'string'],
  ['ServiceCategory', 'string'],
  ['ServiceName', 'string'],
  ['SkuId', 'string'],
  ['SkuPriceId', 'string'],
  ['SubAccountId', 'string'],
  ['SubAccountName', 'string'],
  ['Tags', 'map<string,string>'],
  ['x_Operation', 'string'],
  ['x_ServiceCode', 'string'],
  ['x_UsageType', 'string'],
];
