import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { formatMoney, type Money, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { loadFocusCsv } from '../../lambdas/formats/focus.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

const SAMPLE = fixture('focus/focus_sample.csv');
const SAGEMAKER = fixture('focus/sagemaker-endpoints.csv');
const billed = { costMetric: 'billed' } as const;
const tmp = scratch();

function totalsBy(records: readonly CostRecord[], key: (r: CostRecord) => string): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const r of records) out.set(key(r), (out.get(key(r)) ?? 0n) + r.amount);
  return out;
}

const HEADER = 'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost,Tags';
const row = (cost: string, tags = 'NULL') =>
  `2024-09-18 22:00:00,2024-09-18 23:00:00,Amazon SageMaker,USD,${cost},${tags}`;

describe('loadFocusCsv on the FOCUS 1.0 sample (FinOps Foundation, 1,000 real rows)', () => {
  it('sums BilledCost exactly, in total and by ServiceName', async () => {
    const { records, gaps } = await loadFocusCsv(SAMPLE, billed);
    expect(records).toHaveLength(1000);
    expect(gaps).toEqual([]);
    // python3 -c "import csv,decimal,collections as c; s=c.defaultdict(decimal.Decimal)
    //   [s.__setitem__(r['ServiceName'], s[r['ServiceName']] + decimal.Decimal(r['BilledCost']))
    //    for r in csv.DictReader(open('test/fixtures/focus/focus_sample.csv', encoding='utf-8-sig'))]
    //   print(sum(s.values()), s['Amazon Elastic Compute Cloud'], s['Azure Kubernetes Service'],
    //         s['Elastic Load Balancing'], len(s))"
    // -> 20.52022672899 16.04169305050 1.58088000000 0.31368424450 33
    const total = sumMoney(records.map((r) => r.amount));
    expect(total).toBe(parseMoney('20.52022672899'));
    expect(formatMoney(total, 11)).toBe('20.52022672899');
    expect(formatMoney(total, 2)).toBe('20.52');
    const byService = totalsBy(records, (r) => r.service);
    expect(byService.size).toBe(33);
    expect(byService.get('Amazon Elastic Compute Cloud')).toBe(parseMoney('16.04169305050'));
    expect(byService.get('Azure Kubernetes Service')).toBe(parseMoney('1.58088'));
    expect(byService.get('Elastic Load Balancing')).toBe(parseMoney('0.31368424450'));
    expect(formatMoney(byService.get('Amazon Elastic Compute Cloud') ?? 0n, 2)).toBe('16.04');
  });

  it('sums BilledCost exactly by the environment tag, untagged rows apart', async () => {
    const { records } = await loadFocusCsv(SAMPLE, billed);
    // python3 -c "import csv,json,decimal,collections as c; s=c.defaultdict(decimal.Decimal)
    //   [s.__setitem__(k, s[k] + decimal.Decimal(r['BilledCost'])) for r in csv.DictReader(open(
    //    'test/fixtures/focus/focus_sample.csv', encoding='utf-8-sig')) for k in [(json.loads(r['Tags'])
    //    if r['Tags'] != 'NULL' else {}).get('environment')]]; print(dict(s))"
    // -> {None: 0.27416448666, 'dev': 18.20324140013, 'prod': 2.04282084220}
    const byEnv = totalsBy(records, (r) => r.tags.environment ?? '(untagged)');
    expect(Object.fromEntries([...byEnv].map(([k, v]) => [k, formatMoney(v, 11)]))).toEqual({
      dev: '18.20324140013',
      prod: '2.04282084220',
      '(untagged)': '0.27416448666',
    });
    expect(formatMoney(byEnv.get('dev') ?? 0n, 2)).toBe('18.20');
  });

  it('sums EffectiveCost when the cost metric is effective', async () => {
    const { records } = await loadFocusCsv(SAMPLE, { costMetric: 'effective' });
    // python3 -c "import csv,decimal; print(sum(decimal.Decimal(r['EffectiveCost']) for r in
    //   csv.DictReader(open('test/fixtures/focus/focus_sample.csv', encoding='utf-8-sig'))))"  -> 14.97651418586
    expect(formatMoney(sumMoney(records.map((r) => r.amount)), 11)).toBe('14.97651418586');
  });

  it('reads NULL and empty cells as absent', async () => {
    const { records } = await loadFocusCsv(SAMPLE, billed);
    const first = records[0] as CostRecord;
    expect(first).toMatchObject({
      start: Date.UTC(2024, 8, 18, 22),
      end: Date.UTC(2024, 8, 18, 23),
      amount: parseMoney('0.00000080000'),
      currency: 'USD',
      service: 'Amazon Simple Queue Service',
      chargeCategory: 'Usage',
      region: 'us-west-2',
      account: '51738928782',
      tags: {},
      source: { file: SAMPLE, row: 2 },
    });
    expect(first.usageType).toBeUndefined();
    // Oracle rows write empty strings where AWS rows write NULL.
    const oracle = records.filter((r) => r.service === 'COMPUTE');
    expect(oracle.length).toBeGreaterThan(0);
    expect(oracle.every((r) => r.region === undefined)).toBe(true);
  });

  it('accepts letter-scrambled ARNs without taking them for endpoints', async () => {
    const { records } = await loadFocusCsv(SAMPLE, billed);
    const scrambled = records.filter((r) => r.resourceId?.startsWith('arn:ats:'));
    expect(scrambled.length).toBeGreaterThan(400);
    expect(records.filter((r) => r.endpoint !== undefined || r.instanceType !== undefined)).toEqual([]);
  });
});

