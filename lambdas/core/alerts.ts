/**
 * Alerts: what of a cycle's findings is worth telling people, once. One alert per budget per threshold crossing
 * per period (actual and forecast spend, from `alertAt`), per endpoint breach (latency, unit cost, error rate,
 * utilisation, instance ceiling, exit criteria) and per incomplete-data source. An alert escalates when it gets
 * worse, sends a resolved notice when it recovers, and sends nothing twice for the same state.
 */
import { globToRegExp } from './budget.ts';
import { primaryOf } from './cause.ts';
import type { BudgetResult, CycleResult, ExceptionResult } from './evaluate/types.ts';
import { alertKey, decodeState, encodeState, parseAlertKey } from './ledger-state.ts';
import { alertedKind, PER_FINDING_ALERTS } from './limits/index.ts';
import type { ResolvedText, SpendAlertFacts } from './limits/limit.ts';
import { type SpendAlert, spend } from './limits/spend.ts';
import { addDays } from './period.ts';
import type { Action, AlertKind, AlertTransition, Cause, Finding, Severity } from './types.ts';

export interface Alert {
  /** Stable identity of what is alerted on within the period (budget, kind, endpoint or basis). */
  readonly key: string;
  /** The ledger's record of this state (see `ledger-state.ts`). */
  readonly state: string;
  /** 1 for the first crossing in the period; a recovery and a new crossing count up. */
  readonly crossing: number;
  readonly transition: AlertTransition;
  /** The severity now; on a resolved notice, the severity it had. */
  readonly severity: Severity;
  readonly kind: AlertKind;
  readonly budget: string;
  readonly tier: string;
  readonly mode: string;
  readonly environment: string;
  readonly owner: string;
  readonly endpoint?: string;
  readonly asOf: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly currency: string;
  /** For spend alerts: actual or forecast spend, the alertAt fraction crossed, the amounts. */
  readonly spend?: SpendAlertFacts;
  /** The finding's sentence (for a resolved notice, the one it had last). */
  readonly message: string;
  readonly observed?: number;
  readonly limit?: number;
  readonly cause?: Cause;
  readonly actions: readonly Action[];
  readonly exceptions: readonly ExceptionResult[];
  /** The findings behind it (none on a resolved notice). */
  readonly findings: readonly Finding[];
}

/** An alert as the ledger keeps it: the first record of each (period, key, state) is the one that is sent. */
export interface AlertState {
  readonly key: string;
  readonly state: string;
}

export interface AlertRecordOut {
  readonly key: string;
  readonly period: string;
  readonly state: string;
  readonly sentAt: string;
  /** The alert's sentence, kept for post-incident reviews. */
  readonly summary: string;
  readonly asOf: string;
}

export interface AlertPlan {
  /** What to send, if the ledger records each alert's state as new (see `freshAlerts`). */
  readonly alerts: readonly Alert[];
  /** What to record: the sent states, and the quiet closes (a forecast alert overtaken by actual spend). */
  readonly records: readonly AlertRecordOut[];
  /** Alerts still open in a state already sent in their crossing (no worse): nothing to send. */
  readonly unchanged: number;
}

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

interface Candidate {
  readonly key: string;
  readonly severity: Severity;
  /** The alertAt fraction for spend alerts, 0 for the others: a higher level or severity is an escalation. */
  readonly level: number;
  readonly build: (transition: AlertTransition, crossing: number, state: string) => Alert;
}

interface History {
  crossing: number;
  open: boolean;
  level: number;
  severity: number;
}

/** Where each key stands in the period: its latest crossing, whether that is open, and the worst state sent in it. */
function histories(previous: readonly AlertState[]): Map<string, History> {
  const out = new Map<string, History>();
  const entry = (key: string, crossing: number): History => {
    let h = out.get(key);
    if (!h || crossing > h.crossing) {
      h = { crossing, open: true, level: -1, severity: -1 };
      out.set(key, h);
    }
    return h;
  };
  // resolved records last, so a crossing's close is seen after its states whatever the input order
  const sorted = previous
    .map((r) => ({ key: r.key, state: decodeState(r.state) }))
    .sort((a, b) => Number(a.state?.kind === 'resolved') - Number(b.state?.kind === 'resolved'));
  for (const { key, state: s } of sorted) {
    if (s?.kind === 'open') {
      const h = entry(key, s.crossing);
      if (h.crossing !== s.crossing) continue;
      const severity = SEVERITY_ORDER[s.severity];
      if (s.level > h.level || (s.level === h.level && severity > h.severity)) {
        h.level = s.level;
        h.severity = severity;
      }
    } else if (s?.kind === 'resolved') {
      const h = entry(key, s.crossing);
      if (h.crossing === s.crossing) h.open = false;
    }
  }
  return out;
}

