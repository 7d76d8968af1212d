/**
 * The actions of the DynamoDB ledger (key layout in ledger-dynamodb.ts). An action is three items written in one
 * transaction: the record itself (`ACTION#<id>`, the item every condition is checked on), and a copy in its
 * endpoint's partition and in its status's partition, so that every listing is a Query and none a Scan. A status
 * move deletes the copy under the old status in the same transaction, so the copies never disagree with the record.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { assertStorableAction, loadActionRecord } from '../core/plan/action-record.ts';
import { ACTION_STATUSES, type ActionRecord, type ActionStatus } from '../core/plan/types.ts';
import type { ActionLedger } from '../ports.ts';
import { cmp, type Item, LedgerTable, ledgerKeys } from './dynamodb-table.ts';

type Filter = NonNullable<Parameters<ActionLedger['actions']>[0]>;

export class DynamoDbActions extends LedgerTable implements ActionLedger {
  /**
   * By id: one strongly consistent GetItem. By endpoint: one Query on its partition. Otherwise one Query per status
   * asked for (every status when none is), merged: the table needs no index and is never scanned.
   */
  async actions(filter: Filter = {}): Promise<readonly ActionRecord[]> {
    const { id, endpoint, statuses } = filter;
    let items: Item[];
    if (id !== undefined) items = [await this.getItem(ledgerKeys.action(id))].filter((i) => i !== undefined);
    else if (endpoint !== undefined) items = await this.copies(ledgerKeys.endpointAction(endpoint, NONE).pk);
    else {
      const asked = [...new Set(statuses ?? ACTION_STATUSES)];
      items = (await Promise.all(asked.map((s) => this.copies(ledgerKeys.statusAction(s, NONE).pk)))).flat();
    }
    return items
      .map((i) => loadActionRecord(JSON.parse(String(i.record)), `ledger ${i.pk} ${i.sk}`))
      .filter(
        (r) =>
          (endpoint === undefined || r.resource.endpoint === endpoint) &&
          (statuses === undefined || statuses.includes(r.status)),
      )
      .sort((a, b) => cmp(b.createdAt, a.createdAt) || cmp(b.id, a.id));
  }

  /**
   * One transaction: the record conditioned on the stored status (and on the creation instant and endpoint its
   * copies are keyed by, which never change in an action's life), its two copies, and the removal of the copy
   * under the status it leaves.
   */
  async putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean> {
    assertStorableAction(record);
    const item = (key: { pk: string; sk: string }): Item => ({
      ...key,
      id: record.id,
      endpoint: record.resource.endpoint,
      status: record.status,
      createdAt: record.createdAt,
      record: JSON.stringify(record),
    });
    const put = (key: { pk: string; sk: string }) => ({
      Put: { TableName: this.tableName, Item: item(key) },
    });
    const condition =
      expect === 'absent'
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#status = :expect AND #createdAt = :createdAt AND #endpoint = :endpoint',
            ExpressionAttributeNames: {
              '#status': 'status',
              '#createdAt': 'createdAt',
              '#endpoint': 'endpoint',
            },
            ExpressionAttributeValues: {
              ':expect': expect,
              ':createdAt': record.createdAt,
              ':endpoint': record.resource.endpoint,
            },
          };
    const left =
      expect !== 'absent' && expect !== record.status
        ? [{ Delete: { TableName: this.tableName, Key: ledgerKeys.statusAction(expect, record) } }]
        : [];
    const transaction = new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: this.tableName, Item: item(ledgerKeys.action(record.id)), ...condition } },
        put(ledgerKeys.endpointAction(record.resource.endpoint, record)),
        put(ledgerKeys.statusAction(record.status, record)),
        ...left,
      ],
    });
    return this.transact(transaction);
  }

  private copies(pk: string): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'ACTION#' },
    });
  }
}

/** The key parts of no action: for the partition key of a listing, which does not depend on them. */
const NONE = { createdAt: '', id: '' };
