/**
 * Every limit kind, once. Evaluation judges the endpoint limits in this order; alerts, alert text, the report and
 * reviews take each kind's facts from here. Adding a limit is a file beside this one and a line below.
 */
import type { FindingKind } from '../types.ts';
import { changePendingApproval } from './change-pending-approval.ts';
import { changeRolledBack } from './change-rolled-back.ts';
import { errorRate } from './error-rate.ts';
import { exitCriteria } from './exit-criteria.ts';
import { incompleteData } from './incomplete-data.ts';
import { latency } from './latency.ts';
import type { AlertedKind, EndpointLimit, Limit } from './limit.ts';
import { maxInstances } from './max-instances.ts';
import { spend } from './spend.ts';
import { unitCost } from './unit-cost.ts';
import { utilizationHigh } from './utilization-high.ts';
import { utilizationLow } from './utilization-low.ts';

/** The limits judged on each endpoint over the window, in the order their findings are listed. */
export const ENDPOINT_LIMITS: readonly EndpointLimit[] = [
  unitCost,
  latency,
  errorRate,
  utilizationLow,
  utilizationHigh,
  maxInstances,
];

/** Every limit kind: the budget's spend, the endpoint limits, the experiment tier's exit criteria. */
export const LIMITS: readonly Limit[] = [spend, ...ENDPOINT_LIMITS, exitCriteria];

/** Every kind of alert: the limits, incomplete data, scaling changes rolled back and changes waiting for approval. */
export const ALERTED_KINDS: readonly AlertedKind[] = [
  ...LIMITS,
  incompleteData,
  changeRolledBack,
  changePendingApproval,
];

const byAlert = new Map<string, AlertedKind>(ALERTED_KINDS.map((k) => [k.alert, k]));

/** The alerted kind of an alert kind (or of an alert key's first part); undefined for a kind no longer known. */
export function alertedKind(kind: string): AlertedKind | undefined {
  return byAlert.get(kind);
}

const limitFindings = new Set<FindingKind>(LIMITS.flatMap((l) => l.findings));

/** Whether a finding says a limit is breached (rather than that data is missing or an exception expired). */
export function isLimitFinding(kind: FindingKind): boolean {
  return limitFindings.has(kind);
}

/** Finding kinds alerted on one by one (spend findings become spend alerts; expired exceptions go to reports). */
export const PER_FINDING_ALERTS: ReadonlySet<FindingKind> = new Set(
  ALERTED_KINDS.filter((k) => k.alertPerFinding).flatMap((k) => k.findings),
);
