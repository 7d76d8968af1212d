/**
 * What a limit kind declares, in one place per kind: how it judges (a three-valued verdict), how bad a breach is,
 * its words (finding message, alert headline, label, runbook section), what it needs measured, and which actions
 * remedy it. The registry (`index.ts`) lists every kind; evaluation, alerts, alert text, report and review loop over it.
 */
import type { ActionContext } from '../actions.ts';
import type { Limits } from '../budget.ts';
import type { BudgetResult, EndpointResult } from '../evaluate/types.ts';
import type { Action, AlertKind, Cause, Finding, FindingKind, Severity } from '../types.ts';

/** The measured values of one endpoint over the judging window that limits are judged on (null: not measured). */
export type EndpointValues = Pick<
  EndpointResult,
  'costPer1k' | 'latencyP99Ms' | 'errorRate' | 'utilization' | 'peakInstances'
>;

/** What a limit knows of one endpoint over the judging window. */
export interface EndpointFacts extends EndpointValues {
  readonly name: string;
  readonly worstHourP99Ms: number | null;
}

/** A limit's answer: judged fine, breached (with the numbers), or not applicable (no limit, or no data for it). */
export type Verdict =
  | { readonly status: 'ok' }
  | { readonly status: 'not-applicable' }
  | { readonly status: 'breached'; readonly observed: number; readonly limit: number };

export const OK: Verdict = { status: 'ok' };
export const NOT_APPLICABLE: Verdict = { status: 'not-applicable' };

/** How a breach reads; kept apart from the judgement so that its text can change without touching the check. */
export interface Wording {
  /** The judging window as people read it, `2026-10-09..2026-10-15`. */
  readonly window: string;
  readonly currency: string;
}

/** Something measured on an endpoint: a limit judged on it is not judged while it is missing. */
export interface Measurement {
  /** How an incomplete-data finding names it when it is missing. */
  name(r: EndpointResult): string;
  value(r: EndpointResult): number | null;
}

/** The facts of a spend alert: actual or forecast spend, the alertAt fraction crossed, the amounts. */
export interface SpendAlertFacts {
  readonly basis: 'actual' | 'forecast';
  readonly fraction: number;
  readonly amount: number;
  readonly low?: number;
  readonly high?: number;
  readonly cap: number;
  readonly spendToDate: number;
  /** The day the cap is crossed at the forecast rate, when it is ahead. */
  readonly crossesOn?: string;
}

/** What an alert headline is made of (an alert carries all of it). */
export interface HeadlineInput {
  readonly asOf: string;
  readonly currency: string;
  /** The finding's sentence, what a headline falls back on. */
  readonly message: string;
  readonly observed?: number;
  readonly limit?: number;
  readonly findings: readonly unknown[];
  readonly spend?: SpendAlertFacts;
}

/** The sentence of a resolved notice and the numbers it shows, for kinds that word their own. */
export interface ResolvedText {
  readonly message: string;
  readonly observed?: number;
  readonly limit?: number;
}

/** How a kind of alert is named, headlined and closed. Every limit is one; incomplete data is the other. */
export interface AlertedKind {
  readonly alert: AlertKind;
  /** The finding kinds it covers (the spend limit covers two: actual and forecast). */
  readonly findings: readonly FindingKind[];
  /** Each finding becomes an alert of its own; spend alerts come from the alertAt thresholds instead. */
  readonly alertPerFinding: boolean;
  /** What the third part of an alert key names: an endpoint (`*` for the whole budget), or the spend basis. */
  readonly subject: 'endpoint' | 'basis';
  /**
   * The third part of the alert key of a finding, for kinds alerted once per finding of the same endpoint (a
   * change: its action id); absent: the finding's endpoint.
   */
  subjectOf?(f: Finding): string;
  /** How reviews name it: "p99 latency". */
  readonly label: string;
  /** The README section of its runbook. */
  readonly runbook: string;
  /** What crossed, with the numbers and the day (the subject is put in front by the caller). */
  headline(a: HeadlineInput): string;
  /** Whether this cycle could see the alert recover: an alert does not resolve on a measurement that is missing. */
  recoveryKnown(b: BudgetResult, subject: string | undefined): boolean;
  /** The value now for a resolved notice of an endpoint ("p99 now 40.0 ms"). */
  now?(r: EndpointResult, currency: string): string;
  /** The resolved notice, for kinds that word their own instead of "back within its limit". */
  resolved?(b: BudgetResult, subject: string | undefined, currency: string): ResolvedText;
  /** A close without a notice (e.g. actual spend overtaking a forecast alert), with what the ledger keeps of it. */
  closesQuietly?(b: BudgetResult, subject: string | undefined, level: number): string | undefined;
  /** The name of one alert of this kind in a timeline: "p99 latency: embed-prod". */
  what(subject: string | undefined): string;
}

/** A limit kind: an alerted kind that the budget file (or its tier) sets. */
export interface Limit extends AlertedKind {
  /** How the report states the budget's value of it ("p99 latency 120 ms"); undefined when not set. */
  describe?(limits: Limits, currency: string): string | undefined;
}

