/**
 * The words of an alert, built once and used by every channel (SNS subject and body, Slack blocks, the console):
 * a headline with the budget, the number and the date; why, from the cause split in dollars; what to do, with one
 * to three actions, their savings and latency risk; the exceptions in force; links.
 */
import type { Alert } from './alerts.ts';
import { DRIVER_LABELS } from './cause.ts';
import { alertedKind } from './limits/index.ts';
import { fallbackHeadline, pct } from './limits/limit.ts';
import { displayMoney, moneyFromNumber } from './money.ts';
import { addDays } from './period.ts';
import type { AlertTransition, CauseKind, PendingApproval, Risk, Severity } from './types.ts';

export interface AlertLinks {
  /** The billing-cycle report of the period (a presigned S3 URL in AWS, a file path locally). */
  readonly report?: string;
  /** The deployment's CloudWatch dashboard. */
  readonly dashboard?: string;
  /** The README's runbook; a section anchor per alert kind is appended. */
  readonly runbook?: string;
  /** Region for SageMaker console links of endpoints (when the alert names one). */
  readonly consoleRegion?: string;
}

export interface AlertFact {
  readonly label: string;
  readonly value: string;
}

export interface AlertDriver {
  /** "traffic", "idle capacity", "instance-type change", "price", "new endpoint", "other (unexplained)". */
  readonly label: string;
  /** Signed dollars over the period, e.g. "+$2,319.60". */
  readonly amount: string;
}

export interface AlertActionText {
  /** The action in one sentence. */
  readonly text: string;
  /** "saves ~$1,416.31 this period", or "no direct saving". */
  readonly saving: string;
  readonly risk: Risk;
}

export interface AlertLink {
  readonly label: string;
  readonly url: string;
}

export interface AlertText {
  readonly severity: Severity;
  readonly transition: AlertTransition;
  /** One line, no line breaks: what crossed, the number and the date. */
  readonly headline: string;
  /** Budget, tier and mode, period, the observed value against its limit, the crossing date, the endpoint. */
  readonly facts: readonly AlertFact[];
  /** Why, in one sentence, and the drivers in dollars, largest first; absent when no cause applies. */
  readonly why?: { readonly summary: string; readonly drivers: readonly AlertDriver[] };
  /** What to do: one to three actions (none on a resolved notice). */
  readonly actions: readonly AlertActionText[];
  /** Exceptions in force for the budget, one sentence each. */
  readonly exceptions: readonly string[];
  readonly links: readonly AlertLink[];
  /** A change waiting for approval: Slack offers Approve and Reject buttons for it, other channels the command. */
  readonly approval?: PendingApproval;
  /** The whole alert as plain text (email body, console, logs). */
  readonly plain: string;
}

export interface AlertMessage {
  readonly alert: Alert;
  readonly text: AlertText;
}

/** At most this many actions are named in an alert (the report lists them all). */
export const MAX_ALERT_ACTIONS = 3;

function money(x: number, currency: string): string {
  return displayMoney(moneyFromNumber(x), currency);
}

function signedMoney(x: number, currency: string): string {
  const m = money(Math.abs(x), currency);
  return x < 0 ? `−${m}` : `+${m}`;
}

function oneLine(s: string): string {
  // \s covers line and paragraph separators; other control characters are dropped
  const printable = [...s.replace(/\s+/g, ' ')].filter((ch) => ch >= ' ' && ch !== '\u007f').join('');
  return printable.replace(/ +/g, ' ').trim();
}

/** The README section of the alert's runbook (a heading "Runbook: ..."), as its kind registers it. */
function runbookSection(a: Alert): string | undefined {
  return alertedKind(a.kind)?.runbook;
}

function subjectOf(a: Alert): string {
  return a.endpoint && a.endpoint !== a.budget ? `${a.budget}/${a.endpoint}` : a.budget;
}

function headlineOf(a: Alert): string {
  if (a.transition === 'resolved') return oneLine(a.message.replace(/\.$/, ''));
  const what = alertedKind(a.kind)?.headline(a) ?? fallbackHeadline(a);
  return oneLine(`${subjectOf(a)}: ${what}`);
}

function factsOf(a: Alert): AlertFact[] {
  const c = a.currency;
  const facts: AlertFact[] = [
    { label: 'Budget', value: `${a.budget} (${a.tier}, ${a.mode} mode)` },
    { label: 'Severity', value: `${a.severity}${a.transition === 'opened' ? '' : `, ${a.transition}`}` },
    {
      label: 'Period',
      value: `${a.period.start}..${addDays(a.period.end, -1)}, as of ${a.asOf}`,
    },
  ];
  if (a.endpoint) facts.push({ label: 'Endpoint', value: a.endpoint });
  if (a.spend) {
    const s = a.spend;
    facts.push({ label: 'Spend to date', value: money(s.spendToDate, c) });
    if (s.basis === 'forecast') {
      facts.push({
        label: 'Forecast',
        value: `${money(s.amount, c)}${s.low !== undefined && s.high !== undefined ? ` (${money(s.low, c)}–${money(s.high, c)})` : ''}`,
      });
    }
    facts.push({ label: 'Cap', value: `${money(s.cap, c)} (alert at ${pct(s.fraction)})` });
    if (s.crossesOn) facts.push({ label: 'Crosses the cap on', value: s.crossesOn });
  }
  facts.push({ label: 'Owner', value: a.owner });
  return facts;
}

