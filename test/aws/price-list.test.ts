import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readHostingPrices } from '../../lambdas/aws/price-list.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { product, storageProduct } from '../helpers/price-list.ts';

const pricing = mockClient(PricingClient);
const client = new PricingClient({ region: 'us-east-1' });

beforeEach(() => pricing.reset());

const read = (region = 'eu-central-1', usage = new ApiUsage()) =>
  readHostingPrices(region, { client, usage });

describe('readHostingPrices', () => {
  it('asks for SageMaker instance hosting in the region and reads every page', async () => {
    pricing
      .on(GetProductsCommand)
      .resolvesOnce({
        FormatVersion: 'aws_v1',
        NextToken: 'page-2',
        PriceList: [product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.6640000000'] })],
      })
      .resolvesOnce({
        FormatVersion: 'aws_v1',
        PriceList: [product({ type: 'ml.m5.large', region: 'eu-central-1', usd: ['0.1380000000'] })],
      });
    const usage = new ApiUsage();
    const r = await read('eu-central-1', usage);
    expect(r.perHour).toEqual({ 'ml.g5.xlarge': '1.664', 'ml.m5.large': '0.138' });
    expect(r.problems).toEqual([]);
    expect(usage.requests('pricing:GetProducts')).toBe(2);
    expect(pricing).toHaveReceivedCommandWith(GetProductsCommand, {
      ServiceCode: 'AmazonSageMaker',
      FormatVersion: 'aws_v1',
      Filters: [
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-central-1' },
        { Type: 'TERM_MATCH', Field: 'component', Value: 'Hosting' },
        { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'ML Instance' },
      ],
    });
    expect(pricing.commandCalls(GetProductsCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('skips and counts products that are not on-demand instance hosting', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.6640000000'] }),
        storageProduct('eu-central-1'),
        product({ type: 'ml.g5.2xlarge', region: 'eu-central-1', usd: ['2.0'], unit: 'Quantity' }),
        product({ type: 'ml.g5.4xlarge', region: 'eu-west-1', usd: ['2.5'] }),
        product({
          type: 'ml.g5.8xlarge',
          region: 'eu-central-1',
          usd: ['4.0'],
          usagetype: 'EUC1-Notebk:ml.g5.8xlarge',
        }),
      ],
    });
    const r = await read();
    expect(r.perHour).toEqual({ 'ml.g5.xlarge': '1.664' });
    expect(r.skipped).toBe(4);
  });

  it('names a type with two different hourly prices instead of picking one', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.6640000000'], sku: 'AAA' }),
        product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.7000000000'], sku: 'BBB' }),
        product({ type: 'ml.c5.large', region: 'eu-central-1', usd: ['0.1', '0.2'], sku: 'CCC' }),
        product({ type: 'ml.m5.large', region: 'eu-central-1', usd: ['0.1380000000'], sku: 'DDD' }),
        product({ type: 'ml.m5.large', region: 'eu-central-1', usd: ['0.138'], sku: 'EEE' }),
      ],
    });
    const r = await read();
    expect(r.perHour).toEqual({ 'ml.m5.large': '0.138' });
    expect(r.problems).toEqual([
      'ml.c5.large: on-demand hourly prices 0.1 and 0.2 (products CCC); left out',
      'ml.g5.xlarge: on-demand hourly prices 1.664 and 1.7 (products AAA, BBB); left out',
    ]);
  });

  it('leaves out a type priced at zero, and one whose price is not a number', async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        product({ type: 'ml.t2.medium', region: 'eu-central-1', usd: ['0.0000000000'], sku: 'FREE' }),
        product({ type: 'ml.m5.large', region: 'eu-central-1', usd: ['n/a'], sku: 'BAD' }),
      ],
    });
    const r = await read();
    expect(r.perHour).toEqual({});
    expect(r.problems).toEqual([
      'ml.m5.large: product BAD has an hourly price "n/a" that is not a number; left out',
      'ml.t2.medium: priced at zero (products FREE); left out',
    ]);
  });

  it('fails with the action to grant when GetProducts is denied', async () => {
    pricing
      .on(GetProductsCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAccessError);
    expect((err as AwsAccessError).message).toBe(
      'pricing:GetProducts was denied (AccessDeniedException): grant the IAM action pricing:GetProducts to the role running perf-budgets',
    );
  });

  it('reads an item handed over as a String object, as the SDK deserialises the wire response', async () => {
    const boxed = Object(product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.664'] })) as string;
    pricing.on(GetProductsCommand).resolves({ PriceList: [boxed] });
    expect((await read()).perHour).toEqual({ 'ml.g5.xlarge': '1.664' });
  });

  it('fails, naming the API, on an item that is not JSON', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: ['{"product": '] });
    await expect(read()).rejects.toThrow('pricing:GetProducts returned a PriceList item that is not JSON');
  });
});
