/**
 * Alerts to an SNS topic: one message per alert, sent in PublishBatch calls of up to ten. Each message is a
 * per-protocol JSON structure: email subscriptions get the alert's plain text, every other protocol (SQS, Lambda,
 * HTTPS, email-json) gets the alert as JSON for machines. Message attributes (`budget`, `kind`, `severity`,
 * `transition`, and `tier`, `environment`, `endpoint` when known; all of type String) let each subscriber take
 * only what it wants with a filter policy, e.g. `{"severity": ["critical"], "tier": ["production"]}`. The subject
 * is the headline, short enough for email.
 *
 * A failed publish never fails the cycle: `notify` answers with one delivery per alert (sent, or failed with the
 * reason).
 */
import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  SNSClient,
} from '@aws-sdk/client-sns';
import { type AlertMessage, alertTag } from '../core/alert-text.ts';
import type { Delivery, Notifier } from '../ports.ts';
import { sourceError } from './errors.ts';

/** SNS subjects must be shorter than 100 characters, without line breaks or control characters. */
export const SUBJECT_MAX = 99;
/** SNS's limit on one message, and on all the messages of one PublishBatch together (bytes). */
export const SNS_MESSAGE_BYTES = 262_144;
const BATCH_MAX = 10;

export interface SnsNotifierOptions {
  /** Built once per cold start; by default one from the default credential chain. */
  readonly client?: SNSClient;
}

/** The headline as an SNS subject: one line under 100 characters, "[CRITICAL] chat-prod: forecast ...". */
export function subjectFor(m: AlertMessage): string {
  const text = `[${alertTag(m.text)}] ${m.text.headline}`
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SNS refuses in a subject
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length <= SUBJECT_MAX
    ? text
    : `${chars
        .slice(0, SUBJECT_MAX - 3)
        .join('')
        .trimEnd()}...`;
}

export function messageAttributesFor(m: AlertMessage): Record<string, MessageAttributeValue> {
  const a = m.alert;
  const attrs: Record<string, string | undefined> = {
    budget: a.budget,
    kind: a.kind,
    severity: a.severity,
    transition: a.transition,
    tier: a.tier,
    environment: a.environment,
    endpoint: a.endpoint,
  };
  const out: Record<string, MessageAttributeValue> = {};
  // SNS refuses an attribute with an empty value.
  for (const [name, value] of Object.entries(attrs)) {
    if (value) out[name] = { DataType: 'String', StringValue: value };
  }
  return out;
}

/** The alert for machines: what crossed, the numbers, the cause, the actions, and the words people read. */
function machineMessage(m: AlertMessage, slim: boolean): string {
  const { findings, cause, ...alert } = m.alert;
  const c =
    cause && slim && cause.endpoints
      ? (({ endpoints, ...rest }) => ({ ...rest, endpointsOmitted: endpoints?.length }))(cause)
      : cause;
  return JSON.stringify({
    version: 1,
    alert: { ...alert, ...(c ? { cause: c } : {}) },
    findings: slim ? findings.map((f) => f.key) : findings,
    text: {
      headline: m.text.headline,
      facts: m.text.facts,
      why: m.text.why,
      actions: m.text.actions,
      links: m.text.links,
    },
  });
}

/**
 * The per-protocol message (MessageStructure "json"): plain text for email, JSON for everything else; within
 * SNS's size limit (the per-endpoint cause split and the findings' details are left out when too big); undefined
 * when even that is too big.
 */
export function messageFor(m: AlertMessage, limitBytes: number): string | undefined {
  for (const slim of [false, true]) {
    const machine = machineMessage(m, slim);
    const body = JSON.stringify({ default: machine, email: m.text.plain });
    if (Buffer.byteLength(body) <= limitBytes) return body;
  }
  return undefined;
}

function entrySize(e: PublishBatchRequestEntry): number {
  let size = Buffer.byteLength(e.Message ?? '') + Buffer.byteLength(e.Subject ?? '');
  for (const [name, v] of Object.entries(e.MessageAttributes ?? {})) {
    size +=
      Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
  }
  return size;
}

