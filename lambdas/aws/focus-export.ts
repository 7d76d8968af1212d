/**
 * Spend from a FOCUS 1.0 export that AWS Data Exports writes to S3: the cost source for accounts that outgrow
 * Cost Explorer's 14-day resource window. An export lays out one partition per billing period (UTC month):
 *
 *   <prefix>/data/BILLING_PERIOD=2024-09/[<version>/]<export-name>-00001.csv.gz | .snappy.parquet
 *   <prefix>/metadata/BILLING_PERIOD=2024-09/[<version>/]<export-name>-Manifest.json
 *
 * where `<prefix>` is the export's S3 prefix followed by its name, and the `<version>` folder exists when the export
 * creates a new version on each refresh instead of overwriting. The manifest is written after all the data files of
 * its version, so the newest manifest names the newest complete version; without one, the newest folder of data
 * files stands in for it.
 *
 * Each object is streamed: CSV and gzip CSV through the CSV reader, Parquet through hyparquet one row group at a
 * time and only the FOCUS columns the records need. Both formats go through the same record builder, so they give
 * identical records. What cannot be read becomes a gap, never zero spend: a billing period with no objects, an
 * object that is corrupt or has vanished. A denied or throttled S3 call fails the whole source (`AwsAccessError`).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { brotliDecompressSync, unzipSync } from 'node:zlib';
import { type _Object, GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { decompress as zstdDecompress } from 'fzstd';
import {
  type AsyncBuffer,
  type Compressors,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
// @ts-expect-error TS7016: the package declares types for its index only; that index.d.ts types these two the same.
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';
import type { ApiUsage } from '../core/api-usage.ts';
import { AwsAccessError } from '../core/errors.ts';
import { billingPeriods, dayStartMs } from '../core/period.ts';
import type { CostRecord, DataGap } from '../core/types.ts';
import { gunzipNamed } from '../formats/csv.ts';
import {
  type FocusColumn,
  FocusObjectRows,
  type FocusOptions,
  forEachFocusCsvRecord,
} from '../formats/focus.ts';
import type { CostLoad, CostSource, TimeRange } from '../ports.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

export interface FocusExportSourceOptions {
  readonly client: S3Client;
  readonly usage: ApiUsage;
  readonly bucket: string;
  /** The export's S3 prefix and name, `<S3Prefix>/<export-name>`: the folder that holds `data/` and `metadata/`. */
  readonly prefix: string;
  readonly costMetric: FocusOptions['costMetric'];
  /** Time zone of the range's days (the budget file's billing time zone); UTC when absent. */
  readonly timezone?: string;
}

/** One data file of an export version. */
interface DataFile {
  readonly bucket: string;
  readonly key: string;
}

/** The files of one billing period's chosen version, and what was wrong on the way to them. */
interface PeriodVersion {
  readonly files: readonly DataFile[];
  /** When the files come from a manifest: when it was written (a data file newer than it is being rewritten). */
  readonly manifestWritten?: Date;
  readonly gaps: readonly DataGap[];
}

const DATA_FILE = /\.(?:csv|csv\.gz|parquet)$/i;
const MANIFEST = /Manifest\.json$/;

export class FocusExportSource implements CostSource {
  private readonly root: string;
  private readonly timezone: string;

  constructor(private readonly opts: FocusExportSourceOptions) {
    const trimmed = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.root = trimmed === '' ? '' : `${trimmed}/`;
    this.timezone = opts.timezone ?? 'UTC';
  }

