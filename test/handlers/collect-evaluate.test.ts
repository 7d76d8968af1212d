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
import { FindingsSchema, type SnapshotPart } from '../../lambdas/cycle/contract.ts';
import { evaluateStep } from '../../lambdas/cycle/evaluate.ts';
import { demoParts, storedParts } from '../helpers/demo.ts';
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
const usage = (requests: number) => ({
  requests,
  costUsd: requests * 0.01,
  byApi: [{ api: 'ce:GetCostAndUsage', requests, costUsd: requests * 0.01 }],
});

beforeAll(async () => {
  budgetsJson = (await demoParts()).file;
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
      handler({ runId: 'run-1', asOf: '2026-10-15', at: '2026-10-16T06:00:00Z', part: 'costs' }, context),
    ).rejects.toThrow(/at: give asOf or at, not both/);
    await expect(handler({ runId: 'run-1', asOf: '15/10/2026', part: 'costs' }, context)).rejects.toThrow(
      /asOf: /,
    );
  });

  it('refuses a day after yesterday: Cost Explorer has not closed it, and its spend would be cached short', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-10-16T06:00:00Z'), toFake: ['Date'] });
    try {
      await expect(
        (await collect())({ runId: 'run-1', asOf: '2026-10-16', part: 'costs' }, context),
      ).rejects.toThrow(/asOf: 2026-10-16 is after yesterday \(2026-10-15 in UTC\)/);
      expect(ce).not.toHaveReceivedAnyCommand();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('evaluate handler', () => {
  it('stores the findings the cycle step gives for the same parts, after a JSON round trip', async () => {
    const { file, parts } = await demoParts();
    const { objects: stored, partKeys } = storedParts(parts, 'run-2');
    for (const [k, v] of stored) objects.set(k, v);
    const out = await (await evaluate())({ runId: 'run-2', asOf: '2026-10-15', partKeys }, context);
    expect(out).toMatchObject({
      runId: 'run-2',
      asOf: '2026-10-15',
      resultKey: 'findings/2026-10-15/run-2.json',
    });
    const findings = FindingsSchema.parse(objects.get(out.resultKey));
    const local = evaluateStep(file, parts);
    expect(findings.result).toEqual(JSON.parse(JSON.stringify(local.result)));
    expect(findings.records).toEqual(JSON.parse(JSON.stringify(local.records)));
    expect(findings.inputs).toEqual({ partKeys });
  });

  it('adds up the API requests of every part per API, and keeps the forecast of the costs part', async () => {
    const { parts } = await demoParts();
    const [spend, resources] = parts as [SnapshotPart & { part: 'costs' }, SnapshotPart];
    const forecast = { from: '2026-10-16', to: '2026-11-01', metric: 'UNBLENDED_COST', mean: 5391.41 };
    const { objects: stored, partKeys } = storedParts(
      [
        { ...spend, apiUsage: usage(3), costExplorerForecast: forecast },
        { ...resources, apiUsage: usage(2) },
      ],
      'run-3',
    );
    for (const [k, v] of stored) objects.set(k, v);
    const out = await (await evaluate())({ runId: 'run-3', asOf: '2026-10-15', partKeys }, context);
    const { result } = FindingsSchema.parse(objects.get(out.resultKey));
    expect(result.apiUsage).toEqual({
      requests: 5,
      costUsd: 0.05,
      byApi: [{ api: 'ce:GetCostAndUsage', requests: 5, costUsd: 0.05 }],
    });
    expect(result.costExplorerForecast).toEqual(forecast);
  });

  it('refuses parts of another day than the cycle judges', async () => {
    const { parts } = await demoParts();
    const { objects: stored, partKeys } = storedParts(parts, 'run-2');
    for (const [k, v] of stored) objects.set(k, v);
    await expect(
      (await evaluate())({ runId: 'run-2', asOf: '2026-10-14', partKeys }, context),
    ).rejects.toThrow(/asOf 2026-10-14 does not match the snapshot's 2026-10-15/);
  });

  it('refuses a stored part of another shape, naming its key and the field', async () => {
    const { parts } = await demoParts();
    const { objects: stored, partKeys } = storedParts(parts, 'run-2');
    for (const [k, v] of stored) objects.set(k, v);
    // a costs part as an older collect wrote it: the forecast cross-check under its own key, no part tag
    const [costsKey, costs] = stored[0] as [string, Record<string, unknown>];
    const { part: _part, ...untagged } = costs;
    objects.set(costsKey, { ...untagged, crossCheck: { ok: true, mean: '5391.41' } });
    await expect(
      (await evaluate())({ runId: 'run-2', asOf: '2026-10-15', partKeys }, context),
    ).rejects.toThrow(`${costsKey} is not the payload this step reads: part: `);
  });

  it('refuses keys outside snapshots/', async () => {
    await expect(
      (await evaluate())({ runId: 'run-1', asOf: '2026-10-15', partKeys: ['config/budgets.json'] }, context),
    ).rejects.toThrow(/partKeys\.0: /);
  });
});