export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;
  private readonly fifo: boolean;

  constructor(
    private readonly topicArn: string,
    options: SnsNotifierOptions = {},
  ) {
    if (!topicArn.startsWith('arn:'))
      throw new TypeError(`SnsNotifier needs a topic ARN, got ${JSON.stringify(topicArn)}`);
    this.client = options.client ?? new SNSClient({});
    this.fifo = topicArn.endsWith('.fifo');
  }

  readonly channel = 'sns';

  /** Publishes every alert; answers, in the alerts' order, whether each was accepted by SNS. Never throws. */
  async notify(messages: readonly AlertMessage[]): Promise<readonly Delivery[]> {
    const results: Delivery[] = new Array(messages.length);
    const done = (i: number, status: Delivery['status'], detail: string): void => {
      const a = (messages[i] as AlertMessage).alert;
      results[i] = { channel: 'sns', key: a.key, state: a.state, status, detail };
    };
    const failed = (i: number, reason: string) => done(i, 'failed', reason);

    const batches: Array<Array<{ index: number; entry: PublishBatchRequestEntry; size: number }>> = [];
    let batch: (typeof batches)[number] = [];
    let batchBytes = 0;
    messages.forEach((m, index) => {
      let entry: PublishBatchRequestEntry | undefined;
      try {
        entry = this.entryFor(m, index);
      } catch (err) {
        failed(index, `the alert could not be written as JSON: ${(err as Error).message}`);
        return;
      }
      if (!entry) {
        failed(index, `the alert is over SNS's ${SNS_MESSAGE_BYTES}-byte message limit`);
        return;
      }
      const size = entrySize(entry);
      if (batch.length === BATCH_MAX || batchBytes + size > SNS_MESSAGE_BYTES) {
        batches.push(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ index, entry, size });
      batchBytes += size;
    });
    if (batch.length > 0) batches.push(batch);

    for (const b of batches) {
      try {
        const out = await this.client.send(
          new PublishBatchCommand({
            TopicArn: this.topicArn,
            PublishBatchRequestEntries: b.map((x) => x.entry),
          }),
        );
        const ok = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId]));
        const bad = new Map((out.Failed ?? []).map((e) => [e.Id, e]));
        for (const { index, entry } of b) {
          const messageId = ok.get(entry.Id);
          const error = bad.get(entry.Id);
          if (messageId !== undefined) done(index, 'sent', messageId);
          else if (error) {
            failed(
              index,
              `${error.Code ?? 'Failed'}${error.Message ? `: ${error.Message}` : ''}${error.SenderFault ? ' (sender fault)' : ''}`,
            );
          } else failed(index, 'SNS answered the batch without a result for this message');
        }
      } catch (err) {
        const reason = sourceError('outputs', 'sns:Publish', err).message;
        for (const { index } of b) failed(index, reason);
      }
    }
    return results;
  }

  private entryFor(m: AlertMessage, index: number): PublishBatchRequestEntry | undefined {
    const Subject = subjectFor(m);
    const MessageAttributes = messageAttributesFor(m);
    const overhead = entrySize({ Id: '', Message: '', Subject, MessageAttributes });
    const Message = messageFor(m, SNS_MESSAGE_BYTES - overhead);
    if (Message === undefined) return undefined;
    return {
      Id: `m${index}`,
      Message,
      MessageStructure: 'json',
      Subject,
      MessageAttributes,
      // FIFO topics need a group; the budget keeps each budget's alerts in order. The deduplication id (the alert
      // and its state) makes a message resent within five minutes (a retried batch) one delivery.
      ...(this.fifo
        ? {
            MessageGroupId: m.alert.budget.replace(/[^\x21-\x7e]/g, '_').slice(0, 128),
            MessageDeduplicationId: createHash('sha256')
              .update(`${m.alert.period.start}|${m.alert.key}|${m.alert.state}`)
              .digest('hex'),
          }
        : {}),
    };
  }
}
