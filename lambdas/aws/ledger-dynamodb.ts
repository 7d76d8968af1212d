/**
 * The ledger of AWS runs: the same ports as the SQLite ledger (`fs/ledger-sqlite.ts`), over one DynamoDB table.
 *
 * Single-table design. Keys are strings `pk` (partition) and `sk` (sort); every item also carries its fields as plain
 * attributes, so a reader never parses a key. Key parts are escaped ('%' -> '%25', '#' -> '%23') so that '#' only
 * ever separates parts and two different records can never share a key.
 *
 *   record           pk                 sk                              attributes
 *   alert sent       PERIOD#<period>    ALERT#<key>#<state>             period, key, state, sentAt, commitId
 *   closed day       BUDGET#<budget>    DAY#<YYYY-MM-DD>                budget, day, amount
 *   exception seen   BUDGET#<budget>    EXCEPTION#<reason>#<expires>    budget, reason, approvedBy, expires,
 *                                                                       firstSeen, lastSeen
 *   cost day         COSTS#<source>     DAY#<YYYY-MM-DD>                source, day, chunks, writeId, records
 *   cost day, more   COSTS#<source>     DAY#<YYYY-MM-DD>#<n>            writeId, records   (n = 1 .. chunks-1)
 *
 * Access patterns: the alerts of a period are one Query on PERIOD#; a budget's closed days are one Query on BUDGET#
 * with `sk BETWEEN DAY#from AND DAY#to` (exceptions sort after DAY# and never fall in the range); cost days are
 * BatchGets by key. The table needs no index. The CDK stack creates it (on-demand billing, point-in-time recovery,
 * encryption); this class only reads and writes items.
 *
 * Alerts are written with `attribute_not_exists(pk)`, so two cycles running at once cannot both record, and
 * therefore both send, the same alert: the loser gets ConditionalCheckFailedException, which here means "already
 * recorded", not an error. An alert still to be delivered is written in one transaction with a record per channel
 * that owes it (an alert item of its own, state `<state>><channel>><transition>`), so that no alert is ever recorded
 * without what tells the next cycle to deliver it.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AwsAccessError } from '../core/errors.ts';
import { loadCostRecords, type StoredCostRecord, storeCostRecord } from '../core/records.ts';
import type { CostRecord } from '../core/types.ts';
import type { AlertRecord, CostDayCache, DailySpend, ExceptionSeen, Ledger } from '../ports.ts';
import { mapLimit } from './concurrency.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

/**
 * Largest JSON text of cost records kept in one item. DynamoDB items are limited to 400 KB counting attribute names
 * and the keys; the rest of the margin covers those.
 */
