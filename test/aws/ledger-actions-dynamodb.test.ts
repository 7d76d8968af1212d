import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { actionLedgerBehaviour } from '../helpers/action-ledger.ts';
import { action, moved } from '../helpers/ledger.ts';
import { loopbackLedgerTable } from '../helpers/loopback-dynamodb.ts';

const loopback = loopbackLedgerTable();
const document = loopback.document;

describe('DynamoDbLedger on the loopback DynamoDB', () => {
  actionLedgerBehaviour(async () => new DynamoDbLedger(loopback.table(), { client: document() }));

  it('keeps one record and one copy per endpoint and per status: a move leaves no copy under the old status', async () => {
    const l = new DynamoDbLedger(loopback.table(), { client: document() });
    const applied = action('act-1', {}, 'a#b%c');
    await l.putAction(applied, 'absent');
    await l.putAction(moved(applied, 'verified', '2026-10-11T06:00:00.000Z'), 'applied');
    const { Items } = await document().send(new ScanCommand({ TableName: loopback.table() }));
    expect(Items?.map((i) => [i.pk, i.sk, i.status]).sort()).toEqual([
      ['ACTION#act-1', 'ACTION', 'verified'],
      ['ACTIONS#verified', 'ACTION#2026-10-10T06:00:00.000Z#act-1', 'verified'],
      ['ENDPOINT#a%23b%25c', 'ACTION#2026-10-10T06:00:00.000Z#act-1', 'verified'],
    ]);
  });

  it('keeps an approved action under ACTIONS#approved only: the approval took its copy off ACTIONS#pending-approval', async () => {
    const l = new DynamoDbLedger(loopback.table(), { client: document() });
    const pending = action('act-1', { status: 'pending-approval', appliedAt: undefined, history: [] });
    await l.putAction(pending, 'absent');
    expect(
      await l.putAction(moved(pending, 'approved', '2026-10-10T07:00:00.000Z'), 'pending-approval'),
    ).toBe(true);
    const { Items } = await document().send(new ScanCommand({ TableName: loopback.table() }));
    expect(Items?.map((i) => [i.pk, i.status]).sort()).toEqual([
      ['ACTION#act-1', 'approved'],
      ['ACTIONS#approved', 'approved'],
      ['ENDPOINT#search-prod', 'approved'],
    ]);
  });

  it('refuses a move whose record changed the creation instant its copies are keyed by', async () => {
    const l = new DynamoDbLedger(loopback.table(), { client: document() });
    const applied = action('act-1');
    await l.putAction(applied, 'absent');
    const shifted = {
      ...moved(applied, 'verified', '2026-10-11T06:00:00.000Z'),
      createdAt: '2026-10-11T00:00:00.000Z',
    };
    expect(await l.putAction(shifted, 'applied')).toBe(false);
    expect(await l.actions({ statuses: ['applied'] })).toEqual([applied]);
  });
});

describe('DynamoDbActions against DynamoDB answers', () => {
  // this client only: the loopback tests' clients stay real
  const mocked = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const ddb = mockClient(mocked);
  const conflict = () =>
    Object.assign(
      new Error(
        'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None, None]',
      ),
      {
        name: 'TransactionCanceledException',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: [
          { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
          { Code: 'None' },
          { Code: 'None' },
        ],
      },
    );
  const ledger = (maxBatchAttempts = 3) =>
    new DynamoDbLedger('t', { client: mocked, maxBatchAttempts, sleep: async () => undefined });
  beforeEach(() => ddb.reset());

  it('tries a transaction again that collided with another writer, which then decides', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(conflict()).resolves({});
    expect(await ledger().putAction(action('act-1'), 'absent')).toBe(true);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('fails naming the call when collisions do not stop', async () => {
    ddb.on(TransactWriteCommand).rejects(conflict());
    const put = ledger(3).putAction(action('act-1'), 'absent');
    await expect(put).rejects.toBeInstanceOf(AwsAccessError);
    await expect(put).rejects.toThrow(/dynamodb:TransactWriteItems/);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('approves with one transaction conditioned on pending-approval, writing ACTIONS#approved and deleting ACTIONS#pending-approval', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const pending = action('act-1', { status: 'pending-approval' });
    await ledger().putAction(moved(pending, 'approved', '2026-10-10T07:00:00.000Z'), 'pending-approval');
    const key = { sk: `ACTION#${pending.createdAt}#act-1` };
    expect(ddb).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        expect.objectContaining({
          Put: expect.objectContaining({
            Item: expect.objectContaining({ pk: 'ACTION#act-1', status: 'approved' }),
            ExpressionAttributeValues: expect.objectContaining({ ':expect': 'pending-approval' }),
          }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({ Item: expect.objectContaining({ pk: 'ENDPOINT#search-prod' }) }),
        }),
        expect.objectContaining({
          Put: expect.objectContaining({ Item: expect.objectContaining({ pk: 'ACTIONS#approved', ...key }) }),
        }),
        { Delete: { TableName: 't', Key: { pk: 'ACTIONS#pending-approval', ...key } } },
      ],
    });
  });

  it('conditions a move on the stored status and deletes the copy under the status it leaves', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const applied = action('act-1');
    await ledger().putAction(moved(applied, 'rolled-back', '2026-10-11T06:00:00.000Z'), 'applied');
    expect(ddb).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        expect.objectContaining({
          Put: expect.objectContaining({
            ConditionExpression: '#status = :expect AND #createdAt = :createdAt AND #endpoint = :endpoint',
            ExpressionAttributeValues: {
              ':expect': 'applied',
              ':createdAt': applied.createdAt,
              ':endpoint': 'search-prod',
            },
          }),
        }),
        expect.anything(),
        expect.anything(),
        {
          Delete: {
            TableName: 't',
            Key: { pk: 'ACTIONS#applied', sk: `ACTION#${applied.createdAt}#act-1` },
          },
        },
      ],
    });
  });
});
