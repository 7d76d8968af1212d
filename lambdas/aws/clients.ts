/**
 * The AWS SDK clients of one process, built once (per cold start in Lambda, once per CLI run) with the default
 * credential chain, an optional named profile, and the SDK's standard retry strategy: throttling and transient
 * errors are retried with exponential backoff and jitter by the SDK, not by code of ours. Endpoints honour
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, which is how an emulator or a test server is reached.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { fromIni } from '@aws-sdk/credential-providers';
import { InputError } from '../core/errors.ts';

export interface ClientOptions {
  /** Region of the endpoints and metrics; Cost Explorer always answers from us-east-1. */
  readonly region?: string;
  readonly profile?: string;
  /** Attempts per request, retries included (SDK standard mode). */
  readonly maxAttempts?: number;
}

export interface AwsClients {
  readonly costExplorer: CostExplorerClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sageMaker: SageMakerClient;
  readonly autoScaling: ApplicationAutoScalingClient;
  readonly s3: S3Client;
  readonly region: string;
}

/** Cost Explorer's API lives in us-east-1 for every account (aws partition). */
export const COST_EXPLORER_REGION = 'us-east-1';

export function buildClients(opts: ClientOptions): AwsClients {
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new InputError('no AWS region: pass --region or set AWS_REGION');
  const common = {
    maxAttempts: opts.maxAttempts ?? 5,
    retryMode: 'standard' as const,
    ...(opts.profile ? { credentials: fromIni({ profile: opts.profile }) } : {}),
  };
  return {
    costExplorer: new CostExplorerClient({ ...common, region: COST_EXPLORER_REGION }),
    cloudWatch: new CloudWatchClient({ ...common, region }),
    sageMaker: new SageMakerClient({ ...common, region }),
    autoScaling: new ApplicationAutoScalingClient({ ...common, region }),
    s3: new S3Client({ ...common, region }),
    region,
  };
}
