import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  GetCostForecastCommand,
} from '@aws-sdk/client-cost-explorer';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type StoredSnapshot, storeSnapshot } from '../../lambdas/core/records.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { demoSnapshot } from '../helpers/demo.ts';
import { jsonBody, lambdaContext } from '../helpers/lambda.ts';

const HOME = '111122223333';
const MEMBER = '444455556666';
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/perf-budgets-member`;
const context = lambdaContext('perf-budgets-test', HOME);
const body = jsonBody;

const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);
const ce = mockClient(CostExplorerClient);
const doc = mockClient(DynamoDBDocumentClient);

let objects: Map<string, unknown>;
let budgetsJson: unknown;
let whole: Snapshot;
const usage = (requests: number) => ({
  requests,
  costUsd: requests * 0.01,
  byApi: [{ api: 'ce:GetCostAndUsage', requests, costUsd: requests * 0.01 }],
});

beforeAll(async () => {
  const demo = await demoSnapshot();
  budgetsJson = demo.file;
  whole = demo.snapshot;
});

beforeEach(() => {
  vi.resetModules();
  for (const m of [s3, sagemaker, ce, doc]) m.reset();
  vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
  vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
  vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
  objects = new Map<string, unknown>([['config/budgets.json', budgetsJson]]);
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

const collect = async () => (await import('../../lambdas/handlers/collect.ts')).handler;
const evaluate = async () => (await import('../../lambdas/handlers/evaluate.ts')).handler;

describe('collect handler', () => {
  it('collects the inventory and metrics of a member account and region into a part named after the target', async () => {
    sagemaker.on(ListEndpointsCommand).resolves({ Endpoints: [] });
    const out = await (await collect())(
      {
        runId: 'run-1',
        asOf: '2026-10-15',
        part: 'resources',
        target: { account: MEMBER, region: 'eu-west-1', roleArn: MEMBER_ROLE, externalId: 'perf-budgets-x1' },
      },
      context,
    );
    const key = `snapshots/2026-10-15/run-1.${MEMBER}.eu-west-1.json`;
    expect(out).toEqual({ runId: 'run-1', asOf: '2026-10-15', snapshotKey: key });
    expect(sagemaker).toHaveReceivedCommand(ListEndpointsCommand);
    // the SageMaker client the handler used is the target's: its region, not the function's
    const used = sagemaker.call(0).thisValue as SageMakerClient;
    expect(await used.config.region()).toBe('eu-west-1');
    expect(ce).not.toHaveReceivedAnyCommand();
    expect(objects.get(key)).toMatchObject({
      part: 'resources',
      target: { account: MEMBER, region: 'eu-west-1' },
      snapshot: { asOf: '2026-10-15', costs: [], inventory: [], metrics: [] },
    });
  });

  it('judges the day before the schedule time in the billing time zone', async () => {
    sagemaker.on(ListEndpointsCommand).resolves({ Endpoints: [] });
    const out = await (await collect())(
      {
        runId: 'run-2',
        at: '2026-10-16T06:00:00Z',
        part: 'resources',
        target: { account: HOME, region: 'us-east-1' },
      },
      context,
    );
    expect(out.asOf).toBe('2026-10-15');
    expect(out.snapshotKey).toBe(`snapshots/2026-10-15/run-2.${HOME}.us-east-1.json`);
  });

  it('collects spend once, unattributed, with what merging needs, in a costs part', async () => {
    doc.on(BatchGetCommand).resolves({ Responses: {}, UnprocessedKeys: {} });
    doc.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    ce.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [] });
    ce.on(GetCostForecastCommand).rejects(new Error('no forecast in a test'));
    const out = await (await collect())({ runId: 'run-3', asOf: '2026-10-15', part: 'costs' }, context);
    expect(out.snapshotKey).toBe('snapshots/2026-10-15/run-3.costs.json');
    expect(ce).toHaveReceivedCommand(GetCostAndUsageCommand);
    expect(sagemaker).not.toHaveReceivedAnyCommand();
    expect(objects.get(out.snapshotKey)).toMatchObject({
      part: 'costs',
      attribution: { groupTag: 'team' },
      snapshot: { asOf: '2026-10-15', inventory: [], gaps: [] },
      apiUsage: { byApi: expect.arrayContaining([expect.objectContaining({ api: 'ce:GetCostAndUsage' })]) },
    });
  });

  it('refuses to read spend through a member role: Cost Explorer is read once, from the deployment account', async () => {
    await expect(
      (await collect())(
        {
          runId: 'run-1',
          asOf: '2026-10-15',
          part: 'costs',
          target: { account: MEMBER, region: 'us-east-1', roleArn: MEMBER_ROLE },
        },
        context,
      ),
    ).rejects.toThrow(/target\.roleArn: spend is read from the deployment account only/);
    expect(ce).not.toHaveReceivedAnyCommand();
  });

  it('refuses another account without a role: it would read this account under another name', async () => {
    await expect(
      (await collect())(
        {
          runId: 'run-1',
          asOf: '2026-10-15',
          part: 'resources',
          target: { account: MEMBER, region: 'us-east-1' },
        },
        context,
      ),
    ).rejects.toThrow(/target\.account 444455556666 is not this function's account \(111122223333\)/);
    expect(sagemaker).not.toHaveReceivedAnyCommand();
  });

  it('refuses a role of another account than the target names', async () => {
    await expect(
      (await collect())(
        {
          runId: 'run-1',
          asOf: '2026-10-15',
          part: 'resources',
          target: { account: '999999999999', region: 'us-east-1', roleArn: MEMBER_ROLE },
        },
        context,
      ),
    ).rejects.toThrow(/target\.roleArn: roleArn must be a role in the target account/);
  });

  it('refuses a day and an instant together, and a malformed day', async () => {
    const handler = await collect();
    await expect(
      handler({ runId: 'run-1', asOf: '2026-10-15', at: '2026-10-16T06:00:00Z' }, context),
    ).rejects.toThrow(/at: give asOf or at, not both/);
    await expect(handler({ runId: 'run-1', asOf: '15/10/2026' }, context)).rejects.toThrow(/asOf: /);
  });
});

function split(s: Snapshot): { costs: unknown; resources: unknown } {
  const stored = storeSnapshot(s);
  const costs: StoredSnapshot = { ...stored, inventory: [], metrics: undefined, gaps: [] };
  const resources: StoredSnapshot = { ...stored, costs: [], costsCompleteThrough: undefined };
  return {
    costs: { part: 'costs', snapshot: costs, attribution: {}, apiUsage: usage(3), crossCheck: { ok: false } },
    resources: {
      part: 'resources',
      target: { account: HOME, region: 'us-east-1' },
      snapshot: resources,
      apiUsage: usage(2),
    },
  };
}

describe('evaluate handler', () => {
  it('merges the parts of a cycle into the same findings a whole snapshot gives', async () => {
    const { costs, resources } = split(whole);
    objects.set('snapshots/2026-10-15/run-1.json', { snapshot: storeSnapshot(whole), apiUsage: usage(0) });
    objects.set('snapshots/2026-10-15/run-2.costs.json', costs);
    objects.set(`snapshots/2026-10-15/run-2.${HOME}.us-east-1.json`, resources);
    const handler = await evaluate();
    const fromWhole = await handler(
      { runId: 'run-1', asOf: '2026-10-15', snapshotKey: 'snapshots/2026-10-15/run-1.json' },
      context,
    );
    const fromParts = await handler(
      {
        runId: 'run-2',
        asOf: '2026-10-15',
        partKeys: [
          'snapshots/2026-10-15/run-2.costs.json',
          `snapshots/2026-10-15/run-2.${HOME}.us-east-1.json`,
        ],
      },
      context,
    );
    expect(fromParts).toEqual({ ...fromWhole, runId: 'run-2', resultKey: 'findings/2026-10-15/run-2.json' });
    const a = objects.get('findings/2026-10-15/run-1.json') as { result: { budgets: unknown[] } };
    const b = objects.get('findings/2026-10-15/run-2.json') as {
      result: { budgets: unknown[]; apiUsage: unknown; costExplorerForecast: unknown };
    };
    expect(b.result.budgets).toEqual(a.result.budgets);
    // the API requests of both parts, added up per API; the forecast cross-check from the costs part
    expect(b.result.apiUsage).toEqual({
      requests: 5,
      costUsd: 0.05,
      byApi: [{ api: 'ce:GetCostAndUsage', requests: 5, costUsd: 0.05 }],
    });
    expect(b.result.costExplorerForecast).toEqual({ ok: false });
  });

  it('refuses parts of another day than the cycle judges', async () => {
    const { costs, resources } = split(whole);
    objects.set('snapshots/2026-10-15/run-2.costs.json', costs);
    objects.set('snapshots/2026-10-15/run-2.res.json', resources);
    await expect(
      (await evaluate())(
        {
          runId: 'run-2',
          asOf: '2026-10-14',
          partKeys: ['snapshots/2026-10-15/run-2.costs.json', 'snapshots/2026-10-15/run-2.res.json'],
        },
        context,
      ),
    ).rejects.toThrow(/asOf 2026-10-14 does not match the snapshot's 2026-10-15/);
  });

  it('refuses a whole snapshot among parts: its spend is attributed already and would count again', async () => {
    const { costs } = split(whole);
    objects.set('snapshots/2026-10-15/run-2.costs.json', costs);
    objects.set('snapshots/2026-10-15/run-1.json', { snapshot: storeSnapshot(whole) });
    await expect(
      (await evaluate())(
        {
          runId: 'run-2',
          asOf: '2026-10-15',
          partKeys: ['snapshots/2026-10-15/run-2.costs.json', 'snapshots/2026-10-15/run-1.json'],
        },
        context,
      ),
    ).rejects.toThrow(/partKeys\[1\] snapshots\/2026-10-15\/run-1\.json is not a part of a cycle/);
  });

  it('refuses both a snapshot key and part keys, and keys outside snapshots/', async () => {
    const handler = await evaluate();
    await expect(
      handler(
        {
          runId: 'run-1',
          asOf: '2026-10-15',
          snapshotKey: 'snapshots/a.json',
          partKeys: ['snapshots/b.json'],
        },
        context,
      ),
    ).rejects.toThrow(/snapshotKey: give snapshotKey \(a whole snapshot\) or partKeys/);
    await expect(
      handler({ runId: 'run-1', asOf: '2026-10-15', partKeys: ['config/budgets.json'] }, context),
    ).rejects.toThrow(/partKeys\.0: /);
  });
});
