import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { Account } from '../../lambdas/core/budget.ts';
import { PerfBudgetsStack } from '../../lib/stack.ts';
import {
  actionsOf,
  DEMO_BUDGETS,
  definition,
  editedBudgets,
  identityStatements,
  refDefinition,
  type States,
  synthStack,
  testApp,
} from './helpers.ts';

const MEMBER_A = 'arn:aws:iam::123456789012:role/perf-budgets-member';
const MEMBER_B = 'arn:aws:iam::210987654321:role/perf-budgets-member';

const withAccounts = (yaml: string) =>
  editedBudgets((t) => t.replace('budgets:\n', `accounts:\n${yaml}budgets:\n`));

function findings(stack: Stack): string[] {
  const app = stack.node.root;
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  );
}

/** The roles (by logical id) that may sts:AssumeRole, with the resources they may assume. */
function assumers(t: Template): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [, r] of Object.entries(t.findResources('AWS::IAM::Policy'))) {
    for (const s of r.Properties.PolicyDocument.Statement) {
      if ([s.Action].flat().includes('sts:AssumeRole')) {
        for (const role of r.Properties.Roles) out[role.Ref] = s.Resource;
      }
    }
  }
  return out;
}

describe('PerfBudgets without an accounts list', () => {
  const { template } = synthStack();

  it('collects spend once and one target: this account in this region', () => {
    const d = definition(template);
    expect(d.States.Parts?.Result).toEqual([
      { part: 'costs' },
      { part: 'resources', target: { account: 'TOKEN', region: 'TOKEN' } },
    ]);
    expect(refDefinition(template).States.Parts?.Result).toEqual([
      { part: 'costs' },
      { part: 'resources', target: { account: '{Ref:AWS::AccountId}', region: '{Ref:AWS::Region}' } },
    ]);
  });

  it('assumes no role anywhere', () => {
    expect(identityStatements(template).filter((s) => actionsOf(s).includes('sts:AssumeRole'))).toEqual([]);
  });
});

describe('PerfBudgets with an accounts list', () => {
  const path =
    withAccounts(`  - { id: "123456789012", roleArn: "${MEMBER_A}", externalId: "perf-budgets-x1", regions: [us-east-1, eu-west-1] }
  - { id: "210987654321", roleArn: "${MEMBER_B}" }
`);

  it('fans out over every account and region in file order, after the one costs part', () => {
    const { template } = synthStack({ budgetsFile: path });
    const d = definition(template);
    expect(d.States.Parts?.Result).toEqual([
      { part: 'costs' },
      {
        part: 'resources',
        target: {
          account: '123456789012',
          region: 'us-east-1',
          roleArn: MEMBER_A,
          externalId: 'perf-budgets-x1',
        },
      },
      {
        part: 'resources',
        target: {
          account: '123456789012',
          region: 'eu-west-1',
          roleArn: MEMBER_A,
          externalId: 'perf-budgets-x1',
        },
      },
      // an account without regions is read in the deployment region
      { part: 'resources', target: { account: '210987654321', region: 'TOKEN', roleArn: MEMBER_B } },
    ]);
    expect(d.States.Collect).toMatchObject({ Type: 'Map', ItemsPath: '$.parts', MaxConcurrency: 10 });
  });

  it('lets collect, act and the approval worker, and nothing else, assume exactly the listed member roles', () => {
    const { template, stack } = synthStack({ budgetsFile: path });
    const idOf = (role: IConstruct) => stack.getLogicalId(role.node.defaultChild as never);
    const { functions, approvals } = stack.perfBudgets;
    expect(assumers(template)).toEqual({
      [idOf(functions.collect.role)]: [MEMBER_A, MEMBER_B],
      [idOf(functions.act.role)]: [MEMBER_A, MEMBER_B],
      [idOf(approvals?.worker.role as IConstruct)]: [MEMBER_A, MEMBER_B],
    });
  });

  it('puts the collect, act and approval worker roles under the path member roles trust', () => {
    const { template, stack } = synthStack({ budgetsFile: path });
    const roles = template.findResources('AWS::IAM::Role');
    const pathOf = (role: IConstruct | undefined) =>
      role && roles[stack.getLogicalId(role.node.defaultChild as never)]?.Properties.Path;
    const { functions, approvals } = stack.perfBudgets;
    expect(
      [functions.collect, functions.act, approvals?.worker, functions.evaluate, approvals?.handler].map((f) =>
        pathOf(f?.role),
      ),
    ).toEqual(['/perf-budgets/', '/perf-budgets/', '/perf-budgets/', undefined, undefined]);
  });

  it('takes the accounts from props over the budget file', () => {
    const accounts: Account[] = [{ id: '210987654321', roleArn: MEMBER_B, regions: ['ap-southeast-2'] }];
    const { template } = synthStack({ budgetsFile: path, accounts });
    expect(definition(template).States.Parts?.Result).toEqual([
      { part: 'costs' },
      { part: 'resources', target: { account: '210987654321', region: 'ap-southeast-2', roleArn: MEMBER_B } },
    ]);
    expect(Object.values(assumers(template))).toEqual([MEMBER_B, MEMBER_B, MEMBER_B]);
  });

  it('reads the deployment account in each of its listed regions with its own role', () => {
    const app = testApp();
    const stack = new PerfBudgetsStack(app, 'Home', {
      env: { account: '111122223333', region: 'us-east-1' },
      budgetsFile: DEMO_BUDGETS,
      accounts: [
        { id: '111122223333', regions: ['us-east-1', 'eu-west-1'] },
        { id: '123456789012', roleArn: MEMBER_A },
      ],
    });
    const describe = identityStatements(Template.fromStack(stack)).find((s) =>
      actionsOf(s).includes('sagemaker:DescribeEndpoint'),
    );
    expect(JSON.stringify(describe?.Resource)).toContain(':sagemaker:eu-west-1:');
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing unacknowledged with member accounts (AwsSolutions and Serverless)', () => {
    expect(findings(synthStack({ budgetsFile: path }).stack)).toEqual([]);
  });

  it('refuses bad accounts in props with the path and what was expected', () => {
    expect(() => synthStack({ accounts: [{ id: '12345', roleArn: MEMBER_A }] })).toThrow(
      /PerfBudgets PerfBudgets: accounts\[0\]\.id: a 12-digit account id/,
    );
    expect(() =>
      synthStack({
        accounts: [
          { id: '123456789012', roleArn: MEMBER_A },
          { id: '123456789012', roleArn: MEMBER_A },
        ],
      }),
    ).toThrow(/accounts\[1\]\.id: duplicate account "123456789012"/);
    expect(() => synthStack({ accounts: [] })).toThrow(/accounts: is empty/);
  });

  it('refuses an account without a role that is not the deployment account', () => {
    expect(
      () =>
        new PerfBudgetsStack(testApp(), 'Home', {
          env: { account: '111122223333', region: 'us-east-1' },
          budgetsFile: DEMO_BUDGETS,
          accounts: [{ id: '123456789012' }],
        }),
    ).toThrow(/accounts entry 123456789012 has no roleArn, but this stack deploys to 111122223333/);
  });
});

