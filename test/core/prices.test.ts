import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPriceTable, readSources } from '../../examples/prices/build-price-table.ts';
import { INSTANCES } from '../../lambdas/core/instances.ts';
import { parseMoney } from '../../lambdas/core/money.ts';
import { SHIPPED_PRICE_DOCUMENT } from '../../lambdas/core/price-table-data.ts';
import {
  compareInstanceTypes,
  type PriceTableDocument,
  parsePriceTable,
  priceLookup,
  priceTableDocument,
  SHIPPED_PRICES,
} from '../../lambdas/core/prices.ts';
import { ROOT } from '../helpers/cli.ts';

const usd = (text: string) => parseMoney(text) as bigint;

const DOC: PriceTableDocument = {
  version: 1,
  date: '2026-10-01',
  currency: 'USD',
  source: 'AWS Price List API',
  sources: { api: { title: 'AWS Price List API (AmazonSageMaker)', date: '2026-10-01' } },
  regions: {
    'eu-central-1': {
      hosting: { 'ml.g5.xlarge': { perHour: '1.6640000000', source: 'api' } },
      serverless: { perGbSecond: '0.0000240', source: 'api' },
    },
  },
};

describe('the shipped price table', () => {
  const shipped = priceLookup(SHIPPED_PRICES);

  it('prices us-east-1 hosting at the SageMaker pricing page, exactly, naming the page and its day', () => {
    expect(shipped.hosting('us-east-1', 'ml.g5.xlarge')).toEqual({
      amount: usd('1.408'),
      unit: 'instance-hour',
      region: 'us-east-1',
      date: '2025-06-01',
      source: 'Amazon SageMaker pricing page, real-time inference on-demand, us-east-1',
    });
  });

  it('says why the pricing page wins where FMBench disagrees', () => {
    const entry = SHIPPED_PRICES.regions['us-east-1']?.hosting['ml.g5.xlarge'];
    expect(entry?.source).toBe('sagemaker-pricing-page');
    expect(entry?.note).toContain('FMBench pricing.yml says 1.4084');
  });

  it('takes a type only FMBench lists from FMBench', () => {
    const p = shipped.hosting('us-east-1', 'ml.trn1.32xlarge');
    expect(p?.amount).toBe(usd('28.497'));
    expect(p?.source).toMatch(/^FMBench pricing\.yml/);
    expect(p?.date).toBe('2024-06-11');
  });

  it('prices eu-west-1 at the rates the real bill charged', () => {
    expect(shipped.hosting('eu-west-1', 'ml.g5.12xlarge')?.amount).toBe(usd('7.91'));
    expect(shipped.hosting('eu-west-1', 'ml.m5.xlarge')?.amount).toBe(usd('0.257'));
    expect(shipped.hosting('eu-west-1', 'ml.m5.xlarge')?.date).toBe('2023-12-31');
  });

  it('has no price where no source gives one: another region, an unlisted type, serverless', () => {
    expect(shipped.hosting('ap-south-1', 'ml.g5.xlarge')).toBeUndefined();
    expect(shipped.hosting('eu-west-1', 'ml.g5.xlarge')).toBeUndefined();
    expect(shipped.hosting('us-east-1', 'ml.constructor.x')).toBeUndefined();
    expect(shipped.hosting('us-east-1', 'constructor')).toBeUndefined();
    expect(shipped.serverless('us-east-1')).toBeUndefined();
    expect(shipped.regions()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('is what the build script makes of its sources (the data module is not typed by hand)', () => {
    expect(buildPriceTable(readSources())).toEqual(SHIPPED_PRICE_DOCUMENT);
  });

  it('gives INSTANCES its hourly prices (one source of list prices)', () => {
    for (const [type, spec] of Object.entries(INSTANCES)) {
      expect(parseMoney(String(spec.hourlyUsd)), type).toBe(
        SHIPPED_PRICES.regions['us-east-1']?.hosting[type]?.amount,
      );
    }
    expect(INSTANCES['ml.g5.xlarge']?.hourlyUsd).toBe(1.408);
  });

  it('builds us-east-1 from every ml.* type of both sources and nothing else', () => {
    const csv = readFileSync(join(ROOT, 'test/fixtures/prices/sagemaker-pricing-page-us-east-1.csv'), 'utf8');
    const pageTypes = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',')[0]);
    const types = Object.keys(SHIPPED_PRICES.regions['us-east-1']?.hosting ?? {});
    expect(types).toEqual(expect.arrayContaining([...pageTypes, 'ml.trn1.32xlarge']));
    expect(types).toHaveLength(pageTypes.length + 1);
  });
});

describe('parsePriceTable', () => {
  it('reads a refreshed table: exact amounts, serverless where given, the entry dated by its source', () => {
    const lookup = priceLookup(parsePriceTable(DOC, 'prices.json'));
    expect(lookup.hosting('eu-central-1', 'ml.g5.xlarge')).toEqual({
      amount: usd('1.664'),
      unit: 'instance-hour',
      region: 'eu-central-1',
      date: '2026-10-01',
      source: 'AWS Price List API (AmazonSageMaker)',
    });
    expect(lookup.serverless('eu-central-1')?.amount).toBe(24_000_000n);
    expect(lookup.serverless('eu-central-1')?.unit).toBe('GB-second');
    expect(lookup.date).toBe('2026-10-01');
    expect(lookup.source).toBe('AWS Price List API');
  });

  it('writes back to the same table', () => {
    const table = parsePriceTable(DOC, 'prices.json');
    expect(parsePriceTable(priceTableDocument(table), 'again')).toEqual(table);
    expect(priceTableDocument(table).regions['eu-central-1']?.hosting['ml.g5.xlarge']?.perHour).toBe('1.664');
  });

  const bad = (edit: (d: PriceTableDocument) => void) => {
    const doc = structuredClone(DOC);
    edit(doc);
    return () => parsePriceTable(doc, 'prices.json');
  };

  it('refuses a zero price, naming the file and the entry', () => {
    expect(
      bad((d) => {
        (d.regions['eu-central-1'] as { hosting: Record<string, { perHour: string }> }).hosting[
          'ml.g5.xlarge'
        ] = { perHour: '0.00', source: 'api' } as never;
      }),
    ).toThrow(
      'prices.json regions.eu-central-1.hosting["ml.g5.xlarge"].perHour: expected an amount above zero: a price is never zero',
    );
  });

  it('refuses a number where a decimal string is expected', () => {
    expect(
      bad((d) => {
        Object.assign(d.regions['eu-central-1']?.serverless ?? {}, { perGbSecond: 0.000024 });
      }),
    ).toThrow(/^prices\.json regions\.eu-central-1\.serverless\.perGbSecond: /);
  });

  it('refuses a price whose source the table does not list', () => {
    expect(
      bad((d) => {
        Object.assign(d.regions['eu-central-1']?.hosting['ml.g5.xlarge'] ?? {}, { source: 'page' });
      }),
    ).toThrow(
      'prices.json regions.eu-central-1.hosting["ml.g5.xlarge"].source: no source "page" in sources (sources: api)',
    );
  });

  it('refuses a type that is not an ml.* instance type, and a region that is not one', () => {
    expect(
      bad((d) => {
        Object.assign(d.regions['eu-central-1']?.hosting ?? {}, {
          'g5.xlarge': { perHour: '1', source: 'api' },
        });
      }),
    ).toThrow(/expected an ml\.\* instance type/);
    expect(
      bad((d) => {
        Object.assign(d.regions, { Frankfurt: { hosting: {} } });
      }),
    ).toThrow(/expected an AWS region/);
  });

  it('refuses an unknown key and another version', () => {
    expect(bad((d) => Object.assign(d, { extra: 1 }))).toThrow(/^prices\.json/);
    expect(bad((d) => Object.assign(d, { version: 2 }))).toThrow(/^prices\.json version: /);
  });
});

describe('compareInstanceTypes', () => {
  it('orders a family by size', () => {
    const types = [
      'ml.g5.12xlarge',
      'ml.g5.2xlarge',
      'ml.c5.large',
      'ml.g5.xlarge',
      'ml.t2.medium',
      'ml.g5.48xlarge',
    ];
    expect([...types].sort(compareInstanceTypes)).toEqual([
      'ml.c5.large',
      'ml.g5.xlarge',
      'ml.g5.2xlarge',
      'ml.g5.12xlarge',
      'ml.g5.48xlarge',
      'ml.t2.medium',
    ]);
  });
});
