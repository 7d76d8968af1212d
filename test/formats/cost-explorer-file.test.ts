import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { formatMoney, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import { ALL_SERVICES, loadCostExplorerJson } from '../../lambdas/formats/cost-explorer-file.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

const DAILY = fixture('cost-explorer/cloudtoolbox-daily-by-service.json');
const MONTHLY = fixture('cost-explorer/cloudscape-monthly-by-service.json');
const TAGGED = fixture('cost-explorer/aws-cli-service-and-environment-tag.json');
const billed = { costMetric: 'billed' } as const;
const effective = { costMetric: 'effective' } as const;
const tmp = scratch();

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const usd = (amount: string) => ({ Amount: amount, Unit: 'USD' });
const period = (start: string, end: string, rest: object) => ({
  TimePeriod: { Start: start, End: end },
  ...rest,
});

function json(name: string, doc: unknown): string {
  return tmp.write(name, JSON.stringify(doc));
}

describe('loadCostExplorerJson on a real DAILY response grouped by SERVICE (cloudtoolbox)', () => {
  it('reads SageMaker spend exactly, on its four days, as UTC days', async () => {
    const { records, gaps } = await loadCostExplorerJson(DAILY, billed);
    expect(gaps).toEqual([]);
    // python3 -c "import json,decimal; d=json.load(open('test/fixtures/cost-explorer/cloudtoolbox-daily-by-service.json'))
    //   s=[(p['TimePeriod']['Start'], g['Metrics']['UnblendedCost']['Amount']) for p in d['ResultsByTime']
    //      for g in p['Groups'] if g['Keys'] == ['Amazon SageMaker']]; print(s, sum(decimal.Decimal(a) for _, a in s))"
    // -> [('2024-04-04', '0.1982421979'), ('2024-04-17', '0.3337179982'), ('2024-04-18', '1.2723333336'),
    //     ('2024-04-19', '0.7450546616')] 2.5493481913
    const sagemaker = records.filter((r) => r.service === 'Amazon SageMaker');
    expect(
      sagemaker.map((r) => [new Date(r.start).toISOString(), r.end - r.start, formatMoney(r.amount, 10)]),
    ).toEqual([
      ['2024-04-04T00:00:00.000Z', 86_400_000, '0.1982421979'],
      ['2024-04-17T00:00:00.000Z', 86_400_000, '0.3337179982'],
      ['2024-04-18T00:00:00.000Z', 86_400_000, '1.2723333336'],
      ['2024-04-19T00:00:00.000Z', 86_400_000, '0.7450546616'],
    ]);
    const total = sumMoney(sagemaker.map((r) => r.amount));
    expect(total).toBe(parseMoney('2.5493481913'));
    expect(formatMoney(total, 2)).toBe('2.55');
  });

  it('sums every group exactly and says the data is final up to the day before the first estimated one', async () => {
    const { records, completeThrough } = await loadCostExplorerJson(DAILY, billed);
    // python3 -c "import json,decimal; d=json.load(open('test/fixtures/cost-explorer/cloudtoolbox-daily-by-service.json'))
    //   print(sum(decimal.Decimal(g['Metrics']['UnblendedCost']['Amount']) for p in d['ResultsByTime'] for g in p['Groups']))"
    // -> 67.2540521894
    expect(formatMoney(sumMoney(records.map((r) => r.amount)), 10)).toBe('67.2540521894');
    expect(records).toHaveLength(945);
    expect(records[0]).toMatchObject({
      currency: 'USD',
      tags: {},
      source: { file: DAILY, path: 'ResultsByTime[0].Groups[0]' },
    });
    // 2024-04-01 .. 2024-04-26 are Estimated.
    expect(completeThrough).toBe('2024-03-31');
  });

  it('names the metrics the file has when the effective metric is not among them', async () => {
    await expect(loadCostExplorerJson(DAILY, effective)).rejects.toThrow(
      `${DAILY}: the cost metric "effective" needs NetAmortizedCost or AmortizedCost in the response; it has UnblendedCost`,
    );
  });
});

describe('loadCostExplorerJson on a MONTHLY response with GroupDefinitions (cloudscape)', () => {
  it('gives one record per service and month, a month long', async () => {
    const { records, completeThrough } = await loadCostExplorerJson(MONTHLY, billed);
    // python3 -c "import json,decimal; d=json.load(open('test/fixtures/cost-explorer/cloudscape-monthly-by-service.json'))
    //   print([(p['TimePeriod']['Start'], str(sum(decimal.Decimal(g['Metrics']['UnblendedCost']['Amount'])
    //          for g in p['Groups']))) for p in d['ResultsByTime']][:2])"
    // -> [('2023-04-01', '205.4479067066'), ('2023-05-01', '471.5618570973')]
    const april = records.filter((r) => r.start === day('2023-04-01'));
    expect(april.every((r) => r.end === day('2023-05-01'))).toBe(true);
    expect(formatMoney(sumMoney(april.map((r) => r.amount)), 10)).toBe('205.4479067066');
    const may = records.filter((r) => r.start === day('2023-05-01'));
    expect(formatMoney(sumMoney(may.map((r) => r.amount)), 10)).toBe('471.5618570973');
    expect(completeThrough).toBe('2023-09-30');
  });
});

describe('loadCostExplorerJson grouping', () => {
  it('reads a TAG group definition as a tag and `Key$` as untagged (AWS CLI example)', async () => {
    const { records } = await loadCostExplorerJson(TAGGED, billed);
    expect(records.map((r) => [r.service, r.tags, formatMoney(r.amount, 10)])).toEqual([
      ['Amazon Simple Storage Service', {}, '40.3543773134'],
      ['Amazon Simple Storage Service', { Environment: 'Dev' }, '0.2682364644'],
    ]);
  });

  it('without GroupDefinitions takes `team$search` for a tag, `team$` for untagged, and other keys for services', async () => {
    const path = json('guess.json', {
      ResultsByTime: [
        period('2024-04-01', '2024-04-02', {
          Groups: [
            { Keys: ['team$search'], Metrics: { UnblendedCost: usd('1.5') } },
            { Keys: ['team$'], Metrics: { UnblendedCost: usd('0.25') } },
            { Keys: ['Amazon SageMaker', 'user:team$recs'], Metrics: { UnblendedCost: usd('2') } },
          ],
          Estimated: true,
        }),
      ],
    });
    const { records, completeThrough } = await loadCostExplorerJson(path, billed);
    expect(records.map((r) => [r.service, r.tags])).toEqual([
      [ALL_SERVICES, { team: 'search' }],
      [ALL_SERVICES, {}],
      ['Amazon SageMaker', { team: 'recs' }],
    ]);
    expect(completeThrough).toBe('2024-03-31');
  });

  it('maps USAGE_TYPE, REGION, LINKED_ACCOUNT and RESOURCE_ID dimensions, SageMaker hosting included', async () => {
    const path = json('dimensions.json', {
      GroupDefinitions: [
        { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
        { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
      ],
      ResultsByTime: [
        period('2024-04-01', '2024-04-02', {
          Total: {},
          Groups: [
            {
              Keys: [
                'USE1-Host:ml.g5.xlarge',
                'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod',
              ],
              Metrics: { UnblendedCost: usd('33.792'), UsageQuantity: { Amount: '24', Unit: 'Hrs' } },
            },
            { Keys: ['USE1-TimedStorage-ByteHrs', 'NoResourceId'], Metrics: { UnblendedCost: usd('0.1') } },
          ],
        }),
      ],
    });
    const { records } = await loadCostExplorerJson(path, billed);
    expect(records[0]).toMatchObject({
      service: 'Amazon SageMaker',
      usageType: 'USE1-Host:ml.g5.xlarge',
      endpoint: 'search-prod',
      instanceType: 'ml.g5.xlarge',
      usageHours: 24,
    });
    expect(records[1]).toMatchObject({ service: ALL_SERVICES, usageType: 'USE1-TimedStorage-ByteHrs' });
    expect(records[1]?.resourceId).toBeUndefined();
  });

  it('uses Total when the response has no groups, and NetAmortizedCost before AmortizedCost', async () => {
    const path = json('total.json', {
      ResultsByTime: [
        period('2024-04-01', '2024-04-02', {
          Total: { AmortizedCost: usd('9'), NetAmortizedCost: usd('8.5'), UnblendedCost: usd('10') },
          Estimated: false,
        }),
      ],
    });
    const eff = await loadCostExplorerJson(path, effective);
    expect(eff.records.map((r) => [r.service, formatMoney(r.amount, 2)])).toEqual([[ALL_SERVICES, '8.50']]);
    expect(eff.completeThrough).toBe('2024-04-01');
    const bill = await loadCostExplorerJson(path, billed);
    expect(formatMoney(bill.records[0]?.amount ?? 0n, 2)).toBe('10.00');
  });
});

describe('loadCostExplorerJson on bad input', () => {
  it('names the JSON path of an amount that is not a number', async () => {
    const ok = { Keys: ['AWS Glue'], Metrics: { UnblendedCost: usd('1') } };
    const path = json('bad-amount.json', {
      ResultsByTime: [
        period('2024-04-01', '2024-04-02', { Groups: [ok] }),
        period('2024-04-02', '2024-04-03', {
          Groups: [ok, { Keys: ['Tax'], Metrics: { UnblendedCost: usd('abc') } }],
        }),
      ],
    });
    const err = await loadCostExplorerJson(path, billed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${path} ResultsByTime[1].Groups[1].Metrics.UnblendedCost.Amount: expected a decimal amount as a string, got "abc"`,
    );
  });

  it('names the JSON path of a missing or malformed part of the structure', async () => {
    const noPeriod = json('no-period.json', { ResultsByTime: [{ Groups: [] }] });
    await expect(loadCostExplorerJson(noPeriod, billed)).rejects.toThrow(
      `${noPeriod} ResultsByTime[0].TimePeriod:`,
    );
    const badDate = json('bad-date.json', { ResultsByTime: [period('April 1', '2024-04-02', {})] });
    await expect(loadCostExplorerJson(badDate, billed)).rejects.toThrow(
      `${badDate} ResultsByTime[0].TimePeriod.Start: expected a date like 2024-04-01, got "April 1"`,
    );
    const notCe = json('not-ce.json', { hello: 'world' });
    await expect(loadCostExplorerJson(notCe, billed)).rejects.toThrow(`${notCe} ResultsByTime:`);
  });

  it('names a group that lacks the metric the others have', async () => {
    const path = json('missing-metric.json', {
      ResultsByTime: [
        period('2024-04-01', '2024-04-02', {
          Groups: [
            { Keys: ['AWS Glue'], Metrics: { UnblendedCost: usd('1') } },
            { Keys: ['Tax'], Metrics: { BlendedCost: usd('1') } },
          ],
        }),
      ],
    });
    await expect(loadCostExplorerJson(path, billed)).rejects.toThrow(
      `${path} ResultsByTime[0].Groups[1].Metrics: expected the metric UnblendedCost; found BlendedCost`,
    );
  });

  it('reports text that is not JSON, and a missing file, as InputErrors', async () => {
    const path = tmp.write('broken.json', '{"ResultsByTime": [');
    await expect(loadCostExplorerJson(path, billed)).rejects.toThrow(
      `${path}: expected a Cost Explorer GetCostAndUsage response as JSON:`,
    );
    await expect(loadCostExplorerJson(`${tmp.dir}/none.json`, billed)).rejects.toThrow(
      `${tmp.dir}/none.json: file not found`,
    );
  });

  it('gives no records and a gap for a response without periods', async () => {
    const path = json('empty.json', { ResultsByTime: [] });
    expect(await loadCostExplorerJson(path, billed)).toEqual({
      records: [],
      gaps: [{ source: 'costs', scope: path, message: 'the Cost Explorer file has no periods' }],
    });
  });
});
