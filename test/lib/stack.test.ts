import { describe, expect, it } from 'vitest';
import { synthStack } from './helpers.ts';

describe('PerfBudgetsStack', () => {
  it('outputs what an operator needs after deploy', () => {
    const outputs = Object.keys(synthStack().template.findOutputs('*'));
    expect(outputs.sort()).toEqual([
      'ActRoleArn',
      'AlertTopicArn',
      'CollectRoleArn',
      'DashboardName',
      'DataBucketName',
      'SlackSecretArn',
      'StateMachineArn',
    ]);
  });
});
