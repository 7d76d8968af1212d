/**
 * Alerts: what of a cycle's findings is worth telling people, once. One alert per budget per threshold crossing
 * per period (actual and forecast spend, from `alertAt`), per endpoint breach (latency, unit cost, error rate,
 * utilisation, instance ceiling, exit criteria) and per incomplete-data source. An alert escalates when it gets
 * worse, sends a resolved notice when it recovers, and sends nothing twice for the same state.
 */
import type { ExceptionResult } from './evaluate.ts';
import type { Action, Cause, Finding, FindingKind, Severity } from './types.ts';

export type AlertTransition = 'opened' | 'escalated' | 'resolved';

export type AlertKind = Exclude<FindingKind, 'spend-breach' | 'spend-forecast' | 'exception-expired'> | 'spend';

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
