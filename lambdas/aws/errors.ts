/**
 * AWS failures as the cycle sees them. The SDK's standard retry strategy has already retried throttling and
 * transient errors with backoff by the time an error reaches here; what is left is a source that could not be
 * read, which becomes an incomplete-data gap for that source while the rest of the cycle goes on.
 */
import {
  AwsAccessError,
  type AwsFailureKind,
  type AwsSource,
  DataError,
  PerfBudgetsError,
} from '../core/errors.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
]);
/** What STS says when a role may not be assumed; the role is the resource it names. */
const ASSUME_ROLE_REFUSED =
  /not authorized to perform: sts:AssumeRole on resource: (arn:[\w-]+:iam::\d{12}:role\/\S+)/;

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v !== 'Error') return v;
  }
  return 'Error';
}

function firstLine(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
}

function kindOf(name: string): AwsFailureKind {
  if (THROTTLING.has(name)) return 'throttled';
  if (ACCESS_DENIED.has(name)) return 'access-denied';
  return 'failed';
}

/** The error of the family in `err` or its causes: what a wrapping layer (the SDK, a retry) hid. */
function familyError(err: unknown): PerfBudgetsError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof PerfBudgetsError) return e;
  }
  return undefined;
}

/**
 * A refused or failed sts:AssumeRole of a member account's role. Refused means the member side is not set up to let
 * the collecting role in: the fix is in the member role's trust policy and the budget file's external id, not in
 * any permission of the API that was being called when the credentials were needed.
 */
export function assumeRoleError(roleArn: string, err: unknown): AwsAccessError {
  const name = errorName(err);
  const kind = kindOf(name);
  const api = `sts:AssumeRole of ${roleArn}`;
  const message =
    kind === 'access-denied'
      ? `${api} was refused (${name}): the member role's trust policy must trust the central collect/act role ` +
        `running perf-budgets, and its sts:ExternalId condition must match the externalId of this account's ` +
        `entry under accounts in the budget file`
      : kind === 'throttled'
        ? `${api} was throttled (${name}) after the SDK's retries; try a later cycle`
        : `${api} failed (${name}): ${firstLine(err)}`;
  return new AwsAccessError('credentials', kind, message, { cause: err });
}

/**
 * Classifies an error from calling `api` ("ce:GetCostAndUsage") for `source`: an error of the family keeps its
 * message (an AWS response that did not fit becomes `malformed`); a member role that could not be assumed names
 * sts:AssumeRole and the role, whatever API needed the credentials; otherwise throttling that outlasted the
 * retries, access denied (naming the IAM action to grant), or another failure.
 */
export function sourceError(source: AwsSource, api: string, err: unknown): AwsAccessError {
  const known = familyError(err);
  if (known instanceof AwsAccessError) {
    return known.source === source
      ? known
      : new AwsAccessError(source, known.kind, known.message, { cause: err });
  }
  if (known instanceof DataError)
    return new AwsAccessError(source, 'malformed', known.message, { cause: err });
  const name = errorName(err);
  const kind = kindOf(name);
  const refused = kind === 'access-denied' ? ASSUME_ROLE_REFUSED.exec(firstLine(err)) : null;
  if (refused) {
    const assumed = assumeRoleError(refused[1] as string, err);
    return new AwsAccessError(source, assumed.kind, assumed.message, { cause: err });
  }
  const message =
    kind === 'throttled'
      ? `${api} was throttled (${name}) after the SDK's retries; try a later cycle`
      : kind === 'access-denied'
        ? `${api} was denied (${name}): grant the IAM action ${api} to the role running perf-budgets`
        : `${api} failed (${name}): ${firstLine(err)}`;
  return new AwsAccessError(source, kind, message, { cause: err });
}
