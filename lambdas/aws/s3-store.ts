/**
 * Snapshots, stage payloads and reports in one S3 bucket, under the key layout of `cycle/contract.ts`.
 *
 * Step Functions passes at most 256 KB between states, so each stage writes its output here and passes the key on.
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { AwsAccessError, DataError } from '../core/errors.ts';
import type { ReportSink } from '../ports.ts';
import { sourceError } from './errors.ts';

/** Server-side encryption of every object written: SSE-S3, or SSE-KMS with the bucket key (fewer KMS calls). */
export type S3Encryption =
  | { readonly type: 'AES256' }
  | { readonly type: 'aws:kms'; readonly kmsKeyId?: string };

export interface S3StoreOptions {
  readonly bucket: string;
  readonly encryption: S3Encryption;
  /** Built once per cold start; by default one from the default credential chain. */
  readonly client?: S3Client;
  /** The account that must own the bucket; S3 refuses the call otherwise (guards against a re-created name). */
  readonly expectedBucketOwner?: string;
}

/** A key that is not in the bucket: the payload a step needs was never written there. */
export class ObjectNotFoundError extends DataError {
  override name = 'ObjectNotFoundError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`no object ${key} in bucket ${bucket} (s3://${bucket}/${key}): ${why}`, options);
  }
}

/** JSON that cannot hold the value faithfully: a bigint, or a typed array (which JSON turns into an object). */
function strictReplacer(key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    throw new TypeError(
      `"${key}" is a bigint: store money as decimal text (storeCostRecord) before writing JSON`,
    );
  }
  if (ArrayBuffer.isView(value)) {
    throw new TypeError(`"${key}" is a typed array: convert it with Array.from before writing JSON`);
  }
  return value;
}

function errorName(err: unknown): string {
  return (err as { name?: unknown } | null)?.name === undefined
    ? 'Error'
    : String((err as { name: unknown }).name);
}

/** A parse failure in one line: zod's issues as "path: message", at most five; any other error's first line. */
function problemsOf(err: unknown): string {
  const issues = (err as { issues?: unknown } | null)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const shown = issues.slice(0, 5).map((i: { path?: unknown[]; message?: unknown }) => {
      const path = Array.isArray(i.path) && i.path.length > 0 ? i.path.join('.') : '(root)';
      return `${path}: ${String(i.message)}`;
    });
    return `${shown.join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
  }
  return err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
}

export class S3Store {
  readonly bucket: string;
  readonly client: S3Client;
  private readonly encryption: S3Encryption;
  private readonly expectedBucketOwner: string | undefined;

  constructor(options: S3StoreOptions) {
    if (!options.bucket) throw new TypeError('S3Store needs a bucket name (the OUTPUT_BUCKET of the stack)');
    this.bucket = options.bucket;
    this.client = options.client ?? new S3Client({});
    this.encryption = options.encryption;
    this.expectedBucketOwner = options.expectedBucketOwner;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** Whether `key` exists (HeadObject); a failure other than "not found" is an error naming s3:GetObject. */
  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(this.expectedBucketOwner ? { ExpectedBucketOwner: this.expectedBucketOwner } : {}),
        }),
      );
      return true;
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return false;
      throw sourceError('outputs', 's3:GetObject', err);
    }
  }

  /** Writes one object, encrypted as configured, and returns its s3:// URI. */
  async put(key: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: this.encryption.type,
      ...(this.encryption.type === 'aws:kms'
        ? {
            BucketKeyEnabled: true,
            ...(this.encryption.kmsKeyId ? { SSEKMSKeyId: this.encryption.kmsKeyId } : {}),
          }
        : {}),
      ...(this.expectedBucketOwner ? { ExpectedBucketOwner: this.expectedBucketOwner } : {}),
    };
    try {
      await this.client.send(new PutObjectCommand(input));
    } catch (err) {
      throw sourceError('outputs', 's3:PutObject', err);
    }
    return this.uri(key);
  }

  /** Writes `value` as JSON; a bigint or typed array in it is an error rather than a silently changed payload. */
  async putJson(key: string, value: unknown): Promise<string> {
    let text: string;
    try {
      text = JSON.stringify(value, strictReplacer);
    } catch (err) {
      throw new TypeError(`cannot write ${this.uri(key)} as JSON: ${(err as Error).message}`, { cause: err });
    }
    return this.put(key, text, 'application/json');
  }

  /**
   * Reads a JSON object; `parse` (a zod schema's parse, say) checks its shape. A payload that is not JSON, or not of
   * that shape, is a DataError naming the object.
   */
  async getJson<T = unknown>(key: string, parse?: (value: unknown) => T): Promise<T> {
    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(this.expectedBucketOwner ? { ExpectedBucketOwner: this.expectedBucketOwner } : {}),
        }),
      );
    } catch (err) {
      const name = errorName(err);
      if (name === 'NoSuchKey' || name === 'NotFound') {
        throw new ObjectNotFoundError(
          this.bucket,
          key,
          'the stage that writes it has not run or wrote elsewhere',
          { cause: err },
        );
      }
      if (name === 'AccessDenied') {
        throw new AwsAccessError(
          'outputs',
          'access-denied',
          `s3:GetObject of ${key} in bucket ${this.bucket} was denied: grant s3:GetObject on it (without s3:ListBucket, S3 also reports a missing key as denied)`,
          { cause: err },
        );
      }
      throw sourceError('outputs', 's3:GetObject', err);
    }
    if (!out.Body) throw new ObjectNotFoundError(this.bucket, key, 'GetObject returned no body');
    const text = await out.Body.transformToString('utf-8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DataError(`${this.uri(key)} is not JSON: ${(err as Error).message.slice(0, 200)}`, {
        cause: err,
      });
    }
    if (!parse) return value as T;
    try {
      return parse(value);
    } catch (err) {
      throw new DataError(`${this.uri(key)} does not hold the payload expected there: ${problemsOf(err)}`, {
        cause: err,
      });
    }
  }
}

/** The report sink of AWS runs: each output is an object under a prefix of the bucket, encrypted at rest. */
export class S3ReportSink implements ReportSink {
  constructor(
    private readonly store: S3Store,
    /** The key prefix of every report object, e.g. `reports/`. */
    private readonly prefix: string,
  ) {}

  /** The object key a report name is written to. */
  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Writes `name` (a relative path such as `2026-10/report.html`) and returns its s3:// URI. */
  async write(name: string, content: string | Uint8Array, contentType: string): Promise<string> {
    if (
      !name ||
      name.startsWith('/') ||
      name.includes('\\') ||
      name.split('/').some((p) => p === '..' || p === '.')
    ) {
      throw new RangeError(
        `report name must be a relative path without . or .. parts, got ${JSON.stringify(name)}`,
      );
    }
    return this.store.put(this.key(name), content, contentType);
  }
}
