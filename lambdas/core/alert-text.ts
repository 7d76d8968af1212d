/**
 * The words of an alert, built once and used by every channel (SNS subject and body, Slack blocks, the console):
 * a headline with the budget, the number and the date; why, from the cause split in dollars; what to do, with one
 * to three actions, their savings and latency risk; the exceptions in force; links.
 */
import type { Alert, AlertTransition } from './alerts.ts';
import type { Risk, Severity } from './types.ts';

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
  /** "traffic", "idle capacity", "instance-type change", "price", "new endpoint", "other charges". */
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
  /** The whole alert as plain text (email body, console, logs). */
  readonly plain: string;
}

export interface AlertMessage {
  readonly alert: Alert;
  readonly text: AlertText;
}
