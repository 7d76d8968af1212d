import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { COST_CHUNK_BYTES } from '../../lambdas/aws/cost-days-dynamodb.ts';
import { DynamoDbLedger, ledgerKeys } from '../../lambdas/aws/ledger-dynamodb.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import type { DailySpend } from '../../lambdas/ports.ts';
import { conditionalCheckFailed, fakeLedgerTable, type Item } from '../helpers/dynamodb-table.ts';
import { alert, cycle, launchWeek, OCT, variantDay } from '../helpers/ledger.ts';

const TABLE = 'perf-budgets-ledger';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const sleeps: number[] = [];
const ledger = (maxBatchAttempts = 8) =>
  new DynamoDbLedger(TABLE, {
    client,
    maxBatchAttempts,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

/** The ledger table in memory behind the mock (puts, transactions, conditional deletes, batches). */
const fakeTable = (failPut?: (item: Item) => Error | undefined) => fakeLedgerTable(ddb, TABLE, { failPut });

const batchWrites = () =>
  ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLE] ?? []);

beforeEach(() => {
  ddb.reset();
  sleeps.length = 0;
});

describe('DynamoDbLedger alerts', () => {
  it('records an alert with a conditional put, so that no second cycle can record it again', async () => {
    fakeTable();
    await ledger().commit(cycle({ alerts: [alert('latency|search-prod')] }));
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: expect.objectContaining({
        pk: `PERIOD#${OCT}`,
        sk: 'ALERT#latency|search-prod#warning',
        key: 'latency|search-prod',
        state: 'warning',
        period: OCT,
        sentAt: '2026-10-10T06:00:00.000Z',
      }),
    });
  });

  it('returns every alert of a first cycle as new, in the order given', async () => {
    fakeTable();
    const fresh = await ledger().commit(
      cycle({ alerts: [alert('spend-forecast|search-prod|0.8'), alert('latency|search-prod')] }),
    );
    expect(fresh.map((a) => a.key)).toEqual(['spend-forecast|search-prod|0.8', 'latency|search-prod']);
  });

  it('returns nothing new when the same alert is committed again (the put fails its condition)', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejectsOnce(conditionalCheckFailed());
    const l = ledger();
    expect(await l.commit(cycle({ alerts: [alert('a')] }))).toEqual([alert('a')]);
    expect(await l.commit(cycle({ alerts: [alert('a')] }, '2026-10-11'))).toEqual([]);
    expect(ddb).toReceiveCommandTimes(PutCommand, 2);
  });

  it('returns only the alerts not recorded before in the same state', async () => {
    fakeTable();
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a'), alert('b')] }));
    const fresh = await l.commit(cycle({ alerts: [alert('a'), alert('b'), alert('c')] }, '2026-10-11'));
    expect(fresh.map((a) => a.key)).toEqual(['c']);
  });

  it('returns an alert listed twice in one cycle once, with one write', async () => {
    fakeTable();
    const fresh = await ledger().commit(cycle({ alerts: [alert('a'), alert('a')] }));
    expect(fresh).toHaveLength(1);
    expect(ddb).toReceiveCommandTimes(PutCommand, 1);
  });

  it('treats the same key at a new severity as a new alert (an escalation)', async () => {
    fakeTable();
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a', 'warning')] }));
    const fresh = await l.commit(cycle({ alerts: [alert('a', 'critical')] }, '2026-10-11'));
    expect(fresh).toEqual([alert('a', 'critical')]);
  });

  it('treats the same key in a new period as a new alert', async () => {
    fakeTable();
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a', 'warning', '2026-09-01')] }));
    expect(await l.commit(cycle({ alerts: [alert('a', 'warning', OCT)] }))).toHaveLength(1);
  });

  it('lets exactly one of two concurrent cycles return the same alert', async () => {
    fakeTable();
    const [first, second] = await Promise.all([
      ledger().commit(cycle({ alerts: [alert('spend-breach|search-prod')] })),
      ledger().commit(cycle({ alerts: [alert('spend-breach|search-prod')] })),
    ]);
    expect([...first, ...second]).toEqual([alert('spend-breach|search-prod')]);
    expect(ddb).toReceiveCommandTimes(PutCommand, 2);
  });

  it('writes an alert and its pending deliveries in one transaction, and none of them when it was recorded before', async () => {
    const items = fakeTable();
    const pending = ['warning>sns>opened', 'warning>slack>opened'];
    const first = await ledger().commit(cycle({ alerts: [{ ...alert('latency|search-prod'), pending }] }));
    expect(first.map((a) => a.state)).toEqual(['warning']);
    expect(ddb).toReceiveCommandWith(TransactWriteCommand, {
      TransactItems: [
        expect.objectContaining({
          Put: expect.objectContaining({ ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
        { Put: expect.objectContaining({ Item: expect.objectContaining({ state: 'warning>sns>opened' }) }) },
        {
          Put: expect.objectContaining({ Item: expect.objectContaining({ state: 'warning>slack>opened' }) }),
        },
      ],
    });
    expect([...items.values()].map((i) => i.state).sort()).toEqual([
      'warning',
      'warning>slack>opened',
      'warning>sns>opened',
    ]);

    // delivered on one channel, then committed again by a racing cycle: nothing new, nothing pending again
    await ledger().forget([{ period: OCT, key: 'latency|search-prod', state: 'warning>sns>opened' }]);
    const again = await ledger().commit(cycle({ alerts: [{ ...alert('latency|search-prod'), pending }] }));
    expect(again).toEqual([]);
    expect([...items.values()].map((i) => i.state).sort()).toEqual(['warning', 'warning>slack>opened']);
  });

  it('keeps keys apart whose parts contain the separator', () => {
    expect(ledgerKeys.alert({ period: OCT, key: 'a#b', state: 'c' })).not.toEqual(
      ledgerKeys.alert({ period: OCT, key: 'a', state: 'b#c' }),
    );
  });

  it('removes the alerts it recorded when another alert write fails, so a rerun sends them', async () => {
    let failures = 1;
    const items = fakeTable((item) => (item.key === 'b' && failures-- > 0 ? throttled() : undefined));
    const l = ledger();
    const failed = l.commit(cycle({ alerts: [alert('a'), alert('b')] }));
    await expect(failed).rejects.toBeInstanceOf(AwsAccessError);
    await expect(failed).rejects.toThrow(/dynamodb:PutItem was throttled/);
    expect(ddb).toReceiveCommandWith(DeleteCommand, {
      Key: ledgerKeys.alert(alert('a')),
      ConditionExpression: 'commitId = :commitId',
    });
    expect([...items.values()].filter((i) => String(i.pk).startsWith('PERIOD#'))).toEqual([]);
    expect((await l.commit(cycle({ alerts: [alert('a'), alert('b')] }))).map((a) => a.key)).toEqual([
      'a',
      'b',
    ]);
  });

  it('writes at most 16 alerts at once, starts none after a failure, and removes every one it recorded', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = fakeTable();
    // Puts that overlap: each counted while in flight; the fourth alert's put is throttled.
    ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
      inFlight++;
      await new Promise((r) => setTimeout(r, 1));
      peak = Math.max(peak, inFlight);
      inFlight--;
      const item = input.Item as Item;
      if (item.key === 'k03') throw throttled();
      items.set(`${item.pk}\u0000${item.sk}`, item);
      return {};
    });
    const alerts = Array.from({ length: 60 }, (_, i) => alert(`k${String(i).padStart(2, '0')}`));
    await expect(ledger().commit(cycle({ alerts }))).rejects.toThrow(/dynamodb:PutItem was throttled/);
    expect(peak).toBe(16);
    expect(ddb.commandCalls(PutCommand).length).toBeLessThan(alerts.length);
    expect([...items.values()].filter((i) => String(i.pk).startsWith('PERIOD#'))).toEqual([]);
  });

  it('forgets alerts no channel delivered, so the next cycle records and sends them again', async () => {
    fakeTable();
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a'), alert('b')] }));
    await l.forget([{ period: OCT, key: 'a', state: 'warning' }]);
    expect(ddb).toReceiveCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { pk: `PERIOD#${OCT}`, sk: 'ALERT#a#warning' },
    });
    expect(
      (await l.commit(cycle({ alerts: [alert('a'), alert('b')] }, '2026-10-11'))).map((x) => x.key),
    ).toEqual(['a']);
  });

  it('names the IAM action when forgetting an alert fails', async () => {
    ddb
      .on(DeleteCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
    await expect(ledger().forget([{ period: OCT, key: 'a', state: 'warning' }])).rejects.toThrow(
      /dynamodb:DeleteItem/,
    );
  });

  it('lists the alerts of the period asked for, every page, by time sent then key', async () => {
    const item = (key: string, sentAt: string) => ({
      ...ledgerKeys.alert({ period: OCT, key, state: 'warning' }),
      period: OCT,
      key,
      state: 'warning',
      sentAt,
      commitId: 'c1',
    });
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [item('b', '2026-10-10T06:00:00.000Z')],
        LastEvaluatedKey: { pk: `PERIOD#${OCT}`, sk: 'ALERT#b#warning' },
      })
      .resolvesOnce({
        Items: [item('c', '2026-10-09T06:00:00.000Z'), item('a', '2026-10-10T06:00:00.000Z')],
      });
    const got = await ledger().alerts(OCT);
    expect(got.map((a) => a.key)).toEqual(['c', 'a', 'b']);
    expect(got[0]).toEqual({ period: OCT, key: 'c', state: 'warning', sentAt: '2026-10-09T06:00:00.000Z' });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: TABLE,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `PERIOD#${OCT}`, ':prefix': 'ALERT#' },
    });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      ExclusiveStartKey: { pk: `PERIOD#${OCT}`, sk: 'ALERT#b#warning' },
    });
  });

  it('names the IAM action when reading alerts is denied', async () => {
    ddb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(ledger().alerts(OCT)).rejects.toThrow(/grant the IAM action dynamodb:Query/);
  });
});

