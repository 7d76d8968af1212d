import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PerfBudgetsMemberRole, type PerfBudgetsMemberRoleProps } from './member-role.ts';

export interface PerfBudgetsMemberStackProps extends StackProps, PerfBudgetsMemberRoleProps {}

/**
 * What a member account deploys (once per account: IAM is global) so that the central perf-budgets stack can read
 * its endpoints: the member role, and its ARN for the central budget file's accounts list.
 */
export class PerfBudgetsMemberStack extends Stack {
  readonly memberRole: PerfBudgetsMemberRole;

  constructor(scope: Construct, id: string, props: PerfBudgetsMemberStackProps) {
    super(scope, id, props);
    this.memberRole = new PerfBudgetsMemberRole(this, 'Member', props);
    new CfnOutput(this, 'MemberRoleArn', {
      value: this.memberRole.role.roleArn,
      description:
        'The roleArn of this account in the central budget file: accounts: [{ id, roleArn, regions }]',
    });
  }
}
