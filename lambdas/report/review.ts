/**
 * The post-incident review skeleton of one budget: the timeline of its alerts (opened, escalated, resolved) as the
 * ledger recorded them, the exceptions seen, and the sections people fill in. Pure: the caller reads the ledger.
 */
import { decodeState, parseAlertKey } from '../core/ledger-state.ts';
import { alertedKind } from '../core/limits/index.ts';
import { endpointWhat } from '../core/limits/limit.ts';
import type { ActionRecord, ApprovalRecord } from '../core/plan/types.ts';
import type { AlertRecord, ExceptionSeen } from '../ports.ts';
import { describeChange } from './actions.ts';

export interface ReviewInput {
  readonly budget: string;
  /** The billing period reviewed (its first day); the others are left out. */
  readonly period: string;
  /** Every alert record of the budget in that period. */
  readonly alerts: readonly AlertRecord[];
  readonly exceptions: readonly (ExceptionSeen & {
    readonly firstSeen?: string;
    readonly lastSeen?: string;
  })[];
  /** The budget's scaling actions of the period that went past a plan (decided, applied, rolled back, expired). */
  readonly actions?: readonly ActionRecord[];
  /** The audit trail of the period's approvals, rejections and refusals about the budget's actions. */
  readonly approvals?: readonly ApprovalRecord[];
  /** Owner, tier and mode from the budget file, when it was given. */
  readonly owner?: string;
  readonly tier?: string;
  readonly mode?: string;
  /** When the skeleton was made (ISO), and from which ledger. */
  readonly generatedAt: string;
  readonly source: string;
}

export interface TimelineEntry {
  readonly at: string;
  /** The day the cycle judged, when recorded. */
  readonly asOf: string | null;
  readonly event: 'opened' | 'escalated' | 'resolved' | 'recorded';
  readonly what: string;
  readonly severity: string;
  readonly crossing: number | null;
  readonly summary: string;
}

/** What an alert key names, as people read it: "p99 latency: embed-prod", "spend (forecast)". */
function whatOf(key: string): string {
  const { kind, subject } = parseAlertKey(key);
  return alertedKind(kind)?.what(subject) ?? endpointWhat(kind, subject);
}

