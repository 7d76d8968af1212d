/**
 * Incomplete data is not a limit: it is what a budget gets when the data to judge its limits is missing (a source
 * that failed, days without cost rows, an endpoint without metrics). It is alerted like a limit, so it registers
 * beside them.
 */
import type { Action } from '../types.ts';
import { type AlertedKind, endpointWhat, fallbackHeadline } from './limit.ts';

/** The identity of the finding that says a budget's spend is unknown (its status `unknown`). */
export const spendUnknownKey = (budget: string): string => `incomplete-data|${budget}|spend-unknown`;

const saysSpendUnknown = (f: unknown): boolean =>
  typeof f === 'object' &&
  f !== null &&
  (f as { key?: unknown }).key === spendUnknownKey((f as { budget?: string }).budget ?? '');

export interface IncompleteDataKind extends AlertedKind {
  /** What to do about a gap: restore the source; until then the numbers are lower bounds. */
  remedy(scope: string | undefined): Action;
}

export const incompleteData: IncompleteDataKind = {
  alert: 'incomplete-data',
  findings: ['incomplete-data'],
  alertPerFinding: true,
  subject: 'endpoint',
  label: 'incomplete data',
  runbook: 'runbook-incomplete-data',
  remedy: (scope) => ({
    type: 'restore-data',
    endpoint: scope,
    estimatedSavings: 0,
    risk: 'low',
    description:
      'Fix the source or re-run once the data is complete; until then these numbers are lower bounds.',
  }),
  headline: (a) => {
    if (a.observed !== undefined && a.limit !== undefined) return fallbackHeadline(a);
    const gaps = `${a.findings.length} gap${a.findings.length === 1 ? '' : 's'}`;
    return a.findings.some(saysSpendUnknown)
      ? `spend unknown, status UNKNOWN: no cost data of the period could be read for it, ${gaps} (as of ${a.asOf})`
      : `incomplete data, ${gaps}: numbers are lower bounds (as of ${a.asOf})`;
  },
  // the gap closing is itself the recovery
  recoveryKnown: () => true,
  resolved: (b, subject) => ({
    message:
      subject && subject !== '*'
        ? `The data of ${subject} is complete again.`
        : `${b.name}'s cost and metric data is complete again.`,
  }),
  what: (subject) => endpointWhat('incomplete data', subject),
};
