import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatMoney, sumMoney } from '../../lambdas/core/money.ts';
import { loadCostFiles } from '../../lambdas/formats/cost-files.ts';
import { forEachCsvRecord } from '../../lambdas/formats/csv.ts';
import { loadMetricsCsv } from '../../lambdas/formats/metrics-csv.ts';
import { fixture, scratch } from '../helpers/fixtures.ts';

const FOCUS = fixture('focus/sagemaker-endpoints.csv');
const CUR = fixture('cur/sagemaker-savings-plan.csv');
const billed = { costMetric: 'billed' } as const;
const tmp = scratch();

/** A named pipe nobody writes to: opening it for reading blocks until a writer comes. */
function fifo(name: string): string {
  const path = join(tmp.dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** A sparse file of `bytes` bytes: as large as asked on paper, nothing on disk. */
function sparse(name: string, bytes: number): string {
  const path = join(tmp.dir, name);
  const fd = openSync(path, 'w');
  closeSync(fd);
  execFileSync('truncate', ['-s', String(bytes), path]);
  return path;
}

const total = async (paths: string[]) =>
  formatMoney(sumMoney((await loadCostFiles(paths, billed)).records.map((r) => r.amount)), 11);

describe('what a cost, metrics or CSV input must be before it is read', () => {
  it('refuses a FIFO given as cost file without waiting for a writer', async () => {
    const pipe = fifo('costs.csv');
    await expect(loadCostFiles([pipe], billed)).rejects.toThrow(
      `${pipe}: expected a regular file, found a FIFO (named pipe)`,
    );
  });

  it('refuses a FIFO as metrics file', async () => {
    const pipe = fifo('metrics.csv');
    await expect(loadMetricsCsv(pipe)).rejects.toThrow(
      `${pipe}: expected a regular file, found a FIFO (named pipe)`,
    );
  });

  it('refuses a FIFO among the files of a --costs directory', async () => {
    const dir = join(tmp.dir, 'with-fifo');
    mkdirSync(dir);
    copyFileSync(FOCUS, join(dir, 'a.csv'));
    execFileSync('mkfifo', [join(dir, 'b.csv')]);
    await expect(loadCostFiles([dir], billed)).rejects.toThrow(
      `${join(dir, 'b.csv')}: expected a regular file, found a FIFO (named pipe)`,
    );
  });

  it('refuses a device', async () => {
    await expect(loadCostFiles(['/dev/zero'], billed)).rejects.toThrow(
      '/dev/zero: expected a regular file, found a character device',
    );
    await expect(loadMetricsCsv('/dev/null')).rejects.toThrow(
      '/dev/null: expected a regular file, found a character device',
    );
  });

  it('refuses a CSV over 4 GiB before reading it, and a Cost Explorer response over 256 MiB', async () => {
    const huge = sparse('huge.csv', 4 * 1024 ** 3 + 1);
    await expect(loadCostFiles([huge], billed)).rejects.toThrow(
      `${huge}: 4294967297 bytes is more than the 4 GiB a CSV input may hold`,
    );
    const json = sparse('huge.json', 256 * 1024 ** 2 + 1);
    await expect(loadCostFiles([json], billed)).rejects.toThrow(
      `${json}: 268435457 bytes is more than the 256 MiB a saved Cost Explorer response may hold`,
    );
  });

  it('refuses a line longer than 1 MiB, as in a gzip file of zeros', async () => {
    const zeros = tmp.write('zeros.csv.gz', gzipSync(Buffer.alloc(3 * 1024 * 1024)));
    await expect(forEachCsvRecord(zeros, () => {})).rejects.toThrow(
      `${zeros}, row 1: a line longer than 1 MiB: expected CSV text`,
    );
    const quoted = tmp.write('long-quoted.csv', `a,b\n1,"${'x'.repeat(1024 * 1024 + 10)}"\n`);
    await expect(forEachCsvRecord(quoted, () => {})).rejects.toThrow(
      `${quoted}, row 2: a line longer than 1 MiB: expected CSV text`,
    );
  });

  it('decompresses a gzip file whatever the case of its name', async () => {
    const upper = tmp.write('EXPORT.CSV.GZ', gzipSync(readFileSync(FOCUS)));
    expect(await total([upper])).toBe(await total([FOCUS]));
  });
});

describe('duplicate column names', () => {
  const focus = readFileSync(FOCUS, 'utf8').split('\n');

  it('refuses a FOCUS file with BilledCost twice but for case, naming both columns', async () => {
    // a leading billedcost column of zeros would otherwise stand for BilledCost
    const lines = focus.map((l, i) => (l === '' ? l : `${i === 0 ? 'billedcost' : '0'},${l}`));
    const path = tmp.write('two-billed.csv', lines.join('\n'));
    await expect(loadCostFiles([path], billed)).rejects.toThrow(
      `${path}, row 1: columns 1 ("billedcost") and 2 ("BilledCost") have the same name but for case: expected each column once`,
    );
  });

  it('refuses a CUR file with a column twice', async () => {
    const [header = '', ...rows] = readFileSync(CUR, 'utf8').split('\n');
    const lines = [`${header},lineItem/UnblendedCost`, ...rows.map((r) => (r === '' ? r : `${r},0`))];
    const path = tmp.write('two-unblended.csv', lines.join('\n'));
    const n = header.split(',').length;
    const first = header.split(',').indexOf('lineItem/UnblendedCost') + 1;
    await expect(loadCostFiles([path], billed)).rejects.toThrow(
      `${path}, row 1: columns ${first} ("lineItem/UnblendedCost") and ${n + 1} ("lineItem/UnblendedCost") have the same name: expected each column once`,
    );
  });

  it('refuses a metrics file with a column twice but for case', async () => {
    const path = tmp.write(
      'metrics-dup.csv',
      'timestamp,endpoint,variant,metric,stat,value,Value\n2024-09-18T00:00:00Z,a,AllTraffic,Invocations,Sum,1,2\n',
    );
    await expect(loadMetricsCsv(path)).rejects.toThrow(
      `${path}, row 1: columns 6 ("value") and 7 ("Value") have the same name but for case: expected each column once`,
    );
  });

  it('keeps CUR tag columns that differ only in case: AWS tag keys are case-sensitive', async () => {
    const [header = '', ...rows] = readFileSync(CUR, 'utf8').split('\n');
    const lines = [
      `${header},resourceTags/user:Owner,resourceTags/user:owner`,
      ...rows.map((r) => (r === '' ? r : `${r},Ann,bob`)),
    ];
    const { records } = await loadCostFiles([tmp.write('tag-case.csv', lines.join('\n'))], billed);
    expect(records[0]?.tags).toMatchObject({ Owner: 'Ann', owner: 'bob' });
  });
});

describe('the same data loaded twice', () => {
  it('refuses a file and its gzipped copy, naming both', async () => {
    const dir = join(tmp.dir, 'copies');
    mkdirSync(dir);
    const plain = join(dir, 'x.csv');
    copyFileSync(FOCUS, plain);
    const gz = join(dir, 'x.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(FOCUS)));
    await expect(loadCostFiles([plain, gz], billed)).rejects.toThrow(
      `${gz}, row 2: the same charge as ${plain} row 2, every column alike (7 such lines in all): the same data loaded twice? Give each export once`,
    );
    await expect(loadCostFiles([dir], billed)).rejects.toThrow(/the same data loaded twice/);
  });

  it('refuses one file named twice: ./a.csv, a link to it, or a directory and a file in it', async () => {
    const dir = join(tmp.dir, 'named-twice');
    mkdirSync(dir);
    const a = join(dir, 'a.csv');
    copyFileSync(FOCUS, a);
    const dotted = join(dir, '.', 'a.csv').replace('/a.csv', '/./a.csv');
    await expect(loadCostFiles([a, dotted], billed)).rejects.toThrow(
      `${dotted}: the same file as ${a} (named twice, through a link or a directory): expected each cost file once`,
    );
    await expect(loadCostFiles([a, a], billed)).rejects.toThrow(`${a}: the same file as ${a}`);
    await expect(loadCostFiles([dir, a], billed)).rejects.toThrow(`${a}: the same file as ${a}`);
    const link = join(tmp.dir, 'link-to-a.csv');
    symlinkSync(a, link);
    await expect(loadCostFiles([a, link], billed)).rejects.toThrow(`${link}: the same file as ${a}`);
  });

  it('reads the linked files of a --costs directory', async () => {
    const dir = join(tmp.dir, 'links');
    mkdirSync(dir);
    symlinkSync(FOCUS, join(dir, 'focus.csv'));
    symlinkSync(CUR, join(dir, 'cur.csv'));
    // python3: the FOCUS BilledCost (8.23719178082) plus the CUR UnblendedCost (2.463)
    expect(await total([dir])).toBe('10.70019178082');
  });

  it('refuses a broken link in a --costs directory rather than skipping it', async () => {
    const dir = join(tmp.dir, 'broken-link');
    mkdirSync(dir);
    symlinkSync(join(tmp.dir, 'gone.csv'), join(dir, 'gone.csv'));
    await expect(loadCostFiles([dir], billed)).rejects.toThrow(`${join(dir, 'gone.csv')}: file not found`);
  });

  it('reads two parts of one export: the same period, different line items', async () => {
    const [header = '', ...rows] = readFileSync(FOCUS, 'utf8').trimEnd().split('\n');
    const a = tmp.write('part-1.csv', [header, ...rows.slice(0, 4)].join('\n'));
    const b = tmp.write('part-2.csv', [header, ...rows.slice(4)].join('\n'));
    expect(await total([a, b])).toBe(await total([FOCUS]));
  });

  it('does not take two $0 lines for the same charge', async () => {
    const header = 'ChargePeriodStart,ChargePeriodEnd,ServiceName,BillingCurrency,BilledCost';
    const free = '2024-09-01,2024-09-02,AWS Lambda,USD,0';
    const a = tmp.write('acct-a.csv', `${header}\n${free}\n2024-09-01,2024-09-02,Amazon S3,USD,1.5\n`);
    const b = tmp.write('acct-b.csv', `${header}\n${free}\n2024-09-01,2024-09-02,Amazon S3,USD,2.5\n`);
    expect(await total([a, b])).toBe('4.00000000000');
  });

  it('refuses two Cost Explorer responses with spend of one group on the same days', async () => {
    const response = (start: string, end: string, amount: string) =>
      JSON.stringify({
        GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
        ResultsByTime: [
          {
            TimePeriod: { Start: start, End: end },
            Groups: [
              { Keys: ['Amazon SageMaker'], Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } } },
            ],
          },
        ],
      });
    const month = tmp.write('october.json', response('2026-10-01', '2026-11-01', '300'));
    const day = tmp.write('october-15.json', response('2026-10-15', '2026-10-16', '10.5'));
    await expect(loadCostFiles([month, day], billed)).rejects.toThrow(
      `${day} ResultsByTime[0].Groups[0]: spend of the same group on the same days (2026-10-15 to 2026-10-15) as ${month} ResultsByTime[0].Groups[0]: the same data loaded twice? Give each day once`,
    );
    const november = tmp.write('november.json', response('2026-11-01', '2026-12-01', '280'));
    expect(await total([month, november])).toBe('580.00000000000');
  });
});
