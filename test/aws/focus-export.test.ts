import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { deflateSync, gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  NoSuchKey,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
// The SDK's own stream mixin (what @smithy/util-stream re-exports): bodies behave as the SDK returns them.
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { type CompressionCodec, parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeEach, describe, expect, it } from 'vitest';
import { FocusExportSource } from '../../lambdas/aws/focus-export.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { formatMoney, sumMoney } from '../../lambdas/core/money.ts';
import { billingPeriods } from '../../lambdas/core/period.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { loadFocusCsv } from '../../lambdas/formats/focus.ts';
import type { TimeRange } from '../../lambdas/ports.ts';
import { fixture } from '../helpers/fixtures.ts';

const BUCKET = 'cur-exports-111122223333';
const PREFIX = 'focus/sagemaker-focus';
const SEPTEMBER: TimeRange = { start: '2024-09-01', end: '2024-10-01' };

const CSV_PATH = fixture('focus/sagemaker-endpoints.csv');
const CSV = readFileSync(CSV_PATH);
const PARQUET = readFileSync(fixture('aws/focus-export/sagemaker-endpoints.snappy.parquet'));
const DECIMAL_PARQUET = readFileSync(fixture('aws/focus-export/sagemaker-endpoints.decimal-gzip.parquet'));
/** The header and first two charges of the CSV fixture: an older, smaller version of the same export. */
const CSV_FIRST_TWO = Buffer.from(CSV.toString('utf8').split('\n').slice(0, 3).join('\n'));

const s3 = mockClient(S3Client);

/**
 * A bucket behind the mocked client: ListObjectsV2 pages of `pageSize` keys in key order with an opaque
 * continuation token, GetObject bodies as fresh SDK streams, NoSuchKey for a missing key.
 */
class FakeBucket {
  private readonly objects = new Map<string, { body: Uint8Array; lastModified: Date }>();

  constructor(private readonly pageSize = 1000) {
    s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => this.list(input));
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => this.get(input));
  }

  put(key: string, body: Uint8Array | string, lastModified: string): this {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.objects.set(key, { body: bytes, lastModified: new Date(lastModified) });
    return this;
  }

  private list(input: ListObjectsV2CommandInput): ListObjectsV2CommandOutput {
    const prefix = input.Prefix ?? '';
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    const from = input.ContinuationToken
      ? Number(Buffer.from(input.ContinuationToken, 'base64').toString())
      : 0;
    const page = keys.slice(from, from + this.pageSize);
    const truncated = from + this.pageSize < keys.length;
    return {
      $metadata: { httpStatusCode: 200 },
      Name: input.Bucket,
      Prefix: prefix,
      MaxKeys: this.pageSize,
      KeyCount: page.length,
      IsTruncated: truncated,
      ...(input.ContinuationToken ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(truncated
        ? { NextContinuationToken: Buffer.from(String(from + this.pageSize)).toString('base64') }
        : {}),
      // S3 leaves Contents out of an empty page.
      ...(page.length > 0
        ? {
            Contents: page.map((Key) => {
              const o = this.objects.get(Key) as { body: Uint8Array; lastModified: Date };
              return {
                Key,
                LastModified: o.lastModified,
                ETag: `"${Key.length.toString(16).padStart(32, '0')}"`,
                Size: o.body.byteLength,
                StorageClass: 'STANDARD' as const,
              };
            }),
          }
        : {}),
    };
  }

  private get(input: GetObjectCommandInput) {
    const o = this.objects.get(input.Key ?? '');
    if (!o)
      throw new NoSuchKey({
        $metadata: { httpStatusCode: 404 },
        message: 'The specified key does not exist.',
      });
    return {
      $metadata: { httpStatusCode: 200 },
      Body: sdkStreamMixin(Readable.from([Buffer.from(o.body)])),
      ContentLength: o.body.byteLength,
      LastModified: o.lastModified,
      ETag: `"${'0'.repeat(32)}"`,
    };
  }
}

function source(overrides: Partial<ConstructorParameters<typeof FocusExportSource>[0]> = {}) {
  const usage = new ApiUsage();
  const src = new FocusExportSource({
    client: new S3Client({ region: 'us-east-1' }),
    usage,
    bucket: BUCKET,
    prefix: PREFIX,
    costMetric: 'billed',
    ...overrides,
  });
  return { src, usage };
}

