/**
 * The approval audit trail of the DynamoDB ledger (the whole key layout is in ledger-dynamodb.ts):
 *
 *   record             pk                      sk                      attributes
 *   approval           APPROVAL#<id>           APPROVAL                id, actionId, at, record
 *   approval, by       ACTION#<actionId>       APPROVAL#<at>#<id>      the same (a copy, beside the action's own
 *     action                                                            item, which has sk ACTION)
 *   approval, by       APPROVALS#<YYYY-MM>     APPROVAL#<at>#<id>      the same (a copy; the month of `at`, UTC)
 *     month
 *   approval month     APPROVALS               MONTH#<YYYY-MM>         month
 *
 * A record and its copies are one transaction, its first item conditioned on `attribute_not_exists(pk)`: of two
 * writers of one id exactly one writes, and the loser writes no copy either. `at` is an ISO instant of fixed width,
 * so the sort keys order a partition's records by time, then id. One record is a strongly consistent GetItem; an
 * action's records are a Query on its partition with `begins_with(sk, 'APPROVAL#')`; records of a time range are a
 * Query per month it covers, bounded by the sort key; all records a Query per month. Which months hold records is
 * itself a Query (on APPROVALS), so that no listing scans and none asks months that hold nothing: the month mark is
 * put before the transaction, so a record is never stored without its month's mark.
 */
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  approvalBounds,
  assertStorableApproval,
  loadApprovalRecord,
  selectApprovals,
} from '../core/plan/approval-record.ts';
import type { ApprovalRecord } from '../core/plan/types.ts';
import type { ApprovalAudit } from '../ports.ts';
import { type Item, type Key, LedgerTable, ledgerKeys } from './dynamodb-table.ts';
import { sourceError } from './errors.ts';

type Filter = NonNullable<Parameters<ApprovalAudit['approvals']>[0]>;

const monthOf = (at: string): string => at.slice(0, 7);

export class DynamoDbApprovals extends LedgerTable implements ApprovalAudit {
  async recordApproval(record: ApprovalRecord): Promise<boolean> {
    assertStorableApproval(record);
    const item = (key: Key): Item => ({
      ...key,
      id: record.id,
      ...(record.actionId !== undefined ? { actionId: record.actionId } : {}),
      at: record.at,
      record: JSON.stringify(record),
    });
    const month = monthOf(record.at);
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { ...ledgerKeys.approvalMonth(month), month } }),
      );
    } catch (err) {
      throw sourceError('ledger', 'dynamodb:PutItem', err);
    }
    const copies = [
      ledgerKeys.monthApproval(month, record),
      ...(record.actionId !== undefined ? [ledgerKeys.actionApproval(record.actionId, record)] : []),
    ];
    return this.transact(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: item(ledgerKeys.approval(record.id)),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...copies.map((key) => ({ Put: { TableName: this.tableName, Item: item(key) } })),
        ],
      }),
    );
  }

  /**
   * By id: one strongly consistent GetItem. By action: one Query on its partition. Otherwise one Query per month
   * that holds records and overlaps the range. Every other condition given is then applied to what was read.
   */
  async approvals(filter: Filter = {}): Promise<readonly ApprovalRecord[]> {
    const { from, to } = approvalBounds(filter);
    if (from !== undefined && to !== undefined && from >= to) return [];
    let items: Item[];
    if (filter.id !== undefined) {
      const one = await this.getItem(ledgerKeys.approval(filter.id));
      items = one ? [one] : [];
    } else if (filter.actionId !== undefined) {
      items = await this.query({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': ledgerKeys.actionApproval(filter.actionId, NONE).pk,
          ':prefix': 'APPROVAL#',
        },
      });
    } else {
      const months = (await this.months()).filter(
        (m) => (from === undefined || m >= monthOf(from)) && (to === undefined || m <= monthOf(to)),
      );
      items = (await Promise.all(months.map((m) => this.month(m, from, to)))).flat();
    }
    return selectApprovals(
      items.map((i) => loadApprovalRecord(JSON.parse(String(i.record)), `ledger ${i.pk} ${i.sk}`)),
      filter,
    );
  }

  private async months(): Promise<string[]> {
    const marks = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': ledgerKeys.approvalMonth('').pk, ':prefix': 'MONTH#' },
    });
    return marks.map((m) => String(m.month));
  }

  /**
   * One month's records, bounded by the sort key where the range starts or ends inside the month. The bounds end in
   * `#`, a prefix of every key of a record made at that instant: `>=` takes those made at `from`, `<` and BETWEEN
   * (whose upper bound is no record's key) leave out those made at `to`.
   */
  private month(month: string, from: string | undefined, to: string | undefined): Promise<Item[]> {
    const sk = (at: string) => ledgerKeys.monthApproval(month, { at, id: '' }).sk;
    const values: Record<string, string> = { ':pk': ledgerKeys.monthApproval(month, NONE).pk };
    let range = '';
    if (from !== undefined) values[':lo'] = sk(from);
    if (to !== undefined) values[':hi'] = sk(to);
    if (from !== undefined && to !== undefined) range = ' AND sk BETWEEN :lo AND :hi';
    else if (from !== undefined) range = ' AND sk >= :lo';
    else if (to !== undefined) range = ' AND sk < :hi';
    return this.query({ KeyConditionExpression: `pk = :pk${range}`, ExpressionAttributeValues: values });
  }
}

/** The key parts of no record: for the partition key of a listing, which does not depend on them. */
const NONE = { at: '', id: '' };
