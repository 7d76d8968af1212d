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
    const outputs: [id: string, value: string, description?: string][] = [
      ['DataBucketName', p.dataBucket.bucketName, 'Snapshots, findings and reports'],
      [
        'LedgerTableName',
        p.table.tableName,
        'The ledger: the CLI reads and decides actions here with --table (actions, approve, reject)',
      ],
      ['AlertTopicArn', p.topic.topicArn, 'Subscribe email, Slack or a queue here'],
      ['SlackSecretArn', p.slackSecret.secretArn, 'Fill with {"webhookUrl": ..., "signingSecret": ...}'],
      ['StateMachineArn', p.stateMachine.stateMachineArn, 'The governance cycle'],
      ['DashboardName', p.dashboard.dashboardName],
      [
        'CollectRoleArn',
        p.functions.collect.role.roleArn,
        'Member accounts trust this role (PerfBudgetsMemberStack trustedRoleArns) to read their endpoints',
      ],
      [
        'ActRoleArn',
        p.functions.act.role.roleArn,
        'Member accounts that allow actuation trust this role too',
      ],
    ];
    if (p.approvals) {
      outputs.push(
        [
          'ApprovalsUrl',
          p.approvals.url.url,
          "The Slack app's Interactivity Request URL (approve mode's Approve and Reject buttons)",
        ],
        [
          'ApprovalApplyRoleArn',
          p.approvals.worker.role.roleArn,
          'Member accounts that allow actuation and pin trustedRoleArns trust this role too: it applies approved changes',
        ],
      );
    }
    // the output ids are a contract: scripts read them after deploy
    for (const [id, value, description] of outputs) {
      new CfnOutput(this, id, { value, ...(description ? { description } : {}) });
    }
  }
}