describe('DynamoDbLedger closed days', () => {
  const day = (d: string, amount = '1.0000000000', budget = 'search-prod'): DailySpend => ({
    budget,
    day: d,
    amount,
  });

  it('writes closed days with a batch write, the later amount of a day listed twice winning', async () => {
    fakeTable();
    await ledger().commit(
      cycle({ closedDays: [day('2026-10-02', '10.0000000000'), day('2026-10-02', '12.5')] }),
    );
    expect(batchWrites()).toEqual([
      [
        {
          PutRequest: {
            Item: {
              pk: 'BUDGET#search-prod',
              sk: 'DAY#2026-10-02',
              budget: 'search-prod',
              day: '2026-10-02',
              amount: '12.5',
            },
          },
        },
      ],
    ]);
  });

  it('sends unprocessed items again, with backoff, until all are written', async () => {
    const days = ['2026-10-01', '2026-10-02', '2026-10-03'].map((d) => day(d));
    const leftOver = (n: number) => ({
      UnprocessedItems: {
        [TABLE]: days
          .slice(0, n)
          .map((d) => ({ PutRequest: { Item: { ...ledgerKeys.closedDay(d.budget, d.day) } } })),
      },
    });
    ddb.on(BatchWriteCommand).resolvesOnce(leftOver(2)).resolvesOnce(leftOver(1)).resolves({});
    ddb.on(PutCommand).resolves({});
    await ledger().commit(cycle({ closedDays: days }));
    expect(batchWrites().map((b) => b.length)).toEqual([3, 2, 1]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms >= 0 && ms <= 5000)).toBe(true);
  });

  it('fails, naming what is left, when items stay unprocessed after the last attempt', async () => {
    const d = day('2026-10-01');
    ddb.on(BatchWriteCommand).resolves({
      UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: ledgerKeys.closedDay(d.budget, d.day) } }] },
    });
    await expect(ledger(3).commit(cycle({ closedDays: [d], alerts: [alert('a')] }))).rejects.toThrow(
      /left 1 item\(s\) unprocessed in table perf-budgets-ledger after 3 attempts/,
    );
    expect(ddb).toReceiveCommandTimes(BatchWriteCommand, 3);
    expect(ddb).not.toReceiveCommand(PutCommand);
  });

  it('writes nothing of a cycle with a malformed closed day', async () => {
    fakeTable();
    const broken = { budget: 'search-prod', day: '2026-10-02', amount: null as unknown as string };
    await expect(ledger().commit(cycle({ alerts: [alert('a')], closedDays: [broken] }))).rejects.toThrow(
      /closedDays\[0\]\.amount must be a non-empty string/,
    );
    expect(ddb.calls()).toHaveLength(0);
  });

  it('lists the closed days of one budget from the first day up to, not including, the last', async () => {
    ddb.on(QueryCommand).resolves({
      Items: ['2026-10-01', '2026-10-02', '2026-10-03'].map((d) => ({
        ...ledgerKeys.closedDay('search-prod', d),
        ...day(d),
      })),
    });
    expect((await ledger().dailySpend('search-prod', OCT, '2026-10-03')).map((d) => d.day)).toEqual([
      '2026-10-01',
      '2026-10-02',
    ]);
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': 'BUDGET#search-prod',
        ':from': 'DAY#2026-10-01',
        ':to': 'DAY#2026-10-03',
      },
    });
  });

  it('asks nothing for an empty range', async () => {
    expect(await ledger().dailySpend('search-prod', '2026-10-03', '2026-10-03')).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('DynamoDbLedger exceptions seen', () => {
  it('sets the day first seen only when the item is new or the day is earlier', async () => {
    ddb.on(UpdateCommand).resolves({});
    await ledger().commit(cycle({ exceptions: [launchWeek] }, '2026-10-05'));
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      Key: { pk: 'BUDGET#search-prod', sk: 'EXCEPTION#Launch week#2026-12-31' },
      UpdateExpression: expect.stringMatching(
        /#firstSeen = :day, #lastSeen = if_not_exists\(#lastSeen, :day\)/,
      ) as unknown as string,
      ConditionExpression: 'attribute_not_exists(#firstSeen) OR #firstSeen > :day',
      ExpressionAttributeValues: expect.objectContaining({
        ':day': '2026-10-05',
        ':approvedBy': 'cfo@example.com',
      }),
    });
  });

  it('moves the day last seen forward only, with a conditional update', async () => {
    ddb.on(UpdateCommand).resolves({});
    await ledger().commit(cycle({ exceptions: [launchWeek] }, '2026-10-09'));
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #lastSeen = :day',
      ConditionExpression: 'attribute_exists(pk) AND #lastSeen < :day',
      ExpressionAttributeValues: { ':day': '2026-10-09' },
    });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
  });

  it('takes a failed condition on either bound as "no change", not an error', async () => {
    fakeTable();
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    const fresh = await ledger().commit(
      cycle({ exceptions: [launchWeek], alerts: [alert('a')] }, '2026-10-07'),
    );
    expect(fresh).toEqual([alert('a')]);
  });

  it('fails the commit when an exception write fails for another reason', async () => {
    ddb.on(UpdateCommand).rejects(throttled());
    await expect(ledger().commit(cycle({ exceptions: [launchWeek] }))).rejects.toThrow(
      /dynamodb:UpdateItem was throttled/,
    );
  });
});