describe('loadFocusCsv on SageMaker rows', () => {
  it('recognises hosting usage of an endpoint: endpoint, instance type and instance-hours', async () => {
    const { records } = await loadFocusCsv(SAGEMAKER, billed);
    const [first, second, storage] = records;
    expect(first).toMatchObject({
      service: 'Amazon SageMaker',
      endpoint: 'search-prod',
      instanceType: 'ml.g5.xlarge',
      usageType: 'USE1-Host:ml.g5.xlarge',
      usageHours: 1,
      training: false,
      amount: parseMoney('1.408'),
      region: 'us-east-1',
      account: '111122223333',
      start: Date.UTC(2024, 8, 18, 22),
      end: Date.UTC(2024, 8, 18, 23),
    });
    expect(second).toMatchObject({
      endpoint: 'search-prod',
      usageHours: 2,
      start: Date.UTC(2024, 8, 18, 23),
    });
    // Storage of the endpoint's instances belongs to the endpoint but is not instance usage.
    expect(storage).toMatchObject({ endpoint: 'search-prod', usageType: 'USE1-Host:VolumeUsage.gp2' });
    expect(storage?.instanceType).toBeUndefined();
    expect(storage?.usageHours).toBeUndefined();
  });

  it('flags training usage and leaves it without an endpoint', async () => {
    const { records } = await loadFocusCsv(SAGEMAKER, billed);
    const training = records.filter((r) => r.training);
    expect(training).toHaveLength(1);
    expect(training[0]).toMatchObject({ usageType: 'USE1-Train:ml.p3.2xlarge', amount: parseMoney('3.825') });
    expect(training[0]?.endpoint).toBeUndefined();
    expect(training[0]?.instanceType).toBeUndefined();
  });

  it('strips the user: prefix of cost-allocation tags and keeps other keys as they are', async () => {
    const { records } = await loadFocusCsv(SAGEMAKER, billed);
    expect(records[0]?.tags).toEqual({
      team: 'search',
      env: 'prod',
      'aws:createdBy': 'AssumedRole:AROAEXAMPLE:deployer',
    });
    expect(records[4]?.tags).toEqual({ team: 'search', env: 'prod' });
    // Rows with the same Tags cell share one object, so per-tag-set caches downstream hit.
    expect(records[0]?.tags).toBe(records[1]?.tags);
  });

  it('names a tax row without a ServiceName "Tax" and reads an all-NULL row without failing', async () => {
    const { records } = await loadFocusCsv(SAGEMAKER, billed);
    expect(records[6]).toMatchObject({ service: 'Tax', chargeCategory: 'Tax', tags: {} });
    expect(records[5]).toMatchObject({ service: 'Elastic Load Balancing', tags: {} });
    expect(records[5]?.endpoint).toBeUndefined();
    expect(records[5]?.usageHours).toBeUndefined();
  });

  it('takes EffectiveCost for the effective metric', async () => {
    const { records } = await loadFocusCsv(SAGEMAKER, { costMetric: 'effective' });
    expect(records[0]?.amount).toBe(parseMoney('1.01376'));
  });
});

