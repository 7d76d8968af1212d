/**
 * The alert step of a cycle, the same for the CLI and the notify Lambda: plan the cycle's alerts against what the
 * ledger recorded earlier in the period, record them (only the first recorder of a state sends it) each with a
 * delivery pending per channel, send them, and settle: a channel that delivered owes the alert no more; an alert no
 * channel delivered is forgotten, so that the next cycle plans it again; one that reached some channels but not
 * others stays owed to those, which the next cycle sends it to alone while it still stands as it was. A step that
 * dies between recording and delivering leaves every delivery pending: the next cycle makes them. Alerts are
 * delivered at least once, and never dropped without a trace in the ledger.
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
  const channels = opts.notifiers.map((n) => n.channel);
  const owed = (a: Alert, channel: string): Redelivery => ({
    key: a.key,
    state: a.state,
    channel,
    transition: a.transition,
  });
  const record = (r: Redelivery) => ({ period, key: r.key, state: redeliveryState(r) });

  // each alert is recorded with a delivery pending per channel, in one write: a step that dies before it has
  // delivered leaves them to the next cycle, which delivers them (at least once, never silently dropped)
  const planned = new Map(plan.alerts.map((a) => [idOf(a), a]));
  const recorded = plan.records.map((r) => {
    const a = planned.get(idOf(r));
    return a ? { ...r, pending: channels.map((c) => redeliveryState(owed(a, c))) } : r;
  });
  const alerts = ledger
    ? freshAlerts(plan, await ledger.commit({ ...opts.records, alerts: recorded }))
    : plan.alerts;
  const messages = alertMessages(alerts, opts.links);
  const deliveries: Delivery[] = [];
  for (const n of opts.notifiers) deliveries.push(...(await n.notify(messages)));

  // what each alert became on each channel it was tried on: channel -> sent
  const outcome = new Map<string, Map<string, boolean>>();
  for (const d of deliveries) {
    const byChannel = outcome.get(idOf(d)) ?? new Map<string, boolean>();
    byChannel.set(d.channel, (byChannel.get(d.channel) ?? false) || d.status === 'sent');
    outcome.set(idOf(d), byChannel);
  }
  const forget: { period: string; key: string; state: string }[] = [];
  let lost = 0;
  for (const a of alerts) {
    const byChannel = [...(outcome.get(idOf(a)) ?? [])];
    const delivered = byChannel.filter(([, sent]) => sent).map(([channel]) => channel);
    // a channel that delivered owes it no more; one that failed still does, and the next cycle sends it there
    for (const channel of delivered) forget.push(record(owed(a, channel)));
    if (channels.length > 0 && delivered.length === 0) {
      // no channel had it: the ledger forgets it, and the next cycle plans it afresh
      lost++;
      forget.push({ period, key: a.key, state: a.state }, ...channels.map((c) => record(owed(a, c))));
    }
  }

  // the deliveries owed since earlier cycles, to their channel alone, while the alert still stands as it was
  for (const r of redeliveries(previous)) {
    const channel = opts.notifiers.find((n) => n.channel === r.channel);
    const alert = channel ? redeliveredAlert(result, r, previous) : undefined;
    const out = alert && channel ? await channel.notify(alertMessages([alert], opts.links)) : [];
    deliveries.push(...out);
    if (!alert || out.some((d) => d.status === 'sent')) forget.push(record(r));
  }

  if (ledger && forget.length > 0) await ledger.forget(forget);
  return {
    alerts: messages,
    unchanged: plan.unchanged + plan.alerts.length - alerts.length,
    deliveries,
    undelivered: lost,
  };
}

function idOf(x: { readonly key: string; readonly state: string }): string {
  return `${x.key}\u0000${x.state}`;
}