/** The alert records as events: the first state of a crossing opened it, later ones escalated it. */
export function timeline(alerts: readonly AlertRecord[]): TimelineEntry[] {
  // in the order the cycles judged (a backfill sends late), then as sent
  // records of a channel still owed an alert are bookkeeping, not events
  const sorted = [...alerts]
    .filter((a) => decodeState(a.state)?.kind !== 'owed')
    .sort(
      (a, b) =>
        (a.asOf ?? a.sentAt).localeCompare(b.asOf ?? b.sentAt) ||
        a.sentAt.localeCompare(b.sentAt) ||
        a.key.localeCompare(b.key) ||
        a.state.localeCompare(b.state),
    );
  const seen = new Set<string>();
  return sorted.map((a) => {
    const s = decodeState(a.state);
    const crossing = s?.kind === 'open' || s?.kind === 'resolved' ? s.crossing : null;
    const id = `${a.key}#${crossing}`;
    let event: TimelineEntry['event'] = 'recorded';
    if (s?.kind === 'resolved') event = 'resolved';
    else if (s?.kind === 'open') event = seen.has(id) ? 'escalated' : 'opened';
    seen.add(id);
    return {
      at: a.sentAt,
      asOf: a.asOf ?? null,
      event,
      what: whatOf(a.key),
      severity: s?.kind === 'open' ? s.severity : s?.kind === 'resolved' ? '—' : a.state,
      crossing,
      summary: a.summary ?? '',
    };
  });
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');

export function renderReview(input: ReviewInput): string {
  const events = timeline(input.alerts);
  const first = events[0];
  const last = events.at(-1);
  const open = new Map<string, TimelineEntry>();
  for (const e of events) {
    const id = `${e.what}#${e.crossing}`;
    if (e.event === 'resolved') open.delete(id);
    else open.set(id, e);
  }
  const lines: string[] = [
    `# Post-incident review: ${input.budget}, period from ${input.period}`,
    '',
    `Draft made by perf-budgets on ${when(input.generatedAt)} from ${input.source}. The timeline is the ledger's; the sections marked _To fill in_ are yours.`,
    '',
    '## Budget',
    '',
    `- Budget: ${input.budget}${input.tier ? ` (${input.tier}${input.mode ? `, ${input.mode} mode` : ''})` : ''}`,
    ...(input.owner ? [`- Owner: ${input.owner}`] : []),
    `- Period: from ${input.period}`,
    `- Alerts recorded: ${events.length}${first && last ? `, from ${when(first.at)} to ${when(last.at)}` : ''}`,
    `- Still open at the last cycle: ${open.size === 0 ? 'none' : [...open.values()].map((e) => e.what).join(', ')}`,
    '',
    '## Summary',
    '',
    '_To fill in: what happened, its cost in dollars and in latency, who was affected, how it was detected._',
    '',
    '## Timeline',
    '',
  ];
  if (events.length === 0) {
    lines.push('No alert of this budget is recorded in the ledger for this period.', '');
  } else {
    lines.push(
      '| As of | Sent | Event | What | Severity | Crossing | Alert |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const e of events) {
      lines.push(
        `| ${e.asOf ?? '—'} | ${when(e.at)} | ${e.event} | ${cell(e.what)} | ${e.severity} | ${e.crossing ?? '—'} | ${cell(e.summary) || '—'} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Exceptions', '');
  if (input.exceptions.length === 0) lines.push('None seen by the ledger.', '');
  else {
    for (const x of input.exceptions) {
      lines.push(
        `- ${x.reason} (approved by ${x.approvedBy}, expires ${x.expires}${x.firstSeen ? `; in the budget file from ${x.firstSeen} to ${x.lastSeen}` : ''})`,
      );
    }
    lines.push('');
  }
  lines.push('## Actions', '');
  const acted = input.actions ?? [];
  if (acted.length === 0)
    lines.push(
      'No scaling change of this budget was approved, rejected, applied or rolled back in this period; the alerts above name the recommended ones.',
      '',
    );
  else {
    lines.push('| Action | Status | Endpoint | Change | History |', '|---|---|---|---|---|');
    for (const a of acted) {
      const history = a.history
        .filter((e) => e.status !== 'recommended')
        .map((e) => `${e.status} ${when(e.at)}${e.by ? ` by ${e.by}` : ''}`)
        .join('; ');
      lines.push(
        `| ${a.id} | ${a.status} | ${cell(a.resource.endpoint)} | ${cell(`${a.kind}: ${describeChange(a.before, a.after)}`)} | ${cell(history)} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Approvals and refusals', '');
  const audit = input.approvals ?? [];
  if (audit.length === 0) lines.push('None recorded in the ledger for this budget in this period.', '');
  else {
    lines.push('| When | Who | Via | Outcome | Action | Detail |', '|---|---|---|---|---|---|');
    for (const r of audit) {
      const outcome = r.reason ? `${r.outcome} (${r.reason})` : r.outcome;
      lines.push(
        `| ${when(r.at)} | ${cell(r.by)} | ${r.via} | ${outcome} | ${r.actionId ?? '—'} | ${cell(r.detail)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '_To fill in: what was done, by whom, when, and what it saved._',
    '',
    '## Root cause',
    '',
    '_To fill in: the cause split of the alerts (traffic, idle capacity, instance change, price, new endpoint) is the starting point._',
    '',
    '## What went well, what did not',
    '',
    '_To fill in._',
    '',
    '## Follow-ups',
    '',
    '- [ ] _To fill in: owner, action, date._',
    '',
  );
  return lines.join('\n');
}