describe('loadFocusCsv on SageMaker rows without the AWS x_ columns', () => {
  // Descriptions, quantities and units of the real bill excerpt in test/fixtures/sagemaker/sample-costs.md.
  const ARN = 'arn:aws:sagemaker:eu-west-1:111122223333';
  const HEADER =
    'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost,ChargeDescription,ConsumedQuantity,ConsumedUnit,PricingQuantity,PricingUnit,SkuId,ResourceId';
  const line = (cost: string, description: string, qty: string, unit: string, resource: string) =>
    `2023-12-01 00:00:00,2024-01-01 00:00:00,Amazon SageMaker,USD,${cost},"${description}",${qty},${unit},${qty},${unit},2X9B3NHEVH5XT8HG,${resource}`;

  it('recognises hosting, training and other instance usage from ChargeDescription as AWS prints it', async () => {
    const path = tmp.write(
      'no-x-columns.csv',
      [
        HEADER,
        line(
          '2.11',
          '$0.257 per Hosting ml.m5.xlarge hour in EU (Ireland)',
          '8.208',
          'Hrs',
          `${ARN}:endpoint/ssh-a`,
        ),
        line('1.07', '$0.821 for Endpoint ml.g4dn.xlarge', '1.299', 'Hrs', `${ARN}:endpoint/ssh-b`),
        line(
          '11.31',
          '$0.257 per Training ml.m5.xlarge hour in EU (Ireland)',
          '44.015',
          'Hrs',
          `${ARN}:training-job/t`,
        ),
        line(
          '43.00',
          '$0.257 per Training Warm Pool ml.m5.xlarge hour in EU (Ireland)',
          '167.301',
          'Hrs',
          '',
        ),
        line('40.92', '$0.055 per Notebook ml.t3.medium hour in EU (Ireland)', '744', 'Hrs', ''),
        line('0.03', '$0.154 per GB-Mo of Endpoint ML storage', '0.222', 'GB-Mo', `${ARN}:endpoint/ssh-a`),
      ].join('\n'),
    );
    const { records } = await loadFocusCsv(path, billed);
    expect(records.map((r) => [r.endpoint, r.instanceType, r.usageHours, r.training])).toEqual([
      ['ssh-a', 'ml.m5.xlarge', 8.208, false],
      ['ssh-b', 'ml.g4dn.xlarge', 1.299, false],
      [undefined, undefined, undefined, true],
      // warm pools cannot run on spot capacity: not the managed-spot lever
      [undefined, undefined, undefined, false],
      [undefined, undefined, undefined, false],
      ['ssh-a', undefined, undefined, false],
    ]);
  });

  it('recognises hosting from a SKU price id that carries the usage type', async () => {
    const path = tmp.write(
      'sku-usage.csv',
      [
        'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost,ConsumedQuantity,ConsumedUnit,SkuId,SkuPriceId,ResourceId',
        `2024-09-18 22:00:00,2024-09-18 23:00:00,Amazon SageMaker,USD,2.816,2,Hours,ZQ6Y9KJMCVB4RT2G,USE1-Host:ml.g5.xlarge,${ARN}:endpoint/x`,
      ].join('\n'),
    );
    const { records } = await loadFocusCsv(path, billed);
    expect(records[0]).toMatchObject({ endpoint: 'x', instanceType: 'ml.g5.xlarge', usageHours: 2 });
  });

  it('takes instance-hours from the pricing quantity when only its unit is hours, and none from other units', async () => {
    const path = tmp.write(
      'units.csv',
      [
        'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost,x_UsageType,ConsumedQuantity,ConsumedUnit,PricingQuantity,PricingUnit,ResourceId',
        `2024-09-18 22:00:00,2024-09-18 23:00:00,Amazon SageMaker,USD,2.816,USE1-Host:ml.g5.xlarge,7200,Seconds,2,Hrs,${ARN}:endpoint/x`,
        `2024-09-18 22:00:00,2024-09-18 23:00:00,Amazon SageMaker,USD,2.816,USE1-Host:ml.g5.xlarge,7200,Seconds,7200,Seconds,${ARN}:endpoint/x`,
        `2024-09-18 22:00:00,2024-09-18 23:00:00,Amazon SageMaker,USD,2.816,USE1-Host:ml.g5.xlarge,2,,2,,${ARN}:endpoint/x`,
      ].join('\n'),
    );
    const { records } = await loadFocusCsv(path, billed);
    expect(records.map((r) => [r.instanceType, r.usageHours])).toEqual([
      ['ml.g5.xlarge', 2],
      ['ml.g5.xlarge', undefined],
      ['ml.g5.xlarge', undefined],
    ]);
  });
});

