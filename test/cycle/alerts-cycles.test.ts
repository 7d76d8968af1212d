import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import { type RunOutput, runCycle } from '../../lambdas/cli/run.ts';
import type { AlertMessage } from '../../lambdas/core/alert-text.ts';
import type { Alert } from '../../lambdas/core/alerts.ts';
import { evaluateCycle } from '../../lambdas/core/evaluate/index.ts';
import { cycleRecords } from '../../lambdas/core/ledger-records.ts';
import { alertStep } from '../../lambdas/cycle/notify.ts';
import type { Delivery, Notifier } from '../../lambdas/ports.ts';
import { DEMO_BUDGETS, DEMO_COSTS, DEMO_METRICS, demoSnapshot } from '../helpers/demo.ts';
import { fakeLedgerTable, type Item } from '../helpers/dynamodb-table.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'perf-budgets-alerts-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Limits {
  spendPerPeriod?: number;
  latencyP99Ms?: number;
}

/**
 * A copy of the demo's budget file with some budgets' limits changed, as an owner raising a cap or a latency
 * ceiling would.
 */
function budgetsWith(changes: Record<string, Limits>): string {
  const doc = parse(readFileSync(DEMO_BUDGETS, 'utf8')) as {
    budgets: { name: string; limits: Limits }[];
  };
  for (const b of doc.budgets) Object.assign(b.limits, changes[b.name] ?? {});
  const path = join(dir, 'budgets-raised.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

/** A notifier that keeps what it was given. */
class Recorder implements Notifier {
  readonly channel = 'test';
  readonly received: AlertMessage[] = [];
  async notify(messages: readonly AlertMessage[]): Promise<readonly Delivery[]> {
    this.received.push(...messages);
    return messages.map((m) => ({ channel: 'test', key: m.alert.key, state: m.alert.state, status: 'sent' }));
  }
}

const summary = (alerts: readonly { alert: Alert }[] | readonly Alert[]) =>
  alerts.map((x) => {
    const a = 'alert' in x ? x.alert : x;
    return `${a.transition} ${a.key} ${a.state}`;
  });

const FIRST_CYCLE = [
  'opened spend|chat-prod|forecast critical@1#1',
  'opened spend|exp-llm-canary|forecast critical@1#1',
  'opened spend|rank-prod|forecast critical@1#1',
  'opened spend|search-prod|forecast critical@1#1',
  'opened utilization-low|chat-prod|chat-prod warning@0#1',
  'opened latency|embed-prod|embed-prod warning@0#1',
  'opened exit-criteria|exp-llm-canary|exp-llm-canary warning@0#1',
  'opened spend|chat-prod|actual info@0.5#1',
  'opened spend|exp-llm-canary|actual info@0.5#1',
  'opened spend|rank-prod|actual info@0.5#1',
  'opened spend|search-prod|actual info@0.5#1',
];

/** On 2026-10-20 embed-prod's latency is critical and two budgets pass 80% of their caps. */
const WORSE_CYCLE = [
  'escalated latency|embed-prod|embed-prod critical@0#1',
  'escalated spend|chat-prod|actual warning@0.8#1',
  'escalated spend|exp-llm-canary|actual warning@0.8#1',
];

/** With chat-prod's cap and embed-prod's latency ceiling raised, their alerts recover. */
const RAISED = { 'chat-prod': { spendPerPeriod: 10_000 }, 'embed-prod': { latencyP99Ms: 200 } };
const RECOVERED_CYCLE = [
  'resolved spend|chat-prod|forecast resolved#1',
  'resolved latency|embed-prod|embed-prod resolved#1',
  'resolved spend|chat-prod|actual resolved#1',
];

describe('alerts across cycles with the SQLite ledger', () => {
  const run = (asOf: string, notifier: Notifier, budgets = DEMO_BUDGETS, hour = 6) =>
    runCycle({
      budgets,
      files: { costs: [DEMO_COSTS], metrics: DEMO_METRICS },
      asOf,
      state: join(dir, 'state'),
      now: new Date(`${asOf}T${String(hour).padStart(2, '0')}:00:00.000Z`),
      notifiers: [notifier],
    });

  it('opens, stays quiet on a rerun, escalates when worse, and resolves on recovery', async () => {
    const n = new Recorder();

    const first = await run('2026-10-15', n);
    expect(summary(first.alerts)).toEqual(FIRST_CYCLE);
    expect(first.unchanged).toBe(0);
    expect(first.deliveries).toHaveLength(11);
    expect(first.deliveries.every((d) => d.status === 'sent')).toBe(true);

    const rerun = await run('2026-10-15', n, undefined, 7);
    expect(rerun.alerts).toEqual([]);
    expect(rerun.deliveries).toEqual([]);
    expect(rerun.unchanged).toBe(11);
    expect(n.received).toHaveLength(11);

    const worse = await run('2026-10-20', n);
    expect(summary(worse.alerts)).toEqual(WORSE_CYCLE);
    expect(worse.unchanged).toBe(8);
    const latency = worse.alerts[0] as AlertMessage;
    expect(latency.alert.crossing).toBe(1);
    expect(latency.text.headline).toMatch(/^embed-prod: ModelLatency p99 [\d.]+ ms, above its 50 ms ceiling/);

    // the same day again: nothing new
    expect((await run('2026-10-20', n, undefined, 8)).alerts).toEqual([]);

    const recovered = await run('2026-10-20', n, budgetsWith(RAISED), 9);
    expect(summary(recovered.alerts)).toEqual(RECOVERED_CYCLE);
    const byKey = new Map(recovered.alerts.map((m) => [m.alert.key, m]));
    expect(byKey.get('latency|embed-prod|embed-prod')?.alert).toMatchObject({
      severity: 'critical',
      endpoint: 'embed-prod',
      message: expect.stringMatching(/^embed-prod is back within its latency limit \(p99 now [\d.]+ ms\)\.$/),
    });
    expect(byKey.get('spend|chat-prod|actual')?.text.headline).toMatch(
      /^chat-prod's spend to date is back under its alert threshold: \$[\d,.]+ of its \$10,000\.00 cap$/,
    );
    expect(byKey.get('spend|chat-prod|actual')?.text.actions).toEqual([]);

    // still recovered: nothing
    expect((await run('2026-10-20', n, budgetsWith(RAISED), 10)).alerts).toEqual([]);

    // the ceiling back as it was: the breach is a new crossing, not a repeat of the first
    const again = await run('2026-10-23', n);
    const latencyAgain = again.alerts.find((m) => m.alert.key === 'latency|embed-prod|embed-prod');
    expect(latencyAgain?.alert).toMatchObject({ transition: 'opened', crossing: 2 });
    expect(latencyAgain?.alert.state).toMatch(/@0#2$/);

    const sent = n.received.map((m) => `${m.alert.key} ${m.alert.state}`);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('closes a forecast alert quietly when actual spend overtakes the cap', async () => {
    const n = new Recorder();
    await run('2026-10-15', n);
    const later: RunOutput = await run('2026-10-25', n);
    const keys = summary(later.alerts);
    expect(keys).toEqual(
      expect.arrayContaining([
        'escalated spend|chat-prod|actual critical@1#1',
        'escalated spend|exp-llm-canary|actual critical@1#1',
        'escalated spend|rank-prod|actual warning@0.8#1',
        'escalated spend|search-prod|actual warning@0.8#1',
        'opened spend|embed-prod|actual info@0.5#1',
        'opened spend|fraud-prod|actual info@0.5#1',
      ]),
    );
    // chat-prod's and exp-llm-canary's forecasts are overtaken by actual spend: no notice
    expect(keys.filter((k) => k.includes('|forecast'))).toEqual([]);
    expect(later.alerts.some((m) => m.alert.transition === 'resolved')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const TABLE = 'perf-budgets-ledger';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

/** The ledger table, in memory behind the client mock. */
class FakeTable {
  items = new Map<string, Item>();

  install(): void {
    ddb.reset();
    this.items = fakeLedgerTable(ddb, TABLE);
  }
}

async function evaluateDemo(asOf: string, budgets = DEMO_BUDGETS) {
  const { file, snapshot } = await demoSnapshot(asOf, budgets);
  const evaluation = evaluateCycle(snapshot, file);
  return { result: evaluation.result, records: cycleRecords(evaluation, file) };
}

/** The notify Lambda's alert step on a cycle's result, against the DynamoDB ledger, with no channel. */
async function notifyRun(cycle: Awaited<ReturnType<typeof evaluateDemo>>, sentAt: string): Promise<Alert[]> {
  const ledger = new DynamoDbLedger(TABLE, { client });
  const step = await alertStep({ ...cycle, ledger, notifiers: [], now: new Date(sentAt) });
  return step.alerts.map((m) => m.alert);
}

describe('alerts across cycles with the DynamoDB ledger', () => {
  let table: FakeTable;

  beforeEach(() => {
    table = new FakeTable();
    table.install();
  });

  it('opens, stays quiet on a rerun, escalates when worse, and resolves on recovery', async () => {
    const oct15 = await evaluateDemo('2026-10-15');
    expect(summary(await notifyRun(oct15, '2026-10-15T06:00:00.000Z'))).toEqual(FIRST_CYCLE);
    expect(await notifyRun(oct15, '2026-10-15T07:00:00.000Z')).toEqual([]);
    expect(
      [...table.items.values()].filter((i) => String(i.sk).startsWith('ALERT#')).map((i) => i.sentAt),
    ).toEqual(Array(11).fill('2026-10-15T06:00:00.000Z'));

    const oct20 = await evaluateDemo('2026-10-20');
    expect(summary(await notifyRun(oct20, '2026-10-20T06:00:00.000Z'))).toEqual(WORSE_CYCLE);
    expect(await notifyRun(oct20, '2026-10-20T07:00:00.000Z')).toEqual([]);

    const recovered = await evaluateDemo('2026-10-20', budgetsWith(RAISED));
    expect(summary(await notifyRun(recovered, '2026-10-20T09:00:00.000Z'))).toEqual(RECOVERED_CYCLE);
    expect(await notifyRun(recovered, '2026-10-20T10:00:00.000Z')).toEqual([]);
  });

  it('lets only one of two concurrent runs send each alert', async () => {
    const oct15 = await evaluateDemo('2026-10-15');
    const [a, b] = await Promise.all([
      notifyRun(oct15, '2026-10-15T06:00:00.000Z'),
      notifyRun(oct15, '2026-10-15T06:00:00.500Z'),
    ]);
    const sent = [...summary(a), ...summary(b)];
    // both planned every alert; each was recorded, and so sent, by one of them only
    expect(sent.sort()).toEqual([...FIRST_CYCLE].sort());
    expect(ddb.commandCalls(PutCommand)).toHaveLength(22);

    // and the escalations of a later cycle too
    const oct20 = await evaluateDemo('2026-10-20');
    const [c, d] = await Promise.all([
      notifyRun(oct20, '2026-10-20T06:00:00.000Z'),
      notifyRun(oct20, '2026-10-20T06:00:00.000Z'),
    ]);
    expect([...summary(c), ...summary(d)].sort()).toEqual([...WORSE_CYCLE].sort());
  });
});