const data = (period: string, file: string) => `${PREFIX}/data/BILLING_PERIOD=${period}/${file}`;
const metadata = (period: string, file: string) => `${PREFIX}/metadata/BILLING_PERIOD=${period}/${file}`;

/** A Data Exports Manifest.json naming `keys` as its data files. */
function manifest(executionId: string, keys: readonly string[]): string {
  return JSON.stringify({
    executionId,
    exportArn: 'arn:aws:bcm-data-exports:us-east-1:111122223333:export/sagemaker-focus-5e3c7a1d',
    columns: [
      { name: 'BilledCost', type: 'double' },
      { name: 'ChargePeriodStart', type: 'timestamp' },
    ],
    dataFiles: keys.map((k) => `s3://${BUCKET}/${k}`),
  });
}

/** Records without the file they came from, so that forms of one export compare equal. */
function withoutFile(records: readonly CostRecord[]) {
  return records.map(({ source: from, ...rest }) => ({ ...rest, row: from?.row }));
}

const total = (records: readonly CostRecord[]) => formatMoney(sumMoney(records.map((r) => r.amount)), 11);

beforeEach(() => {
  s3.reset();
});

describe('FocusExportSource: formats', () => {
  const forms = {
    csv: ['sagemaker-focus-00001.csv', CSV],
    'gzip csv': ['sagemaker-focus-00001.csv.gz', gzipSync(CSV)],
    'parquet (AWS types, snappy, two row groups)': ['sagemaker-focus-00001.snappy.parquet', PARQUET],
    'parquet (decimal costs, text timestamps and tags, gzip)': [
      'sagemaker-focus-00001.parquet',
      DECIMAL_PARQUET,
    ],
  } as const;

  it('gives exactly the same records and money sums from CSV, gzip CSV and Parquet', async () => {
    const loaded: Record<string, CostRecord[]> = {};
    for (const [form, [file, body]] of Object.entries(forms)) {
      s3.reset();
      new FakeBucket().put(data('2024-09', file), body, '2024-09-20T06:00:00Z');
      const { records, gaps } = await source().src.load(SEPTEMBER);
      expect(gaps, form).toEqual([]);
      loaded[form] = [...records];
    }
    const [first, ...rest] = Object.values(loaded);
    expect(first).toHaveLength(7);
    for (const records of rest) expect(withoutFile(records)).toEqual(withoutFile(first ?? []));
    // python3 -c "import csv,decimal; print(sum(decimal.Decimal(r['BilledCost']) for r in
    //   csv.DictReader(open('test/fixtures/focus/sagemaker-endpoints.csv'))))"  -> 8.23719178082
    for (const [form, records] of Object.entries(loaded)) expect(total(records), form).toBe('8.23719178082');
  });

  it('round-trips the rows of sagemaker-endpoints.csv: the same records as the local FOCUS reader', async () => {
    const local = await loadFocusCsv(CSV_PATH, { costMetric: 'effective' });
    for (const [file, body] of Object.values(forms)) {
      s3.reset();
      new FakeBucket().put(data('2024-09', file), body, '2024-09-20T06:00:00Z');
      const { records } = await source({ costMetric: 'effective' }).src.load(SEPTEMBER);
      expect(withoutFile(records)).toEqual(withoutFile(local.records));
      expect(records[0]?.source).toEqual({ file: `s3://${BUCKET}/${data('2024-09', file)}`, row: 2 });
    }
    // EffectiveCost: 1.01376 + 2.02752 + 0.00019178082 + 3.825 + 0.023 + 0.025 + 0.14
    expect(total(local.records)).toBe('7.05447178082');
  });

  it('reads DECIMAL costs at their scale, exactly, where the double the reader scales them through is off', async () => {
    // 7332.47416574035 as an INT64 at scale 11 reads back as the double 7332.474165740349.
    const text = ['ChargePeriodStart', 'ChargePeriodEnd', 'ServiceName', 'BillingCurrency'];
    const cells: Record<string, string[]> = {
      ChargePeriodStart: ['2024-09-18 22:00:00', '2024-09-18 23:00:00'],
      ChargePeriodEnd: ['2024-09-18 23:00:00', '2024-09-19 00:00:00'],
      ServiceName: ['Amazon SageMaker', 'Amazon SageMaker'],
      BillingCurrency: ['USD', 'USD'],
    };
    const bytes = parquetWriteBuffer({
      columnData: [
        ...text.map((name) => ({ name, data: cells[name] ?? [] })),
        { name: 'BilledCost', data: [733247416574035n, 212564073657831n] },
      ],
      schema: [
        { name: 'root', num_children: 5 },
        ...text.map((name) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const })),
        { name: 'BilledCost', type: 'INT64', converted_type: 'DECIMAL', scale: 11, precision: 18 },
      ],
    });
    new FakeBucket().put(data('2024-09', 'big-00001.parquet'), new Uint8Array(bytes), '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(gaps).toEqual([]);
    expect(records.map((r) => formatMoney(r.amount, 12))).toEqual(['7332.474165740350', '2125.640736578310']);
    expect(total(records)).toBe('9458.11490231866');
  });

  it('keeps what matters of a hosting row from Parquet: endpoint, instance type, hours and tags', async () => {
    new FakeBucket().put(
      data('2024-09', 'sagemaker-focus-00001.snappy.parquet'),
      PARQUET,
      '2024-09-20T06:00:00Z',
    );
    const { records } = await source().src.load(SEPTEMBER);
    expect(records[0]).toMatchObject({
      start: Date.UTC(2024, 8, 18, 22),
      end: Date.UTC(2024, 8, 18, 23),
      endpoint: 'search-prod',
      instanceType: 'ml.g5.xlarge',
      usageHours: 1,
      tags: { team: 'search', env: 'prod', 'aws:createdBy': 'AssumedRole:AROAEXAMPLE:deployer' },
    });
    expect(records[6]).toMatchObject({ service: 'Tax', chargeCategory: 'Tax', tags: {} });
  });
});

