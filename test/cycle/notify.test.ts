import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../lambdas/core/alert-text.ts';
import { evaluateCycle } from '../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { type CycleRecords, cycleRecords } from '../../lambdas/core/ledger-records.ts';
import { alertStep } from '../../lambdas/cycle/notify.ts';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import type { Delivery, Notifier } from '../../lambdas/ports.ts';
import { demoSnapshot } from '../helpers/demo.ts';

/** A channel that records what it was given and answers as scripted (sent unless `failing` says otherwise). */
class FakeChannel implements Notifier {
  readonly received: AlertMessage[][] = [];
  failing = false;
  constructor(readonly channel: string) {}
  async notify(messages: readonly AlertMessage[]): Promise<readonly Delivery[]> {
    this.received.push([...messages]);
    return messages.map((m) => ({
      channel: this.channel,
      key: m.alert.key,
      state: m.alert.state,
      status: this.failing ? 'failed' : 'sent',
      ...(this.failing ? { detail: 'HTTP 503' } : {}),
    }));
  }
}

let result: CycleResult;
let records: CycleRecords;

beforeAll(async () => {
  const { file, snapshot } = await demoSnapshot();
  const evaluation = evaluateCycle(snapshot, file);
  result = evaluation.result;
  records = cycleRecords(evaluation, file);
});

const ids = (ms: readonly AlertMessage[]) => ms.map((m) => `${m.alert.key} ${m.alert.state}`).sort();

