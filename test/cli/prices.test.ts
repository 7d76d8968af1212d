import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPriceTable } from '../../lambdas/cli/prices.ts';
import { parseMoney } from '../../lambdas/core/money.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { cli, cliAsync } from '../helpers/cli.ts';
import { product, storageProduct } from '../helpers/price-list.ts';

const GET_PRODUCTS = 'AWSPriceListService.GetProducts';

describe('perf-budgets prices', () => {
  it('prints the shipped table: its date, its sources, and each type with price and source', () => {
    const r = cli(['prices', '--region', 'eu-west-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Prices: perf-budgets shipped price table, USD, dated 2025-06-01');
    expect(r.stdout).toContain('eu-west-1-bill: A real AWS bill, December 2023, EU (Ireland): Hosting rates');
    expect(r.stdout).toMatch(/ml\.g5\.12xlarge +\$7\.91 {2}eu-west-1-bill/);
    expect(r.stdout).toContain('serverless');
    expect(r.stdout).toContain('not priced: no source gives it');
    expect(r.stdout).not.toContain('us-east-1 (per instance-hour)');
  });

  it('prints the table as the JSON document check --prices takes', () => {
    const r = cli(['prices', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc.regions)).toEqual(['eu-west-1', 'us-east-1']);
    expect(doc.regions['us-east-1'].hosting['ml.g5.xlarge']).toMatchObject({
      perHour: '1.408',
      source: 'sagemaker-pricing-page',
    });
  });

  it('refuses a region the table has no prices for, naming the regions it has', () => {
    const r = cli(['prices', '--region', 'ap-south-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'perf-budgets: prices: --region ap-south-1: the table has no prices for it (regions: eu-west-1, us-east-1)\n',
    );
  });

  it('refuses a table file that is not one, naming the file and the path in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-bad-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ version: 1, date: '2026-10-01', currency: 'USD', source: 's' }));
    const r = cli(['prices', '--prices', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^perf-budgets: ${file} sources: .*\\n$`));
    writeFileSync(file, '{"version": 1,');
    expect(cli(['prices', '--prices', file]).stderr).toContain(`${file}: not JSON`);
  });

  it('--refresh refuses to run without a region or a file to write', () => {
    expect(cli(['prices', '--refresh', '--out', 'x.json']).stderr).toContain('--refresh needs --region R');
    const r = cli(['prices', '--refresh', '--region', 'us-east-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--refresh needs --out FILE');
    expect(cli(['prices', '--refresh', '--region', 'Frankfurt', '--out', 'x.json']).stderr).toContain(
      '--region Frankfurt: expected an AWS region such as us-east-1',
    );
  });
});

describe('perf-budgets prices --refresh against the Price List API', () => {
  let server: AwsTestServer;
  const products: Record<string, string[][]> = {
    'eu-central-1': [
      [
        product({ type: 'ml.g5.xlarge', region: 'eu-central-1', usd: ['1.6640000000'] }),
        storageProduct('eu-central-1'),
      ],
      [
        product({ type: 'ml.m5.large', region: 'eu-central-1', usd: ['0.1380000000'] }),
        product({ type: 'ml.c5.large', region: 'eu-central-1', usd: ['0.1'], sku: 'C1' }),
        product({ type: 'ml.c5.large', region: 'eu-central-1', usd: ['0.2'], sku: 'C2' }),
      ],
    ],
    'ap-south-1': [[]],
  };

  beforeAll(async () => {
    server = await startAwsServer({
      [GET_PRODUCTS]: (input) => {
        const region = (input.Filters as { Field: string; Value: string }[]).find(
          (f) => f.Field === 'regionCode',
        )?.Value as string;
        const pages = products[region] ?? [[]];
        const at = input.NextToken === undefined ? 0 : Number(input.NextToken);
        return {
          FormatVersion: 'aws_v1',
          PriceList: pages[at],
          ...(at + 1 < pages.length ? { NextToken: String(at + 1) } : {}),
        };
      },
    });
  });
  afterAll(() => server.close());

  it('writes every page of the region into a table file that loads, and names the type it left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-refresh-'));
    const out = join(dir, 'prices.json');
    const r = await cliAsync(['prices', '--refresh', '--region', 'eu-central-1', '--out', out], {
      AWS_ENDPOINT_URL_PRICING: server.url,
    });
    expect(r.stderr).toContain(
      '\nprices: eu-central-1: ml.c5.large: on-demand hourly prices 0.1 and 0.2 (products C1, C2); left out\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Wrote .*prices\.json: on-demand hosting prices of eu-central-1 2 instance types/,
    );
    expect(r.stdout).toContain('1 other products skipped; 2 pricing:GetProducts requests.');
    const prices = await loadPriceTable(out);
    expect(prices.regions()).toEqual(['eu-central-1']);
    expect(prices.hosting('eu-central-1', 'ml.g5.xlarge')?.amount).toBe(parseMoney('1.664'));
    expect(prices.hosting('eu-central-1', 'ml.g5.xlarge')?.source).toBe(
      'AWS Price List API, AmazonSageMaker on-demand Hosting',
    );
    expect(prices.hosting('eu-central-1', 'ml.c5.large')).toBeUndefined();
    expect(prices.source).toBe('AWS Price List API');
    expect(readdirSync(dir)).toEqual(['prices.json']);
    const sent = server.requests.filter((q) => q.target === GET_PRODUCTS).map((q) => q.input);
    expect(sent[0]).toMatchObject({ ServiceCode: 'AmazonSageMaker', FormatVersion: 'aws_v1' });
  });

  it('writes nothing when a region has no hosting price (a misspelt or unsupported region)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-none-'));
    const out = join(dir, 'prices.json');
    const r = await cliAsync(
      ['prices', '--refresh', '--region', 'eu-central-1', '--region', 'ap-south-1', '--out', out],
      { AWS_ENDPOINT_URL_PRICING: server.url },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'perf-budgets: prices: --region ap-south-1: the Price List API holds no SageMaker on-demand hosting price for it\n',
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('loadPriceTable', () => {
  it('gives the shipped table when no file is named', async () => {
    const prices = await loadPriceTable();
    expect(prices.date).toBe('2025-06-01');
    expect(prices.hosting('us-east-1', 'ml.m5.xlarge')?.amount).toBe(parseMoney('0.23'));
  });

  it('refuses a file it cannot read, naming it', async () => {
    await expect(loadPriceTable('/nonexistent/prices.json')).rejects.toThrow(
      '/nonexistent/prices.json: file not found',
    );
    const dir = mkdtempSync(join(tmpdir(), 'prices-load-'));
    // a FIFO would block the read forever: refused before it is opened
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    await expect(loadPriceTable(join(dir, 'fifo.json'))).rejects.toThrow(
      /fifo\.json: expected a regular file/,
    );
    writeFileSync(join(dir, 'p.json'), readFileSync(join(import.meta.dirname, 'prices.test.ts')));
    await expect(loadPriceTable(join(dir, 'p.json'))).rejects.toThrow(/p\.json: not JSON/);
  });
});