describe('FocusExportSource: Parquet compression codecs', () => {
  /**
   * The rows of sagemaker-endpoints.csv in AWS's FOCUS column types, once per codec and data page format; see
   * test/fixtures/parquet/README.md. All but the fastparquet file have two row groups, dictionary pages and several
   * data pages per column chunk.
   */
  const FIXTURES: readonly { file: string; codec: CompressionCodec }[] = [
    { file: 'sagemaker-endpoints.uncompressed.v1.parquet', codec: 'UNCOMPRESSED' },
    { file: 'sagemaker-endpoints.uncompressed.v2.parquet', codec: 'UNCOMPRESSED' },
    { file: 'sagemaker-endpoints.snappy.v1.parquet', codec: 'SNAPPY' },
    { file: 'sagemaker-endpoints.snappy.v2.parquet', codec: 'SNAPPY' },
    { file: 'sagemaker-endpoints.gzip.v1.parquet', codec: 'GZIP' },
    { file: 'sagemaker-endpoints.gzip.v2.parquet', codec: 'GZIP' },
    { file: 'sagemaker-endpoints.brotli.v1.parquet', codec: 'BROTLI' },
    { file: 'sagemaker-endpoints.brotli.v2.parquet', codec: 'BROTLI' },
    { file: 'sagemaker-endpoints.zstd.v1.parquet', codec: 'ZSTD' },
    { file: 'sagemaker-endpoints.zstd.v2.parquet', codec: 'ZSTD' },
    { file: 'sagemaker-endpoints.lz4_raw.v1.parquet', codec: 'LZ4_RAW' },
    { file: 'sagemaker-endpoints.lz4_raw.v2.parquet', codec: 'LZ4_RAW' },
    { file: 'sagemaker-endpoints.lz4.fastparquet.parquet', codec: 'LZ4' },
  ];
  const bytesOf = (file: string) => readFileSync(fixture(`parquet/${file}`));

  /** The records of one object of the September partition, and the gaps. */
  async function loadOne(file: string, body: Uint8Array) {
    s3.reset();
    new FakeBucket().put(data('2024-09', file), body, '2024-09-20T06:00:00Z');
    return source().src.load(SEPTEMBER);
  }

  it('has one fixture per codec, each compressed with the codec it is named for', () => {
    expect(new Set(FIXTURES.map((f) => f.codec))).toEqual(
      new Set(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4', 'LZ4_RAW']),
    );
    for (const { file, codec } of FIXTURES) {
      const bytes = bytesOf(file);
      const metadata = parquetMetadata(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
      expect(Number(metadata.num_rows), file).toBe(7);
      const codecs = metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec));
      expect(new Set(codecs), file).toEqual(new Set([codec]));
    }
  });

  it.each(FIXTURES)('reads $file into exactly the records of the CSV', async ({ file }) => {
    const reference = await loadOne('sagemaker-focus-00001.csv', CSV);
    const { records, gaps } = await loadOne(`sagemaker-focus-00001.${file}`, bytesOf(file));
    expect(gaps).toEqual([]);
    expect(records).toHaveLength(7);
    expect(withoutFile(records)).toEqual(withoutFile(reference.records));
    expect(total(records)).toBe('8.23719178082');
    expect(records[0]?.tags).toEqual({
      team: 'search',
      env: 'prod',
      'aws:createdBy': 'AssumedRole:AROAEXAMPLE:deployer',
    });
  });

  it('reads GZIP pages in the zlib framing too, as Arrow does', async () => {
    const columnData = [
      { name: 'ChargePeriodStart', data: ['2024-09-18 22:00:00', '2024-09-18 23:00:00'] },
      { name: 'ChargePeriodEnd', data: ['2024-09-18 23:00:00', '2024-09-19 00:00:00'] },
      { name: 'ServiceName', data: ['Amazon SageMaker', 'Amazon SageMaker'] },
      { name: 'BillingCurrency', data: ['USD', 'USD'] },
      { name: 'BilledCost', data: [1.408, 2.816] },
    ];
    const plain = parquetWriteBuffer({ columnData, codec: 'UNCOMPRESSED' });
    const zlib = parquetWriteBuffer({
      columnData,
      codec: 'GZIP',
      compressors: { GZIP: (input) => deflateSync(input) },
    });
    const expected = await loadOne('plain.parquet', new Uint8Array(plain));
    const { records, gaps } = await loadOne('zlib.parquet', new Uint8Array(zlib));
    expect(gaps).toEqual([]);
    expect(withoutFile(records)).toEqual(withoutFile(expected.records));
    expect(total(records)).toBe('4.22400000000');
  });

  it.each([
    ['GZIP', 'sagemaker-endpoints.gzip.v1.parquet'],
    ['BROTLI', 'sagemaker-endpoints.brotli.v1.parquet'],
    ['ZSTD', 'sagemaker-endpoints.zstd.v1.parquet'],
    ['LZ4_RAW', 'sagemaker-endpoints.lz4_raw.v1.parquet'],
  ])('reports a %s file with a corrupt page as a gap, with none of its records', async (_codec, file) => {
    const bytes = new Uint8Array(bytesOf(file));
    const metadata = parquetMetadata(bytes.slice().buffer);
    // Overwrite the compressed body of the first page of BilledCost, past its (at most 64-byte) page header.
    const chunk = metadata.row_groups[0]?.columns[0]?.meta_data;
    if (!chunk) throw new Error(`${file} has no column chunk`);
    const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
    const size = Number(chunk.total_compressed_size);
    expect(size).toBeGreaterThan(48);
    bytes.fill(0xa5, start + size - 24, start + size);
    const key = `sagemaker-focus-00001.${file}`;
    const { records, gaps } = await loadOne(key, bytes);
    expect(records).toEqual([]);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${data('2024-09', key)}`,
        message: expect.stringContaining('could not be read, its charges are missing'),
      },
    ]);
  });
});

describe('FocusExportSource: versions of an export', () => {
  it('reads the version the newest manifest names, not older versions nor a delivery still in progress', async () => {
    const older = '2024-09-19T06:00:00.000Z-7a9d1c2e';
    const newer = '2024-09-20T06:00:00.000Z-4b8e0f31';
    const inProgress = '2024-09-21T06:00:00.000Z-c5d2e7a0';
    new FakeBucket()
      .put(
        data('2024-09', `${older}/sagemaker-focus-00001.csv.gz`),
        gzipSync(CSV_FIRST_TWO),
        '2024-09-19T06:10:00Z',
      )
      .put(
        metadata('2024-09', `${older}/sagemaker-focus-Manifest.json`),
        manifest(older, [data('2024-09', `${older}/sagemaker-focus-00001.csv.gz`)]),
        '2024-09-19T06:11:00Z',
      )
      .put(data('2024-09', `${newer}/sagemaker-focus-00001.snappy.parquet`), PARQUET, '2024-09-20T06:10:00Z')
      .put(
        metadata('2024-09', `${newer}/sagemaker-focus-Manifest.json`),
        manifest(newer, [data('2024-09', `${newer}/sagemaker-focus-00001.snappy.parquet`)]),
        '2024-09-20T06:11:00Z',
      )
      .put(
        data('2024-09', `${inProgress}/sagemaker-focus-00001.csv.gz`),
        gzipSync(CSV_FIRST_TWO),
        '2024-09-21T06:10:00Z',
      );

    const { src, usage } = source();
    const { records, gaps } = await src.load(SEPTEMBER);

    expect(gaps).toEqual([]);
    expect(records).toHaveLength(7);
    expect(total(records)).toBe('8.23719178082');
    expect(s3).toReceiveCommandWith(GetObjectCommand, {
      Bucket: BUCKET,
      Key: metadata('2024-09', `${newer}/sagemaker-focus-Manifest.json`),
    });
    expect(s3).toReceiveCommandWith(GetObjectCommand, {
      Bucket: BUCKET,
      Key: data('2024-09', `${newer}/sagemaker-focus-00001.snappy.parquet`),
    });
    // The manifest names the files: the data partition is neither listed nor read beyond them.
    expect(s3).toReceiveCommandTimes(GetObjectCommand, 2);
    expect(s3).toReceiveCommandTimes(ListObjectsV2Command, 1);
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: `${PREFIX}/metadata/BILLING_PERIOD=2024-09/`,
    });
    expect(usage.requests('s3:GetObject')).toBe(2);
    expect(usage.requests('s3:ListObjectsV2')).toBe(1);
  });

  it('reads an overwriting export, whose single manifest sits in the partition itself', async () => {
    new FakeBucket()
      .put(data('2024-09', 'sagemaker-focus-00001.csv.gz'), gzipSync(CSV), '2024-09-20T06:10:00Z')
      .put(
        metadata('2024-09', 'sagemaker-focus-Manifest.json'),
        manifest('e1f2', [data('2024-09', 'sagemaker-focus-00001.csv.gz')]),
        '2024-09-20T06:11:00Z',
      );
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(gaps).toEqual([]);
    expect(records).toHaveLength(7);
  });

  it('without a manifest reads the newest folder of data files', async () => {
    const older = '2024-09-19T06:00:00.000Z-7a9d1c2e';
    const newer = '2024-09-20T06:00:00.000Z-4b8e0f31';
    new FakeBucket()
      .put(data('2024-09', `${older}/sagemaker-focus-00001.csv`), CSV_FIRST_TWO, '2024-09-19T06:10:00Z')
      .put(data('2024-09', `${newer}/sagemaker-focus-00001.csv`), CSV, '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(gaps).toEqual([]);
    expect(records).toHaveLength(7);
    expect(new Set(records.map((r) => r.source?.file))).toEqual(
      new Set([`s3://${BUCKET}/${data('2024-09', `${newer}/sagemaker-focus-00001.csv`)}`]),
    );
  });

  it('falls back to the newest data files, and says so, when the manifest is not JSON', async () => {
    new FakeBucket()
      .put(data('2024-09', 'sagemaker-focus-00001.csv'), CSV, '2024-09-20T06:10:00Z')
      .put(metadata('2024-09', 'sagemaker-focus-Manifest.json'), '{"dataFiles": [', '2024-09-20T06:11:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toHaveLength(7);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${metadata('2024-09', 'sagemaker-focus-Manifest.json')}`,
        message: expect.stringContaining('could not be read (not JSON)'),
      },
    ]);
  });
});