  async load(range: TimeRange): Promise<CostLoad> {
    const from = dayStartMs(range.start, this.timezone);
    const to = dayStartMs(range.end, this.timezone);
    const records: CostRecord[] = [];
    const gaps: DataGap[] = [];
    for (const period of billingPeriods(from, to)) {
      const version = await this.version(period);
      gaps.push(...version.gaps);
      if (version.files.length === 0) continue;
      let charges = 0;
      let unread = 0;
      for (const file of version.files) {
        const read = await this.readFile(
          file,
          version.manifestWritten,
          (r) => r.start >= from && r.start < to,
        );
        for (const r of read.records) records.push(r);
        charges += read.charges;
        if (read.failed) unread++;
        gaps.push(...read.gaps);
      }
      if (charges === 0 && unread === 0) {
        gaps.push({
          source: 'costs',
          scope: this.url(this.partition('data', period)),
          message: `the FOCUS export for billing period ${period} has files but no charges: its spend is unknown, not zero`,
        });
      }
    }
    return { records, gaps };
  }

  /** The newest complete version of a period: the newest manifest's files, else the newest folder of data files. */
  private async version(period: string): Promise<PeriodVersion> {
    const gaps: DataGap[] = [];
    const manifests = (await this.list(this.partition('metadata', period))).filter((o) =>
      MANIFEST.test(o.Key ?? ''),
    );
    const manifest = newest(manifests);
    if (manifest?.Key) {
      const read = await this.readManifest(manifest.Key);
      if (read.files && read.files.length === 0) {
        gaps.push({
          source: 'costs',
          scope: this.url(manifest.Key),
          message: `${this.url(manifest.Key)} lists no data files for billing period ${period}: its spend is unknown, not zero`,
        });
      }
      if (read.files) {
        return {
          files: read.files,
          ...(manifest.LastModified ? { manifestWritten: manifest.LastModified } : {}),
          gaps,
        };
      }
      gaps.push({
        source: 'costs',
        scope: this.url(manifest.Key),
        message: `${this.url(manifest.Key)} could not be read (${read.problem}); the newest data files were read instead and may be an incomplete version`,
      });
    }
    const dataPrefix = this.partition('data', period);
    const data = (await this.list(dataPrefix)).filter((o) => DATA_FILE.test(o.Key ?? ''));
    const latest = newestFolder(data);
    if (latest.length === 0) {
      gaps.push({
        source: 'costs',
        scope: this.url(dataPrefix),
        message: `no FOCUS export data for billing period ${period} under ${this.url(dataPrefix)}: its spend is unknown, not zero`,
      });
    }
    return { files: latest.map((o) => ({ bucket: this.opts.bucket, key: o.Key as string })), gaps };
  }

  /** The data files a manifest names, or why it could not be used. */
  private async readManifest(key: string): Promise<{ files?: DataFile[]; problem?: string }> {
    const got = await this.get(this.opts.bucket, key);
    if ('missing' in got) return { problem: got.missing };
    let text: string;
    try {
      text = await got.body.transformToString('utf-8');
    } catch (err) {
      return { problem: `reading it failed: ${(err as Error).message}` };
    }
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch {
      return { problem: 'not JSON' };
    }
    const dataFiles = (manifest as { dataFiles?: unknown } | null)?.dataFiles;
    if (!Array.isArray(dataFiles)) return { problem: 'no dataFiles list' };
    const files: DataFile[] = [];
    for (const uri of dataFiles) {
      const m = typeof uri === 'string' ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
      if (!m) return { problem: `dataFiles holds ${JSON.stringify(uri)}, not an s3:// URI` };
      files.push({ bucket: m[1] as string, key: m[2] as string });
    }
    return { files };
  }

