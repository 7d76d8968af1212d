import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PerfBudgets, type PerfBudgetsProps } from './perf-budgets.ts';

export interface PerfBudgetsStackProps extends StackProps, PerfBudgetsProps {}

/** The deployable unit: the PerfBudgets construct and the outputs an operator needs after deploy. */
export class PerfBudgetsStack extends Stack {
  readonly perfBudgets: PerfBudgets;

  constructor(scope: Construct, id: string, props: PerfBudgetsStackProps) {
    super(scope, id, props);
    const p = new PerfBudgets(this, 'PerfBudgets', props);
    this.perfBudgets = p;
    new CfnOutput(this, 'DataBucketName', {
      value: p.dataBucket.bucketName,
      description: 'Snapshots, findings and reports',
    });
    new CfnOutput(this, 'AlertTopicArn', {
      value: p.topic.topicArn,
      description: 'Subscribe email, Slack or a queue here',
    });
    new CfnOutput(this, 'SlackSecretArn', {
      value: p.slackSecret.secretArn,
      description: 'Fill with {"webhookUrl": ..., "signingSecret": ...}',
    });
    new CfnOutput(this, 'StateMachineArn', {
      value: p.stateMachine.stateMachineArn,
      description: 'The governance cycle',
    });
    new CfnOutput(this, 'DashboardName', { value: p.dashboard.dashboardName });
    new CfnOutput(this, 'CollectRoleArn', {
      value: p.functions.collect.role.roleArn,
      description:
        'Member accounts trust this role (PerfBudgetsMemberStack trustedRoleArns) to read their endpoints',
    });
    new CfnOutput(this, 'ActRoleArn', {
      value: p.functions.act.role.roleArn,
      description: 'Member accounts that allow actuation trust this role too',
    });
  }
}
