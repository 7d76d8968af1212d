#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy -c budgets=path/to/budgets.yaml`. The budget file is validated at synth; cdk-nag's
 * AwsSolutions and Serverless packs run on every synth, and an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PerfBudgetsStack } from '../lib/stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
};

new PerfBudgetsStack(app, context('stackName') ?? 'PerfBudgets', {
  description: 'perf-budgets: performance budgets for ML inference on SageMaker',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  budgetsFile: context('budgets') ?? 'examples/budgets.yaml',
  alarmEmail: context('alarmEmail'),
  timeZone: context('timeZone'),
  scheduleExpression: context('schedule'),
  reportScheduleExpression: context('reportSchedule'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
