/**
 * Recognising SageMaker hosting in billing rows. Resource ids are ARNs like
 * `arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-prod` (lower-cased by the billing pipeline); usage types
 * look like `USE1-Host:ml.g5.xlarge` (hosting) or `USE1-Train:ml.p3.2xlarge` (training). Anything else, including
 * malformed or scrambled ARNs, is simply not an endpoint: it never throws.
 */

const ENDPOINT_ARN = /^arn:[^:]+:sagemaker:[^:]*:[^:]*:endpoint\/([^/\s]+)$/i;
const HOST_USAGE = /(?:^|[-:])Host:(ml\.[a-z0-9-]+\.[a-z0-9]+)(?:$|[^a-z0-9.])/i;
const TRAIN_USAGE = /(?:^|[-:])(?:Train|Training)(?:-Spot)?:(ml\.[a-z0-9-]+\.[a-z0-9]+)/i;

/** The endpoint name of a SageMaker endpoint ARN, or undefined. */
export function endpointFromArn(resourceId: string | undefined): string | undefined {
  if (!resourceId) return undefined;
  const m = ENDPOINT_ARN.exec(resourceId.trim());
  return m?.[1];
}

/** The hosting instance type of a usage type or description such as "USE1-Host:ml.g5.xlarge", or undefined. */
export function hostingInstanceType(usage: string | undefined): string | undefined {
  if (!usage) return undefined;
  const m = HOST_USAGE.exec(usage);
  return m?.[1]?.toLowerCase();
}

export function trainingInstanceType(usage: string | undefined): string | undefined {
  if (!usage) return undefined;
  const m = TRAIN_USAGE.exec(usage);
  return m?.[1]?.toLowerCase();
}
