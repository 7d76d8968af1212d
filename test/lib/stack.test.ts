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
      'SlackSecretArn',
      'StateMachineArn',
    ]);
  });

  it('outputs no approvals URL when Slack is not an alert target', () => {
    const outputs = Object.keys(synthStack({ budgetsFile: withoutSlack() }).template.findOutputs('*'));
    expect(outputs).toContain('SlackSecretArn');
    expect(outputs).not.toContain('ApprovalsUrl');
    expect(outputs).not.toContain('ApprovalApplyRoleArn');
  });
});