  /**
   * Streams one data file, keeping the records `keep` accepts; `charges` counts every charge read, kept or not.
   * A file that cannot be read is a gap naming it and gives no records, even if it broke halfway.
   */
  private async readFile(
    file: DataFile,
    manifestWritten: Date | undefined,
    keep: (record: CostRecord) => boolean,
  ): Promise<{ records: CostRecord[]; charges: number; failed?: true; gaps: DataGap[] }> {
    const name = `s3://${file.bucket}/${file.key}`;
    const gap = (message: string) => ({
      records: [],
      charges: 0,
      failed: true as const,
      gaps: [{ source: 'costs' as const, scope: name, message }],
    });
    if (!DATA_FILE.test(file.key)) {
      return gap(`${name} is not a FOCUS data file (.csv, .csv.gz or .parquet); its charges are missing`);
    }
    const got = await this.get(file.bucket, file.key);
    if ('missing' in got) return gap(`${name} could not be read (${got.missing}); its charges are missing`);
    const records: CostRecord[] = [];
    const visit = (r: CostRecord) => {
      if (keep(r)) records.push(r);
    };
    let charges: number;
    try {
      charges = /\.parquet$/i.test(file.key)
        ? await readParquet(await got.body.transformToByteArray(), name, this.opts, visit)
        : await forEachFocusCsvRecord(gunzipNamed(readable(got.body), file.key), name, this.opts, visit);
    } catch (err) {
      return gap(`${name} could not be read, its charges are missing: ${withoutName(err, name)}`);
    }
    const gaps: DataGap[] = [];
    if (manifestWritten && got.lastModified && got.lastModified > manifestWritten) {
      gaps.push({
        source: 'costs',
        scope: name,
        message: `${name} was rewritten after its manifest: the export is being refreshed, read it again on the next cycle`,
      });
    }
    return { records, charges, gaps };
  }

  /** Every object under `prefix`, all pages. */
  private async list(prefix: string): Promise<_Object[]> {
    const api = 's3:ListObjectsV2';
    const objects: _Object[] = [];
    const listing = pages(
      paginateListObjectsV2,
      this.opts.client,
      { Bucket: this.opts.bucket, Prefix: prefix },
      { api, usage: this.opts.usage, next: (page) => page.NextContinuationToken },
    );
    try {
      for await (const page of listing) objects.push(...(page.Contents ?? []));
    } catch (err) {
      throw this.failure(api, 's3:ListBucket', `arn:aws:s3:::${this.opts.bucket}`, err);
    }
    return objects;
  }

  /**
   * GetObject. An object that cannot be had (gone, archived, a server error that outlasted the retries) is reported
   * for the caller to make a gap of; access denied and throttling fail the source, as every other object would too.
   */
  private async get(
    bucket: string,
    key: string,
  ): Promise<{ body: ObjectBody; lastModified?: Date } | { missing: string }> {
    this.opts.usage.count('s3:GetObject');
    try {
      const res = await this.opts.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) return { missing: 'GetObject returned no body' };
      return {
        body: res.Body as ObjectBody,
        ...(res.LastModified ? { lastModified: res.LastModified } : {}),
      };
    } catch (err) {
      const failure = this.failure(
        's3:GetObject',
        's3:GetObject',
        `arn:aws:s3:::${bucket}/${this.root}*`,
        err,
        bucket,
      );
      if (failure.kind === 'access-denied' || failure.kind === 'throttled') throw failure;
      if (errorName(err) === 'NoSuchKey') return { missing: 'it does not exist: NoSuchKey' };
      return { missing: failure.message };
    }
  }

  /** A failed S3 call as the source's failure; access denied names the IAM action, the resource and the bucket. */
  private failure(
    api: string,
    action: string,
    resource: string,
    err: unknown,
    bucket = this.opts.bucket,
  ): AwsAccessError {
    const classified = sourceError('costs', api, err);
    if (classified.kind !== 'access-denied') return classified;
    return new AwsAccessError(
      'costs',
      'access-denied',
      `${api} on bucket ${bucket} was denied (${errorName(err)}): grant ${action} on ${resource} to the role running perf-budgets` +
        (action === 's3:GetObject'
          ? ', and kms:Decrypt on the key if the bucket is encrypted with SSE-KMS'
          : ''),
      { cause: err },
    );
  }

  private partition(kind: 'data' | 'metadata', period: string): string {
    return `${this.root}${kind}/BILLING_PERIOD=${period}/`;
  }

  private url(key: string): string {
    return `s3://${this.opts.bucket}/${key}`;
  }
}

/** What the SDK returns as a GetObject body, narrowed to what is used here. */
interface ObjectBody {
  transformToByteArray(): Promise<Uint8Array>;
  transformToString(encoding?: string): Promise<string>;
  transformToWebStream(): WebReadableStream;
}

