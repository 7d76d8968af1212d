/**
 * The AWS SDK clients of one process, built once (per cold start in Lambda, once per CLI run) with the default
 * credential chain, an optional named profile, and the SDK's standard retry strategy: throttling and transient
 * errors are retried with exponential backoff and jitter by the SDK, not by code of ours. Endpoints honour
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, which is how an emulator or a test server is reached.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { PricingClient } from '@aws-sdk/client-pricing';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CollectionTarget } from '../core/budget.ts';
import { AwsAccessError, InputError } from '../core/errors.ts';
import { assumeRoleError } from './errors.ts';

export interface ClientOptions {
  /** Region of the endpoints and metrics; Cost Explorer always answers from us-east-1. */
  readonly region?: string;
  readonly profile?: string;
  /** Attempts per request, retries included (SDK standard mode). */
  readonly maxAttempts?: number;
  /** Credentials other than the default chain's (or the profile's): an assumed role's. */
  readonly credentials?: AwsCredentialIdentityProvider;
}

export interface AwsClients {
  readonly costExplorer: CostExplorerClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sageMaker: SageMakerClient;
  readonly autoScaling: ApplicationAutoScalingClient;
  /** Event history (LookupEvents) of the region: the endpoints' config changes. */
  readonly cloudTrail: CloudTrailClient;
  readonly s3: S3Client;
  /** Parameter Store: the budget statuses and managed-spot flags the tool publishes. */
  readonly ssm: SSMClient;
  /** The cost query of costSource athena, in the region of the workgroup and the export's table. */
  readonly athena: AthenaClient;
  readonly region: string;
}

const DEFAULT_MAX_ATTEMPTS = 5;

/** Cost Explorer's API lives in us-east-1 for every account (aws partition). */
export const COST_EXPLORER_REGION = 'us-east-1';

/** Retries and credentials every client shares. */
function commonConfig(opts: ClientOptions) {
  return {
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard' as const,
    ...(opts.credentials
      ? { credentials: opts.credentials }
      : opts.profile
        ? { credentials: fromIni({ profile: opts.profile }) }
        : {}),
  };
}

/** The Price List API answers in us-east-1 (also eu-central-1 and ap-south-1) for every region it prices. */
export const PRICE_LIST_REGION = 'us-east-1';

/** A Price List client, whatever region is to be priced. */
export function buildPricingClient(opts: Omit<ClientOptions, 'region'>): PricingClient {
  return new PricingClient({ ...commonConfig(opts), region: PRICE_LIST_REGION });
}

export function buildClients(opts: ClientOptions): AwsClients {
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new InputError('no AWS region: pass --region or set AWS_REGION');
  const common = commonConfig(opts);
  return {
    costExplorer: new CostExplorerClient({ ...common, region: COST_EXPLORER_REGION }),
    cloudWatch: new CloudWatchClient({ ...common, region }),
    sageMaker: new SageMakerClient({ ...common, region }),
    autoScaling: new ApplicationAutoScalingClient({ ...common, region }),
    cloudTrail: new CloudTrailClient({ ...common, region }),
    s3: new S3Client({ ...common, region }),
    ssm: new SSMClient({ ...common, region }),
    athena: new AthenaClient({ ...common, region }),
    region,
  };
}

/** How long an assumed role's credentials last; they are renewed five minutes before they expire. */
export const ASSUMED_ROLE_SECONDS = 900;

export interface TargetClientsOptions {
  /** The process's own region: where STS is asked, and what the deployment account's targets default to. */
  readonly homeRegion: string;
  /** RoleSessionName of every assumed session: what CloudTrail in the member account shows. */
  readonly sessionName: string;
  readonly maxAttempts?: number;
}

/**
 * A member role's credentials: one AssumeRole, shared by every client that uses the provider and by requests made at
 * once, asked again only when the session is within five minutes of expiring. A refused or failed AssumeRole is an
 * AwsAccessError naming sts:AssumeRole and the role, whichever request needed the credentials.
 */
function assumedRole(sts: STSClient, params: AssumeRoleCommandInput): AwsCredentialIdentityProvider {
  const roleArn = params.RoleArn ?? '';
  const provider = memoizeIdentityProvider<AwsCredentialIdentity>(
    async () => {
      let out: AssumeRoleCommandOutput;
      try {
        out = await sts.send(new AssumeRoleCommand(params));
      } catch (err) {
        throw assumeRoleError(roleArn, err);
      }
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new AwsAccessError(
          'credentials',
          'malformed',
          `sts:AssumeRole of ${roleArn} returned no credentials`,
        );
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    },
    isIdentityExpired,
    doesIdentityRequireRefresh,
  );
  return provider as AwsCredentialIdentityProvider;
}

/**
 * The clients of each collection target, built on first use and kept for the life of the process (a cold start):
 * the deployment account's with the process's own credentials, a member account's with the role it names, assumed
 * through STS in the home region with the target's external id. A role is assumed once for all the clients of its
 * account, whatever the region, and again only as its session nears expiry.
 */
export class TargetClients {
  private readonly built = new Map<string, AwsClients>();
  private readonly roles = new Map<string, AwsCredentialIdentityProvider>();
  private sts: STSClient | undefined;

  constructor(private readonly o: TargetClientsOptions) {}

  for(target: CollectionTarget): AwsClients {
    const key = [target.account, target.region, target.roleArn ?? '', target.externalId ?? ''].join('|');
    let clients = this.built.get(key);
    if (!clients) {
      clients = buildClients({
        region: target.region,
        maxAttempts: this.o.maxAttempts,
        ...(target.roleArn ? { credentials: this.role(target.roleArn, target.externalId) } : {}),
      });
      this.built.set(key, clients);
    }
    return clients;
  }

  private role(roleArn: string, externalId: string | undefined): AwsCredentialIdentityProvider {
    const key = `${roleArn}|${externalId ?? ''}`;
    let provider = this.roles.get(key);
    if (!provider) {
      this.sts ??= new STSClient({
        region: this.o.homeRegion,
        maxAttempts: this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        retryMode: 'standard',
      });
      provider = assumedRole(this.sts, {
        RoleArn: roleArn,
        RoleSessionName: this.o.sessionName,
        DurationSeconds: ASSUMED_ROLE_SECONDS,
        ...(externalId ? { ExternalId: externalId } : {}),
      });
      this.roles.set(key, provider);
    }
    return provider;
  }
}