describe('FocusExportSource: missing and broken data', () => {
  it('reports a billing period without objects as a gap, not as zero spend', async () => {
    new FakeBucket().put(data('2024-09', 'sagemaker-focus-00001.csv'), CSV, '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load({ start: '2024-08-15', end: '2024-10-01' });
    expect(records).toHaveLength(7);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${PREFIX}/data/BILLING_PERIOD=2024-08/`,
        message: `no FOCUS export data for billing period 2024-08 under s3://${BUCKET}/${PREFIX}/data/BILLING_PERIOD=2024-08/: its spend is unknown, not zero`,
      },
    ]);
  });

  it('reports a corrupt object as a gap naming its key and keeps the other objects of the period', async () => {
    const bad = data('2024-09', 'sagemaker-focus-00002.csv.gz');
    new FakeBucket()
      .put(data('2024-09', 'sagemaker-focus-00001.csv'), CSV, '2024-09-20T06:10:00Z')
      .put(bad, 'not gzip at all', '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toHaveLength(7);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${bad}`,
        message: `s3://${BUCKET}/${bad} could not be read, its charges are missing: not a valid gzip file`,
      },
    ]);
  });

  it('adds nothing from an object that breaks halfway, and names the row that broke it', async () => {
    const key = data('2024-09', 'sagemaker-focus-00001.csv');
    const broken = `${CSV_FIRST_TWO.toString('utf8')}\n${CSV.toString('utf8').split('\n')[3]?.replace('0.00019178082', 'n/a')}\n`;
    new FakeBucket().put(key, broken, '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toEqual([]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.message).toBe(
      `s3://${BUCKET}/${key} could not be read, its charges are missing: row 4, column BilledCost: expected a decimal amount, got "n/a"`,
    );
  });

  it('reports a Parquet object that is not Parquet as a gap naming its key', async () => {
    const key = data('2024-09', 'sagemaker-focus-00001.snappy.parquet');
    new FakeBucket().put(key, PARQUET.subarray(0, 100), '2024-09-20T06:10:00Z');
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toEqual([]);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.scope).toBe(`s3://${BUCKET}/${key}`);
    expect(gaps[0]?.message).toMatch(/could not be read, its charges are missing: not a Parquet file/);
  });

  it('reports a file its manifest names but that is gone', async () => {
    const gone = data('2024-09', 'sagemaker-focus-00002.csv.gz');
    new FakeBucket()
      .put(data('2024-09', 'sagemaker-focus-00001.csv.gz'), gzipSync(CSV), '2024-09-20T06:10:00Z')
      .put(
        metadata('2024-09', 'sagemaker-focus-Manifest.json'),
        manifest('e1f2', [data('2024-09', 'sagemaker-focus-00001.csv.gz'), gone]),
        '2024-09-20T06:11:00Z',
      );
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toHaveLength(7);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${gone}`,
        message: `s3://${BUCKET}/${gone} could not be read (it does not exist: NoSuchKey); its charges are missing`,
      },
    ]);
  });

  it('flags a data file written after its manifest: a refresh is overwriting the export', async () => {
    const key = data('2024-09', 'sagemaker-focus-00001.csv.gz');
    new FakeBucket()
      .put(key, gzipSync(CSV), '2024-09-21T06:10:00Z')
      .put(
        metadata('2024-09', 'sagemaker-focus-Manifest.json'),
        manifest('e1f2', [key]),
        '2024-09-20T06:11:00Z',
      );
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toHaveLength(7);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${key}`,
        message: expect.stringContaining('was rewritten after its manifest'),
      },
    ]);
  });

  it('reports a period whose files hold a header but no charges', async () => {
    new FakeBucket().put(
      data('2024-09', 'sagemaker-focus-00001.csv'),
      CSV_FIRST_TWO.toString('utf8').split('\n')[0] as string,
      '2024-09-20T06:10:00Z',
    );
    const { records, gaps } = await source().src.load(SEPTEMBER);
    expect(records).toEqual([]);
    expect(gaps).toEqual([
      {
        source: 'costs',
        scope: `s3://${BUCKET}/${PREFIX}/data/BILLING_PERIOD=2024-09/`,
        message:
          'the FOCUS export for billing period 2024-09 has files but no charges: its spend is unknown, not zero',
      },
    ]);
  });
});

