import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { COMPONENT_DIMENSION, TOOL_NAMES, VARIANT_DIMENSION } from '../../lambdas/core/plan/types.ts';
import { MANAGED_TAG } from '../../lambdas/cycle/contract.ts';

/**
 * Synthesized roles evaluated by an IAM policy simulator, with the services' condition keys, against the
 * authorization requests the tool's calls make: the Application Auto Scaling action on the scalable target, and the
 * checks Application Auto Scaling's permissions validation makes as the caller on the SageMaker resource and the
 * CloudWatch alarms.
 */

export const ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '999988887777';
export const REGION = 'us-east-1';
export const MANAGED = `aws:ResourceTag/${MANAGED_TAG}`;

export type Context = Record<string, string | string[]>;
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
}
export interface NamedPolicy {
  readonly name: string;
  readonly policy: unknown;
}

/** How a deployed resource of each type is named in an ARN: what GetAtt Arn (and a secret's or topic's Ref) gives. */
const ARN_OF: Record<string, (id: string) => string> = {
  'AWS::DynamoDB::Table': (id) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
  'AWS::S3::Bucket': (id) => `arn:aws:s3:::${id.toLowerCase()}`,
  'AWS::Lambda::Function': (id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
  'AWS::SecretsManager::Secret': (id) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`,
  'AWS::SNS::Topic': (id) => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
  'AWS::SQS::Queue': (id) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
};
const REF_IS_ARN = new Set(['AWS::SecretsManager::Secret', 'AWS::SNS::Topic']);

/** The ARN each resource of `template` (by logical id) has once deployed, for the types the tool's policies name. */
export function deployedArns(template: Template): Record<string, { arn: string; refIsArn: boolean }> {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  const out: Record<string, { arn: string; refIsArn: boolean }> = {};
  for (const [id, r] of Object.entries(resources)) {
    const arn = ARN_OF[r.Type]?.(id);
    if (arn) out[id] = { arn, refIsArn: REF_IS_ARN.has(r.Type) };
  }
  return out;
}

/**
 * A CloudFormation value with this account's pseudo parameters filled in, the resources of `arns` by their deployed
 * ARN, and other references made into names.
 */
export function resolve(value: unknown, arns: ReturnType<typeof deployedArns> = {}): unknown {
  const again = (v: unknown) => resolve(v, arns);
  if (Array.isArray(value)) return value.map(again);
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Ref' in o) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const ref = o.Ref as string;
    const deployed = arns[ref];
    return pseudo[ref] ?? (deployed?.refIsArn ? deployed.arn : `ref-${ref}`);
  }
  if ('Fn::GetAtt' in o) {
    const [id, attribute] = o['Fn::GetAtt'] as string[];
    const deployed = attribute === 'Arn' && id ? arns[id] : undefined;
    return deployed?.arn ?? `arn:aws:cloudformation:${REGION}:${ACCOUNT}:${id}`;
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(again).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, again(v)]));
}

/** Every identity policy of the role `roleId` (a logical id) in `template`, resolved. */
export function policiesOf(template: Template, roleId: string): NamedPolicy[] {
  const arns = deployedArns(template);
  const attached = Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([, r]) =>
      (r.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .map(([id, r]) => ({ name: id, policy: resolve(r.Properties.PolicyDocument, arns) }));
  const role = template.findResources('AWS::IAM::Role')[roleId];
  const inline = ((role?.Properties.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map(
    (p) => ({ name: p.PolicyName, policy: resolve(p.PolicyDocument, arns) }),
  );
  return [...attached, ...inline];
}

export async function decide(policies: NamedPolicy[], principal: string, r: Request): Promise<string> {
  const account = r.resource.split(':')[4] || ACCOUNT;
  const result = await runSimulation(
    {
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: r.action,
        principal,
        resource: { accountId: account, resource: r.resource },
        contextVariables: r.context ?? {},
      },
    } as never,
    {},
  );
  if (result.resultType === 'error') throw new Error(`${r.action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** A call is allowed when every authorization request it makes is; the first refusal otherwise. */
export async function evaluate(policies: NamedPolicy[], principal: string, requests: readonly Request[]) {
  for (const r of requests) {
    const decision = await decide(policies, principal, r);
    if (decision !== 'Allowed') return `${decision}: ${r.action} on ${r.resource}`;
  }
  return 'Allowed';
}

// --- the calls the tool makes -------------------------------------------------------------------------------

export interface Scalable {
  readonly endpoint: string;
  readonly component?: string;
  /** The endpoint's (or component's) value of the managed tag; absent: untagged. */
  readonly resourceTag?: string;
  /** The scalable target's value of the managed tag; absent: untagged (or not registered yet). */
  readonly targetTag?: string;
  readonly account?: string;
  readonly namespace?: string;
}

export const arn = (service: string, account: string, resource: string, region = REGION) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;
export const tags = (value: string | undefined): Context => (value === undefined ? {} : { [MANAGED]: value });

export function target(s: Scalable) {
  const account = s.account ?? ACCOUNT;
  const resourceId = s.component
    ? `inference-component/${s.component}`
    : `endpoint/${s.endpoint}/variant/AllTraffic`;
  return {
    account,
    resourceId,
    arn: arn('application-autoscaling', account, 'scalable-target/0a1b2c3d4e5f60718293a4b5c6d7e8f90123'),
    context: {
      'application-autoscaling:service-namespace': s.namespace ?? 'sagemaker',
      'application-autoscaling:scalable-dimension': s.component ? COMPONENT_DIMENSION : VARIANT_DIMENSION,
      ...tags(s.targetTag),
    } as Context,
  };
}

/** What Application Auto Scaling's permissions validation asks of the caller on the SageMaker resource. */
export function validation(s: Scalable): Request[] {
  const account = s.account ?? ACCOUNT;
  const endpoint = arn('sagemaker', account, `endpoint/${s.endpoint}`);
  if (s.component) {
    const component = arn('sagemaker', account, `inference-component/${s.component}`);
    return [
      { action: 'sagemaker:DescribeInferenceComponent', resource: component, context: tags(s.resourceTag) },
      {
        action: 'sagemaker:UpdateInferenceComponentRuntimeConfig',
        resource: component,
        context: tags(s.resourceTag),
      },
    ];
  }
  return [
    { action: 'sagemaker:DescribeEndpoint', resource: endpoint, context: tags(s.resourceTag) },
    {
      action: 'sagemaker:DescribeEndpointConfig',
      resource: arn('sagemaker', account, `endpoint-config/${s.endpoint}-config`),
    },
    {
      action: 'sagemaker:UpdateEndpointWeightsAndCapacities',
      resource: endpoint,
      context: tags(s.resourceTag),
    },
  ];
}

/** RegisterScalableTarget of a target the tool reads as absent: tagged in the request (tag-on-create). */
export function registerNew(
  s: Scalable,
  requestTags: Record<string, string> = { [MANAGED_TAG]: 'true' },
): Request[] {
  const t = target(s);
  const request: Context = {
    ...Object.fromEntries(Object.entries(requestTags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(requestTags),
  };
  return [
    {
      action: 'application-autoscaling:RegisterScalableTarget',
      resource: t.arn,
      context: { ...t.context, ...request },
    },
    {
      action: 'application-autoscaling:TagResource',
      resource: t.arn,
      context: { ...tags(s.targetTag), ...request },
    },
    {
      action: 'iam:CreateServiceLinkedRole',
      resource: `arn:aws:iam::${t.account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      context: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' },
    },
    ...validation(s),
  ];
}

/** A write on a registered target (new min/max, a policy, a schedule, a deregistration). */
export function onTarget(action: string, s: Scalable): Request[] {
  const t = target(s);
  return [
    { action: `application-autoscaling:${action}`, resource: t.arn, context: t.context },
    ...validation(s),
  ];
}

/** Target tracking: Application Auto Scaling creates (and deletes) its alarms with the caller's rights checked. */
export function targetTracking(s: Scalable, action: 'PutScalingPolicy' | 'DeleteScalingPolicy'): Request[] {
  const t = target(s);
  const alarm = arn(
    'cloudwatch',
    t.account,
    `alarm:TargetTracking-${t.resourceId}-AlarmHigh-6d3e2a1b-1111-2222-3333-444455556666`,
  );
  return [
    ...onTarget(action, s),
    { action: 'cloudwatch:DescribeAlarms', resource: alarm },
    {
      action: action === 'PutScalingPolicy' ? 'cloudwatch:PutMetricAlarm' : 'cloudwatch:DeleteAlarms',
      resource: alarm,
    },
  ];
}

/** The wake-on-request alarm of a component at zero copies: the tool's own, acting on its own step policy. */
export function wakeAlarm(
  s: Scalable,
  name = `${TOOL_NAMES.wakeOnRequest}-${s.component}`,
  policyName: string = TOOL_NAMES.wakeOnRequest,
): Request[] {
  const account = s.account ?? ACCOUNT;
  const policyArn = `arn:aws:autoscaling:${REGION}:${account}:scalingPolicy:5e6f7a8b-aaaa-bbbb-cccc-0123456789ab:resource/sagemaker/inference-component/${s.component}:policyName/${policyName}`;
  return [
    {
      action: 'cloudwatch:PutMetricAlarm',
      resource: arn('cloudwatch', account, `alarm:${name}`),
      context: { 'cloudwatch:AlarmActions': [policyArn] },
    },
  ];
}

export const tagged: Scalable = { endpoint: 'search-prod', resourceTag: 'true', targetTag: 'true' };
export const taggedComponent: Scalable = {
  endpoint: 'llm',
  component: 'llm-7b',
  resourceTag: 'true',
  targetTag: 'true',
};
export const newOnTagged: Scalable = { endpoint: 'search-prod', resourceTag: 'true' };
export const untagged: Scalable = { endpoint: 'payments' };
