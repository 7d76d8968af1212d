import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

export type Item = Record<string, unknown>;

/** What DynamoDB answers when a condition fails: the SDK's modelled exception, as deserialised from a 400. */
export const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400, requestId: 'REQ1' },
  });

/** Waits a turn, so that calls issued together interleave as they do over the network. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 1));

/**
 * An in-memory ledger table behind a DynamoDBDocumentClient mock: puts honouring `attribute_not_exists(pk)`,
 * transactions that write all their items or none (cancelled with the reason per item, as DynamoDB answers),
 * deletes conditioned on `commitId`, queries on pk and an sk prefix, batch writes and gets.
 */
export function fakeLedgerTable(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  table: string,
  opts: { readonly failPut?: (item: Item) => Error | undefined } = {},
): Map<string, Item> {
  const items = new Map<string, Item>();
  const id = (k: Item) => `${k.pk}\u0000${k.sk}`;
  const blocked = (p: { Item?: Item; ConditionExpression?: string }) =>
    p.ConditionExpression === 'attribute_not_exists(pk)' && items.has(id(p.Item as Item));
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    await turn();
    const item = input.Item as Item;
    const failure = opts.failPut?.(item);
    if (failure) throw failure;
    if (blocked(input)) throw conditionalCheckFailed();
    items.set(id(item), item);
    return {};
  });
  ddb.on(TransactWriteCommand).callsFake(async (input: TransactWriteCommandInput) => {
    await turn();
    const puts = (input.TransactItems ?? []).map(
      (t) => t.Put as { Item: Item; ConditionExpression?: string },
    );
    const failure = puts.map((p) => opts.failPut?.(p.Item)).find((e) => e !== undefined);
    if (failure) throw failure;
    if (puts.some(blocked)) {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: puts.map((p) =>
          blocked(p)
            ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
            : { Code: 'None' },
        ),
      });
    }
    for (const p of puts) items.set(id(p.Item), p.Item);
    return {};
  });
  ddb.on(DeleteCommand).callsFake(async (input: DeleteCommandInput) => {
    const current = items.get(id(input.Key as Item));
    if (input.ConditionExpression && current?.commitId !== input.ExpressionAttributeValues?.[':commitId'])
      throw conditionalCheckFailed();
    items.delete(id(input.Key as Item));
    return {};
  });
  ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
    const values = input.ExpressionAttributeValues as { ':pk': string; ':prefix'?: string };
    const Items = [...items.values()].filter(
      (i) =>
        i.pk === values[':pk'] &&
        (values[':prefix'] === undefined || String(i.sk).startsWith(values[':prefix'])),
    );
    return { Items };
  });
  ddb.on(BatchWriteCommand).callsFake(async (input: BatchWriteCommandInput) => {
    for (const r of input.RequestItems?.[table] ?? []) {
      const item = r.PutRequest?.Item as Item;
      items.set(id(item), item);
    }
    return { UnprocessedItems: {} };
  });
  ddb.on(BatchGetCommand).callsFake(async (input: BatchGetCommandInput) => {
    const keys = (input.RequestItems?.[table]?.Keys ?? []) as Item[];
    return { Responses: { [table]: keys.flatMap((k) => items.get(id(k)) ?? []) }, UnprocessedKeys: {} };
  });
  ddb.on(UpdateCommand).callsFake(async () => ({}));
  return items;
}

/** The key schema of the stack's ledger table: string pk and sk, no index. */
export const LEDGER_TABLE_KEYS: Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions'> = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
};
