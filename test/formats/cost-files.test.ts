import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { formatMoney, sumMoney } from '../../lambdas/core/money.ts';
import { detectCostFormat, loadCostFile, loadCostFiles } from '../../lambdas/formats/cost-files.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

const FOCUS = fixture('focus/sagemaker-endpoints.csv');
const CUR = fixture('cur/sagemaker-savings-plan.csv');
const CE = fixture('cost-explorer/aws-cli-service-and-environment-tag.json');
const billed = { costMetric: 'billed' } as const;
const tmp = scratch();

describe('detectCostFormat', () => {
  it('tells FOCUS, CUR and Cost Explorer files apart by content', async () => {
    expect(await detectCostFormat(FOCUS)).toBe('focus');
    expect(await detectCostFormat(CUR)).toBe('cur');
    expect(await detectCostFormat(CE)).toBe('cost-explorer');
    const renamed = tmp.write('export.txt', '\n  {"ResultsByTime": []}');
    expect(await detectCostFormat(renamed)).toBe('cost-explorer');
    const gz = tmp.write('focus.csv.gz', gzipSync('ChargePeriodStart,EffectiveCost\n'));
    expect(await detectCostFormat(gz)).toBe('focus');
  });

  it('lists what each format needs when it recognises none', async () => {
    const path = tmp.write('mystery.csv', 'date,amount\n2024-09-01,3\n');
    const err = await detectCostFormat(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${path}, row 1: unknown cost file format (header: date, amount); expected a Cost Explorer GetCostAndUsage ` +
        'response (.json with ResultsByTime), a FOCUS CSV (columns ChargePeriodStart, ChargePeriodEnd, ServiceName, ' +
        'BillingCurrency, BilledCost/EffectiveCost) or a legacy CUR CSV (columns lineItem/UsageStartDate, ' +
        'lineItem/UsageEndDate, lineItem/UnblendedCost, lineItem/ProductCode)',
    );
  });

  it('reports a missing file as an InputError', async () => {
    await expect(loadCostFile(`${tmp.dir}/gone.csv`, billed)).rejects.toThrow(
      `${tmp.dir}/gone.csv: file not found`,
    );
  });
});

describe('loadCostFile', () => {
  it('loads each format with its own reader', async () => {
    expect((await loadCostFile(FOCUS, billed)).records).toHaveLength(7);
    expect((await loadCostFile(CUR, billed)).records).toHaveLength(6);
    expect((await loadCostFile(CE, billed)).records).toHaveLength(2);
  });
});

describe('loadCostFiles', () => {
  it('merges files, a directory standing for its cost files in name order', async () => {
    const dir = join(tmp.dir, 'exports');
    mkdirSync(dir);
    copyFileSync(CUR, join(dir, 'b-cur.csv'));
    copyFileSync(FOCUS, join(dir, 'a-focus.csv'));
    tmp.write('exports/notes.md', '# not a cost file');
    const { records, gaps, completeThrough } = await loadCostFiles([dir, CE], billed);
    expect(records.map((r) => r.source?.file)).toEqual([
      ...Array(7).fill(join(dir, 'a-focus.csv')),
      ...Array(6).fill(join(dir, 'b-cur.csv')),
      CE,
      CE,
    ]);
    expect(gaps).toEqual([]);
    // The FOCUS and CUR files cannot tell how complete they are, so neither can the merge.
    expect(completeThrough).toBeUndefined();
    // python3: sum of the FOCUS BilledCost (8.23719178082), CUR UnblendedCost (2.463) and CE amounts (40.6226137778)
    expect(formatMoney(sumMoney(records.map((r) => r.amount)), 11)).toBe('51.32280555862');
  });

  it('keeps the earliest completeThrough when every file has one, and the gaps of each', async () => {
    const a = tmp.write(
      'a.json',
      JSON.stringify({
        ResultsByTime: [
          {
            TimePeriod: { Start: '2024-04-01', End: '2024-04-03' },
            Total: { UnblendedCost: { Amount: '1', Unit: 'USD' } },
          },
        ],
      }),
    );
    const b = tmp.write('b.json', JSON.stringify({ ResultsByTime: [] }));
    const c = tmp.write(
      'c.json',
      JSON.stringify({
        ResultsByTime: [
          {
            TimePeriod: { Start: '2024-04-03', End: '2024-04-06' },
            Total: { UnblendedCost: { Amount: '2', Unit: 'USD' } },
          },
        ],
      }),
    );
    const ac = await loadCostFiles([c, a], billed);
    expect(ac.completeThrough).toBe('2024-04-02');
    const ab = await loadCostFiles([a, b], billed);
    expect(ab.completeThrough).toBeUndefined();
    expect(ab.gaps).toEqual([
      { source: 'costs', scope: b, message: 'the Cost Explorer file has no periods' },
    ]);
  });

  it('rejects a directory without cost files', async () => {
    const empty = join(tmp.dir, 'empty-dir');
    mkdirSync(empty);
    await expect(loadCostFiles([empty], billed)).rejects.toThrow(
      `${empty}: expected cost files (.csv, .csv.gz or .json) in this directory`,
    );
  });
});
