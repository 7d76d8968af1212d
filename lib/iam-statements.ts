import { Aws, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { BudgetFile } from '../lambdas/core/budget.ts';
import type { HouseFunction } from './house-function.ts';

/** IAM path of the collect and act roles: a member account's role trusts the central account's roles under it. */
export const CENTRAL_ROLE_PATH = '/perf-budgets/';

/**
 * Read-only access to the inventory and metrics of an account in `regions`: what collect reads in the deployment
 * account and, through the member role, in every other. On "*" only where AWS has no resource-level permission.
 */
export function resourceReadStatements(regions: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: 'Metrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'SageMakerList',
      actions: ['sagemaker:ListEndpoints', 'sagemaker:ListInferenceComponents'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'SageMakerDescribe',
      actions: [
        'sagemaker:DescribeEndpoint',
        'sagemaker:DescribeEndpointConfig',
        'sagemaker:DescribeInferenceComponent',
        'sagemaker:ListTags',
      ],
      resources: SAGEMAKER_DESCRIBED.flatMap((type) => accountArns('sagemaker', `${type}/*`, regions)),
    }),
    new iam.PolicyStatement({
      sid: 'AutoScalingDescribe',
      actions: [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScalingActivities',
      ],
      resources: ['*'],
    }),
    // The endpoints' config changes of the last 90 days (instance-type history); LookupEvents has no resource ARN.
    new iam.PolicyStatement({ sid: 'ConfigHistory', actions: ['cloudtrail:LookupEvents'], resources: ['*'] }),
  ];
}

/** Read-only access to the account: what collect needs (README "A live account"), on "*" only where AWS forces it. */
export function accountReadStatements(
  file: BudgetFile,
  regions: readonly string[] = [Aws.REGION],
): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'CostExplorer',
      actions: [
        'ce:GetCostAndUsage',
        'ce:GetCostForecast',
        ...(file.costExplorer?.resourceLevel ? ['ce:GetCostAndUsageWithResources'] : []),
      ],
      resources: ['*'],
    }),
    ...resourceReadStatements(regions),
  ];
  const focus = focusExportOf(file);
  if (focus) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'FocusExportList',
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${focus.bucket}`],
        conditions: { StringLike: { 's3:prefix': [`${focus.prefix}*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'FocusExportRead',
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${focus.bucket}/${focus.prefix}*`],
      }),
    );
  }
  return statements;
}

/**
 * Attaches read statements to `role` as the policy `id` under `scope`, and acknowledges exactly the wildcards they
 * hold: "*" for the actions AWS gives no resource-level permission, and the SageMaker ARNs of `regions`.
 */
export function attachReadPolicy(
  scope: IConstruct,
  id: string,
  role: iam.IRole,
  statements: iam.PolicyStatement[],
  regions: readonly string[],
): iam.Policy {
  const policy = attachPolicy(scope, id, role, statements);
  acknowledgeWildcards(
    policy,
    SAGEMAKER_DESCRIBED.flatMap((type) => nagArns('sagemaker', `${type}/*`, regions)),
    'SageMaker describes are limited to endpoint, endpoint-config and inference-component ARNs of this account in the regions it is read in; the budget file selects endpoints by name globs and tags at run time.',
  );
  return policy;
}

/** What collect reads of the deployment account, as the policy `AccountRead` of its role. */
export function attachAccountReadPolicy(
  collect: HouseFunction,
  file: BudgetFile,
  regions: readonly string[],
): iam.Policy {
  const policy = attachReadPolicy(
    collect,
    'AccountRead',
    collect.role,
    accountReadStatements(file, regions),
    regions,
  );
  const focus = focusExportOf(file);
  if (focus) {
    acknowledgeWildcards(
      policy,
      [`arn:<AWS::Partition>:s3:::${focus.bucket}/${focus.prefix}*`],
      'AWS Data Exports writes a new FOCUS file per day and execution under the export prefix; reads are limited to that prefix.',
    );
  }
  return policy;
}

/**
 * A step's access to the data bucket, as the policy `DataAccess` of its role: GetObject under the prefixes it reads,
 * PutObject under those it writes, nothing else (no list, no delete).
 */
export function attachDataAccessPolicy(
  f: HouseFunction,
  bucket: s3.IBucket,
  reads: readonly string[],
  writes: readonly string[],
): iam.Policy {
  const objects = (prefix: string) => bucket.arnForObjects(`${prefix}*`);
  const policy = new iam.Policy(f, 'DataAccess', {
    statements: [
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: reads.map(objects) }),
      ...(writes.length > 0
        ? [new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: writes.map(objects) })]
        : []),
    ],
  });
  policy.attachToRole(f.role);
  acknowledgeWildcards(
    policy,
    [...new Set([...reads, ...writes])].map((prefix) => `${arnRef(bucket)}/${prefix}*`),
    'Object keys are made of the day and the execution name, unknown until a run; access is limited to the prefixes this step reads and writes.',
  );
  return policy;
}

/**
 * `statements` attached to `role` as the policy `id` under `scope`, with "*" acknowledged for the actions that
 * have no resource-level permissions (the only ones given "*").
 */
export function attachPolicy(
  scope: IConstruct,
  id: string,
  role: iam.IRole,
  statements: iam.PolicyStatement[],
): iam.Policy {
  const policy = new iam.Policy(scope, id, { statements });
  policy.attachToRole(role);
  const anyResource = statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions);
  if (anyResource.length > 0) {
    acknowledgeWildcards(
      policy,
      ['*'],
      `${anyResource.join(', ')} have no resource-level permissions: AWS requires "*".`,
    );
  }
  return policy;
}

/** Acknowledges exactly these wildcard resources (finding-qualified ids), never the rule as a whole. */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  Validations.of(scope).acknowledge(
    ...resources.map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason })),
  );
}

/** How cdk-nag prints the ARN attribute of a resource of this app in a finding id: `<LogicalId.Arn>`. */
export function arnRef(c: IConstruct): string {
  return `<${Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement)}.Arn>`;
}

const SAGEMAKER_DESCRIBED = ['endpoint', 'endpoint-config', 'inference-component'] as const;

/** ARNs of `resource` in this account, one per region. */
export function accountArns(service: string, resource: string, regions: readonly string[]): string[] {
  return regions.map((r) => `arn:${Aws.PARTITION}:${service}:${r}:${Aws.ACCOUNT_ID}:${resource}`);
}

/** The same ARNs as cdk-nag prints them in a finding id: pseudo parameters as `<AWS::...>`. */
export function nagArns(service: string, resource: string, regions: readonly string[]): string[] {
  return regions.map(
    (r) =>
      `arn:<AWS::Partition>:${service}:${r === Aws.REGION ? '<AWS::Region>' : r}:<AWS::AccountId>:${resource}`,
  );
}

function focusExportOf(file: BudgetFile): BudgetFile['focusExport'] {
  return file.costSource === 'focus-export' ? file.focusExport : undefined;
}
