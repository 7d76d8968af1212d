/**
 * SageMaker real-time hosting prices from the AWS Price List API (GetProducts, service AmazonSageMaker): the
 * on-demand price per instance-hour of every `ml.*` type in a region. The API answers only in us-east-1,
 * eu-central-1 and ap-south-1, whatever region is priced: the client (clients.ts `buildPricingClient`) is built for
 * us-east-1. Requests are free and counted in `ApiUsage`, one per page.
 *
 * Each item of `PriceList` is one product as a JSON string. A product that is not on-demand instance hosting (a
 * storage or data-transfer line of the Hosting component, a product with no hourly on-demand price) is skipped and
 * counted. A type with two different hourly prices (within a product, or across products) is left out and named as a
 * problem: which one AWS bills is not for this code to guess.
 */
import { type PricingClient, paginateGetProducts } from '@aws-sdk/client-pricing';
import * as z from 'zod';
import type { ApiUsage } from '../core/api-usage.ts';
import { DataError } from '../core/errors.ts';
import { exactMoneyText, type Money, parseMoney } from '../core/money.ts';
import { INSTANCE_TYPE } from '../core/prices.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

const API = 'pricing:GetProducts';

export interface PriceListOptions {
  readonly client: PricingClient;
  readonly usage: ApiUsage;
}

export interface RegionHostingPrices {
  readonly region: string;
  /** Dollars per instance-hour by instance type, as exact decimal text. */
  readonly perHour: Readonly<Record<string, string>>;
  /** Products the filters returned that are not on-demand instance hosting. */
  readonly skipped: number;
  /** Types left out, each with why. */
  readonly problems: readonly string[];
}

const Dimension = z.looseObject({
  unit: z.string().optional(),
  pricePerUnit: z.looseObject({ USD: z.string().optional() }).optional(),
});
const Product = z.looseObject({
  product: z.looseObject({
    sku: z.string().optional(),
    productFamily: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
  terms: z
    .looseObject({
      OnDemand: z
        .record(z.string(), z.looseObject({ priceDimensions: z.record(z.string(), Dimension).optional() }))
        .optional(),
    })
    .optional(),
});
type Product = z.infer<typeof Product>;

/** The request filters: SageMaker instance hosting in one region (the API matches terms exactly). */
export function hostingFilters(region: string) {
  return [
    { Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: region },
    { Type: 'TERM_MATCH' as const, Field: 'component', Value: 'Hosting' },
    { Type: 'TERM_MATCH' as const, Field: 'productFamily', Value: 'ML Instance' },
  ];
}

function parseItem(item: unknown): Product {
  let doc: unknown = item;
  // over the wire the SDK hands each item over as a String object (its lazy JSON string), a mock as a plain string
  if (typeof item === 'string' || item instanceof String) {
    try {
      doc = JSON.parse(String(item));
    } catch (err) {
      throw new DataError(`${API} returned a PriceList item that is not JSON`, { cause: err });
    }
  }
  const r = Product.safeParse(doc);
  if (!r.success) throw new DataError(`${API} returned a PriceList item without a product`);
  return r.data;
}

/** The instance type of an instance-hosting product of `region`, or undefined for any other product. */
function hostedType(p: Product, region: string): string | undefined {
  const a = p.product.attributes ?? {};
  const type = a.instanceName;
  if (typeof type !== 'string' || !INSTANCE_TYPE.test(type)) return undefined;
  if (a.component !== 'Hosting' || a.regionCode !== region) return undefined;
  // `USE1-Host:ml.g5.xlarge`: other hosting usage (storage, data transfer) carries no instance name after the colon
  return typeof a.usagetype === 'string' && a.usagetype.endsWith(`Host:${type}`) ? type : undefined;
}

/** The distinct on-demand hourly USD prices of a product. */
function hourlyPrices(p: Product): Money[] | string {
  const found = new Set<Money>();
  for (const term of Object.values(p.terms?.OnDemand ?? {})) {
    for (const d of Object.values(term.priceDimensions ?? {})) {
      if (d.unit !== 'Hrs' || d.pricePerUnit?.USD === undefined) continue;
      const m = parseMoney(d.pricePerUnit.USD);
      if (m === undefined) return `an hourly price "${d.pricePerUnit.USD}" that is not a number`;
      found.add(m);
    }
  }
  return [...found];
}

const list = (amounts: Iterable<Money>) => [...amounts].map(exactMoneyText).join(' and ');

/** Every on-demand hosting price of `region`, all pages. */
export async function readHostingPrices(region: string, o: PriceListOptions): Promise<RegionHostingPrices> {
  const byType = new Map<string, { amounts: Set<Money>; skus: string[] }>();
  const problems: string[] = [];
  let skipped = 0;
  try {
    const input = {
      ServiceCode: 'AmazonSageMaker',
      FormatVersion: 'aws_v1',
      Filters: hostingFilters(region),
    };
    for await (const page of pages(paginateGetProducts, o.client, input, {
      api: API,
      usage: o.usage,
      next: (p) => p.NextToken,
    })) {
      for (const item of (page.PriceList ?? []) as unknown[]) {
        const product = parseItem(item);
        const type = hostedType(product, region);
        const prices = type ? hourlyPrices(product) : [];
        const sku = product.product.sku ?? '(no sku)';
        if (typeof prices === 'string') {
          problems.push(`${type}: product ${sku} has ${prices}; left out`);
          continue;
        }
        if (!type || prices.length === 0) {
          skipped++;
          continue;
        }
        const seen = byType.get(type) ?? { amounts: new Set<Money>(), skus: [] };
        for (const m of prices) seen.amounts.add(m);
        seen.skus.push(sku);
        byType.set(type, seen);
      }
    }
  } catch (err) {
    throw sourceError('prices', API, err);
  }
  const perHour: Record<string, string> = {};
  for (const [type, { amounts, skus }] of byType) {
    const [only] = amounts;
    if (amounts.size > 1) {
      problems.push(
        `${type}: on-demand hourly prices ${list(amounts)} (products ${skus.join(', ')}); left out`,
      );
    } else if (only === undefined || only <= 0n) {
      problems.push(`${type}: priced at zero (products ${skus.join(', ')}); left out`);
    } else perHour[type] = exactMoneyText(only);
  }
  problems.sort();
  return { region, perHour, skipped, problems };
}
