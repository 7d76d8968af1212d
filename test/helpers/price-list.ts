/**
 * AWS Price List products as GetProducts returns them (one JSON string per product, `aws_v1` format), shaped after
 * the AWS CLI's `pricing get-products` example and the AmazonSageMaker offer: product family `ML Instance`,
 * attributes `instanceName`, `instanceType` (`ml.g5.xlarge-Hosting`), `usagetype` (`USE1-Host:ml.g5.xlarge`),
 * `component`, `regionCode`, and an OnDemand term with one price dimension in `Hrs`.
 */

const USAGE_PREFIX: Readonly<Record<string, string>> = {
  'us-east-1': 'USE1',
  'eu-west-1': 'EU',
  'eu-central-1': 'EUC1',
};
const LOCATION: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

export interface ProductSpec {
  readonly type: string;
  readonly region: string;
  /** `pricePerUnit.USD` of each price dimension, as the API writes it ("1.4080000000"). */
  readonly usd: readonly string[];
  readonly unit?: string;
  readonly sku?: string;
  readonly family?: string;
  readonly usagetype?: string;
}

let skuSeq = 0;

/** One product as the PriceList item string. */
export function product(p: ProductSpec): string {
  const sku = p.sku ?? `SKU${String(++skuSeq).padStart(13, '0')}`;
  const location = LOCATION[p.region] ?? p.region;
  const term = `${sku}.JRTCKXETXF`;
  const dims = Object.fromEntries(
    p.usd.map((usd, i) => [
      `${term}.6YS6EN2CT${i}`,
      {
        unit: p.unit ?? 'Hrs',
        endRange: 'Inf',
        description: `$${Number(usd)} per Hosting ${p.type} hour in ${location}`,
        appliesTo: [],
        rateCode: `${term}.6YS6EN2CT${i}`,
        beginRange: '0',
        pricePerUnit: { USD: usd },
      },
    ]),
  );
  return JSON.stringify({
    product: {
      productFamily: p.family ?? 'ML Instance',
      attributes: {
        regionCode: p.region,
        component: 'Hosting',
        instanceName: p.type,
        servicecode: 'AmazonSageMaker',
        usagetype: p.usagetype ?? `${USAGE_PREFIX[p.region] ?? 'XX'}-Host:${p.type}`,
        locationType: 'AWS Region',
        location,
        servicename: 'Amazon SageMaker',
        instanceType: `${p.type}-Hosting`,
        operation: 'RunInstance',
      },
      sku,
    },
    serviceCode: 'AmazonSageMaker',
    terms: {
      OnDemand: {
        [term]: {
          priceDimensions: dims,
          sku,
          effectiveDate: '2026-09-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
    },
    version: '20260901000000',
    publicationDate: '2026-09-01T00:00:00Z',
  });
}

/** A product of the Hosting component that is not an instance: endpoint ML storage, billed per GB-month. */
export function storageProduct(region: string): string {
  return product({
    type: 'ml.storage',
    region,
    usd: ['0.1400000000'],
    unit: 'GB-Mo',
    family: 'ML Storage',
    usagetype: `${USAGE_PREFIX[region] ?? 'XX'}-Host:VolumeUsage.gp2`,
  });
}
