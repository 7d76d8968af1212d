/**
 * The contract of one governance cycle: where each step's payload is stored, the names the deployment and the
 * code share (metrics namespace, tag, report-link limits), and the zod schema of every payload that crosses a step
 * or is stored. The stack (`lib/`) imports its constants from here, the steps read payloads only through these
 * schemas: a shape exists once.
 */

/** Service name in logs, metrics and traces. */
export const SERVICE = 'perf-budgets';
/** CloudWatch namespace of the metrics the evaluate step publishes (Powertools EMF). */
export const METRICS_NAMESPACE = 'PerfBudgets';
/** The tag that opts a SageMaker endpoint or scalable target in to changes made by the tool. */
export const MANAGED_TAG = 'perf-budgets:managed';

/**
 * The data bucket's key layout, one prefix per kind so that lifecycle rules and IAM policies can target each:
 *
 *   config/budgets.json               the validated budget file, written at deploy time
 *   snapshots/<asOf>/<runId>.json     collect -> evaluate: a cycle's snapshot, or one part of it
 *   findings/<asOf>/<runId>.json      evaluate -> act -> notify -> report: the result and its ledger records
 *   reports/<period>/<asOf>/<file>    the billing-cycle report; reports/latest/ holds the newest
 *
 * `asOf` is the cycle's day and `runId` the Step Functions execution name, so the payloads of one day sort together
 * and a rerun of a day never overwrites another run's.
 */
export const PREFIX = {
  config: 'config/',
  snapshots: 'snapshots/',
  findings: 'findings/',
  reports: 'reports/',
} as const;
/** Where the validated budget file lives in the data bucket. */
export const BUDGETS_KEY = `${PREFIX.config}budgets.json`;
/** Where the newest billing-cycle report is kept besides its own `<period>/<as-of>/` (what alerts link to). */
export const LATEST_REPORT_DIR = 'latest';
export const LATEST_REPORT_PREFIX = `${PREFIX.reports}${LATEST_REPORT_DIR}/`;

/** The two kinds of stage payload. */
export type PayloadKind = 'snapshots' | 'findings';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A Step Functions execution name (1-80 characters) or a CLI run's id. */
export const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The key of a stage payload: `<kind>/<asOf>/<runId>.json`. */
export function payloadKey(kind: PayloadKind, asOf: string, runId: string): string {
  if (!DAY.test(asOf))
    throw new RangeError(`payload key: asOf must be YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  if (!RUN_ID.test(runId)) {
    throw new RangeError(
      `payload key: runId must be 1-128 of A-Z a-z 0-9 . _ - (the execution name, not its ARN), got ${JSON.stringify(runId)}`,
    );
  }
  return `${PREFIX[kind]}${asOf}/${runId}.json`;
}

/** The presigned link to a report: S3 (SigV4) honours at most seven days. */
export const REPORT_LINK_SECONDS = { min: 60, max: 604_800, default: 604_800 } as const;
