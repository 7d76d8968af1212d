/**
 * The alert step of a cycle, the same for the CLI and the notify Lambda: plan the cycle's alerts against what the
 * ledger recorded earlier in the period, record them (only the first recorder of a state sends it), send them on
 * every channel, and forget again those that no channel delivered, so that the next cycle sends them instead of
 * counting them as sent. An alert that reached some channels but not others is owed to the others: the next cycle
 * sends it to them alone, while it still stands as it was.
 */
import { type AlertLinks, type AlertMessage, alertMessages } from '../core/alert-text.ts';
import {
  type Alert,
  freshAlerts,
  planAlerts,
  type Redelivery,
  redeliveredAlert,
  redeliveries,
  redeliveryState,
} from '../core/alerts.ts';
import type { CycleResult } from '../core/evaluate/types.ts';
import type { CycleRecords } from '../core/ledger-records.ts';
import type { Delivery, Ledger, Notifier } from '../ports.ts';

export interface AlertStepOutput {
  /** The alerts this cycle opened, escalated or resolved, with their words. */
  readonly alerts: readonly AlertMessage[];
  /** Alerts still open in a state already sent (or sent by a cycle racing this one). */
  readonly unchanged: number;
  readonly deliveries: readonly Delivery[];
  /** Alerts no channel delivered, forgotten by the ledger: the next cycle sends them again. */
  readonly undelivered: number;
}

export async function alertStep(opts: {
  readonly result: CycleResult;
  readonly records: CycleRecords;
  /** Without a ledger (a stateless local run) every alert of the cycle counts as new. */
  readonly ledger?: Ledger;
  readonly notifiers: readonly Notifier[];
  readonly links?: AlertLinks;
  readonly now: Date;
}): Promise<AlertStepOutput> {
  const { result, ledger } = opts;
  const period = result.period.start;
  const sentAt = opts.now.toISOString();
  const previous = ledger ? await ledger.alerts(period) : [];
  const plan = planAlerts(result, previous, sentAt);
  const alerts = ledger
    ? freshAlerts(plan, await ledger.commit({ ...opts.records, alerts: plan.records }))
    : plan.alerts;
  const messages = alertMessages(alerts, opts.links);
  const deliveries: Delivery[] = [];
  for (const n of opts.notifiers) deliveries.push(...(await n.notify(messages)));

  // what each alert became on each channel it was tried on: channel -> sent
  const outcome = new Map<string, Map<string, boolean>>();
  const idOf = (x: { key: string; state: string }) => `${x.key}\u0000${x.state}`;
  for (const d of deliveries) {
    const byChannel = outcome.get(idOf(d)) ?? new Map<string, boolean>();
    byChannel.set(d.channel, (byChannel.get(d.channel) ?? false) || d.status === 'sent');
    outcome.set(idOf(d), byChannel);
  }
  const lost: Alert[] = [];
  const owed: Redelivery[] = [];
  for (const a of alerts) {
    const byChannel = [...(outcome.get(idOf(a)) ?? [])];
    const failed = byChannel.filter(([, sent]) => !sent).map(([channel]) => channel);
    if (failed.length === 0) continue;
    // no channel had it: the ledger forgets it and the next cycle sends it; some had it: the others are owed it
    if (failed.length === byChannel.length) lost.push(a);
    else
      for (const channel of failed)
        owed.push({ key: a.key, state: a.state, channel, transition: a.transition });
  }

  // the redeliveries owed since earlier cycles, to their channel alone, while the alert still stands as it was
  const settled: Redelivery[] = [];
  for (const r of redeliveries(previous)) {
    const channel = opts.notifiers.find((n) => n.channel === r.channel);
    const alert = channel ? redeliveredAlert(result, r) : undefined;
    if (!channel || !alert) {
      settled.push(r);
      continue;
    }
    const out = await channel.notify(alertMessages([alert], opts.links));
    deliveries.push(...out);
    if (out.some((d) => d.status === 'sent')) settled.push(r);
  }

  if (ledger) {
    const record = (r: Redelivery) => ({ period, key: r.key, state: redeliveryState(r) });
    if (owed.length > 0) {
      await ledger.commit({
        alerts: owed.map((r) => ({ ...record(r), sentAt, asOf: result.asOf })),
        closedDays: [],
        exceptions: [],
        asOf: result.asOf,
      });
    }
    const forget = [...lost.map((a) => ({ period, key: a.key, state: a.state })), ...settled.map(record)];
    if (forget.length > 0) await ledger.forget(forget);
  }
  return {
    alerts: messages,
    unchanged: plan.unchanged + plan.alerts.length - alerts.length,
    deliveries,
    undelivered: lost.length,
  };
}