describe('DynamoDbLedger as a cost-day cache', () => {
  const SOURCE = 'ce:daily:UnblendedCost';
  const record = (i: number, amount = 123456789012345678n): CostRecord => ({
    start: Date.parse('2026-10-01T00:00:00Z'),
    end: Date.parse('2026-10-02T00:00:00Z'),
    amount,
    currency: 'USD',
    service: 'Amazon SageMaker',
    usageType: 'USE1-Host:ml.g5.xlarge',
    endpoint: `search-${i}`,
    tags: { team: 'search', 'aws:createdBy': `AssumedRole:AROAEXAMPLE${i}:perf-budgets` },
  });

  it('returns the cached days exactly, bigint amounts included, and nothing for days never put', async () => {
    fakeTable();
    const cache = ledger();
    const exact = { ...record(1), amount: -987654321098765432109n };
    await cache.putDays(SOURCE, new Map([['2026-10-01', [record(0), exact]]]));
    const got = await cache.getDays(SOURCE, ['2026-10-01', '2026-10-02']);
    expect([...got.keys()]).toEqual(['2026-10-01']);
    expect(got.get('2026-10-01')).toEqual([record(0), exact]);
    expect((await cache.getDays('ce:daily:NetAmortizedCost', ['2026-10-01'])).size).toBe(0);
    expect(ddb).toReceiveCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [ledgerKeys.costDay(SOURCE, '2026-10-01'), ledgerKeys.costDay(SOURCE, '2026-10-02')],
          ConsistentRead: true,
        },
      },
    });
  });

  it('keeps an empty day as cached and empty', async () => {
    fakeTable();
    const cache = ledger();
    await cache.putDays(SOURCE, new Map([['2026-10-04', []]]));
    expect(await cache.getDays(SOURCE, ['2026-10-04'])).toEqual(new Map([['2026-10-04', []]]));
  });

  it('splits a day over the item size limit into chunks and reads it back whole', async () => {
    const items = fakeTable();
    const cache = ledger();
    const big = Array.from({ length: 6000 }, (_, i) => record(i, BigInt(i) * 1_000_000_007n));
    await cache.putDays(SOURCE, new Map([['2026-10-01', big]]));

    const written = [...items.values()];
    expect(written.length).toBeGreaterThan(2);
    for (const item of written)
      expect(Buffer.byteLength(String(item.records))).toBeLessThanOrEqual(COST_CHUNK_BYTES);
    expect(written.find((i) => i.sk === 'DAY#2026-10-01')?.chunks).toBe(written.length);

    const got = await cache.getDays(SOURCE, ['2026-10-01']);
    expect(got.get('2026-10-01')).toEqual(big);
  });

  it('writes the extra chunks of a day before the item that counts them', async () => {
    fakeTable();
    const big = Array.from({ length: 3000 }, (_, i) => record(i));
    await ledger().putDays(SOURCE, new Map([['2026-10-01', big]]));
    const order = batchWrites().flatMap((b) => b.map((r) => r.PutRequest?.Item?.sk));
    expect(order.at(-1)).toBe('DAY#2026-10-01');
    expect(order.slice(0, -1).every((sk) => String(sk).startsWith('DAY#2026-10-01#'))).toBe(true);
  });

  it('reads a day whose chunks come from two different writes as not cached', async () => {
    const items = fakeTable();
    const cache = ledger();
    const big = Array.from({ length: 3000 }, (_, i) => record(i));
    await cache.putDays(SOURCE, new Map([['2026-10-01', big]]));
    const extra = items.get(`${ledgerKeys.costDay(SOURCE, '2026-10-01', 1).pk}\u0000DAY#2026-10-01#1`);
    if (!extra) throw new Error('expected a second chunk');
    extra.writeId = 'another-write';
    expect((await cache.getDays(SOURCE, ['2026-10-01'])).size).toBe(0);
  });

  it('asks again for unprocessed keys until every day is read', async () => {
    const items = fakeTable();
    const cache = ledger();
    await cache.putDays(
      SOURCE,
      new Map([
        ['2026-10-01', [record(1)]],
        ['2026-10-02', [record(2)]],
      ]),
    );
    const second = ledgerKeys.costDay(SOURCE, '2026-10-02');
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [items.get(`${second.pk}\u0000DAY#2026-10-01`) as Item] },
        UnprocessedKeys: { [TABLE]: { Keys: [second] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [items.get(`${second.pk}\u0000${second.sk}`) as Item] } });
    const got = await cache.getDays(SOURCE, ['2026-10-01', '2026-10-02']);
    expect([...got.keys()]).toEqual(['2026-10-01', '2026-10-02']);
    expect(ddb).toReceiveCommandTimes(BatchGetCommand, 2);
    expect(ddb).toReceiveNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: [second], ConsistentRead: true } },
    });
    expect(sleeps).toHaveLength(1);
  });

  it('does not destroy a client it was given', async () => {
    const destroy = vi.spyOn(client, 'destroy');
    await ledger().close();
    expect(destroy).not.toHaveBeenCalled();
    destroy.mockRestore();
  });
});

