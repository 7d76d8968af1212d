import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoTransactions } from '../pipeline/harness/dynamo-transactions.ts';
import { LEDGER_TABLE_KEYS } from './dynamodb-table.ts';

/**
 * dynalite, the loopback DynamoDB, behind the proxy that answers its transactions, as the pipeline runs it: started
 * for the file's tests, with a fresh ledger table for each test. `document()` is a new client on it (another writer).
 */
export function loopbackLedgerTable(): {
  readonly table: () => string;
  readonly document: () => DynamoDBDocumentClient;
} {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let transactions: DynamoTransactions;
  let raw: DynamoDBClient;
  let tables = 0;
  let table: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    transactions = await DynamoTransactions.start(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    raw = new DynamoDBClient({
      endpoint: transactions.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterAll(async () => {
    raw.destroy();
    await transactions.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(async () => {
    table = `ledger-${++tables}`;
    await raw.send(
      new CreateTableCommand({ TableName: table, ...LEDGER_TABLE_KEYS, BillingMode: 'PAY_PER_REQUEST' }),
    );
  });

  return {
    table: () => table,
    document: () => DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
  };
}
