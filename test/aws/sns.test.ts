import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SNS_MESSAGE_BYTES, SnsNotifier, subjectFor } from '../../lambdas/aws/sns.ts';
import { type AlertMessage, alertText } from '../../lambdas/core/alert-text.ts';
import type { Alert } from '../../lambdas/core/alerts.ts';
import type { Cause } from '../../lambdas/core/types.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:perf-budgets-alerts';
const sns = mockClient(SNSClient);
const client = new SNSClient({ region: 'us-east-1' });

const parts = (idle: number) => ({
  traffic: 0,
  'idle-capacity': idle,
  'instance-change': 0,
  price: 0,
  'new-endpoint': 0,
  other: 0,
});

const cause: Cause = {
  primary: 'idle-capacity',
  change: 1000,
  parts: parts(1000),
  baseline: { from: '2026-09-01', to: '2026-10-01', dailySpend: 100 },
  current: { from: '2026-10-04', to: '2026-10-11', dailySpend: 200 },
  summary: 'Idle capacity at night.',
};

const alert = (over: Partial<Alert> = {}): Alert => ({
  key: 'latency|search-prod|search-a',
  state: 'critical@0#1',
  crossing: 1,
  transition: 'opened',
  severity: 'critical',
  kind: 'latency',
  budget: 'search-prod',
  tier: 'production',
  mode: 'approve',
  environment: 'prod',
  owner: 'search-team@example.com',
  endpoint: 'search-a',
  asOf: '2026-10-10',
  period: { start: '2026-10-01', end: '2026-11-01' },
  currency: 'USD',
  message: 'search-a ModelLatency p99 is 230.0 ms, above the 120 ms ceiling.',
  observed: 230,
  limit: 120,
  cause,
  actions: [
    {
      type: 'review-model-latency',
      endpoint: 'search-a',
      estimatedSavings: 0,
      risk: 'low',
      description: 'Roll back the model version that changed.',
    },
  ],
  exceptions: [],
  findings: [
    {
      kind: 'latency',
      budget: 'search-prod',
      endpoint: 'search-a',
      severity: 'critical',
      message: 'search-a ModelLatency p99 is 230.0 ms, above the 120 ms ceiling.',
      observed: 230,
      limit: 120,
      actions: [],
      key: 'latency|search-prod|search-a|120',
    },
  ],
  ...over,
});

const message = (over: Partial<Alert> = {}): AlertMessage => {
  const a = alert(over);
  return { alert: a, text: alertText(a) };
};

type Entry = NonNullable<PublishBatchCommandInput['PublishBatchRequestEntries']>[number];

const entries = (n = 0): Entry[] =>
  sns.commandCalls(PublishBatchCommand)[n]?.args[0].input.PublishBatchRequestEntries ?? [];

interface MachineMessage {
  readonly version: number;
  readonly alert: Record<string, unknown> & {
    readonly findings?: unknown;
    readonly cause?: {
      readonly endpoints?: unknown[];
      readonly endpointsOmitted?: number;
      readonly summary?: string;
    };
  };
  readonly findings: unknown[];
  readonly text: unknown;
}