describe('DynamoDbLedger inventory days', () => {
  it("keeps each day's variants in one item per endpoint and day, and reads a range of days back", async () => {
    const items = fakeTable();
    await ledger().commit(
      cycle({
        inventory: [
          variantDay('2026-10-07', 'ml.g5.2xlarge'),
          variantDay('2026-10-07', 'ml.g5.xlarge', 'canary'),
        ],
      }),
    );
    await ledger().commit(cycle({ inventory: [variantDay('2026-10-08', 'ml.g5.xlarge')] }));
    expect(items.get('ENDPOINT#search-prod\u0000INVENTORY#2026-10-07')).toEqual({
      pk: 'ENDPOINT#search-prod',
      sk: 'INVENTORY#2026-10-07',
      endpoint: 'search-prod',
      day: '2026-10-07',
      variants: [
        { variant: 'primary', instanceType: 'ml.g5.2xlarge', count: 2 },
        { variant: 'canary', instanceType: 'ml.g5.xlarge', count: 2 },
      ],
    });
    expect(await ledger().inventory('search-prod', '2026-10-07', '2026-10-09')).toEqual([
      variantDay('2026-10-07', 'ml.g5.2xlarge'),
      variantDay('2026-10-07', 'ml.g5.xlarge', 'canary'),
      variantDay('2026-10-08', 'ml.g5.xlarge'),
    ]);
    expect(await ledger().inventory('search-prod', '2026-10-08', '2026-10-08')).toEqual([]);
  });
});
