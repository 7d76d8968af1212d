#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy -c budgets=path/to/budgets.yaml`. The budget file is validated at synth; cdk-nag's
 * AwsSolutions and Serverless packs run on every synth, and an unacknowledged finding fails it. With `costSource:
 * athena` over a table that exists already, `-c athenaTableLocation=s3://bucket/prefix/data/` names what it reads.
 *
 * In a member account (one whose endpoints the central deployment reads):
 * `npx cdk deploy -c member=true -c centralAccount=111122223333 [-c externalId=...] [-c actuation=true]
 * [-c trustedRoleArns=<CollectRoleArn>,<ActRoleArn>[,<ApprovalApplyRoleArn>]] [-c regions=us-east-1,eu-west-1]`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PerfBudgetsMemberStack } from '../lib/member-stack.ts';
import { PerfBudgetsStack } from '../lib/stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
};
const list = (key: string): string[] | undefined =>
  context(key)
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

if (context('member') === 'true') {
  const centralAccountId = context('centralAccount');
  if (!centralAccountId) {
    throw new Error('-c member=true needs -c centralAccount=<the account of the central perf-budgets stack>');
  }
  new PerfBudgetsMemberStack(app, context('stackName') ?? 'PerfBudgetsMember', {
    description: 'perf-budgets: the role the central perf-budgets deployment reads this account with',
    env,
    centralAccountId,
    trustedRoleArns: list('trustedRoleArns'),
    externalId: context('externalId'),
    allowActuation: context('actuation') === 'true',
    regions: list('regions'),
  });
} else {
  new PerfBudgetsStack(app, context('stackName') ?? 'PerfBudgets', {
    description: 'perf-budgets: performance budgets for ML inference on SageMaker',
    env,
    budgetsFile: context('budgets') ?? 'examples/budgets.yaml',
    alarmEmail: context('alarmEmail'),
    timeZone: context('timeZone'),
    scheduleExpression: context('schedule'),
    reportScheduleExpression: context('reportSchedule'),
    athenaTableLocation: context('athenaTableLocation'),
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