/** The per-protocol body of an entry: `default` (machine JSON, parsed) and `email` (plain text). */
const bodyOf = (e: Entry | undefined) => {
  const body = JSON.parse(e?.Message ?? '{}') as { default: string; email: string };
  return {
    machine: JSON.parse(body.default) as MachineMessage,
    email: body.email,
    keys: Object.keys(body),
  };
};

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
  it('publishes one per-protocol message per alert: JSON for machines, plain text for email', async () => {
    acceptAll();
    const m = message();
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify([m]);
    expect(deliveries).toEqual([
      { channel: 'sns', key: m.alert.key, state: 'critical@0#1', status: 'sent', detail: 'm-m0' },
    ]);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 1);
    expect(sns).toReceiveCommandWith(PublishBatchCommand, {
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        expect.objectContaining({
          Id: 'm0',
          MessageStructure: 'json',
          // the headline makes a 104-character subject: cut to 99 with an ellipsis
          Subject:
            '[CRITICAL] search-prod/search-a: ModelLatency p99 230.0 ms, above its 120 ms ceiling (as of 2026...',
          MessageAttributes: {
            budget: { DataType: 'String', StringValue: 'search-prod' },
            kind: { DataType: 'String', StringValue: 'latency' },
            severity: { DataType: 'String', StringValue: 'critical' },
            transition: { DataType: 'String', StringValue: 'opened' },
            tier: { DataType: 'String', StringValue: 'production' },
            environment: { DataType: 'String', StringValue: 'prod' },
            endpoint: { DataType: 'String', StringValue: 'search-a' },
          },
        }),
      ],
    });
    const entry = entries()[0];
    expect(entry?.MessageGroupId).toBeUndefined();
    const { machine, email, keys } = bodyOf(entry);
    expect(keys.sort()).toEqual(['default', 'email']);
    expect(email).toBe(m.text.plain);
    expect(email).toMatch(/^\[CRITICAL\] search-prod\/search-a: ModelLatency p99 230\.0 ms/);
    expect(machine.version).toBe(1);
    const { findings, cause: sentCause, ...rest } = machine.alert;
    const { findings: _f, cause: _c, ...expected } = m.alert;
    expect(rest).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(sentCause).toEqual(cause);
    expect(findings).toBeUndefined();
    expect(machine.findings).toEqual(m.alert.findings);
    expect(machine.text).toEqual(
      JSON.parse(
        JSON.stringify({
          headline: m.text.headline,
          facts: m.text.facts,
          why: m.text.why,
          actions: m.text.actions,
          links: m.text.links,
        }),
      ),
    );
  });

  it('leaves out attributes without a value (SNS refuses empty ones)', async () => {
    acceptAll();
    await new SnsNotifier(TOPIC, { client }).notify([message({ endpoint: undefined, environment: '' })]);
    const attrs = entries()[0]?.MessageAttributes ?? {};
    expect(Object.keys(attrs).sort()).toEqual(['budget', 'kind', 'severity', 'tier', 'transition']);
    for (const v of Object.values(attrs)) {
      expect(v.DataType).toBe('String');
      expect(v.StringValue).not.toBe('');
    }
  });

  it('marks escalations and resolved notices in the transition attribute', async () => {
    acceptAll();
    await new SnsNotifier(TOPIC, { client }).notify([
      message({ transition: 'escalated' }),
      message({
        transition: 'resolved',
        state: 'resolved#1',
        message: 'search-a is back within its latency limit.',
      }),
    ]);
    const [escalated, resolved] = entries();
    expect(escalated?.MessageAttributes?.transition?.StringValue).toBe('escalated');
    expect(escalated?.Subject).toMatch(/^\[CRITICAL, WORSE\] search-prod\/search-a: /);
    expect(resolved?.MessageAttributes?.transition?.StringValue).toBe('resolved');
    // a resolved notice is tagged as such, whatever severity it had
    expect(resolved?.Subject).toBe('[RESOLVED] search-a is back within its latency limit');
    expect(resolved?.MessageAttributes?.severity?.StringValue).toBe('critical');
  });

  it('keeps the subject under 100 characters on one line, without control characters', () => {
    const m = message({
      budget: 'search-prod\u0007',
      endpoint: 'a-very-long-endpoint-name-for-the-multilingual-semantic-search-reranker-v2',
      kind: 'exit-criteria',
      observed: undefined,
      limit: undefined,
    });
    const subject = subjectFor(m);
    expect([...subject].length).toBeLessThan(100);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is checked for
    expect(subject).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(subject).toMatch(/^\[CRITICAL\] search-prod\/a-very-long-endpoint.*\.\.\.$/);

    const broken = subjectFor({
      alert: alert(),
      text: { ...alertText(alert()), headline: `line one\nline two\r\n\ttabbed\u2028${'x'.repeat(200)}` },
    });
    expect([...broken].length).toBeLessThan(100);
    expect(broken).toMatch(/^\[CRITICAL\] line one line two tabbed x+\.\.\.$/);
  });

  it('sends one request per ten alerts, keeping the deliveries in the alerts order', async () => {
    acceptAll();
    const messages = Array.from({ length: 23 }, (_, i) => message({ key: `latency|search-prod|e${i}` }));
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify(messages);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 3);
    expect([entries(0).length, entries(1).length, entries(2).length]).toEqual([10, 10, 3]);
    expect(deliveries.every((d) => d.status === 'sent')).toBe(true);
    expect(deliveries.map((d) => d.key)).toEqual(messages.map((m) => m.alert.key));
    expect(deliveries[22]?.detail).toBe('m-m22');
  });

  it('splits a batch before its messages together pass the 256 KiB limit', async () => {
    acceptAll();
    const big = (key: string) => message({ key, message: 'y'.repeat(50_000) });
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify([big('a'), big('b'), big('c')]);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 2);
    expect([entries(0).length, entries(1).length]).toEqual([2, 1]);
    for (const n of [0, 1]) {
      const bytes = entries(n).reduce((s, e) => s + Buffer.byteLength(e.Message ?? ''), 0);
      expect(bytes).toBeLessThanOrEqual(SNS_MESSAGE_BYTES);
    }
    expect(deliveries.map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('leaves out the per-endpoint cause split of a message that would not fit, and says how many', async () => {
    acceptAll();
    const wide: Cause = {
      ...cause,
      endpoints: Array.from({ length: 3000 }, (_, i) => ({
        endpoint: `endpoint-with-a-long-name-${i}`,
        parts: parts(1),
      })),
    };
    const m = message({ cause: wide });
    const [delivery] = await new SnsNotifier(TOPIC, { client }).notify([m]);
    expect(delivery?.status).toBe('sent');
    const entry = entries()[0];
    expect(Buffer.byteLength(entry?.Message ?? '')).toBeLessThanOrEqual(SNS_MESSAGE_BYTES);
    const { machine, email } = bodyOf(entry);
    expect(machine.alert.cause?.endpoints).toBeUndefined();
    expect(machine.alert.cause?.endpointsOmitted).toBe(3000);
    expect(machine.alert.cause?.summary).toBe('Idle capacity at night.');
    // slim messages name the findings by key only
    expect(machine.findings).toEqual(['latency|search-prod|search-a|120']);
    expect(email).toBe(m.text.plain);

    // small enough: the split stays
    await new SnsNotifier(TOPIC, { client }).notify([
      message({ cause: { ...wide, endpoints: wide.endpoints?.slice(0, 3) } }),
    ]);
    expect(bodyOf(entries(1)[0]).machine.alert.cause?.endpoints).toHaveLength(3);
  });

  it('fails the delivery of a message too big even without the cause split, and sends the others', async () => {
    acceptAll();
    const huge = message({ key: 'huge', message: 'z'.repeat(SNS_MESSAGE_BYTES) });
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify([huge, message({ key: 'small' })]);
    expect(deliveries).toEqual([
      {
        channel: 'sns',
        key: 'huge',
        state: 'critical@0#1',
        status: 'failed',
        detail: `the alert is over SNS's ${SNS_MESSAGE_BYTES}-byte message limit`,
      },
      { channel: 'sns', key: 'small', state: 'critical@0#1', status: 'sent', detail: 'm-m1' },
    ]);
    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 1);
    expect(entries().map((e) => e.Id)).toEqual(['m1']);
  });

  it('reports an entry SNS refused as failed with its code and message, and the others as sent', async () => {
    sns.on(PublishBatchCommand).resolves({
      Successful: [{ Id: 'm0', MessageId: 'id-0' }],
      Failed: [
        { Id: 'm1', Code: 'InvalidParameter', Message: 'Invalid attribute value', SenderFault: true },
        { Id: 'm2', Code: 'InternalError', SenderFault: false },
      ],
    });
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify([
      message({ key: 'a' }),
      message({ key: 'b' }),
      message({ key: 'c' }),
      message({ key: 'd' }),
    ]);
    expect(deliveries).toEqual([
      { channel: 'sns', key: 'a', state: 'critical@0#1', status: 'sent', detail: 'id-0' },
      {
        channel: 'sns',
        key: 'b',
        state: 'critical@0#1',
        status: 'failed',
        detail: 'InvalidParameter: Invalid attribute value (sender fault)',
      },
      { channel: 'sns', key: 'c', state: 'critical@0#1', status: 'failed', detail: 'InternalError' },
      {
        channel: 'sns',
        key: 'd',
        state: 'critical@0#1',
        status: 'failed',
        detail: 'SNS answered the batch without a result for this message',
      },
    ]);
  });

  it('fails every entry of a batch whose call throws, without throwing, and the other batches go on', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }))
      .callsFake(async (input: PublishBatchCommandInput) => ({
        Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({
          Id: e.Id,
          MessageId: `m-${e.Id}`,
        })),
      }));
    const messages = Array.from({ length: 11 }, (_, i) => message({ key: `k${i}` }));
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify(messages);
    expect(deliveries.slice(0, 10).every((d) => d.status === 'failed')).toBe(true);
    expect(deliveries[0]?.detail).toBe('sns:Publish failed (NotFoundException): Topic does not exist');
    expect(deliveries[10]).toMatchObject({ key: 'k10', status: 'sent' });
  });

  it('names the IAM action to grant when publishing is denied', async () => {
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const deliveries = await new SnsNotifier(TOPIC, { client }).notify([
      message({ key: 'a' }),
      message({ key: 'b' }),
    ]);
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      expect(d).toMatchObject({
        channel: 'sns',
        status: 'failed',
        detail: expect.stringMatching(/grant the IAM action sns:Publish/),
      });
    }
  });

  it('gives FIFO topics a message group per budget and a deduplication id per alert state', async () => {
    acceptAll();
    await new SnsNotifier(`${TOPIC}.fifo`, { client }).notify([
      message({ budget: 'search prod' }),
      message({ budget: 'search prod', state: 'critical@0#2', crossing: 2 }),
      message({ budget: 'search prod' }),
    ]);
    const [a, b, c] = entries();
    expect(a).toMatchObject({
      MessageGroupId: 'search_prod',
      MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(b?.MessageDeduplicationId).not.toBe(a?.MessageDeduplicationId);
    // the same alert in the same state is one delivery when it is sent again
    expect(c?.MessageDeduplicationId).toBe(a?.MessageDeduplicationId);
  });

  it('refuses a topic that is not an ARN', () => {
    expect(() => new SnsNotifier('perf-budgets-alerts', { client })).toThrow(/topic ARN/);
  });

  it('sends nothing for no alerts', async () => {
    expect(await new SnsNotifier(TOPIC, { client }).notify([])).toEqual([]);
    expect(sns).not.toReceiveAnyCommand();
  });
});
