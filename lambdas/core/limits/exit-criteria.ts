/**
 * Exit criteria of an experiment tier (`exitCriteria: { maxDays, maxCostPer1kInferences }`): an endpoint past them
 * should end or be promoted. It ends an experiment; it is not a budget limit, so it leaves the budget's status alone.
 */
import type { Tier } from '../budget.ts';
import { displayUnitPrice } from '../money.ts';
import type { Action, Severity } from '../types.ts';
import { endpointWhat, fallbackHeadline, type Limit, measuredAgain } from './limit.ts';

export type ExitCriteria = NonNullable<Tier['exitCriteria']>;

/** What the criteria judge of one experiment endpoint. */
export interface ExitFacts {
  readonly name: string;
  /** Days since its first cost row, as-of included. */
  readonly ageDays: number;
  readonly costPer1k: number | null;
}

export type ExitReason =
  | { readonly kind: 'age'; readonly days: number; readonly maxDays: number }
  | { readonly kind: 'unit-cost'; readonly observed: number; readonly max: number };

export type ExitVerdict =
  | { readonly status: 'ok' }
  | { readonly status: 'not-applicable' }
  | { readonly status: 'breached'; readonly reasons: readonly ExitReason[] };

export interface ExitRemedyInput {
  readonly endpoint: string;
  /** The endpoint's mean daily spend over the window. */
  readonly perDay: number;
  readonly remainingDays: number;
}

export interface ExitCriteriaLimit extends Limit {
  check(f: ExitFacts, criteria: ExitCriteria | undefined): ExitVerdict;
  severity(): Severity;
  message(f: ExitFacts, reasons: readonly ExitReason[], currency: string): string;
  remedies(input: ExitRemedyInput): Action[];
}

function check(f: ExitFacts, criteria: ExitCriteria | undefined): ExitVerdict {
  if (!criteria) return { status: 'not-applicable' };
  const reasons: ExitReason[] = [];
  if (criteria.maxDays !== undefined && f.ageDays > criteria.maxDays) {
    reasons.push({ kind: 'age', days: f.ageDays, maxDays: criteria.maxDays });
  }
  const maxCost = criteria.maxCostPer1kInferences;
  if (maxCost !== undefined && f.costPer1k !== null && f.costPer1k > maxCost) {
    reasons.push({ kind: 'unit-cost', observed: f.costPer1k, max: maxCost });
  }
  return reasons.length > 0 ? { status: 'breached', reasons } : { status: 'ok' };
}

function reasonText(r: ExitReason, currency: string): string {
  return r.kind === 'age'
    ? `running ${r.days} days, past its ${r.maxDays}`
    : `costing ${displayUnitPrice(r.observed, currency)} per 1k inferences, above ${displayUnitPrice(r.max, currency)}`;
}

export const exitCriteria: ExitCriteriaLimit = {
  alert: 'exit-criteria',
  findings: ['exit-criteria'],
  alertPerFinding: true,
  subject: 'endpoint',
  label: 'exit criteria',
  runbook: 'runbook-exit-criteria',
  check,
  severity: () => 'warning',
  message: (f, reasons, currency) =>
    `Experiment ${f.name} meets its exit criteria: ${reasons.map((r) => reasonText(r, currency)).join('; ')}.`,
  remedies: ({ endpoint, perDay, remainingDays }) => [
    {
      type: 'end-experiment',
      endpoint,
      estimatedSavings: Math.round(perDay * remainingDays * 100) / 100,
      risk: 'low',
      description: `End the experiment: delete ${endpoint}, or promote it to a production budget.`,
      change: { delete: true },
    },
  ],
  headline: (a) =>
    a.observed !== undefined && a.limit !== undefined
      ? fallbackHeadline(a)
      : `the experiment meets its exit criteria (as of ${a.asOf})`,
  recoveryKnown: (b, subject) => measuredAgain(b, subject),
  now: (r) => r.name,
  what: (subject) => endpointWhat('exit criteria', subject),
};