/** The body as a Node stream: in Node the SDK's body already is one; elsewhere it is made from the web stream. */
function readable(body: ObjectBody): Readable {
  return body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream());
}

/**
 * Reads the FOCUS rows of a Parquet file one row group at a time, decoding only the columns the records need.
 * Returns the number of charges.
 */
async function readParquet(
  bytes: Uint8Array,
  name: string,
  opts: FocusOptions,
  visit: (record: CostRecord) => void,
): Promise<number> {
  const file = asyncBuffer(bytes);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new Error(`not a Parquet file (${(err as Error).message})`, { cause: err });
  }
  const columns: FocusColumn[] = parquetSchema(metadata).children.map(({ element }) =>
    element.converted_type === 'DECIMAL'
      ? { name: element.name, scale: element.scale ?? 0 }
      : { name: element.name },
  );
  const rows = new FocusObjectRows(name, columns, opts);
  let row = 0;
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({
      file,
      metadata,
      columns: [...rows.columnsToRead],
      rowStart,
      rowEnd,
      compressors: PAGE_DECOMPRESSORS,
    });
    for (const values of objects) visit(rows.record(values, ++row + 1));
    rowStart = rowEnd;
  }
  return row;
}

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

/**
 * Page decompressors for the codecs hyparquet does not decode itself (it reads UNCOMPRESSED and SNAPPY).
 *
 * - GZIP and BROTLI through node:zlib. `unzipSync` takes a gzip stream (what the Parquet spec asks for) and also a
 *   zlib stream, as Arrow's reader does.
 * - ZSTD through fzstd: node:zlib has no Zstandard before Node 22.15, and the CLI runs on Node 20.
 * - LZ4 (with or without Hadoop's block framing) and LZ4_RAW through hyparquet-compressors' LZ4 module, imported
 *   alone: its index pulls in pure-JS Brotli and gzip decoders and a WebAssembly Snappy, about 100 KB of bundle.
 *
 * zlib stops at the page's declared size, so a corrupt page cannot inflate without bound; hyparquet rejects a page
 * of any other length.
 */
const PAGE_DECOMPRESSORS: Compressors = {
  GZIP: (input, outputLength) => unzipSync(input, { maxOutputLength: Math.max(1, outputLength) }),
  BROTLI: (input, outputLength) =>
    brotliDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) }),
  ZSTD: (input) => zstdDecompress(input),
  LZ4: decompressLz4 as Decompress,
  LZ4_RAW: decompressLz4Raw as Decompress,
};

function asyncBuffer(bytes: Uint8Array): AsyncBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  return {
    byteLength,
    slice: (start, end = byteLength) =>
      (buffer as ArrayBuffer).slice(byteOffset + start, byteOffset + Math.min(end, byteLength)),
  };
}

/** The most recently written object, ties broken by the greater key (the later version folder). */
function newest(objects: readonly _Object[]): _Object | undefined {
  let best: _Object | undefined;
  for (const o of objects) if (!best || compareWritten(o, best) > 0) best = o;
  return best;
}

function compareWritten(a: _Object, b: _Object): number {
  const t = (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0);
  return t !== 0 ? t : (a.Key ?? '').localeCompare(b.Key ?? '');
}

/** The data files of the folder that holds the most recently written one, in key order. */
function newestFolder(objects: readonly _Object[]): _Object[] {
  const last = newest(objects);
  if (!last?.Key) return [];
  const folder = last.Key.slice(0, last.Key.lastIndexOf('/') + 1);
  return objects
    .filter((o) => o.Key?.startsWith(folder) && !o.Key.slice(folder.length).includes('/'))
    .sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''));
}

function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

/** An error's message for a gap, without the object's name that input errors start with (the gap names it). */
function withoutName(err: unknown, name: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(name) ? message.slice(name.length).replace(/^[:,]\s*/, '') : message;
}
