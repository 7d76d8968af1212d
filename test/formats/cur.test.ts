import { describe, expect, it } from 'vitest';
import { formatMoney, type Money, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { loadCurCsv } from '../../lambdas/formats/cur.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

const SAMPLE = fixture('cur/sample-anonymous-aws-export-dataset.csv');
const SAVINGS_PLAN = fixture('cur/sagemaker-savings-plan.csv');
const billed = { costMetric: 'billed' } as const;
const effective = { costMetric: 'effective' } as const;
const tmp = scratch();

function totalsBy(records: readonly CostRecord[], key: (r: CostRecord) => string): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const r of records) out.set(key(r), (out.get(key(r)) ?? 0n) + r.amount);
  return out;
}

describe('loadCurCsv on the anonymised CUR sample (FinOps Foundation focus_converters, Nov 2023)', () => {
  it('sums lineItem/UnblendedCost exactly, in total and by product, tax rows as "Tax"', async () => {
    const { records, gaps } = await loadCurCsv(SAMPLE, billed);
    expect(records).toHaveLength(1281);
    expect(gaps).toEqual([]);
    // python3 -c "import csv,decimal,collections as c; s=c.defaultdict(decimal.Decimal)
    //   [s.__setitem__(k, s[k] + decimal.Decimal(r['lineItem/UnblendedCost'])) for r in csv.DictReader(open(
    //    'test/fixtures/cur/sample-anonymous-aws-export-dataset.csv', encoding='utf-8-sig')) for k in
    //    ['Tax' if r['lineItem/LineItemType'] == 'Tax' else r['product/ProductName'] or r['lineItem/ProductCode']]]
    //   print(sum(s.values()), s['Amazon Simple Storage Service'], s['AWS Key Management Service'], s['Tax'], len(s))"
    // -> 1.68230869740 1.37056535650 0.2305555574 0.08 14
    const total = sumMoney(records.map((r) => r.amount));
    expect(total).toBe(parseMoney('1.68230869740'));
    expect(formatMoney(total, 2)).toBe('1.68');
    const byProduct = totalsBy(records, (r) => r.service);
    expect(byProduct.size).toBe(14);
    expect(formatMoney(byProduct.get('Amazon Simple Storage Service') ?? 0n, 11)).toBe('1.37056535650');
    expect(formatMoney(byProduct.get('AWS Key Management Service') ?? 0n, 10)).toBe('0.2305555574');
    expect(formatMoney(byProduct.get('Tax') ?? 0n, 2)).toBe('0.08');
    expect(records.filter((r) => r.chargeCategory === 'Tax')).toHaveLength(12);
  });

  it('reads a file without a lineItem/ResourceId column, amounts in exponent notation and the CUR timestamps', async () => {
    const { records } = await loadCurCsv(SAMPLE, billed);
    expect(records.every((r) => r.resourceId === undefined && r.endpoint === undefined)).toBe(true);
    const s3 = records.find((r) => r.source?.row === 102);
    expect(s3).toMatchObject({
      service: 'Amazon Simple Storage Service',
      usageType: 'USE1-APN3-AWS-Out-Bytes',
      amount: parseMoney('1.46E-8'),
      region: 'us-east-1',
      account: '123412340534',
      chargeCategory: 'Usage',
      start: Date.UTC(2023, 10, 8, 10),
      end: Date.UTC(2023, 10, 8, 11),
      tags: {},
    });
  });
});