/** What a remedy is chosen from: the breach and the endpoint's facts. */
export interface RemedyInput {
  readonly endpoint: string;
  readonly observed: number;
  readonly limit: number;
  /** Undefined when the endpoint has no cost rows: no action can be sized on it. */
  readonly action: ActionContext | undefined;
  /** The endpoint's spend change split by driver (undefined without cost rows), computed when asked. */
  cause(): Cause | undefined;
}

/** What to do about a breach, and why it happened where a spend split can say. */
export interface Remedy {
  readonly actions: readonly Action[];
  readonly cause?: Cause;
}

/** A limit judged on each endpoint of a budget over the window. */
export interface EndpointLimit extends Limit {
  readonly kind: FindingKind;
  /** The budget-file limit it reads (`utilization` for both ends of the band). */
  readonly key: keyof Limits;
  /** What it needs measured; none for a limit judged on billing alone. */
  readonly needs: readonly Measurement[];
  /** The value it judges. */
  observe(v: EndpointValues): number | null;
  check(f: EndpointFacts, limits: Limits): Verdict;
  severity(observed: number, limit: number): Severity;
  message(f: EndpointFacts, observed: number, limit: number, w: Wording): string;
  remedies(input: RemedyInput): Remedy;
  now(r: EndpointResult, currency: string): string;
}

/** The facts and words one endpoint limit file gives; `endpointLimit` adds what every endpoint limit shares. */
export interface EndpointLimitSpec {
  readonly kind: EndpointLimit['kind'] & AlertKind;
  readonly key: keyof Limits;
  readonly label: string;
  readonly runbook: string;
  readonly needs: readonly Measurement[];
  /** Breached above the limit (a ceiling) or below it (a floor). */
  readonly breachedWhen: 'above' | 'below';
  observe(v: EndpointValues): number | null;
  limitOf(limits: Limits): number | undefined;
  severity(observed: number, limit: number): Severity;
  message(f: EndpointFacts, observed: number, limit: number, w: Wording): string;
  /** The alert headline's numbers: "ModelLatency p99 63.5 ms, above its 50 ms ceiling". */
  headline(observed: number, limit: number, currency: string): string;
  /** The value now on a resolved notice: "p99 now 40.0 ms". */
  now(value: number, currency: string): string;
  /** The limit as the report states it: "p99 latency 120 ms". */
  describe(limit: number, currency: string): string;
  remedies(input: RemedyInput): Remedy;
}

export function endpointLimit(spec: EndpointLimitSpec): EndpointLimit {
  const judge = (observed: number | null, limit: number | undefined): Verdict => {
    if (limit === undefined || observed === null) return NOT_APPLICABLE;
    const breached = spec.breachedWhen === 'above' ? observed > limit : observed < limit;
    return breached ? { status: 'breached', observed, limit } : OK;
  };
  return {
    kind: spec.kind,
    alert: spec.kind,
    findings: [spec.kind],
    alertPerFinding: true,
    subject: 'endpoint',
    key: spec.key,
    label: spec.label,
    runbook: spec.runbook,
    needs: spec.needs,
    observe: spec.observe,
    check: (f, l) => judge(spec.observe(f), spec.limitOf(l)),
    severity: spec.severity,
    message: spec.message,
    remedies: spec.remedies,
    headline: (a) => measuredHeadline(a, spec.headline),
    recoveryKnown: (b, subject) => measuredAgain(b, subject, spec.observe),
    now: (r, currency) => {
      const v = spec.observe(r);
      return v === null ? 'now not measured' : spec.now(v, currency);
    },
    describe: (l, currency) => {
      const v = spec.limitOf(l);
      return v === undefined ? undefined : spec.describe(v, currency);
    },
    what: (subject) => endpointWhat(spec.label, subject),
  };
}

/** The headline of an alert with a number against a limit, or its finding's sentence. */
export function measuredHeadline(
  a: HeadlineInput,
  numbers: (observed: number, limit: number, currency: string) => string,
): string {
  if (a.observed === undefined || a.limit === undefined) return a.message.replace(/\.$/, '');
  return `${numbers(a.observed, a.limit, a.currency)} (as of ${a.asOf})`;
}

/** The headline of a kind that has no words of its own: its finding's sentence. */
export function fallbackHeadline(a: HeadlineInput): string {
  return measuredHeadline(a, () => a.message.replace(/\.$/, ''));
}

/**
 * Whether this cycle measured again what an endpoint alert judges: not while a missing-data finding stands for the
 * budget or the endpoint; an endpoint gone from the budget has recovered by leaving.
 */
export function measuredAgain(
  b: BudgetResult,
  subject: string | undefined,
  observe?: (v: EndpointValues) => number | null,
): boolean {
  if (
    b.findings.some(
      (f) => f.kind === 'incomplete-data' && (f.endpoint === undefined || f.endpoint === subject),
    )
  ) {
    return false;
  }
  const r = b.endpoints.find((e) => e.name === subject);
  return r === undefined || observe === undefined || observe(r) !== null;
}

/** "p99 latency: embed-prod", or the label alone for an alert on the whole budget. */
export function endpointWhat(label: string, subject: string | undefined): string {
  return subject && subject !== '*' ? `${label}: ${subject}` : label;
}

/** Keeps the actions that apply (an action builder returns undefined when it has nothing to offer). */
export function viable(...xs: (Action | undefined)[]): Action[] {
  return xs.filter((a): a is Action => a !== undefined);
}

export const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)}%`;
