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
 *   inventory day    ENDPOINT#<name>    INVENTORY#<YYYY-MM-DD>          endpoint, day, variants (name, type, count)
 *   action           ACTION#<id>        ACTION                          id, endpoint, status, createdAt, record
 *   action, by       ENDPOINT#<name>    ACTION#<createdAt>#<id>         the same (a copy)
 *     endpoint
 *   action, by       ACTIONS#<status>   ACTION#<createdAt>#<id>         the same (a copy)
 *     status
 *   approval         APPROVAL#<id>      APPROVAL                        id, actionId, at, record
 *   approval, by     ACTION#<actionId>  APPROVAL#<at>#<id>              the same (a copy)
 *     action
 *   approval, by     APPROVALS#<month>  APPROVAL#<at>#<id>              the same (a copy; month YYYY-MM of at, UTC)
 *     month
 *   approval month   APPROVALS          MONTH#<YYYY-MM>                 month
 *   cost day         COSTS#<source>     DAY#<YYYY-MM-DD>                source, day, chunks, writeId, records
 *   cost day, more   COSTS#<source>     DAY#<YYYY-MM-DD>#<n>            writeId, records   (n = 1 .. chunks-1)
 *
 * Access patterns: the alerts of a period are one Query on PERIOD#; a budget's closed days are one Query on BUDGET#
 * with `sk BETWEEN DAY#from AND DAY#to` (exceptions sort after DAY# and never fall in the range); cost days are
 * BatchGets by key. An action's `record` is its whole ActionRecord as JSON text, checked field by field when read;
 * `createdAt` is an ISO instant of fixed width, so the sort keys order an endpoint's or a status's actions by
 * creation, then id. One action is a GetItem on ACTION#; an endpoint's actions are a Query on ENDPOINT# with
 * `begins_with(sk, 'ACTION#')` (inventory days sort apart under INVENTORY#); the actions of some statuses are a
 * Query per status on ACTIONS#, every action a Query on each status's. An approval (the audit trail: every
 * decision and refusal) is a GetItem on APPROVAL#; an action's approvals are a Query on its ACTION# partition with
 * `begins_with(sk, 'APPROVAL#')` (the action's own item has sk ACTION); the approvals of a time range are a Query
 * per month on APPROVALS#, the months that hold any being a Query on APPROVALS (ledger-approvals-dynamodb.ts).
 * The table needs no index and nothing scans it. The CDK stack creates it (on-demand billing, point-in-time recovery,
 * encryption); this class only reads and writes items.
 *
 * Alerts are written with `attribute_not_exists(pk)`, so two cycles running at once cannot both record, and
 * therefore both send, the same alert: the loser gets ConditionalCheckFailedException, which here means "already
 * recorded", not an error. An alert still to be delivered is written in one transaction with a record per channel
 * that owes it (an alert item of its own, state `<state>><channel>><transition>`), so that no alert is ever recorded
 * without what tells the next cycle to deliver it.
 *
 * An action moves with one transaction (ledger-actions-dynamodb.ts): the ACTION# item conditioned on the status the
 * writer expects (`attribute_not_exists(pk)` for a new one), its two copies, and the delete of the copy under the
 * status it leaves; of two writers at once, exactly one moves it. An approval is recorded the same way: the
 * APPROVAL# item conditioned on `attribute_not_exists(pk)` with its copies, so one id is recorded once.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AwsAccessError } from '../core/errors.ts';
import type { ActionRecord, ActionStatus, ApprovalRecord } from '../core/plan/types.ts';
import type {
  ActionLedger,
  AlertRecord,
  ApprovalAudit,
  DailySpend,
  ExceptionSeen,
  InventoryDay,
  Ledger,
} from '../ports.ts';
import { mapLimit } from './concurrency.ts';
import { DynamoDbCostDays } from './cost-days-dynamodb.ts';
import {
  cmp,
  type DynamoDbLedgerOptions,
  type Item,
  isConditionalCheckFailed,
  ledgerKeys,
} from './dynamodb-table.ts';
import { sourceError } from './errors.ts';
import { DynamoDbActions } from './ledger-actions-dynamodb.ts';
import { DynamoDbApprovals } from './ledger-approvals-dynamodb.ts';

export type { DynamoDbLedgerOptions } from './dynamodb-table.ts';
export { ledgerKeys } from './dynamodb-table.ts';

const ALERT_WRITE_CONCURRENCY = 16;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A transaction cancelled because its first item, the alert, was recorded before: "already recorded". */
function isAlertConditionCancelled(err: unknown): boolean {
  const e = err as { name?: unknown; CancellationReasons?: { Code?: string }[] } | null;
  return (
    e?.name === 'TransactionCanceledException' &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
  );
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

/**
 * The ledger in DynamoDB: alerts, closed days, exceptions seen, inventory days, cached cost days, actions and
 * approvals, in one table.
 */
export class DynamoDbLedger extends DynamoDbCostDays implements Ledger {
  private readonly actionItems: DynamoDbActions;
  private readonly approvalItems: DynamoDbApprovals;

  constructor(tableName: string, options: DynamoDbLedgerOptions = {}) {
    super(tableName, options);
    this.actionItems = new DynamoDbActions(tableName, { ...options, client: this.client });
    this.approvalItems = new DynamoDbApprovals(tableName, { ...options, client: this.client });
  }

  actions(filter?: Parameters<ActionLedger['actions']>[0]): Promise<readonly ActionRecord[]> {
    return this.actionItems.actions(filter);
  }

  putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean> {
    return this.actionItems.putAction(record, expect);
  }

  recordApproval(record: ApprovalRecord): Promise<boolean> {
    return this.approvalItems.recordApproval(record);
  }

  approvals(filter?: Parameters<ApprovalAudit['approvals']>[0]): Promise<readonly ApprovalRecord[]> {
    return this.approvalItems.approvals(filter);
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
    readonly inventory?: readonly InventoryDay[];
    readonly asOf: string;
  }): Promise<readonly AlertRecord[]> {
    validateCycle(cycle);
    await this.writeClosedDays(cycle.closedDays);
    await this.writeInventory(cycle.inventory ?? []);
    for (const x of cycle.exceptions) await this.recordException(x, cycle.asOf);
    return this.recordAlerts(cycle.alerts);
  }

  async dailySpend(budget: string, from: string, to: string): Promise<readonly DailySpend[]> {
    if (from >= to) return [];
    const items = await this.days((day) => ledgerKeys.closedDay(budget, day), from, to);
    return items.map((i) => ({ budget: String(i.budget), day: String(i.day), amount: String(i.amount) }));
  }

  async inventory(endpoint: string, from: string, to: string): Promise<readonly InventoryDay[]> {
    if (from >= to) return [];
    const items = await this.days((day) => ledgerKeys.inventoryDay(endpoint, day), from, to);
    return items.flatMap((i) =>
      (i.variants as { variant: string; instanceType: string; count: number }[]).map((v) => ({
        day: String(i.day),
        endpoint: String(i.endpoint),
        variant: String(v.variant),
        instanceType: String(v.instanceType),
        count: Number(v.count),
      })),
    );
  }

  /** The items of one partition whose day is from `from` to `to` (exclusive), by their day-sorted keys. */
  private async days(
    key: (day: string) => { pk: string; sk: string },
    from: string,
    to: string,
  ): Promise<Item[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': key(from).pk, ':from': key(from).sk, ':to': key(to).sk },
    });
    return items.filter((i) => String(i.day) < to);
  }

  /** One item per endpoint and day holding every variant: a day read again replaces the whole day. */
  private async writeInventory(days: readonly InventoryDay[]): Promise<void> {
    const byKey = new Map<
      string,
      { endpoint: string; day: string; variants: Omit<InventoryDay, 'day' | 'endpoint'>[] }
    >();
    for (const d of days) {
      const key = `${d.endpoint}\u0000${d.day}`;
      const item = byKey.get(key) ?? { endpoint: d.endpoint, day: d.day, variants: [] };
      item.variants.push({ variant: d.variant, instanceType: d.instanceType, count: d.count });
      byKey.set(key, item);
    }
    await this.batchWrite(
      [...byKey.values()].map((i) => ({
        PutRequest: { Item: { ...ledgerKeys.inventoryDay(i.endpoint, i.day), ...i } },
      })),
    );
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
}
