/**
 * Alerts: what of a cycle's findings is worth telling people, once. One alert per budget per threshold crossing
 * per period (actual and forecast spend, from `alertAt`), per endpoint breach (latency, unit cost, error rate,
 * utilisation, instance ceiling, exit criteria) and per incomplete-data source. An alert escalates when it gets
 * worse, sends a resolved notice when it recovers, and sends nothing twice for the same state.
 */
import { globToRegExp } from './budget.ts';
import type { BudgetResult, CycleResult, EndpointResult, ExceptionResult } from './evaluate.ts';
import { displayMoney, displayUnitPrice, moneyFromNumber } from './money.ts';
import { addDays, daysBetween } from './period.ts';
import type { Action, Cause, Finding, FindingKind, Severity } from './types.ts';

export type AlertTransition = 'opened' | 'escalated' | 'resolved';

export type AlertKind =
  | Exclude<FindingKind, 'spend-breach' | 'spend-forecast' | 'exception-expired'>
  | 'spend';

export interface Alert {
  /** Stable identity of what is alerted on within the period (budget, kind, endpoint or basis). */
  readonly key: string;
  /** The ledger's record of this state: `${severity}@${level}#${crossing}` or `resolved#${crossing}`. */
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
  readonly spend?: {
    readonly basis: 'actual' | 'forecast';
    readonly fraction: number;
    readonly amount: number;
    readonly low?: number;
    readonly high?: number;
    readonly cap: number;
    readonly spendToDate: number;
    /** The day the cap is crossed at the forecast rate, when it is ahead. */
    readonly crossesOn?: string;
  };
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

/** Days before the cap is crossed within which a forecast breach is critical. */
export const CRITICAL_WITHIN_DAYS = 7;

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

/** Finding kinds alerted on one by one (the spend findings become spend alerts; expired exceptions go to reports). */
const FINDING_ALERTS: ReadonlySet<FindingKind> = new Set<FindingKind>([
  'unit-cost',
  'latency',
  'error-rate',
  'utilization-low',
  'utilization-high',
  'max-instances',
  'exit-criteria',
  'incomplete-data',
]);

/** Kinds judged on metrics: an open alert of these kinds does not resolve while the endpoint's metrics are missing. */
const METRIC_KINDS: ReadonlySet<string> = new Set([...FINDING_ALERTS].filter((k) => k !== 'incomplete-data'));

const STATE = /^(info|warning|critical)@(\d+(?:\.\d+)?)#(\d+)$/;
const RESOLVED = /^resolved#(\d+)$/;

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
  const sorted = [...previous].sort(
    (a, b) => Number(RESOLVED.test(a.state)) - Number(RESOLVED.test(b.state)),
  );
  for (const r of sorted) {
    const s = STATE.exec(r.state);
    if (s) {
      const crossing = Number(s[3]);
      const h = entry(r.key, crossing);
      if (h.crossing !== crossing) continue;
      const level = Number(s[2]);
      const severity = SEVERITY_ORDER[s[1] as Severity];
      if (level > h.level || (level === h.level && severity > h.severity)) {
        h.level = level;
        h.severity = severity;
      }
      continue;
    }
    const c = RESOLVED.exec(r.state);
    if (c) {
      const crossing = Number(c[1]);
      const h = entry(r.key, crossing);
      if (h.crossing === crossing) h.open = false;
    }
  }
  return out;
}

