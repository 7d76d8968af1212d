/**
 * The alert step of a cycle, the same for the CLI and the notify Lambda: plan the cycle's alerts against what the
 * ledger recorded earlier in the period, record them (only the first recorder of a state sends it), send them on
 * every channel, and forget again those that no channel delivered, so that the next cycle sends them instead of
 * counting them as sent.
 */
import { type AlertLinks, type AlertMessage, alertMessages } from './core/alert-text.ts';
import { freshAlerts, planAlerts } from './core/alerts.ts';
import type { CycleResult } from './core/evaluate.ts';
import type { CycleRecords } from './core/ledger-records.ts';
import type { Delivery, Ledger, Notifier } from './ports.ts';

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
  const previous = ledger ? await ledger.alerts(result.period.start) : [];
  const plan = planAlerts(result, previous, opts.now.toISOString());
  const alerts = ledger
    ? freshAlerts(plan, await ledger.commit({ ...opts.records, alerts: plan.records }))
    : plan.alerts;
  const messages = alertMessages(alerts, opts.links);
  const deliveries: Delivery[] = [];
  for (const n of opts.notifiers) deliveries.push(...(await n.notify(messages)));

  // an alert that went out on no channel it was tried on is not sent: the ledger forgets it
  const tried = new Map<string, boolean>();
  for (const d of deliveries) {
    const id = `${d.key}\u0000${d.state}`;
    tried.set(id, (tried.get(id) ?? false) || d.status === 'sent');
  }
  const lost = alerts.filter((a) => tried.get(`${a.key}\u0000${a.state}`) === false);
  if (ledger && lost.length > 0) {
    await ledger.forget(lost.map((a) => ({ period: result.period.start, key: a.key, state: a.state })));
  }
  return {
    alerts: messages,
    unchanged: plan.unchanged + plan.alerts.length - alerts.length,
    deliveries,
    undelivered: lost.length,
  };
}