const openState = (severity: Severity, level: number, crossing: number) =>
  encodeState({ kind: 'open', severity, level, crossing });

/**
 * Plans the alerts of one cycle against what the ledger recorded earlier in the period: a candidate whose key has
 * no open crossing opens one; one that is worse than everything sent in its crossing (a higher alertAt fraction,
 * or a higher severity) escalates; an open crossing with no candidate any more resolves, unless the data that
 * would show the recovery is missing this cycle. Same or better: nothing is sent.
 */
export function planAlerts(result: CycleResult, previous: readonly AlertState[], sentAt: string): AlertPlan {
  const period = result.period.start;
  const history = histories(previous);
  const alerts: Alert[] = [];
  const records: AlertRecordOut[] = [];
  let unchanged = 0;
  const record = (key: string, state: string, summary: string) =>
    records.push({ key, period, state, sentAt, summary, asOf: result.asOf });

  const candidates = new Map<string, Candidate>();
  for (const b of result.budgets) for (const c of candidatesOf(result, b)) candidates.set(c.key, c);

  for (const c of candidates.values()) {
    const h = history.get(c.key);
    if (!h?.open) {
      const crossing = (h?.crossing ?? 0) + 1;
      const state = openState(c.severity, c.level, crossing);
      const alert = c.build('opened', crossing, state);
      alerts.push(alert);
      record(c.key, state, alert.message);
    } else if (c.level > h.level || (c.level === h.level && SEVERITY_ORDER[c.severity] > h.severity)) {
      const state = openState(c.severity, c.level, h.crossing);
      const alert = c.build('escalated', h.crossing, state);
      alerts.push(alert);
      record(c.key, state, alert.message);
    } else unchanged++;
  }

  const budgets = new Map(result.budgets.map((b) => [b.name, b]));
  for (const [key, h] of history) {
    if (!h.open || candidates.has(key)) continue;
    const { kind, budget, subject } = parseAlertKey(key);
    const b = budgets.get(budget);
    const info = alertedKind(kind);
    // a budget no longer in the file, or whose data is missing this cycle, cannot be said to have recovered
    if (!b || !(info?.recoveryKnown(b, subject) ?? true)) continue;
    const state = encodeState({ kind: 'resolved', crossing: h.crossing });
    const quiet = info?.closesQuietly?.(b, subject, h.level);
    if (quiet !== undefined) {
      record(key, state, quiet);
      continue;
    }
    const alert = resolvedAlert(result, b, key, h, state);
    alerts.push(alert);
    record(key, state, alert.message);
  }

  alerts.sort(
    (a, b) =>
      SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
      a.budget.localeCompare(b.budget) ||
      a.key.localeCompare(b.key),
  );
  return { alerts, records, unchanged };
}

/**
 * A channel still owed an alert: the alert reached another channel but not this one, so its state counts as sent
 * and only this channel sends it again. Kept in the ledger as a record of its own (an `owed` state, see
 * `ledger-state.ts`), which the planner's history passes over.
 */
export interface Redelivery {
  readonly key: string;
  readonly state: string;
  readonly channel: string;
  readonly transition: AlertTransition;
}

export function redeliveryState(r: Omit<Redelivery, 'key'>): string {
  return encodeState({ kind: 'owed', state: r.state, channel: r.channel, transition: r.transition });
}

/** The redeliveries recorded among a period's alert records. */
export function redeliveries(previous: readonly AlertState[]): Redelivery[] {
  const out: Redelivery[] = [];
  for (const p of previous) {
    const s = decodeState(p.state);
    if (s?.kind === 'owed')
      out.push({ key: p.key, state: s.state, channel: s.channel, transition: s.transition });
  }
  return out;
}