describe('alertStep', () => {
  it('sends an alert that reached one channel but not another to that channel alone, next cycle', async () => {
    const ledger = new SqliteLedger(join(mkdtempSync(join(tmpdir(), 'pb-alerting-')), 'ledger.db'));
    const sns = new FakeChannel('sns');
    const slack = new FakeChannel('slack');
    const step = (r: CycleResult = result) =>
      alertStep({
        result: r,
        records,
        ledger,
        notifiers: [sns, slack],
        now: new Date('2026-10-16T06:00:00Z'),
      });
    try {
      slack.failing = true;
      const first = await step();
      expect(first.alerts.length).toBeGreaterThan(0);
      expect(first.undelivered).toBe(0);
      expect(first.deliveries.filter((d) => d.channel === 'slack').every((d) => d.status === 'failed')).toBe(
        true,
      );

      slack.failing = false;
      const second = await step();
      expect(second.alerts).toEqual([]);
      // SNS had them: nothing new to it; Slack gets exactly what it missed, as it was
      expect(sns.received.at(-1)).toEqual([]);
      const resent = slack.received.slice(2).flat();
      expect(ids(resent)).toEqual(ids(first.alerts));
      expect(resent.map((m) => m.text.plain).sort()).toEqual(first.alerts.map((m) => m.text.plain).sort());
      expect(second.deliveries.every((d) => d.channel === 'slack' && d.status === 'sent')).toBe(true);

      // owed no more: a third cycle sends nothing anywhere
      const before = slack.received.length;
      const third = await step();
      expect(third.deliveries).toEqual([]);
      expect(slack.received.slice(before).flat()).toEqual([]);
      // the ledger's alert states are the plan's own: the bookkeeping is gone
      expect((await ledger.alerts(result.period.start)).some((a) => a.state.includes('>'))).toBe(false);
    } finally {
      await ledger.close();
    }
  });

  it('owes nothing for an alert that moved on before the channel came back', async () => {
    const ledger = new SqliteLedger(join(mkdtempSync(join(tmpdir(), 'pb-alerting-')), 'ledger.db'));
    const sns = new FakeChannel('sns');
    const slack = new FakeChannel('slack');
    try {
      slack.failing = true;
      await alertStep({
        result,
        records,
        ledger,
        notifiers: [sns, slack],
        now: new Date('2026-10-16T06:00:00Z'),
      });
      // the next cycle finds embed-prod's latency back within its ceiling
      const recovered: CycleResult = {
        ...result,
        budgets: result.budgets.map((b) =>
          b.name === 'embed-prod' ? { ...b, findings: b.findings.filter((f) => f.kind !== 'latency') } : b,
        ),
      };
      slack.failing = false;
      const next = await alertStep({
        result: recovered,
        records,
        ledger,
        notifiers: [sns, slack],
        now: new Date('2026-10-17T06:00:00Z'),
      });
      // the recovery goes to both channels; the stale breach is not redelivered to Slack
      expect(next.alerts.map((m) => `${m.alert.transition} ${m.alert.key}`)).toEqual([
        'resolved latency|embed-prod|embed-prod',
      ]);
      const toSlack = slack.received.slice(1).flat();
      expect(
        toSlack.filter((m) => m.alert.key === 'latency|embed-prod|embed-prod').map((m) => m.alert.transition),
      ).toEqual(['resolved']);
      expect((await ledger.alerts(result.period.start)).some((a) => a.state.includes('>'))).toBe(false);
    } finally {
      await ledger.close();
    }
  });

  it('delivers next cycle, once on each channel, what a step that died after recording never sent', async () => {
    const ledger = new SqliteLedger(join(mkdtempSync(join(tmpdir(), 'pb-alerting-')), 'ledger.db'));
    const sns = new FakeChannel('sns');
    const slack = new FakeChannel('slack');
    const step = (notifiers: Notifier[]) =>
      alertStep({ result, records, ledger, notifiers, now: new Date('2026-10-16T06:00:00Z') });
    try {
      // the process dies in the first channel: the alerts are recorded, and nothing was delivered
      const dying: Notifier = { channel: 'sns', notify: () => Promise.reject(new Error('Task timed out')) };
      await expect(step([dying, slack])).rejects.toThrow('Task timed out');
      expect(slack.received).toEqual([]);
      const planned = (await ledger.alerts(result.period.start)).filter((a) => !a.state.includes('>'));
      expect(planned.length).toBeGreaterThan(0);

      const next = await step([sns, slack]);
      expect(next.alerts).toEqual([]);
      const ids = (c: FakeChannel) =>
        c.received
          .flat()
          .map((m) => `${m.alert.key} ${m.alert.state}`)
          .sort();
      const recorded = planned.map((a) => `${a.key} ${a.state}`).sort();
      expect(ids(sns)).toEqual(recorded);
      expect(ids(slack)).toEqual(recorded);
      expect((await ledger.alerts(result.period.start)).some((a) => a.state.includes('>'))).toBe(false);
    } finally {
      await ledger.close();
    }
  });

  it('delivers a recovery notice that a dying step recorded, while the alert stays recovered', async () => {
    const ledger = new SqliteLedger(join(mkdtempSync(join(tmpdir(), 'pb-alerting-')), 'ledger.db'));
    const sns = new FakeChannel('sns');
    const dying: Notifier = { channel: 'sns', notify: () => Promise.reject(new Error('Task timed out')) };
    const recovered: CycleResult = {
      ...result,
      budgets: result.budgets.map((b) =>
        b.name === 'embed-prod' ? { ...b, findings: b.findings.filter((f) => f.kind !== 'latency') } : b,
      ),
    };
    const step = (r: CycleResult, n: Notifier, day: string) =>
      alertStep({ result: r, records, ledger, notifiers: [n], now: new Date(`${day}T06:00:00Z`) });
    try {
      await step(result, sns, '2026-10-16');
      await expect(step(recovered, dying, '2026-10-17')).rejects.toThrow('Task timed out');
      const before = sns.received.length;
      const next = await step(recovered, sns, '2026-10-18');
      expect(next.alerts).toEqual([]);
      expect(
        sns.received
          .slice(before)
          .flat()
          .map((m) => `${m.alert.transition} ${m.alert.key} ${m.alert.state}`),
      ).toEqual(['resolved latency|embed-prod|embed-prod resolved#1']);
      expect((await ledger.alerts(result.period.start)).some((a) => a.state.includes('>'))).toBe(false);
    } finally {
      await ledger.close();
    }
  });
});
