import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { approval, approvalAuditBehaviour, refusal } from '../helpers/approval-audit.ts';
import { action } from '../helpers/ledger.ts';
import { loopbackLedgerTable } from '../helpers/loopback-dynamodb.ts';

const loopback = loopbackLedgerTable();
const onLoopback = () => new DynamoDbLedger(loopback.table(), { client: loopback.document() });

describe('DynamoDbLedger on the loopback DynamoDB', () => {
  approvalAuditBehaviour(async () => onLoopback());

  it('keeps one record, a copy under its action and under its month, and the mark of its month', async () => {
    const l = onLoopback();
    const decided = approval('k1', { actionId: 'a#b' });
    const refused = refusal('k2', '2026-11-01T00:00:00.000Z');
    await l.recordApproval(decided);
    await l.recordApproval(refused);
    const { Items } = await loopback.document().send(new ScanCommand({ TableName: loopback.table() }));
    const at = (r: typeof decided) => `APPROVAL#${r.at}#${r.id}`;
    expect(Items?.map((i) => [i.pk, i.sk]).sort()).toEqual(
      [
        [`APPROVAL#${decided.id}`, 'APPROVAL'],
        ['ACTION#a%23b', at(decided)],
        ['APPROVALS#2026-10', at(decided)],
        [`APPROVAL#${refused.id}`, 'APPROVAL'],
        ['APPROVALS#2026-11', at(refused)],
        ['APPROVALS', 'MONTH#2026-10'],
        ['APPROVALS', 'MONTH#2026-11'],
      ].sort(),
    );
  });

  it('keeps an action and its approvals apart in the partition they share', async () => {
    const l = onLoopback();
    const act = action('act-0001');
    await l.putAction(act, 'absent');
    const record = approval('k1');
    await l.recordApproval(record);
    expect(await l.actions({ id: 'act-0001' })).toEqual([act]);
    expect(await l.actions()).toEqual([act]);
    expect(await l.approvals({ actionId: 'act-0001' })).toEqual([record]);
    expect(await l.putAction(act, 'absent')).toBe(false);
  });

  it('names the item when a stored approval has lost its shape', async () => {
    const l = onLoopback();
    const record = approval('k1');
    await l.recordApproval(record);
    const damaged = JSON.stringify({ ...record, outcome: 'done' });
    await loopback.document().send(
      new UpdateCommand({
        TableName: loopback.table(),
        Key: { pk: `APPROVAL#${record.id}`, sk: 'APPROVAL' },
        UpdateExpression: 'SET #record = :record',
        ExpressionAttributeNames: { '#record': 'record' },
        ExpressionAttributeValues: { ':record': damaged },
      }),
    );
    await expect(l.approvals({ id: record.id })).rejects.toThrow(
      `ledger APPROVAL#${record.id} APPROVAL: stored approval record: outcome`,
    );
  });
});