/**
 * The alert a redelivery owes, as it stands in this cycle: undefined when the alert moved on since (worse, better,
 * resolved, reopened or gone), in which case the new state goes to every channel and the old one is owed no more.
 * `previous` is the period's ledger before this cycle: what a resolved notice says of the crossing it closes.
 */
export function redeliveredAlert(
  result: CycleResult,
  r: Redelivery,
  previous: readonly AlertState[],
): Alert | undefined {
  const s = decodeState(r.state);
  const b = result.budgets.find((x) => x.name === parseAlertKey(r.key).budget);
  if (!b || !s) return undefined;
  const c = candidatesOf(result, b).find((x) => x.key === r.key);
  if (s.kind === 'resolved' && r.transition === 'resolved') {
    // still recovered, and no later crossing since
    const h = histories(previous).get(r.key);
    return !c && h && !h.open && h.crossing === s.crossing
      ? resolvedAlert(result, b, r.key, h, r.state)
      : undefined;
  }
  if (s.kind !== 'open' || r.transition === 'resolved') return undefined;
  if (!c || c.severity !== s.severity || c.level !== s.level) return undefined;
  return c.build(r.transition, s.crossing, r.state);
}

/** The alerts whose state the ledger recorded as new: only those are sent. */
export function freshAlerts(plan: AlertPlan, fresh: readonly AlertState[]): Alert[] {
  const keys = new Set(fresh.map((a) => `${a.key}\u0000${a.state}`));
  return plan.alerts.filter((a) => keys.has(`${a.key}\u0000${a.state}`));
}

type Common = Pick<
  Alert,
  'budget' | 'tier' | 'mode' | 'environment' | 'owner' | 'asOf' | 'period' | 'currency'
>;

function base(result: CycleResult, b: BudgetResult): Common {
  return {
    budget: b.name,
    tier: b.tier,
    mode: b.mode,
    environment: b.environment,
    owner: b.owner,
    asOf: result.asOf,
    period: result.period,
    currency: result.currency,
  };
}

function exceptionsFor(b: BudgetResult, endpoint?: string): ExceptionResult[] {
  return b.exceptions.filter(
    (x) =>
      x.inForce &&
      (!x.endpoints || endpoint === undefined || x.endpoints.some((g) => globToRegExp(g).test(endpoint))),
  );
}

/**
 * The endpoint's own part of the budget's cause split: the same dollars the budget's spend alerts show, so that
 * two alerts of one cycle never tell two numbers for one endpoint. `primary` is the finding's own cause, measured
 * on the same split (and, with flat spend, on the endpoint's utilisation).
 */
/** A part under a dollar over the period names no driver. */
const ENDPOINT_MATERIAL = 1;

function endpointCause(
  b: BudgetResult,
  endpoint: string | undefined,
  primaryOverride?: Cause['primary'],
): Cause | undefined {
  const cause = b.cause;
  if (!cause || !endpoint) return undefined;
  const part = cause.endpoints?.find((e) => e.endpoint === endpoint);
  if (!part) return undefined;
  const change = Object.values(part.parts).reduce((s, x) => s + x, 0);
  // the endpoint's own largest part (the unexplained rest included), never a driver it did not move
  const primary = primaryOverride ?? primaryOf(part.parts, change, ENDPOINT_MATERIAL) ?? 'unexplained';
  return {
    ...cause,
    primary,
    change,
    parts: part.parts,
    summary: `${endpoint}'s spend this period against ${cause.baseline.from}..${addDays(cause.baseline.to, -1)}, by driver.`,
    endpoints: [part],
  };
}

/** What an alert says beyond its budget, identity and state. */
type AlertBody = Omit<Alert, keyof Common | 'key' | 'state' | 'crossing' | 'transition' | 'severity'>;

function candidate(
  common: Common,
  key: string,
  severity: Severity,
  level: number,
  body: () => AlertBody,
): Candidate {
  return {
    key,
    severity,
    level,
    build: (transition, crossing, state) => ({
      ...common,
      key,
      state,
      crossing,
      transition,
      severity,
      ...body(),
    }),
  };
}