const stateOf = (severity: Severity, level: number, crossing: number) => `${severity}@${level}#${crossing}`;

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
      const state = stateOf(c.severity, c.level, crossing);
      const alert = c.build('opened', crossing, state);
      alerts.push(alert);
      record(c.key, state, alert.message);
    } else if (c.level > h.level || (c.level === h.level && SEVERITY_ORDER[c.severity] > h.severity)) {
      const state = stateOf(c.severity, c.level, h.crossing);
      const alert = c.build('escalated', h.crossing, state);
      alerts.push(alert);
      record(c.key, state, alert.message);
    } else unchanged++;
  }

  const budgets = new Map(result.budgets.map((b) => [b.name, b]));
  for (const [key, h] of history) {
    if (!h.open || candidates.has(key)) continue;
    const [kind, budgetName, subject] = key.split('|') as [string, string, string | undefined];
    const b = budgets.get(budgetName);
    // a budget no longer in the file, or whose data is missing this cycle, cannot be said to have recovered
    if (!b || !recoveryKnown(b, kind, subject)) continue;
    const state = `resolved#${h.crossing}`;
    // actual spend overtaking a forecast alert is no recovery: that crossing closes without a notice
    if (kind === 'spend' && subject === 'forecast' && (b.thresholds.actual.at(-1) ?? 0) >= h.level) {
      record(key, state, `${b.name}'s actual spend reached the level its forecast had alerted on.`);
      continue;
    }
    const alert = resolvedAlert(result, b, key, kind, subject, h, state);
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
 * and only this channel sends it again. Kept in the ledger as a record of its own, `${state}>${channel}>${transition}`,
 * which the planner's history passes over.
 */
export interface Redelivery {
  readonly key: string;
  readonly state: string;
  readonly channel: string;
  readonly transition: AlertTransition;
}

const REDELIVERY = /^(.+)>([a-z]+)>(opened|escalated|resolved)$/;

export function redeliveryState(r: Omit<Redelivery, 'key'>): string {
  return `${r.state}>${r.channel}>${r.transition}`;
}

/** The redeliveries recorded among a period's alert records. */
export function redeliveries(previous: readonly AlertState[]): Redelivery[] {
  const out: Redelivery[] = [];
  for (const p of previous) {
    const m = REDELIVERY.exec(p.state);
    if (m) {
      out.push({
        key: p.key,
        state: m[1] as string,
        channel: m[2] as string,
        transition: m[3] as AlertTransition,
      });
    }
  }
  return out;
}

/**
 * The alert a redelivery owes, as it stands in this cycle: undefined when the alert moved on since (worse, better,
 * resolved or gone), in which case the new state goes to every channel and the old one is owed no more.
 */
export function redeliveredAlert(result: CycleResult, r: Redelivery): Alert | undefined {
  const s = STATE.exec(r.state);
  if (!s || r.transition === 'resolved') return undefined;
  const b = result.budgets.find((x) => x.name === r.key.split('|')[1]);
  if (!b) return undefined;
  const c = candidatesOf(result, b).find((x) => x.key === r.key);
  if (!c || c.severity !== s[1] || c.level !== Number(s[2])) return undefined;
  return c.build(r.transition, Number(s[3]), r.state);
}

/** The alerts whose state the ledger recorded as new: only those are sent. */
export function freshAlerts(plan: AlertPlan, fresh: readonly AlertState[]): Alert[] {
  const keys = new Set(fresh.map((a) => `${a.key}\u0000${a.state}`));
  return plan.alerts.filter((a) => keys.has(`${a.key}\u0000${a.state}`));
}

function recoveryKnown(b: BudgetResult, kind: string, subject: string | undefined): boolean {
  if (kind === 'spend') return b.spendToDate !== null;
  if (kind === 'incomplete-data') return true;
  if (!METRIC_KINDS.has(kind)) return true;
  // a missing metric for the budget or the endpoint is itself a finding; while it stands, nothing is known
  if (
    b.findings.some(
      (f) => f.kind === 'incomplete-data' && (f.endpoint === undefined || f.endpoint === subject),
    )
  ) {
    return false;
  }
  // an endpoint gone from the budget has recovered by leaving; one still there must have been measured again
  const r = b.endpoints.find((e) => e.name === subject);
  return r === undefined || measured(kind, r);
}

/** Whether this cycle measured what an alert of `kind` judges on the endpoint. */
function measured(kind: string, r: EndpointResult): boolean {
  switch (kind) {
    case 'latency':
      return r.latencyP99Ms !== null;
    case 'unit-cost':
      return r.costPer1k !== null;
    case 'error-rate':
      return r.errorRate !== null;
    case 'utilization-low':
    case 'utilization-high':
      return r.utilization !== null;
    case 'max-instances':
      return r.peakInstances !== null;
    default:
      return true;
  }
}

function base(result: CycleResult, b: BudgetResult) {
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
 * two alerts of one cycle never tell two numbers for one endpoint. `primary` overrides the driver named first
 * (a utilisation floor is about idle capacity whatever moved most).
 */
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
  let primary = cause.primary;
  let best = Number.NEGATIVE_INFINITY;
  for (const [k, v] of Object.entries(part.parts)) {
    if (k !== 'other' && Math.abs(v) > best) {
      best = Math.abs(v);
      primary = k as Cause['primary'];
    }
  }
  return {
    ...cause,
    primary: primaryOverride ?? primary,
    change,
    parts: part.parts,
    summary: `${endpoint}'s spend this period against ${cause.baseline.from}..${addDays(cause.baseline.to, -1)}, by driver.`,
    endpoints: [part],
  };
}

function candidatesOf(result: CycleResult, b: BudgetResult): Candidate[] {
  const out: Candidate[] = [];
  const common = base(result, b);
  const cap = b.cap;
  const spent = b.spendToDate;
  const spendFindings = b.findings.filter((f) => f.kind === 'spend-breach' || f.kind === 'spend-forecast');

  if (cap !== null && spent !== null) {
    /** A spend alert of either basis: the same budget facts, cause and actions; its own numbers and sentence. */
    const spendAlert = (
      basis: 'actual' | 'forecast',
      severity: Severity,
      spend: NonNullable<Alert['spend']>,
      message: string,
    ): Candidate => {
      const key = `spend|${b.name}|${basis}`;
      const findingKind = basis === 'actual' ? 'spend-breach' : 'spend-forecast';
      return {
        key,
        severity,
        level: spend.fraction,
        build: (transition, crossing, state) => ({
          ...common,
          key,
          state,
          crossing,
          transition,
          severity,
          kind: 'spend',
          spend,
          message,
          observed: spend.amount,
          limit: cap,
          cause: b.cause ?? undefined,
          actions: b.actions,
          exceptions: exceptionsFor(b),
          findings: spendFindings.filter((f) => f.kind === findingKind),
        }),
      };
    };
    const money = (x: number) => fmt(x, result.currency);

    const actual = b.thresholds.actual.at(-1);
    if (actual !== undefined) {
      out.push(
        spendAlert(
          'actual',
          actual >= 1 ? 'critical' : actual >= 0.8 ? 'warning' : 'info',
          { basis: 'actual', fraction: actual, amount: spent, cap, spendToDate: spent },
          `${b.name} has spent ${money(spent)}, ${percent(spent / cap)} of its ${money(cap)} cap for the period (alert at ${percent(actual)}).`,
        ),
      );
    }
    const expected = b.forecast.expected;
    // a forecast is news when it crosses the cap (or a fraction above it) before actual spend does: a forecast at
    // half the cap is the plan, not an alert
    const forecast = b.thresholds.forecast.filter((f) => f >= 1 && f > (actual ?? 0)).at(-1);
    if (forecast !== undefined && expected !== null) {
      const low = b.forecast.low ?? expected;
      const crossesOn = b.crossesCapOn ?? undefined;
      const soon = crossesOn !== undefined && daysBetween(result.asOf, crossesOn) <= CRITICAL_WITHIN_DAYS;
      out.push(
        spendAlert(
          'forecast',
          low >= forecast * cap || soon ? 'critical' : 'warning',
          {
            basis: 'forecast',
            fraction: forecast,
            amount: expected,
            low,
            high: b.forecast.high ?? expected,
            cap,
            spendToDate: spent,
            ...(crossesOn ? { crossesOn } : {}),
          },
          `${b.name} is forecast to spend ${money(expected)}, ${percent(expected / cap)} of its ${money(cap)} cap${crossesOn ? `, crossing it on ${crossesOn}` : ''}.`,
        ),
      );
    }
  }

  // one alert per endpoint breach, and per incomplete-data scope (the budget's sources, or one endpoint)
  const grouped = new Map<string, Finding[]>();
  for (const f of b.findings) {
    if (!FINDING_ALERTS.has(f.kind)) continue;
    const key = `${f.kind}|${b.name}|${f.endpoint ?? '*'}`;
    grouped.set(key, [...(grouped.get(key) ?? []), f]);
  }
  for (const [key, findings] of grouped) {
    const first = findings[0] as Finding;
    const severity = findings.reduce<Severity>(
      (s, f) => (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[s] ? f.severity : s),
      'info',
    );
    out.push({
      key,
      severity,
      level: 0,
      build: (transition, crossing, state) => ({
        ...common,
        key,
        state,
        crossing,
        transition,
        severity,
        kind: first.kind as AlertKind,
        ...(first.endpoint ? { endpoint: first.endpoint } : {}),
        message: findings.map((f) => f.message).join(' '),
        ...(first.observed !== undefined ? { observed: first.observed } : {}),
        ...(first.limit !== undefined ? { limit: first.limit } : {}),
        cause: endpointCause(b, first.endpoint, first.cause?.primary) ?? first.cause,
        actions: dedupeActions(findings.flatMap((f) => f.actions)),
        exceptions: exceptionsFor(b, first.endpoint),
        findings,
      }),
    });
  }
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

function resolvedAlert(
  result: CycleResult,
  b: BudgetResult,
  key: string,
  kind: string,
  subject: string | undefined,
  h: History,
  state: string,
): Alert {
  const severity = (Object.keys(SEVERITY_ORDER) as Severity[])[Math.max(0, h.severity)] as Severity;
  const endpoint = subject && subject !== '*' && kind !== 'spend' ? subject : undefined;
  const r = endpoint ? b.endpoints.find((e) => e.name === endpoint) : undefined;
  const money = (x: number | null) => (x === null ? 'unknown' : fmt(x, result.currency));
  let message: string;
  let observed: number | undefined;
  let limit: number | undefined;
  if (kind === 'spend' && b.cap === null) {
    message = `${b.name} no longer has a spend cap; its ${subject === 'forecast' ? 'forecast' : 'spend'} alert is closed.`;
  } else if (kind === 'spend') {
    observed = subject === 'forecast' ? (b.forecast.expected ?? undefined) : (b.spendToDate ?? undefined);
    limit = b.cap ?? undefined;
    message =
      subject === 'forecast'
        ? `${b.name}'s forecast is back under its alert threshold: ${money(b.forecast.expected)} against its ${money(b.cap)} cap.`
        : `${b.name}'s spend to date is back under its alert threshold: ${money(b.spendToDate)} of its ${money(b.cap)} cap.`;
  } else if (kind === 'incomplete-data') {
    message = endpoint
      ? `The data of ${endpoint} is complete again.`
      : `${b.name}'s cost and metric data is complete again.`;
  } else if (endpoint && !r) {
    message = `${endpoint} is no longer part of ${b.name}; its ${kind} alert is closed.`;
  } else {
    message = `${endpoint ?? b.name} is back within its ${kind} limit${r ? ` (${currentValue(kind, r, result.currency)})` : ''}.`;
  }
  return {
    ...base(result, b),
    key,
    state,
    crossing: h.crossing,
    transition: 'resolved',
    severity,
    kind: kind as AlertKind,
    ...(endpoint ? { endpoint } : {}),
    message,
    ...(observed !== undefined ? { observed } : {}),
    ...(limit !== undefined ? { limit } : {}),
    actions: [],
    exceptions: exceptionsFor(b, endpoint),
    findings: [],
  };
}

function currentValue(kind: string, r: EndpointResult, currency: string): string {
  const unknown = 'now not measured';
  switch (kind) {
    case 'latency':
      return r.latencyP99Ms === null ? unknown : `p99 now ${r.latencyP99Ms.toFixed(1)} ms`;
    case 'unit-cost':
      return r.costPer1k === null
        ? unknown
        : `now ${displayUnitPrice(r.costPer1k, currency)} per 1k inferences`;
    case 'error-rate':
      return r.errorRate === null ? unknown : `errors now ${(r.errorRate * 100).toFixed(2)}%`;
    case 'utilization-low':
    case 'utilization-high':
      return r.utilization === null ? unknown : `utilisation now ${Math.round(r.utilization * 100)}%`;
    case 'max-instances':
      return r.peakInstances === null ? unknown : `peak now ${r.peakInstances} instances`;
    default:
      return `${r.name}`;
  }
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
const fmt = (x: number, currency: string) => displayMoney(moneyFromNumber(x), currency);
