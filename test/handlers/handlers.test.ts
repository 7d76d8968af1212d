import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FindingsSchema } from '../../lambdas/cycle/contract.ts';
import { demoParts, storedParts } from '../helpers/demo.ts';
import { jsonBody, lambdaContext } from '../helpers/lambda.ts';

const context = lambdaContext('perf-budgets-test');
const body = jsonBody;

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const doc = mockClient(DynamoDBDocumentClient);

let objects: Map<string, unknown>;
let budgetsJson: unknown;
let stored: ReturnType<typeof storedParts>;

beforeAll(async () => {
  const { file, parts } = await demoParts();
  budgetsJson = file;
  stored = storedParts(parts, 'run-1');
});

beforeEach(() => {
  vi.resetModules();
  for (const m of [s3, sns, doc]) m.reset();
  vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
  vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
  vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:111122223333:perf-budgets-alerts');
  objects = new Map<string, unknown>([['config/budgets.json', budgetsJson], ...stored.objects]);
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (!objects.has(input.Key)) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return { Body: body(objects.get(input.Key)) };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    objects.set(input.Key, JSON.parse(String(input.Body)));
    return { ETag: '"1"' };
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('handlers', () => {
  it('fail at cold start naming every missing variable', async () => {
    vi.stubEnv('DATA_BUCKET', '');
    vi.stubEnv('LEDGER_TABLE', '');
    await expect(import('../../lambdas/handlers/evaluate.ts')).rejects.toThrow(
      /DATA_BUCKET: .*; LEDGER_TABLE: /,
    );
  });

  it('reject an event that lacks what the state machine must pass, naming the field', async () => {
    const { handler } = await import('../../lambdas/handlers/evaluate.ts');
    await expect(handler({ runId: 'run-1', asOf: '2026-10-15' }, context)).rejects.toThrow(/partKeys: /);
  });

  it('evaluate stored snapshot parts into findings and ledger records, passed on as an S3 key', async () => {
    const { handler } = await import('../../lambdas/handlers/evaluate.ts');
    const out = await handler({ runId: 'run-1', asOf: '2026-10-15', partKeys: stored.partKeys }, context);
    expect(out).toEqual({
      runId: 'run-1',
      asOf: '2026-10-15',
      resultKey: 'findings/2026-10-15/run-1.json',
      breached: 2,
      unknown: 0,
      atRisk: 3,
      ok: 1,
    });
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'perf-budgets-data',
      Key: 'findings/2026-10-15/run-1.json',
      ContentType: 'application/json',
    });
    const findings = FindingsSchema.parse(objects.get('findings/2026-10-15/run-1.json'));
    expect(findings.records.closedDays.length).toBeGreaterThan(0);
  });
});