/** A spend alert of either basis: the same budget facts, cause and actions; its own numbers and sentence. */
function spendCandidate(b: BudgetResult, common: Common, a: SpendAlert): Candidate {
  const key = alertKey('spend', b.name, a.spend.basis);
  return candidate(common, key, a.severity, a.spend.fraction, () => ({
    kind: 'spend',
    spend: a.spend,
    message: a.message,
    observed: a.spend.amount,
    limit: a.spend.cap,
    cause: b.cause ?? undefined,
    actions: b.actions,
    exceptions: exceptionsFor(b),
    findings: b.findings.filter((f) => f.kind === a.finding),
  }));
}

/** One alert for the findings of one kind on one endpoint (or on the whole budget). */
function findingCandidate(
  b: BudgetResult,
  common: Common,
  key: string,
  findings: readonly Finding[],
): Candidate {
  const first = findings[0] as Finding;
  const severity = findings.reduce<Severity>(
    (s, f) => (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[s] ? f.severity : s),
    'info',
  );
  return candidate(common, key, severity, 0, () => ({
    kind: first.kind as AlertKind,
    ...(first.endpoint ? { endpoint: first.endpoint } : {}),
    message: findings.map((f) => f.message).join(' '),
    ...(first.observed !== undefined ? { observed: first.observed } : {}),
    ...(first.limit !== undefined ? { limit: first.limit } : {}),
    cause: endpointCause(b, first.endpoint, first.cause?.primary) ?? first.cause,
    actions: dedupeActions(findings.flatMap((f) => f.actions)),
    exceptions: exceptionsFor(b, first.endpoint),
    findings,
  }));
}

function candidatesOf(result: CycleResult, b: BudgetResult): Candidate[] {
  const common = base(result, b);
  const out = spend.alerts(b, result.asOf, result.currency).map((a) => spendCandidate(b, common, a));
  // one alert per endpoint breach, and per incomplete-data scope (the budget's sources, or one endpoint)
  const grouped = new Map<string, Finding[]>();
  for (const f of b.findings) {
    if (!PER_FINDING_ALERTS.has(f.kind)) continue;
    const key = alertKey(f.kind, b.name, alertedKind(f.kind)?.subjectOf?.(f) ?? f.endpoint ?? '*');
    grouped.set(key, [...(grouped.get(key) ?? []), f]);
  }
  for (const [key, findings] of grouped) out.push(findingCandidate(b, common, key, findings));
  return out;
}

function dedupeActions(actions: readonly Action[]): Action[] {
  const seen = new Set<string>();
  return actions.filter((a) => {
    const k = `${a.type}|${a.endpoint ?? ''}|${a.description}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The notice that an alert recovered: the kind's own words, else "back within its limit" with the value now. */
function resolvedAlert(result: CycleResult, b: BudgetResult, key: string, h: History, state: string): Alert {
  const { kind, subject } = parseAlertKey(key);
  const info = alertedKind(kind);
  const severity = (Object.keys(SEVERITY_ORDER) as Severity[])[Math.max(0, h.severity)] as Severity;
  const endpoint = subject && subject !== '*' && info?.subject !== 'basis' ? subject : undefined;
  const r = endpoint ? b.endpoints.find((e) => e.name === endpoint) : undefined;
  const text: ResolvedText = info?.resolved?.(b, subject, result.currency) ?? {
    message:
      endpoint && !r
        ? `${endpoint} is no longer part of ${b.name}; its ${kind} alert is closed.`
        : `${endpoint ?? b.name} is back within its ${kind} limit${r ? ` (${info?.now?.(r, result.currency) ?? r.name})` : ''}.`,
  };
  return {
    ...base(result, b),
    key,
    state,
    crossing: h.crossing,
    transition: 'resolved',
    severity,
    kind: kind as AlertKind,
    ...(endpoint ? { endpoint } : {}),
    message: text.message,
    ...(text.observed !== undefined ? { observed: text.observed } : {}),
    ...(text.limit !== undefined ? { limit: text.limit } : {}),
    actions: [],
    exceptions: exceptionsFor(b, endpoint),
    findings: [],
  };
}
