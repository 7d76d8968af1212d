import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { PerfBudgetsMemberRoleProps } from '../../lib/member-role.ts';
import { PerfBudgetsMemberStack } from '../../lib/member-stack.ts';
import { ROOT } from '../helpers/cli.ts';
import { actionsOf, identityStatements, testApp } from './helpers.ts';

const CENTRAL = '111122223333';

function member(props: Partial<PerfBudgetsMemberRoleProps> = {}) {
  const stack = new PerfBudgetsMemberStack(testApp(), 'Member', { centralAccountId: CENTRAL, ...props });
  return { stack, template: Template.fromStack(stack) };
}

function trust(template: Template) {
  const [role] = Object.values(template.findResources('AWS::IAM::Role'));
  return role?.Properties.AssumeRolePolicyDocument.Statement;
}

function findings(stack: Stack): string[] {
  const app = stack.node.root;
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  );
}

const central = (path: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CENTRAL}:${path}`]],
});

describe('PerfBudgetsMemberRole', () => {
  it('is named as the accounts entry expects and trusts only the central roles under /perf-budgets/', () => {
    const { template } = member();
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'perf-budgets-member' });
    expect(trust(template)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: central('root') },
        Condition: { ArnLike: { 'aws:PrincipalArn': [central('role/perf-budgets/*')] } },
      },
    ]);
  });

  it('trusts exactly the given central roles, and requires the external id when one is set', () => {
    const roles = [
      `arn:aws:iam::${CENTRAL}:role/perf-budgets/Collect-1`,
      `arn:aws:iam::${CENTRAL}:role/perf-budgets/Act-1`,
    ];
    const { template } = member({ trustedRoleArns: roles, externalId: 'perf-budgets-x1' });
    expect(trust(template)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: central('root') },
        Condition: {
          ArnLike: { 'aws:PrincipalArn': roles },
          StringEquals: { 'sts:ExternalId': 'perf-budgets-x1' },
        },
      },
    ]);
  });

  it('may only read by default: metrics, SageMaker endpoints, their scaling and config history, no wildcard action', () => {
    const statements = identityStatements(member().template);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'application-autoscaling:DescribeScalableTargets',
      'application-autoscaling:DescribeScalingActivities',
      'application-autoscaling:DescribeScalingPolicies',
      'cloudtrail:LookupEvents',
      'cloudwatch:GetMetricData',
      'sagemaker:DescribeEndpoint',
      'sagemaker:DescribeEndpointConfig',
      'sagemaker:DescribeInferenceComponent',
      'sagemaker:ListEndpoints',
      'sagemaker:ListInferenceComponents',
      'sagemaker:ListTags',
    ]);
    expect(statements.every((s) => s.Effect === 'Allow' && !s.Condition)).toBe(true);
  });

  it('may change scaling only on managed targets, endpoints and components when actuation is allowed', () => {
    const statements = identityStatements(member({ allowActuation: true }).template);
    const writes = statements.filter((s) =>
      actionsOf(s).some((a) =>
        /^application-autoscaling:(Register|Deregister|Put|Delete|Tag)|^sagemaker:Update/.test(a),
      ),
    );
    expect([...new Set(writes.flatMap(actionsOf))].sort()).toEqual([
      'application-autoscaling:DeleteScalingPolicy',
      'application-autoscaling:DeleteScheduledAction',
      'application-autoscaling:DeregisterScalableTarget',
      'application-autoscaling:PutScalingPolicy',
      'application-autoscaling:PutScheduledAction',
      'application-autoscaling:RegisterScalableTarget',
      'application-autoscaling:TagResource',
      'sagemaker:UpdateEndpointWeightsAndCapacities',
      'sagemaker:UpdateInferenceComponentRuntimeConfig',
    ]);
    for (const s of writes) {
      const equals = s.Condition?.StringEquals ?? {};
      expect(
        equals['aws:ResourceTag/perf-budgets:managed'] ?? equals['aws:RequestTag/perf-budgets:managed'],
      ).toBe('true');
    }
    expect(statements.flatMap(actionsOf).some((a) => a.includes('*'))).toBe(false);
    // the central act role publishes parameters; a member role does not
    expect(statements.flatMap(actionsOf)).not.toContain('ssm:PutParameter');
  });

  it('scopes SageMaker describes to the given regions of its own account', () => {
    const describe = identityStatements(member({ regions: ['us-east-1', 'eu-west-1'] }).template).find((s) =>
      actionsOf(s).includes('sagemaker:DescribeEndpoint'),
    );
    const text = JSON.stringify(describe?.Resource);
    expect(text).toContain(':sagemaker:us-east-1:');
    expect(text).toContain(':sagemaker:eu-west-1:');
    expect(text).toContain('AWS::AccountId');
    expect(text).not.toContain(':sagemaker:*:');
  });

  it.each([
    ['read-only', {}],
    [
      'with actuation, an external id and regions',
      { allowActuation: true, externalId: 'abc123', regions: ['eu-west-1'] },
    ],
  ] as const)('finds nothing unacknowledged %s (AwsSolutions and Serverless)', (_, props) => {
    expect(findings(member(props).stack)).toEqual([]);
  });

  it('outputs the role ARN for the central accounts list', () => {
    const outputs = member().template.findOutputs('MemberRoleArn');
    expect(Object.values(outputs)[0]?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/Role/), 'Arn'],
    });
  });

  it.each([
    [{ centralAccountId: '1111' }, /centralAccountId "1111" is not a 12-digit account id/],
    [{ trustedRoleArns: [] }, /trustedRoleArns is empty/],
    [
      { trustedRoleArns: ['arn:aws:iam::999999999999:role/x'] },
      /is not a role of the central account 111122223333/,
    ],
    [{ externalId: 'a b' }, /externalId "a b" is not valid/],
    [{ regions: ['Europe'] }, /regions entry "Europe" is not an AWS region/],
    [{ roleName: 'has space' }, /roleName "has space" is not an IAM role name/],
  ] as const)('refuses bad props: %o', (props, message) => {
    expect(() => member(props as Partial<PerfBudgetsMemberRoleProps>)).toThrow(message);
  });
});

describe('bin/app.ts', () => {
  it('synthesizes the member stack with -c member=true -c centralAccount=...', () => {
    const out = mkdtempSync(join(tmpdir(), 'perf-budgets-member-'));
    execFileSync('npx', ['tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: JSON.stringify({ member: 'true', centralAccount: CENTRAL, externalId: 'abc123' }),
      },
      stdio: 'pipe',
    });
    const template = JSON.parse(readFileSync(join(out, 'PerfBudgetsMember.template.json'), 'utf8'));
    const roles = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles).toHaveLength(1);
    expect(JSON.stringify(roles[0]?.Properties.AssumeRolePolicyDocument)).toContain(
      '"sts:ExternalId":"abc123"',
    );
  });
});
