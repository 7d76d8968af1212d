import { describe, expect, it } from 'vitest';
import { synthStack, withoutSlack } from './helpers.ts';

describe('PerfBudgetsStack', () => {
  it('outputs what an operator needs after deploy', () => {
    const outputs = Object.keys(synthStack().template.findOutputs('*'));
    expect(outputs.sort()).toEqual([
      'ActRoleArn',
      'AlertTopicArn',
      'ApprovalApplyRoleArn',
      'ApprovalsUrl',
      'CollectRoleArn',
      'DashboardName',
      'DataBucketName',
      'LedgerTableName',
      'SlackSecretArn',
      'StateMachineArn',
    ]);
  });

  it("names the ledger table, which the CLI's --table reads and decides actions in", () => {
    const { template, stack } = synthStack();
    const table = stack.getLogicalId(stack.perfBudgets.table.node.defaultChild as never);
    expect(template.findOutputs('LedgerTableName').LedgerTableName?.Value).toEqual({ Ref: table });
  });

  it('outputs no approvals URL when Slack is not an alert target', () => {
    const outputs = Object.keys(synthStack({ budgetsFile: withoutSlack() }).template.findOutputs('*'));
    expect(outputs).toContain('SlackSecretArn');
    expect(outputs).not.toContain('ApprovalsUrl');
    expect(outputs).not.toContain('ApprovalApplyRoleArn');
  });
});