describe('DynamoDbApprovals against DynamoDB answers', () => {
  // this client only: the loopback tests' clients stay real
  const mocked = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const ddb = mockClient(mocked);
  const ledger = (maxBatchAttempts = 3) =>
    new DynamoDbLedger('t', { client: mocked, maxBatchAttempts, sleep: async () => undefined });
  const cancelled = (codes: string[]) =>
    new TransactionCanceledException({
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
      $metadata: { httpStatusCode: 400, requestId: 'REQ1' },
      CancellationReasons: codes.map((Code) =>
        Code === 'None' ? { Code } : { Code, Message: 'The conditional request failed' },
      ),
    });
  const item = (key: { pk: string; sk: string }, record = approval('k1')) => ({
    ...key,
    id: record.id,
    actionId: record.actionId,
    at: record.at,
    record: JSON.stringify(record),
  });
  beforeEach(() => ddb.reset());

  it('records with a mark of the month, then one transaction conditioned on the id being absent', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
    const record = approval('k1');
    expect(await ledger().recordApproval(record)).toBe(true);
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 't',
      Item: { pk: 'APPROVALS', sk: 'MONTH#2026-10', month: '2026-10' },
    });
    const sk = `APPROVAL#${record.at}#${record.id}`;
    expect(ddb).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Put: {
            TableName: 't',
            Item: item({ pk: `APPROVAL#${record.id}`, sk: 'APPROVAL' }),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: 't', Item: item({ pk: 'APPROVALS#2026-10', sk }) } },
        { Put: { TableName: 't', Item: item({ pk: 'ACTION#act-0001', sk }) } },
      ],
    });
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'PutCommand',
      'TransactWriteCommand',
    ]);
  });

  it('answers false when the id is recorded (the first item failed its condition)', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));
    expect(await ledger().recordApproval(approval('k1'))).toBe(false);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('tries a transaction again that collided with another writer, which then decides', async () => {
    ddb.on(PutCommand).resolves({});
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None', 'None']))
      .rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));
    expect(await ledger().recordApproval(approval('k1'))).toBe(false);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('writes nothing when the month cannot be marked, and names the call', async () => {
    ddb.on(PutCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: dynamodb:PutItem'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const put = ledger().recordApproval(approval('k1'));
    await expect(put).rejects.toBeInstanceOf(AwsAccessError);
    await expect(put).rejects.toThrow(/dynamodb:PutItem/);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('reads one record by id with a strongly consistent GetItem and nothing else', async () => {
    const record = approval('k1');
    ddb.on(GetCommand).resolves({ Item: item({ pk: `APPROVAL#${record.id}`, sk: 'APPROVAL' }) });
    expect(await ledger().approvals({ id: record.id })).toEqual([record]);
    expect(ddb).toReceiveCommandWith(GetCommand, {
      TableName: 't',
      Key: { pk: `APPROVAL#${record.id}`, sk: 'APPROVAL' },
      ConsistentRead: true,
    });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('reads a range by a Query per marked month it overlaps, bounded by the sort key, never a Scan', async () => {
    const oct = approval('k-oct', { at: '2026-10-20T00:00:00.000Z' });
    const nov = approval('k-nov', { at: '2026-11-02T00:00:00.000Z' });
    const months: Record<string, ReturnType<typeof item>[]> = {
      APPROVALS: ['2026-08', '2026-10', '2026-11', '2026-12'].map((m) => ({
        pk: 'APPROVALS',
        sk: `MONTH#${m}`,
        month: m,
      })) as never,
      'APPROVALS#2026-10': [item({ pk: 'APPROVALS#2026-10', sk: `APPROVAL#${oct.at}#${oct.id}` }, oct)],
      'APPROVALS#2026-11': [item({ pk: 'APPROVALS#2026-11', sk: `APPROVAL#${nov.at}#${nov.id}` }, nov)],
    };
    ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      const Items = months[String(input.ExpressionAttributeValues?.[':pk'])] ?? [];
      return { Items, Count: Items.length, ScannedCount: Items.length, $metadata: { httpStatusCode: 200 } };
    });
    const from = '2026-10-15T00:00:00.000Z';
    const to = '2026-11-10T00:00:00.000Z';
    expect(await ledger().approvals({ from, to })).toEqual([oct, nov]);
    const asked = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(asked.map((q) => q.ExpressionAttributeValues?.[':pk'])).toEqual([
      'APPROVALS',
      'APPROVALS#2026-10',
      'APPROVALS#2026-11',
    ]);
    expect(asked[1]).toMatchObject({
      TableName: 't',
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':lo': `APPROVAL#${from}#`, ':hi': `APPROVAL#${to}#` },
    });
    await ledger().approvals({ from });
    await ledger().approvals({ to });
    await ledger().approvals();
    const conditions = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.KeyConditionExpression);
    expect(new Set(conditions)).toEqual(
      new Set([
        'pk = :pk AND begins_with(sk, :prefix)',
        'pk = :pk AND sk BETWEEN :lo AND :hi',
        'pk = :pk AND sk >= :lo',
        'pk = :pk AND sk < :hi',
        'pk = :pk',
      ]),
    );
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it("reads an action's records by one Query on its partition", async () => {
    const record = approval('k1');
    ddb.on(QueryCommand).resolves({
      Items: [item({ pk: 'ACTION#act-0001', sk: `APPROVAL#${record.at}#${record.id}` })],
      Count: 1,
      ScannedCount: 1,
    });
    expect(await ledger().approvals({ actionId: 'act-0001' })).toEqual([record]);
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 't',
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'ACTION#act-0001', ':prefix': 'APPROVAL#' },
    });
    expect(ddb.calls()).toHaveLength(1);
  });
});
