import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SNS_MESSAGE_BYTES, SnsNotifier, subjectFor } from '../../lambdas/aws/sns.ts';
import type { Cause, Finding } from '../../lambdas/core/types.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:perf-budgets-alerts';
const sns = mockClient(SNSClient);
const client = new SNSClient({ region: 'us-east-1' });

const finding = (over: Partial<Finding> = {}): Finding => ({
  kind: 'spend-breach',
  budget: 'search-prod',
  endpoint: 'search-a',
  severity: 'critical',
  message: 'Spend to date $12,480.00 is over the $12,000.00 cap',
  observed: 12480,
  limit: 12000,
  actions: [],
  key: 'spend-breach|search-prod|1',
  ...over,
});

const entries = (n = 0): NonNullable<PublishBatchCommandInput['PublishBatchRequestEntries']> =>
  sns.commandCalls(PublishBatchCommand)[n]?.args[0].input.PublishBatchRequestEntries ?? [];

/** Accepts every entry of every batch, as SNS does when all is well. */
const acceptAll = () =>
  sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
  }));

beforeEach(() => {
  sns.reset();
});

describe('SnsNotifier', () => {
  it('publishes the finding as JSON with filterable String attributes', async () => {
    acceptAll();
    const f = finding();
    const results = await new SnsNotifier(TOPIC, { client, tierOf: () => 'production' }).publish([f]);
    expect(results).toEqual([{ key: f.key, budget: 'search-prod', status: 'ok', messageId: 'm-f0' }]);
    expect(sns).toReceiveCommandWith(PublishBatchCommand, {
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        {
          Id: 'f0',
          Message: JSON.stringify(f),
          Subject:
            '[CRITICAL] search-prod/search-a spend-breach: Spend to date $12,480.00 is over the $12,000.00 cap',
          MessageAttributes: {
            budget: { DataType: 'String', StringValue: 'search-prod' },
            kind: { DataType: 'String', StringValue: 'spend-breach' },
            severity: { DataType: 'String', StringValue: 'critical' },
            endpoint: { DataType: 'String', StringValue: 'search-a' },
            tier: { DataType: 'String', StringValue: 'production' },
          },
        },
      ],
    });
    expect(JSON.parse(entries()[0]?.Message ?? '')).toEqual(f);
  });

  it('leaves out the endpoint and tier attributes when a finding has neither', async () => {
    acceptAll();
    await new SnsNotifier(TOPIC, { client }).publish([finding({ endpoint: undefined })]);
    expect(Object.keys(entries()[0]?.MessageAttributes ?? {})).toEqual(['budget', 'kind', 'severity']);
  });

  it('keeps the subject under 100 characters on one line', () => {
    const subject = subjectFor(
      finding({
        endpoint: 'a-very-long-endpoint-name-for-the-multilingual-semantic-search-reranker-v2',
        message: `Latency p99 230 ms is over the 120 ms limit\nacross all variants\r\n${'x'.repeat(200)}`,
      }),
    );
    expect([...subject].length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n\t]/);
    expect(subject).toMatch(/^\[CRITICAL\] search-prod\/a-very-long-endpoint.*\.\.\.$/);
  });

  it('sends one request per ten findings', async () => {
    acceptAll();
    const findings = Array.from({ length: 23 }, (_, i) => finding({ key: `k${i}` }));
    const results = await new SnsNotifier(TOPIC, { client }).publish(findings);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 3);
    expect([entries(0).length, entries(1).length, entries(2).length]).toEqual([10, 10, 3]);
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(results.map((r) => r.key)).toEqual(findings.map((f) => f.key));
  });

  it('splits a batch before its messages together pass the 256 KiB limit', async () => {
    acceptAll();
    const big = (key: string) => finding({ key, message: 'y'.repeat(100_000) });
    await new SnsNotifier(TOPIC, { client }).publish([big('a'), big('b'), big('c')]);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 2);
    for (const n of [0, 1]) {
      const bytes = entries(n).reduce((s, e) => s + Buffer.byteLength(e.Message ?? ''), 0);
      expect(bytes).toBeLessThanOrEqual(SNS_MESSAGE_BYTES);
    }
  });

  it('drops the per-endpoint split of a cause that would not fit, and says how many it left out', async () => {
    acceptAll();
    const cause: Cause = {
      primary: 'idle-capacity',
      change: 1000,
      parts: {
        traffic: 0,
        'idle-capacity': 1000,
        'instance-change': 0,
        price: 0,
        'new-endpoint': 0,
        other: 0,
      },
      baseline: { from: '2026-09-01', to: '2026-09-30', dailySpend: 100 },
      current: { from: '2026-10-01', to: '2026-10-10', dailySpend: 200 },
      summary: 'Idle capacity',
      endpoints: Array.from({ length: 3000 }, (_, i) => ({
        endpoint: `endpoint-with-a-long-name-${i}`,
        parts: {
          traffic: 0,
          'idle-capacity': 1,
          'instance-change': 0,
          price: 0,
          'new-endpoint': 0,
          other: 0,
        },
      })),
    };
    const results = await new SnsNotifier(TOPIC, { client }).publish([finding({ cause })]);
    expect(results[0]?.status).toBe('ok');
    const sent = JSON.parse(entries()[0]?.Message ?? '{}') as { cause: Record<string, unknown> };
    expect(sent.cause.endpoints).toBeUndefined();
    expect(sent.cause.endpointsOmitted).toBe(3000);
    expect(sent.cause.summary).toBe('Idle capacity');
  });

  it('reports a finding SNS refused as failed with its reason, and the others as sent', async () => {
    sns.on(PublishBatchCommand).resolves({
      Successful: [{ Id: 'f0', MessageId: 'm0' }],
      Failed: [{ Id: 'f1', Code: 'InvalidParameter', Message: 'Invalid attribute value', SenderFault: true }],
    });
    const results = await new SnsNotifier(TOPIC, { client }).publish([
      finding({ key: 'a' }),
      finding({ key: 'b' }),
    ]);
    expect(results).toEqual([
      { key: 'a', budget: 'search-prod', status: 'ok', messageId: 'm0' },
      {
        key: 'b',
        budget: 'search-prod',
        status: 'failed',
        reason: 'InvalidParameter: Invalid attribute value (sender fault)',
      },
    ]);
  });

  it('reports every finding of a batch whose call fails, without throwing', async () => {
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    const results = await new SnsNotifier(TOPIC, { client }).publish([
      finding({ key: 'a' }),
      finding({ key: 'b' }),
    ]);
    expect(results).toEqual([
      {
        key: 'a',
        budget: 'search-prod',
        status: 'failed',
        reason: 'sns:Publish failed (NotFoundException): Topic does not exist',
      },
      {
        key: 'b',
        budget: 'search-prod',
        status: 'failed',
        reason: 'sns:Publish failed (NotFoundException): Topic does not exist',
      },
    ]);
  });

  it('names the missing permission when publishing is denied', async () => {
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const [result] = await new SnsNotifier(TOPIC, { client }).publish([finding()]);
    expect(result).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/grant the IAM action sns:Publish/),
    });
  });

  it('gives FIFO topics a message group per budget and a deduplication id', async () => {
    acceptAll();
    await new SnsNotifier(`${TOPIC}.fifo`, { client }).publish([finding({ budget: 'search prod' })]);
    expect(entries()[0]).toMatchObject({
      MessageGroupId: 'search_prod',
      MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('hands the results of notify, the port, to onResults', async () => {
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    const seen: unknown[] = [];
    await expect(
      new SnsNotifier(TOPIC, { client, onResults: (r) => seen.push(...r) }).notify([finding()]),
    ).resolves.toBeUndefined();
    expect(seen).toEqual([expect.objectContaining({ key: finding().key, status: 'failed' })]);
  });

  it('sends nothing for no findings', async () => {
    expect(await new SnsNotifier(TOPIC, { client }).publish([])).toEqual([]);
    expect(sns).not.toReceiveAnyCommand();
  });
});