function whyOf(a: Alert): AlertText['why'] {
  const cause = a.cause;
  if (!cause || a.transition === 'resolved') return undefined;
  const drivers = (Object.entries(cause.parts) as [CauseKind | 'other', number][])
    .filter(([, v]) => Math.abs(v) >= 0.005)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
    .map(([k, v]) => ({ label: DRIVER_LABELS[k], amount: signedMoney(v, a.currency) }));
  return { summary: cause.summary, drivers };
}

function actionsOf(a: Alert): AlertActionText[] {
  if (a.transition === 'resolved') return [];
  return a.actions.slice(0, MAX_ALERT_ACTIONS).map((x) => ({
    text: x.description,
    saving:
      x.estimatedSavings >= 0.005
        ? `saves ~${money(x.estimatedSavings, a.currency)} this period`
        : 'no direct saving',
    risk: x.risk,
  }));
}

function exceptionsOf(a: Alert): string[] {
  return a.exceptions.map(
    (x) =>
      `Exception in force until ${x.expires}: ${x.reason} (approved by ${x.approvedBy}; ${Object.entries(
        x.limits,
      )
        .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(', ')}${x.endpoints ? `; ${x.endpoints.join(', ')}` : ''}).`,
  );
}

function linksOf(a: Alert, links: AlertLinks): AlertLink[] {
  const out: AlertLink[] = [];
  if (links.report) out.push({ label: 'Report', url: links.report });
  if (links.dashboard) out.push({ label: 'Dashboard', url: links.dashboard });
  if (a.endpoint && links.consoleRegion) {
    const r = encodeURIComponent(links.consoleRegion);
    out.push({
      label: 'Endpoint in SageMaker',
      url: `https://${r}.console.aws.amazon.com/sagemaker/home?region=${r}#/endpoints/${encodeURIComponent(a.endpoint)}`,
    });
  }
  if (links.runbook) out.push({ label: 'Runbook', url: `${links.runbook}#${runbookSection(a)}` });
  return out;
}

/**
 * The tag of a subject or a list line: "CRITICAL", "WARNING", "INFO"; "CRITICAL, WORSE" on an escalation;
 * "RESOLVED" on a resolved notice. The headline itself carries no such marker (Slack shows its own).
 */
export function alertTag(text: Pick<AlertText, 'severity' | 'transition'>): string {
  if (text.transition === 'resolved') return 'RESOLVED';
  return `${text.severity.toUpperCase()}${text.transition === 'escalated' ? ', WORSE' : ''}`;
}

/** The words of one alert, for every channel. */
export function alertText(alert: Alert, links: AlertLinks = {}): AlertText {
  const headline = headlineOf(alert);
  const facts = factsOf(alert);
  const why = whyOf(alert);
  const actions = actionsOf(alert);
  const exceptions = exceptionsOf(alert);
  const linkList = linksOf(alert, links);
  const approval = alert.findings.find((f) => f.approval)?.approval;

  const lines = [`[${alertTag(alert)}] ${headline}`, '', alert.message, ''];
  for (const f of facts) lines.push(`${f.label}: ${f.value}`);
  if (why) {
    lines.push('', `Why: ${why.summary}`);
    for (const d of why.drivers) lines.push(`  ${d.amount} ${d.label}`);
  }
  if (actions.length > 0) {
    lines.push('', 'What to do:');
    actions.forEach((x, i) => {
      lines.push(`  ${i + 1}. ${x.text} (${x.saving}; latency risk ${x.risk})`);
    });
  }
  if (exceptions.length > 0) lines.push('', ...exceptions);
  if (approval) {
    lines.push(
      '',
      `Approve: perf-budgets approve ${approval.actionId} --as <you>`,
      `Reject:  perf-budgets reject ${approval.actionId} --as <you>`,
    );
  }
  lines.push('');
  for (const l of linkList) lines.push(`${l.label}: ${l.url}`);
  if (!links.runbook) lines.push(`Runbook: README.md#${runbookSection(alert)}`);

  return {
    severity: alert.severity,
    transition: alert.transition,
    headline,
    facts,
    ...(why ? { why } : {}),
    actions,
    exceptions,
    links: linkList,
    ...(approval ? { approval } : {}),
    plain: `${lines.join('\n').trimEnd()}\n`,
  };
}

/** The words of every alert of a cycle, in order. */
export function alertMessages(alerts: readonly Alert[], links: AlertLinks = {}): AlertMessage[] {
  return alerts.map((alert) => ({ alert, text: alertText(alert, links) }));
}