describe('PerfBudgets as-of', () => {
  const { template } = synthStack();
  const d = definition(template);

  it('judges the asOf of a manual run, the schedule time of a scheduled one, else the start of the execution', () => {
    expect(d.States.WhichDay).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.asOf', IsPresent: true, Next: 'GivenDay' },
        { Variable: '$.at', IsPresent: true, Next: 'ScheduledTime' },
      ],
      Default: 'StartTime',
    });
    expect(d.States.GivenDay).toMatchObject({
      Parameters: { 'runId.$': '$$.Execution.Name', 'asOf.$': '$.asOf' },
      ResultPath: '$.cycle',
    });
    expect(d.States.ScheduledTime).toMatchObject({
      Parameters: { 'runId.$': '$$.Execution.Name', 'at.$': '$.at' },
      ResultPath: '$.cycle',
    });
    expect(d.States.StartTime).toMatchObject({
      Parameters: { 'runId.$': '$$.Execution.Name', 'at.$': '$$.Execution.StartTime' },
      ResultPath: '$.cycle',
    });
  });

  it('gives every collect part the same day, and evaluate, act, notify and report the day collect judged', () => {
    const collect = d.States.Collect as { ItemSelector: unknown; ItemProcessor: { States: States } };
    expect(collect.ItemSelector).toEqual({ 'cycle.$': '$.cycle', 'item.$': '$$.Map.Item.Value' });
    expect(collect.ItemProcessor.States.PartEvent).toMatchObject({
      Parameters: { 'event.$': 'States.JsonMerge($.cycle, $.item, false)' },
      OutputPath: '$.event',
      Next: 'CollectPart',
    });
    expect(d.States.Evaluate?.Parameters).toMatchObject({ 'asOf.$': '$.collected.asOf' });
    for (const s of ['Act', 'Notify', 'Report'])
      expect(d.States[s]?.Parameters).toMatchObject({ 'asOf.$': '$.evaluated.asOf' });
  });

  it('has every schedule pass its own scheduled time', () => {
    const inputs = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r) =>
      JSON.parse(r.Properties.Target.Input),
    );
    expect(inputs).toHaveLength(3);
    for (const i of inputs) expect(i.at).toBe('<aws.scheduler.scheduled-time>');
  });
});