describe('FocusExportSource: the range', () => {
  beforeEach(() => {
    new FakeBucket().put(data('2024-09', 'sagemaker-focus-00001.csv'), CSV, '2024-09-20T06:10:00Z');
  });

  it('drops rows that start outside the range', async () => {
    const { records, gaps } = await source().src.load({ start: '2024-09-18', end: '2024-09-19' });
    expect(gaps).toEqual([]);
    // The monthly tax row starts on 2024-09-01.
    expect(records).toHaveLength(6);
    expect(records.some((r) => r.chargeCategory === 'Tax')).toBe(false);
  });

  it('reads the range days in the billing time zone', async () => {
    // 2024-09-18 in New York starts at 04:00 UTC: the S3 storage row of 00:00 UTC belongs to the 17th there.
    const { records } = await source({ timezone: 'America/New_York' }).src.load({
      start: '2024-09-18',
      end: '2024-09-19',
    });
    expect(records).toHaveLength(5);
    expect(records.some((r) => r.service === 'Amazon Simple Storage Service')).toBe(false);
  });

  it('lists only the billing periods the range touches', () => {
    expect(billingPeriods(Date.UTC(2024, 7, 15), Date.UTC(2024, 9, 1))).toEqual(['2024-08', '2024-09']);
    expect(billingPeriods(Date.UTC(2024, 11, 31), Date.UTC(2025, 0, 2))).toEqual(['2024-12', '2025-01']);
    expect(billingPeriods(Date.UTC(2024, 8, 1), Date.UTC(2024, 8, 1))).toEqual([]);
  });
});

