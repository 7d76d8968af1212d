import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ObjectNotFoundError, S3ReportSink, S3Store } from '../../lambdas/aws/s3-store.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';

const BUCKET = 'perf-budgets-outputs-123456789012';
const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));

const kmsStore = () =>
  new S3Store({
    bucket: BUCKET,
    client,
    encryption: { type: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd' },
  });
const sseS3Store = () => new S3Store({ bucket: BUCKET, client, encryption: { type: 'AES256' } });

beforeEach(() => {
  s3.reset();
});

describe('S3Store', () => {
  it('writes JSON with its content type and KMS encryption with the bucket key, and returns the URI', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"' });
    const uri = await kmsStore().putJson('snapshots/2026-10-10/run-1.json', { asOf: '2026-10-10' });
    expect(uri).toBe(`s3://${BUCKET}/snapshots/2026-10-10/run-1.json`);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'snapshots/2026-10-10/run-1.json',
      Body: '{"asOf":"2026-10-10"}',
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd',
      BucketKeyEnabled: true,
    });
  });

  it('writes with SSE-S3 when so configured, naming no KMS key', async () => {
    s3.on(PutObjectCommand).resolves({});
    await sseS3Store().put('findings/2026-10-10/run-1.json', '[]', 'application/json');
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.ServerSideEncryption).toBe('AES256');
    expect(input).not.toHaveProperty('SSEKMSKeyId');
    expect(input).not.toHaveProperty('BucketKeyEnabled');
  });

  it('refuses a bigint rather than write a payload that cannot round-trip', async () => {
    await expect(kmsStore().putJson('snapshots/x.json', { costs: [{ amount: 5n }] })).rejects.toThrow(
      /cannot write s3:\/\/.*snapshots\/x\.json as JSON: "amount" is a bigint/,
    );
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('reads back the JSON it is given, checked by a schema', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"asOf":"2026-10-10","costs":[]}') });
    const schema = z.object({ asOf: z.string(), costs: z.array(z.unknown()) });
    const got = await kmsStore().getJson('snapshots/2026-10-10/run-1.json', (v) => schema.parse(v));
    expect(got).toEqual({ asOf: '2026-10-10', costs: [] });
    expect(s3).toReceiveCommandWith(GetObjectCommand, {
      Bucket: BUCKET,
      Key: 'snapshots/2026-10-10/run-1.json',
    });
  });

  it('names the bucket and the key when the key is missing', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    );
    const read = kmsStore().getJson('snapshots/2026-10-10/run-9.json');
    await expect(read).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(read).rejects.toThrow(
      `no object snapshots/2026-10-10/run-9.json in bucket ${BUCKET} (s3://${BUCKET}/snapshots/2026-10-10/run-9.json)`,
    );
    await expect(read).rejects.toMatchObject({ bucket: BUCKET, key: 'snapshots/2026-10-10/run-9.json' });
  });

  it('says a denied read may be a missing key when ListBucket is not granted', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const read = kmsStore().getJson('snapshots/2026-10-10/run-1.json');
    await expect(read).rejects.toBeInstanceOf(AwsAccessError);
    await expect(read).rejects.toThrow(/grant s3:GetObject .*without s3:ListBucket/);
  });

  it('names the object that is not JSON', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('<html>') });
    await expect(kmsStore().getJson('snapshots/a.json')).rejects.toThrow(
      `s3://${BUCKET}/snapshots/a.json is not JSON`,
    );
  });

  it('passes the expected bucket owner when given', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3Store({
      bucket: BUCKET,
      client,
      encryption: { type: 'AES256' },
      expectedBucketOwner: '123456789012',
    });
    await store.put('reports/a.md', '# a', 'text/markdown');
    expect(s3).toReceiveCommandWith(PutObjectCommand, { ExpectedBucketOwner: '123456789012' });
  });
});

describe('S3Store.exists', () => {
  it('answers from HeadObject: there, not found, or an error naming the IAM action', async () => {
    const store = sseS3Store();
    s3.on(HeadObjectCommand, { Key: 'reports/latest/report.html' }).resolves({ ContentLength: 10 });
    s3.on(HeadObjectCommand, { Key: 'reports/none.html' }).rejects(
      Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(HeadObjectCommand, { Key: 'reports/denied.html' }).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );
    expect(await store.exists('reports/latest/report.html')).toBe(true);
    expect(await store.exists('reports/none.html')).toBe(false);
    await expect(store.exists('reports/denied.html')).rejects.toThrow(/s3:GetObject/);
    expect(s3).toReceiveCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: 'reports/latest/report.html' });
  });
});

describe('S3ReportSink', () => {
  it('writes a report under reports/ with its content type, encrypted, and returns the URI', async () => {
    s3.on(PutObjectCommand).resolves({});
    const html = new TextEncoder().encode('<html></html>');
    const uri = await new S3ReportSink(kmsStore(), 'reports/').write(
      '2026-10/report.html',
      html,
      'text/html; charset=utf-8',
    );
    expect(uri).toBe(`s3://${BUCKET}/reports/2026-10/report.html`);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Key: 'reports/2026-10/report.html',
      Body: html,
      ContentType: 'text/html; charset=utf-8',
      ServerSideEncryption: 'aws:kms',
    });
  });

  it('refuses a name that climbs out of its prefix', async () => {
    await expect(
      new S3ReportSink(kmsStore(), 'reports/').write('../snapshots/x.json', '{}', 'application/json'),
    ).rejects.toThrow(/relative path without \. or \.\. parts/);
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('reports a denied write with the permission to grant', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(
      new S3ReportSink(sseS3Store(), 'reports/').write('a.md', '#', 'text/markdown'),
    ).rejects.toThrow(/grant the IAM action s3:PutObject/);
  });
});
