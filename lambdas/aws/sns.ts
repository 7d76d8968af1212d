/**
 * Findings to an SNS topic: one message per finding, its body the finding as JSON, sent in PublishBatch calls of
 * up to ten. Message attributes (`budget`, `kind`, `severity`, and `endpoint`, `tier` when known; all of type
 * String) let each subscriber take only what it wants with a filter policy, e.g. `{"severity": ["critical"]}`.
 * The subject is a one-line summary for email subscriptions.
 *
 * A failed publish never fails the cycle: `publish` answers with one result per finding (ok, or failed with the
 * reason); `notify` (the port, which returns nothing) hands the same results to `onResults`.
 */
import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  SNSClient,
} from '@aws-sdk/client-sns';
import type { Finding } from '../core/types.ts';
import type { Notifier } from '../ports.ts';
import { sourceError } from './errors.ts';

/** SNS subjects must be shorter than 100 characters, without line breaks or control characters. */
export const SUBJECT_MAX = 99;
/** SNS's limit on one message, and on all the messages of one PublishBatch together (bytes). */
export const SNS_MESSAGE_BYTES = 262_144;
const BATCH_MAX = 10;

export type PublishResult =
  | { readonly key: string; readonly budget: string; readonly status: 'ok'; readonly messageId: string }
  | { readonly key: string; readonly budget: string; readonly status: 'failed'; readonly reason: string };

export interface SnsNotifierOptions {
  /** Built once per cold start; by default one from the default credential chain. */
  readonly client?: SNSClient;
  /** The tier of a budget (from the budget file), sent as the `tier` attribute when known. */
  readonly tierOf?: (budget: string) => string | undefined;
  /** Given the per-finding results of each `notify`, for the handler to log and count; `publish` returns them. */
  readonly onResults?: (results: readonly PublishResult[]) => void;
}

/** A one-line summary under 100 characters: "[CRITICAL] search-prod/search-a spend-breach: <message>". */
export function subjectFor(f: Finding): string {
  const where = f.endpoint ? `${f.budget}/${f.endpoint}` : f.budget;
  const text = `[${f.severity.toUpperCase()}] ${where} ${f.kind}: ${f.message}`
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

export function messageAttributesFor(f: Finding, tier?: string): Record<string, MessageAttributeValue> {
  const attrs: Record<string, string | undefined> = {
    budget: f.budget,
    kind: f.kind,
    severity: f.severity,
    endpoint: f.endpoint,
    tier,
  };
  const out: Record<string, MessageAttributeValue> = {};
  // SNS refuses an attribute with an empty value.
  for (const [name, value] of Object.entries(attrs)) {
    if (value) out[name] = { DataType: 'String', StringValue: value };
  }
  return out;
}

/**
 * The finding as JSON, within SNS's size limit: when the per-endpoint split of the cause makes it too big, that
 * list is left out (its count kept in `cause.endpointsOmitted`); undefined when even that is too big.
 */
export function messageFor(f: Finding, limitBytes: number): string | undefined {
  const full = JSON.stringify(f);
  if (Buffer.byteLength(full) <= limitBytes) return full;
  if (f.cause?.endpoints) {
    const { endpoints, ...cause } = f.cause;
    const slim = JSON.stringify({ ...f, cause: { ...cause, endpointsOmitted: endpoints.length } });
    if (Buffer.byteLength(slim) <= limitBytes) return slim;
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
    private readonly options: SnsNotifierOptions = {},
  ) {
    if (!topicArn.startsWith('arn:'))
      throw new TypeError(`SnsNotifier needs a topic ARN, got ${JSON.stringify(topicArn)}`);
    this.client = options.client ?? new SNSClient({});
    this.fifo = topicArn.endsWith('.fifo');
  }

  /** The Notifier port: publishes every finding and hands the results to `onResults`. Never throws. */
  async notify(findings: readonly Finding[]): Promise<void> {
    const results = await this.publish(findings);
    this.options.onResults?.(results);
  }

  /** Publishes every finding; answers, in the findings' order, whether each was accepted by SNS. Never throws. */
  async publish(findings: readonly Finding[]): Promise<readonly PublishResult[]> {
    const results: PublishResult[] = new Array(findings.length);
    const failed = (i: number, reason: string): void => {
      const f = findings[i] as Finding;
      results[i] = { key: f.key, budget: f.budget, status: 'failed', reason };
    };

    const batches: Array<Array<{ index: number; entry: PublishBatchRequestEntry; size: number }>> = [];
    let batch: (typeof batches)[number] = [];
    let batchBytes = 0;
    findings.forEach((f, index) => {
      let entry: PublishBatchRequestEntry | undefined;
      try {
        entry = this.entryFor(f, index);
      } catch (err) {
        failed(index, `the finding could not be written as JSON: ${(err as Error).message}`);
        return;
      }
      if (!entry) {
        failed(index, `the finding is over SNS's ${SNS_MESSAGE_BYTES}-byte message limit as JSON`);
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
          const f = findings[index] as Finding;
          const messageId = ok.get(entry.Id);
          const error = bad.get(entry.Id);
          if (messageId !== undefined)
            results[index] = { key: f.key, budget: f.budget, status: 'ok', messageId };
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

  private entryFor(f: Finding, index: number): PublishBatchRequestEntry | undefined {
    const Subject = subjectFor(f);
    const MessageAttributes = messageAttributesFor(f, this.options.tierOf?.(f.budget));
    const overhead = entrySize({ Id: '', Message: '', Subject, MessageAttributes });
    const Message = messageFor(f, SNS_MESSAGE_BYTES - overhead);
    if (Message === undefined) return undefined;
    return {
      Id: `f${index}`,
      Message,
      Subject,
      MessageAttributes,
      // FIFO topics need a group; the budget keeps each budget's findings in order. The deduplication id makes a
      // message resent within five minutes (a retried batch) one delivery.
      ...(this.fifo
        ? {
            MessageGroupId: f.budget.replace(/[^\x21-\x7e]/g, '_').slice(0, 128),
            MessageDeduplicationId: createHash('sha256').update(Message).digest('hex'),
          }
        : {}),
    };
  }
}