describe('loadCurCsv on SageMaker rows', () => {
  it('recognises endpoints from lineItem/ResourceId and counts instance-hours once despite the negation row', async () => {
    const { records } = await loadCurCsv(SAVINGS_PLAN, billed);
    const hosting = records.filter((r) => r.instanceType !== undefined);
    expect(hosting.map((r) => [r.endpoint, r.instanceType, r.chargeCategory, r.usageHours])).toEqual([
      ['search-prod', 'ml.g5.xlarge', 'SavingsPlanCoveredUsage', 1],
      ['search-prod', 'ml.g5.xlarge', 'SavingsPlanNegation', undefined],
      ['recs-canary', 'ml.inf2.xlarge', 'Usage', 1],
    ]);
  });

  it('turns resourceTags/user:KEY columns into tag KEY and keeps aws: tags whole', async () => {
    const { records } = await loadCurCsv(SAVINGS_PLAN, billed);
    expect(records[0]?.tags).toEqual({ team: 'search', 'aws:createdBy': 'AssumedRole:AROAEXAMPLE:deployer' });
    expect(records[3]?.tags).toEqual({ team: 'recs' });
    expect(records[4]?.tags).toEqual({});
  });

  it('names services by product name, falls back to the product code, and calls tax rows "Tax"', async () => {
    const { records } = await loadCurCsv(SAVINGS_PLAN, billed);
    expect(records.map((r) => r.service)).toEqual([
      'Amazon SageMaker',
      'Amazon SageMaker',
      'Savings Plans for AWS Compute usage',
      'Amazon SageMaker',
      'Tax',
      'AmazonS3',
    ]);
  });

  it('bills covered usage at on-demand price, cancelled by the negation, with the commitment as the fee', async () => {
    const { records } = await loadCurCsv(SAVINGS_PLAN, billed);
    const byEndpoint = totalsBy(records, (r) => r.endpoint ?? '-');
    expect(formatMoney(byEndpoint.get('search-prod') ?? 1n, 5)).toBe('0.00000');
    expect(formatMoney(sumMoney(records.map((r) => r.amount)), 3)).toBe('2.463');
  });

  it('amortises for the effective metric: covered usage at its effective cost, negation zero, unused commitment only', async () => {
    const { records } = await loadCurCsv(SAVINGS_PLAN, effective);
    expect(records.map((r) => formatMoney(r.amount, 5))).toEqual([
      '1.01376',
      '0.00000',
      '0.08624',
      '0.99000',
      '0.35000',
      '0.02300',
    ]);
    // The commitment is all counted, once: billed and amortised totals agree.
    expect(formatMoney(sumMoney(records.map((r) => r.amount)), 5)).toBe('2.46300');
  });

  it('names the column a covered row needs for the effective metric when the file lacks it', async () => {
    const path = tmp.write(
      'ri.csv',
      [
        'lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost,lineItem/ProductCode,lineItem/CurrencyCode,lineItem/LineItemType',
        '2024-09-18T22:00:00Z,2024-09-18T23:00:00Z,0,AmazonEC2,USD,DiscountedUsage',
      ].join('\n'),
    );
    await expect(loadCurCsv(path, effective)).rejects.toThrow(
      `${path}, row 1, column reservation/EffectiveCost: missing required column`,
    );
    expect((await loadCurCsv(path, billed)).records).toHaveLength(1);
  });

  it('recognises usage from lineItem/LineItemDescription, and hours only from a quantity said to be in hours', async () => {
    const head =
      'lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost,lineItem/ProductCode,lineItem/CurrencyCode,lineItem/LineItemType,lineItem/UsageType,lineItem/LineItemDescription,lineItem/ResourceId,lineItem/UsageAmount';
    const arn = 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint';
    const row = (usageType: string, description: string, resource: string) =>
      `2023-12-01T00:00:00Z,2023-12-01T01:00:00Z,1.678,AmazonSageMaker,USD,Usage,${usageType},"${description}",${arn}/${resource},1`;
    const path = tmp.write(
      'descriptions.csv',
      [
        head,
        row('', '$1.678 per Hosting ml.g4dn.4xlarge hour in EU (Ireland)', 'a'),
        row('EU-Host:ml.g4dn.4xlarge', '$1.678 per Hosting ml.g4dn.4xlarge hour in EU (Ireland)', 'b'),
        // no pricing/unit and a description without "hour": the amount's unit is not stated
        row('EU-Host:ml.g4dn.xlarge', '$0.821 for Endpoint ml.g4dn.xlarge', 'c'),
        row('EU-AsyncInf:ml.g5.xlarge', '', 'd'),
      ].join('\n'),
    );
    const { records } = await loadCurCsv(path, billed);
    expect(records.map((r) => [r.endpoint, r.instanceType, r.usageHours])).toEqual([
      ['a', 'ml.g4dn.4xlarge', 1],
      ['b', 'ml.g4dn.4xlarge', 1],
      ['c', 'ml.g4dn.xlarge', undefined],
      ['d', 'ml.g5.xlarge', undefined],
    ]);
  });
});

describe('loadCurCsv on bad input', () => {
  const header =
    'lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost,lineItem/ProductCode,lineItem/CurrencyCode';

  it('names a missing required column', async () => {
    const path = tmp.write(
      'no-product.csv',
      'lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost\n',
    );
    await expect(loadCurCsv(path, billed)).rejects.toThrow(
      `${path}, row 1, column lineItem/ProductCode: missing required column; found columns: lineItem/UsageStartDate, lineItem/UsageEndDate, lineItem/UnblendedCost`,
    );
  });

  it('names row and column of a cost that is not a number', async () => {
    const path = tmp.write(
      'bad-cost.csv',
      `${header}\n2024-09-18T22:00:00Z,2024-09-18T23:00:00Z,1.5,AmazonS3,USD\n2024-09-18T22:00:00Z,2024-09-18T23:00:00Z,n/a,AmazonS3,USD\n`,
    );
    await expect(loadCurCsv(path, billed)).rejects.toThrow(
      `${path}, row 3, column lineItem/UnblendedCost: expected a decimal amount, got "n/a"`,
    );
  });

  it('gives no records and a gap for a header-only file', async () => {
    const path = tmp.write('header-only.csv', `${header}\n`);
    const load = await loadCurCsv(path, billed);
    expect(load.records).toEqual([]);
    expect(load.gaps).toEqual([
      { source: 'costs', scope: path, message: 'the CUR file has a header but no line items' },
    ]);
  });
});