describe('FocusExportSource: S3 requests', () => {
  it('follows every ListObjectsV2 page and counts each page and each object read', async () => {
    const keys = ['sagemaker-focus-00001.csv', 'sagemaker-focus-00002.csv', 'sagemaker-focus-00003.csv'];
    const bucket = new FakeBucket(2);
    for (const k of keys) bucket.put(data('2024-09', k), CSV_FIRST_TWO, '2024-09-20T06:10:00Z');
    const { src, usage } = source();
    const { records } = await src.load(SEPTEMBER);
    expect(records).toHaveLength(6);
    // One page of metadata (empty), two pages of data, three objects.
    expect(usage.requests('s3:ListObjectsV2')).toBe(3);
    expect(usage.requests('s3:GetObject')).toBe(3);
    expect(s3).toReceiveCommandTimes(ListObjectsV2Command, 3);
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, {
      Bucket: BUCKET,
      Prefix: `${PREFIX}/data/BILLING_PERIOD=2024-09/`,
      ContinuationToken: Buffer.from('2').toString('base64'),
    });
    expect(usage.report().costUsd).toBe(0);
  });

  it('names s3:ListBucket and the bucket when listing is denied', async () => {
    s3.on(ListObjectsV2Command).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    const err = await source()
      .src.load(SEPTEMBER)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAccessError);
    expect(err).toMatchObject({ source: 'costs', kind: 'access-denied' });
    expect((err as Error).message).toBe(
      `s3:ListObjectsV2 on bucket ${BUCKET} was denied (AccessDenied): grant s3:ListBucket on arn:aws:s3:::${BUCKET} to the role running perf-budgets`,
    );
  });

  it('names s3:GetObject and the bucket when reading is denied', async () => {
    new FakeBucket().put(data('2024-09', 'sagemaker-focus-00001.csv'), CSV, '2024-09-20T06:10:00Z');
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    const err = await source()
      .src.load(SEPTEMBER)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ source: 'costs', kind: 'access-denied' });
    expect((err as Error).message).toContain(`s3:GetObject on bucket ${BUCKET} was denied (AccessDenied)`);
    expect((err as Error).message).toContain(`grant s3:GetObject on arn:aws:s3:::${BUCKET}/${PREFIX}/*`);
  });

  it('fails the source when S3 throttles past the SDK retries', async () => {
    s3.on(ListObjectsV2Command).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'Please reduce your request rate.',
      }),
    );
    await expect(source().src.load(SEPTEMBER)).rejects.toMatchObject({ kind: 'throttled' });
  });
});