export const COST_CHUNK_BYTES = 350_000;

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
const ALERT_WRITE_CONCURRENCY = 16;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface DynamoDbLedgerOptions {
  /** A document client built once per cold start; by default one is built from the default credential chain. */
  readonly client?: DynamoDBDocumentClient;
  /** Attempts of a BatchWrite/BatchGet whose items come back unprocessed before the call fails (default 8). */
  readonly maxBatchAttempts?: number;
  /** First backoff between batch attempts, doubled each attempt with full jitter (default 50 ms, at most 5 s). */
  readonly batchBackoffMs?: number;
  /** Waits between batch attempts; tests pass one that does not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

const esc = (part: string): string => part.replaceAll('%', '%25').replaceAll('#', '%23');

export const ledgerKeys = {
  alert: (a: Pick<AlertRecord, 'period' | 'key' | 'state'>): Key => ({
    pk: `PERIOD#${esc(a.period)}`,
    sk: `ALERT#${esc(a.key)}#${esc(a.state)}`,
  }),
  closedDay: (budget: string, day: string): Key => ({ pk: `BUDGET#${esc(budget)}`, sk: `DAY#${day}` }),
  exception: (x: Pick<ExceptionSeen, 'budget' | 'reason' | 'expires'>): Key => ({
    pk: `BUDGET#${esc(x.budget)}`,
    sk: `EXCEPTION#${esc(x.reason)}#${esc(x.expires)}`,
  }),
  costDay: (source: string, day: string, chunk = 0): Key => ({
    pk: `COSTS#${esc(source)}`,
    sk: chunk === 0 ? `DAY#${day}` : `DAY#${day}#${chunk}`,
  }),
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** A transaction cancelled because its first item, the alert, was recorded before: "already recorded". */
function isAlertConditionCancelled(err: unknown): boolean {
  const e = err as { name?: unknown; CancellationReasons?: { Code?: string }[] } | null;
  return (
    e?.name === 'TransactionCanceledException' &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Packs records into JSON arrays of at most `maxBytes` UTF-8 bytes each (one chunk at least, `[]` for none). */
export function packRecords(records: readonly StoredCostRecord[], maxBytes = COST_CHUNK_BYTES): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const r of records) {
    const json = JSON.stringify(r);
    const size = Buffer.byteLength(json) + 1;
    if (size + 2 > maxBytes) {
      throw new RangeError(
        `one cost record is ${size} bytes as JSON, over the ${maxBytes}-byte chunk of a DynamoDB item (${r.usageType ?? r.service}, ${new Date(r.start).toISOString()})`,
      );
    }
    if (bytes + size > maxBytes) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(json);
    bytes += size;
  }
  chunks.push(`[${parts.join(',')}]`);
  return chunks;
}

function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`ledger commit: ${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

function validateCycle(cycle: Parameters<Ledger['commit']>[0]): void {
  requireText(cycle.asOf, 'asOf');
  cycle.alerts.forEach((a, i) => {
    for (const f of ['period', 'key', 'state', 'sentAt'] as const) requireText(a[f], `alerts[${i}].${f}`);
  });
  cycle.closedDays.forEach((d, i) => {
    for (const f of ['budget', 'day', 'amount'] as const) requireText(d[f], `closedDays[${i}].${f}`);
    if (!DAY.test(d.day))
      throw new TypeError(`ledger commit: closedDays[${i}].day must be YYYY-MM-DD, got ${d.day}`);
  });
  cycle.exceptions.forEach((x, i) => {
    for (const f of ['budget', 'reason', 'approvedBy', 'expires'] as const) {
      requireText(x[f], `exceptions[${i}].${f}`);
    }
  });
}

/** The ledger in DynamoDB: alerts, closed days, exceptions seen, and cached cost days, in one table. */
export class DynamoDbLedger implements Ledger, CostDayCache {
  private readonly client: DynamoDBDocumentClient;
  private readonly ownsClient: boolean;
  private readonly maxBatchAttempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly tableName: string,
    options: DynamoDbLedgerOptions = {},
  ) {
    if (!tableName)
      throw new TypeError('DynamoDbLedger needs a table name (the LEDGER_TABLE_NAME of the stack)');
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      DynamoDBDocumentClient.from(new DynamoDBClient({}), {
        marshallOptions: { removeUndefinedValues: true },
      });
    this.maxBatchAttempts = Math.max(1, options.maxBatchAttempts ?? 8);
    this.backoffMs = options.batchBackoffMs ?? 50;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async alerts(period: string): Promise<readonly AlertRecord[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.alert({ period, key: '', state: '' }).pk,
        ':prefix': 'ALERT#',
      },
    });
    return items
      .map((i) => ({
        period: String(i.period),
        key: String(i.key),
        state: String(i.state),
        sentAt: String(i.sentAt),
        ...(typeof i.summary === 'string' ? { summary: i.summary } : {}),
        ...(typeof i.asOf === 'string' ? { asOf: i.asOf } : {}),
      }))
      .sort((a, b) => cmp(a.sentAt, b.sentAt) || cmp(a.key, b.key));
  }

  /**
   * Writes the idempotent records first (closed days, exceptions), then the alerts, each with a conditional put.
   * A rerun after a failure therefore redoes everything safely. Should an alert write fail (not a conditional
   * failure), the alerts this call had recorded are deleted again, so the failed cycle does not leave alerts
   * marked as sent that nobody sent; the rerun then records and sends them.
   */
  async commit(cycle: {
    readonly alerts: readonly AlertRecord[];
    readonly closedDays: readonly DailySpend[];
    readonly exceptions: readonly ExceptionSeen[];
    readonly asOf: string;
  }): Promise<readonly AlertRecord[]> {
    validateCycle(cycle);
    await this.writeClosedDays(cycle.closedDays);
    for (const x of cycle.exceptions) await this.recordException(x, cycle.asOf);
    return this.recordAlerts(cycle.alerts);
  }

  async dailySpend(budget: string, from: string, to: string): Promise<readonly DailySpend[]> {
    if (from >= to) return [];
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.closedDay(budget, from).pk,
        ':from': ledgerKeys.closedDay(budget, from).sk,
        ':to': ledgerKeys.closedDay(budget, to).sk,
      },
    });
    return items
      .filter((i) => String(i.day) < to)
      .map((i) => ({ budget: String(i.budget), day: String(i.day), amount: String(i.amount) }));
  }

  /**
   * A day is returned only when all its chunks are present and from the same write: a day caught half-overwritten
   * reads as not cached, so the caller asks the cost source again rather than using a mix of two writes.
   */
  async getDays(
    source: string,
    days: readonly string[],
  ): Promise<ReadonlyMap<string, readonly CostRecord[]>> {
    const wanted = [...new Set(days)];
    const heads = await this.batchGet(wanted.map((d) => ledgerKeys.costDay(source, d)));
    const headOf = new Map<string, Item>();
    for (const h of heads) headOf.set(String(h.sk), h);

    const moreKeys: Key[] = [];
    for (const day of wanted) {
      const head = headOf.get(ledgerKeys.costDay(source, day).sk);
      for (let n = 1; n < Number(head?.chunks ?? 1); n++) moreKeys.push(ledgerKeys.costDay(source, day, n));
    }
    const more = new Map<string, Item>();
    for (const m of await this.batchGet(moreKeys)) more.set(String(m.sk), m);

    const out = new Map<string, readonly CostRecord[]>();
    for (const day of wanted) {
      const head = headOf.get(ledgerKeys.costDay(source, day).sk);
      if (!head) continue;
      const texts = [String(head.records)];
      let complete = true;
      for (let n = 1; n < Number(head.chunks); n++) {
        const part = more.get(ledgerKeys.costDay(source, day, n).sk);
        if (!part || part.writeId !== head.writeId) {
          complete = false;
          break;
        }
        texts.push(String(part.records));
      }
      if (!complete) continue;
      out.set(
        day,
        texts.flatMap((t) => loadCostRecords(JSON.parse(t), `${this.tableName} cost day ${source} ${day}`)),
      );
    }
    return out;
  }

  /**
   * Writes each day as one item, or as several when its records exceed COST_CHUNK_BYTES. The extra chunks are
   * written before the first items that count them, so a reader never finds a day whose chunks are still to come.
   */
  async putDays(source: string, days: ReadonlyMap<string, readonly CostRecord[]>): Promise<void> {
    const writeId = randomUUID();
    const heads: WriteRequest[] = [];
    const more: WriteRequest[] = [];
    for (const [day, records] of days) {
      const chunks = packRecords(records.map(storeCostRecord));
      chunks.forEach((records, n) => {
        const item =
          n === 0
            ? { ...ledgerKeys.costDay(source, day), source, day, chunks: chunks.length, writeId, records }
            : { ...ledgerKeys.costDay(source, day, n), writeId, records };
        (n === 0 ? heads : more).push({ PutRequest: { Item: item } });
      });
    }
    await this.batchWrite(more);
    await this.batchWrite(heads);
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private async writeClosedDays(days: readonly DailySpend[]): Promise<void> {
    // A batch may not hold one key twice; as in SQLite, the later amount of a day wins.
    const byKey = new Map<string, DailySpend>();
    for (const d of days) byKey.set(`${d.budget}\u0000${d.day}`, d);
    await this.batchWrite(
      [...byKey.values()].map((d) => ({
        PutRequest: {
          Item: { ...ledgerKeys.closedDay(d.budget, d.day), budget: d.budget, day: d.day, amount: d.amount },
        },
      })),
    );
  }

  /**
   * DynamoDB has no MIN or MAX in an update expression, so each bound moves with its own conditional update:
   * the first sets firstSeen when the item is new or the day is earlier (creating the item, and lastSeen through
   * if_not_exists); the second sets lastSeen only when the day is later. Each write can only move firstSeen back
   * and lastSeen forward, so cycles replaying days in any order, even at once, end with the earliest and the
   * latest day. A failed condition is the normal "no change" answer.
   */
  private async recordException(x: ExceptionSeen, day: string): Promise<void> {
    const key = ledgerKeys.exception(x);
    await this.conditionalUpdate({
      Key: key,
      UpdateExpression:
        'SET #budget = :budget, #reason = :reason, #expires = :expires, ' +
        '#approvedBy = if_not_exists(#approvedBy, :approvedBy), #firstSeen = :day, #lastSeen = if_not_exists(#lastSeen, :day)',
      ConditionExpression: 'attribute_not_exists(#firstSeen) OR #firstSeen > :day',
      ExpressionAttributeNames: {
        '#budget': 'budget',
        '#reason': 'reason',
        '#expires': 'expires',
        '#approvedBy': 'approvedBy',
        '#firstSeen': 'firstSeen',
        '#lastSeen': 'lastSeen',
      },
      ExpressionAttributeValues: {
        ':budget': x.budget,
        ':reason': x.reason,
        ':expires': x.expires,
        ':approvedBy': x.approvedBy,
        ':day': day,
      },
    });
    await this.conditionalUpdate({
      Key: key,
      UpdateExpression: 'SET #lastSeen = :day',
      ConditionExpression: 'attribute_exists(pk) AND #lastSeen < :day',
      ExpressionAttributeNames: { '#lastSeen': 'lastSeen' },
      ExpressionAttributeValues: { ':day': day },
    });
  }

  private async conditionalUpdate(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...input }));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw sourceError('ledger', 'dynamodb:UpdateItem', err);
    }
  }

  private async recordAlerts(alerts: readonly AlertRecord[]): Promise<AlertRecord[]> {
    const unique = new Map<string, AlertRecord>();
    for (const a of alerts) {
      const k = ledgerKeys.alert(a);
      const id = `${k.pk}\u0000${k.sk}`;
      if (!unique.has(id)) unique.set(id, a);
    }
    const list = [...unique.values()];
    const commitId = randomUUID();
    // Every write settles before the outcome is judged, so that the undo below knows each one this commit made;
    // after a failure no further write starts.
    let failed = false;
    const outcomes = await mapLimit(
      list,
      ALERT_WRITE_CONCURRENCY,
      async (a): Promise<'new' | 'recorded' | 'not tried' | { error: unknown }> => {
        if (failed) return 'not tried';
        try {
          await this.putAlert(a, commitId);
          return 'new';
        } catch (error) {
          if (isConditionalCheckFailed(error) || isAlertConditionCancelled(error)) return 'recorded';
          failed = true;
          return { error };
        }
      },
    );

    const fresh = list.filter((_, i) => outcomes[i] === 'new');
    const failure = outcomes.find((o): o is { error: unknown } => typeof o === 'object');
    if (!failure) return fresh;

    const error = sourceError('ledger', 'dynamodb:PutItem', failure.error);
    const undone = await mapLimit(fresh, ALERT_WRITE_CONCURRENCY, (a) =>
      this.unrecordAlert(a, commitId).then(
        () => true,
        () => false,
      ),
    );
    const stuck = undone.filter((ok) => !ok).length;
    if (stuck === 0) throw error;
    throw new AwsAccessError(
      'ledger',
      error.kind,
      `${error.message}; ${stuck} alert(s) this cycle recorded could not be removed again and will not be sent by a rerun`,
      { cause: error },
    );
  }

  /**
   * One alert, if no cycle recorded it before; with its pending deliveries, in the same transaction (at most 100
   * items: an alert is owed to a handful of channels).
   */
  private async putAlert(a: AlertRecord, commitId: string): Promise<void> {
    const item = (state: string): Item => ({
      ...ledgerKeys.alert({ ...a, state }),
      period: a.period,
      key: a.key,
      state,
      sentAt: a.sentAt,
      ...(a.summary ? { summary: a.summary } : {}),
      ...(a.asOf ? { asOf: a.asOf } : {}),
      commitId,
    });
    const alert = {
      TableName: this.tableName,
      Item: item(a.state),
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    if (!a.pending?.length) {
      await this.client.send(new PutCommand(alert));
      return;
    }
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: alert },
          ...a.pending.map((state) => ({ Put: { TableName: this.tableName, Item: item(state) } })),
        ],
      }),
    );
  }

  async forget(alerts: readonly Pick<AlertRecord, 'period' | 'key' | 'state'>[]): Promise<void> {
    try {
      await mapLimit(alerts, ALERT_WRITE_CONCURRENCY, (a) =>
        this.client.send(new DeleteCommand({ TableName: this.tableName, Key: ledgerKeys.alert(a) })),
      );
    } catch (err) {
      throw sourceError('ledger', 'dynamodb:DeleteItem', err);
    }
  }

  /** Deletes an alert this commit wrote, and its pending deliveries; the condition spares another cycle's. */
  private async unrecordAlert(a: AlertRecord, commitId: string): Promise<void> {
    for (const state of [a.state, ...(a.pending ?? [])]) {
      try {
        await this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: ledgerKeys.alert({ ...a, state }),
            ConditionExpression: 'commitId = :commitId',
            ExpressionAttributeValues: { ':commitId': commitId },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
  }

  private async query(
    input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    const listing = pages(
      paginateQuery,
      this.client,
      { TableName: this.tableName, ConsistentRead: true, ...input },
      { api: 'dynamodb:Query' },
    );
    try {
      for await (const out of listing) items.push(...((out.Items ?? []) as Item[]));
    } catch (err) {
      throw sourceError('ledger', 'dynamodb:Query', err);
    }
    return items;
  }

  private backoff(attempt: number): number {
    return Math.random() * Math.min(5000, this.backoffMs * 2 ** (attempt - 1));
  }

  /** BatchWrite in batches of 25; unprocessed items are sent again with backoff, and never dropped. */
  private async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    for (const batch of chunked(requests, BATCH_WRITE_MAX)) {
      let pending: WriteRequest[] = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
        let out: BatchWriteCommandOutput;
        try {
          out = await this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
          );
        } catch (err) {
          throw sourceError('ledger', 'dynamodb:BatchWriteItem', err);
        }
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
        if (pending.length > 0 && attempt >= this.maxBatchAttempts) {
          throw new AwsAccessError(
            'ledger',
            'throttled',
            `dynamodb:BatchWriteItem left ${pending.length} item(s) unprocessed in table ${this.tableName} after ${attempt} attempts; the write failed rather than drop them`,
          );
        }
      }
    }
  }

  /** BatchGet in batches of 100, strongly consistent; unprocessed keys are asked again with backoff. */
  private async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const items: Item[] = [];
    for (const batch of chunked(keys, BATCH_GET_MAX)) {
      let pending: Record<string, unknown>[] = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
        let out: BatchGetCommandOutput;
        try {
          out = await this.client.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          );
        } catch (err) {
          throw sourceError('ledger', 'dynamodb:BatchGetItem', err);
        }
        items.push(...((out.Responses?.[this.tableName] ?? []) as Item[]));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0 && attempt >= this.maxBatchAttempts) {
          throw new AwsAccessError(
            'ledger',
            'throttled',
            `dynamodb:BatchGetItem left ${pending.length} key(s) unprocessed in table ${this.tableName} after ${attempt} attempts`,
          );
        }
      }
    }
    return items;
  }
}

/** Compares as SQLite's default BINARY collation does for ASCII text (the ORDER BY of the SQLite ledger). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