describe('loadFocusCsv on bad input', () => {
  it('names a missing required column and the columns it found', async () => {
    const path = tmp.write('no-cost.csv', 'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency\n');
    const err = await loadFocusCsv(path, billed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${path}, row 1, column BilledCost: missing required column; found columns: ChargePeriodStart, ChargePeriodEnd, ServiceName, BillingCurrency`,
    );
  });

  it('names row and column of a cost that is not a number', async () => {
    const path = tmp.write('bad-cost.csv', [HEADER, row('1.5'), row('abc')].join('\n'));
    await expect(loadFocusCsv(path, billed)).rejects.toThrow(
      `${path}, row 3, column BilledCost: expected a decimal amount, got "abc"`,
    );
  });

  it('does not read a NULL cost as zero', async () => {
    const path = tmp.write('null-cost.csv', [HEADER, row('NULL')].join('\n'));
    await expect(loadFocusCsv(path, billed)).rejects.toThrow(`${path}, row 2, column BilledCost`);
  });

  it('names row and column of a Tags cell that is not a JSON object', async () => {
    const broken = tmp.write('bad-tags.csv', [HEADER, row('1', '"{""team"": ""search"""')].join('\n'));
    await expect(loadFocusCsv(broken, billed)).rejects.toThrow(
      `${broken}, row 2, column Tags: expected a JSON object of tag keys and values, got "{\\"team\\": \\"search\\""`,
    );
    const array = tmp.write('array-tags.csv', [HEADER, row('1', '"[1,2]"')].join('\n'));
    await expect(loadFocusCsv(array, billed)).rejects.toThrow(`${array}, row 2, column Tags`);
  });

  it('names row and column of a timestamp it cannot read', async () => {
    const path = tmp.write(
      'bad-time.csv',
      [HEADER, row('1').replace('2024-09-18 22:00:00', '18/09/2024')].join('\n'),
    );
    await expect(loadFocusCsv(path, billed)).rejects.toThrow(
      `${path}, row 2, column ChargePeriodStart: expected a timestamp like 2024-09-18 22:00:00 or 2024-09-18T22:00:00Z, got "18/09/2024"`,
    );
  });

  it('reports a missing file as an InputError', async () => {
    await expect(loadFocusCsv(`${tmp.dir}/missing.csv`, billed)).rejects.toBeInstanceOf(InputError);
  });

  it('gives no records and a gap, not an error, for a header-only file', async () => {
    const path = tmp.write('header-only.csv', `${HEADER}\n`);
    expect(await loadFocusCsv(path, billed)).toEqual({
      records: [],
      gaps: [{ source: 'costs', scope: path, message: 'the FOCUS file has a header but no charges' }],
    });
  });
});

describe('loadFocusCsv money', () => {
  it('sums any amounts split across rows to their exact decimal sum', async () => {
    let n = 0;
    // Amounts in units of 1e-11 (FOCUS exports carry 11 decimals), up to a billion either way.
    const units = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
    await fc.assert(
      fc.asyncProperty(fc.array(units, { minLength: 1, maxLength: 40 }), async (amounts) => {
        const text = amounts.map((u) => {
          const neg = u < 0n;
          const digits = (neg ? -u : u).toString().padStart(12, '0');
          return `${neg ? '-' : ''}${digits.slice(0, -11)}.${digits.slice(-11)}`;
        });
        const path = tmp.write(`sum-${n++}.csv`, [HEADER, ...text.map((t) => row(t))].join('\n'));
        const { records } = await loadFocusCsv(path, billed);
        const exact = amounts.reduce((a, b) => a + b, 0n) * 10n; // to pico-units
        expect(sumMoney(records.map((r) => r.amount))).toBe(exact);
      }),
      { numRuns: 60 },
    );
  });
});

describe('loadFocusCsv on amounts too large to be a bill', () => {
  it('refuses a 310-digit BilledCost, naming the row', async () => {
    const path = tmp.write(
      'huge-amount.csv',
      [
        'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost',
        '2024-09-01,2024-09-02,Amazon S3,USD,1.5',
        `2024-09-02,2024-09-03,Amazon S3,USD,${'9'.repeat(310)}`,
      ].join('\n'),
    );
    await expect(loadFocusCsv(path, billed)).rejects.toThrow(
      `${path}, row 3, column BilledCost: expected an amount below 10^12 in magnitude, got "${'9'.repeat(57)}..."`,
    );
  });
});
