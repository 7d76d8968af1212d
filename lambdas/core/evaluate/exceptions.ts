/**
 * A budget's exceptions: which are in force on as-of (those replace the limits they name, see `effectiveLimits`),
 * and a finding for each that expired since the period before this one began, so people see its limits apply again.
 */
import type { Budget } from '../budget.ts';
import { addDays } from '../period.ts';
import type { Finding } from '../types.ts';
import { findingKey } from './context.ts';
import type { ExceptionResult } from './types.ts';

/** Every exception of the budget, in force or not: an exception counts through its expiry day. */
export function exceptionResults(budget: Budget, asOf: string): ExceptionResult[] {
  return budget.exceptions.map((x) => ({
    reason: x.reason,
    approvedBy: x.approvedBy,
    expires: x.expires,
    inForce: x.expires >= asOf,
    ...(x.endpoints ? { endpoints: x.endpoints } : {}),
    limits: x.limits,
  }));
}

/** The exceptions that expired from the last day before the period on: older ones are history, not news. */
export function expiredExceptionFindings(
  budget: string,
  exceptions: readonly ExceptionResult[],
  periodStart: string,
): Finding[] {
  return exceptions
    .filter((x) => !x.inForce && x.expires >= addDays(periodStart, -1))
    .map((x) => ({
      kind: 'exception-expired',
      budget,
      severity: 'info',
      message: `The exception "${x.reason}" (approved by ${x.approvedBy}) expired on ${x.expires}; the budget's own limits apply again.`,
      actions: [],
      key: findingKey('exception-expired', budget, x.expires, x.reason),
    }));
}
