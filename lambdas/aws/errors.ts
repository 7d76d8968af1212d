/**
 * AWS failures as the cycle sees them. The SDK's standard retry strategy has already retried throttling and
 * transient errors with backoff by the time an error reaches here; what is left is a source that could not be
 * read, which becomes an incomplete-data gap for that source while the rest of the cycle goes on.
 */

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

export type FailureKind = 'throttled' | 'access-denied' | 'malformed' | 'failed';

/** A source the cycle could not read; `message` is one line fit for a finding, naming the permission if denied. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly source: 'costs' | 'metrics' | 'inventory' | 'ledger' | 'outputs',
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v !== 'Error') return v;
  }
  return 'Error';
}

/**
 * Classifies an SDK error from calling `api` ("ce:GetCostAndUsage"): throttling that outlasted the retries,
 * access denied (naming the IAM action to grant), or another failure.
 */
export function sourceError(source: SourceError['source'], api: string, err: unknown): SourceError {
  const name = errorName(err);
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (THROTTLING.has(name)) {
    return new SourceError(
      source,
      'throttled',
      `${api} was throttled (${name}) after the SDK's retries; try a later cycle`,
      {
        cause: err,
      },
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new SourceError(
      source,
      'access-denied',
      `${api} was denied (${name}): grant the IAM action ${api} to the role running perf-budgets`,
      {
        cause: err,
      },
    );
  }
  return new SourceError(source, 'failed', `${api} failed (${name}): ${detail}`, { cause: err });
}
