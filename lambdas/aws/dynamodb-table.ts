/**
 * The ledger's DynamoDB table, as the ledger and the cost-day cache both use it: the single-table key layout (see
 * ledger-dynamodb.ts), the client, and queries and batches that page, retry what DynamoDB leaves unprocessed, and
 * name the IAM action of a failure.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  type QueryCommandInput,
  type TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { AwsAccessError } from '../core/errors.ts';
import type { ActionRecord, ActionStatus, ApprovalRecord } from '../core/plan/types.ts';
import type { AlertRecord, ExceptionSeen } from '../ports.ts';
import { sourceError } from './errors.ts';
import { pages } from './paging.ts';

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;

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

export type Item = Record<string, unknown>;
export type Key = { pk: string; sk: string };
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

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
  inventoryDay: (endpoint: string, day: string): Key => ({
    pk: `ENDPOINT#${esc(endpoint)}`,
    sk: `INVENTORY#${day}`,
  }),
  action: (id: string): Key => ({ pk: `ACTION#${esc(id)}`, sk: 'ACTION' }),
  /** An action's copy in its endpoint's partition, sorted by creation then id. */
  endpointAction: (endpoint: string, a: Pick<ActionRecord, 'createdAt' | 'id'>): Key => ({
    pk: `ENDPOINT#${esc(endpoint)}`,
    sk: `ACTION#${esc(a.createdAt)}#${esc(a.id)}`,
  }),
  /** An action's copy in its status's partition, sorted by creation then id. */
  statusAction: (status: ActionStatus, a: Pick<ActionRecord, 'createdAt' | 'id'>): Key => ({
    pk: `ACTIONS#${esc(status)}`,
    sk: `ACTION#${esc(a.createdAt)}#${esc(a.id)}`,
  }),
  approval: (id: string): Key => ({ pk: `APPROVAL#${esc(id)}`, sk: 'APPROVAL' }),
  /** An approval's copy in its action's partition (beside the action's own item), sorted by instant then id. */
  actionApproval: (actionId: string, a: Pick<ApprovalRecord, 'at' | 'id'>): Key => ({
    pk: `ACTION#${esc(actionId)}`,
    sk: `APPROVAL#${esc(a.at)}#${esc(a.id)}`,
  }),
  /** An approval's copy in the partition of its month (`YYYY-MM`, UTC), sorted by instant then id. */
  monthApproval: (month: string, a: Pick<ApprovalRecord, 'at' | 'id'>): Key => ({
    pk: `APPROVALS#${esc(month)}`,
    sk: `APPROVAL#${esc(a.at)}#${esc(a.id)}`,
  }),
  /** The mark that a month holds approvals: the listings without an action read the months from these. */
  approvalMonth: (month: string): Key => ({ pk: 'APPROVALS', sk: `MONTH#${esc(month)}` }),
  costDay: (source: string, day: string, chunk = 0): Key => ({
    pk: `COSTS#${esc(source)}`,
    sk: chunk === 0 ? `DAY#${day}` : `DAY#${day}#${chunk}`,
  }),
};

/** Compares as SQLite's default BINARY collation does for ASCII text (the ORDER BY of the SQLite ledger). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Cancellation = { name?: unknown; CancellationReasons?: { Code?: string }[] } | null;

export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A client on the ledger table, with the batching and paging its two users share. */
export class LedgerTable {
  protected readonly client: DynamoDBDocumentClient;
  private readonly ownsClient: boolean;
  protected readonly maxBatchAttempts: number;
  private readonly backoffMs: number;
  protected readonly sleep: (ms: number) => Promise<void>;

  constructor(
    protected readonly tableName: string,
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

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  protected async query(
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

  /**
   * Sends a transaction whose first item carries the condition that decides it: false when that condition failed
   * (another writer came first). A transaction that collides with another writer's is tried again with backoff, and
   * then finds what that writer left.
   */
  protected async transact(transaction: TransactWriteCommand): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(transaction);
        return true;
      } catch (err) {
        const reasons = (err as Cancellation)?.CancellationReasons ?? [];
        const cancelled = (err as Cancellation)?.name === 'TransactionCanceledException';
        if (cancelled && reasons[0]?.Code === 'ConditionalCheckFailed') return false;
        const conflict = cancelled && reasons.some((r) => r.Code === 'TransactionConflict');
        if (!conflict || attempt >= this.maxBatchAttempts)
          throw sourceError('ledger', 'dynamodb:TransactWriteItems', err);
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  /** One item by its key, strongly consistent: what a conditional write just decided is what it reads. */
  protected async getItem(key: Key): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return out.Item;
    } catch (err) {
      throw sourceError('ledger', 'dynamodb:GetItem', err);
    }
  }

  protected backoff(attempt: number): number {
    return Math.random() * Math.min(5000, this.backoffMs * 2 ** (attempt - 1));
  }

  /** BatchWrite in batches of 25; unprocessed items are sent again with backoff, and never dropped. */
  protected async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
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
  protected async batchGet(keys: readonly Key[]): Promise<Item[]> {
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
