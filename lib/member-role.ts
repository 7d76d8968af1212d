import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  AccountIdSchema,
  ExternalIdSchema,
  RegionSchema,
  RoleArnSchema,
  roleAccount,
} from '../lambdas/core/budget.ts';
import { attachActuationPolicy } from './actuation-statements.ts';
import { attachReadPolicy, CENTRAL_ROLE_PATH, resourceReadStatements } from './iam-statements.ts';

/** The member role's name: the `roleArn` of an accounts entry is `arn:aws:iam::<member>:role/perf-budgets-member`. */
export const MEMBER_ROLE_NAME = 'perf-budgets-member';

export interface PerfBudgetsMemberRoleProps {
  /**
   * The account the central PerfBudgets stack is deployed in: its collect and act Lambdas (and, with approve mode's
   * Slack buttons, its approval worker) assume this role.
   */
  readonly centralAccountId: string;
  /**
   * The exact roles that may assume this role: the central stack's `CollectRoleArn` and `ActRoleArn` outputs, and
   * `ApprovalApplyRoleArn` where the central stack has one (approved changes are applied by that role).
   * @default - the roles under the path /perf-budgets/ of the central account (collect, act and the approval worker)
   */
  readonly trustedRoleArns?: readonly string[];
  /** An sts:ExternalId the central stack must send (give the same `externalId` in its accounts entry). @default - none */
  readonly externalId?: string;
  /**
   * Let the central act Lambda change scaling and endpoint capacity, only on resources tagged
   * `perf-budgets:managed=true`. @default false, read-only
   */
  readonly allowActuation?: boolean;
  /**
   * Regions whose SageMaker resources the role may read (IAM is global: one role serves every region).
   * @default - every region
   */
  readonly regions?: readonly string[];
  /** The role's name; the central accounts entry's roleArn must name it. @default 'perf-budgets-member' */
  readonly roleName?: string;
}

/**
 * The role a member account gives the central perf-budgets deployment: trusted only by the central collect and act
 * roles and the approval worker (an optional external id on top), read-only on CloudWatch metrics, SageMaker endpoints and Application Auto
 * Scaling, and, only when actuation is allowed, changes to scaling and endpoint capacity on resources tagged
 * `perf-budgets:managed=true`. No action is a wildcard; "*" resources are only where AWS has no resource-level
 * permissions.
 */
export class PerfBudgetsMemberRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PerfBudgetsMemberRoleProps) {
    super(scope, id);
    validate(id, props);
    const central = props.centralAccountId;
    const trusted = props.trustedRoleArns ?? [
      `arn:${Aws.PARTITION}:iam::${central}:role${CENTRAL_ROLE_PATH}*`,
    ];
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? MEMBER_ROLE_NAME,
      description: `perf-budgets: the central deployment in ${central} reads${props.allowActuation ? ' and scales managed' : ''} SageMaker endpoints here`,
      assumedBy: new iam.AccountPrincipal(central).withConditions({
        ArnLike: { 'aws:PrincipalArn': [...trusted] },
        ...(props.externalId ? { StringEquals: { 'sts:ExternalId': props.externalId } } : {}),
      }),
    });

    const regions = props.regions ?? ['*'];
    attachReadPolicy(this, 'Read', this.role, resourceReadStatements(regions), regions);
    if (props.allowActuation) attachActuationPolicy(this, this.role, regions);
  }
}

function validate(id: string, props: PerfBudgetsMemberRoleProps): void {
  const fail = (message: string) => {
    throw new Error(`PerfBudgetsMemberRole ${id}: ${message}`);
  };
  if (!AccountIdSchema.safeParse(props.centralAccountId).success) {
    fail(
      `centralAccountId ${JSON.stringify(props.centralAccountId)} is not a 12-digit account id; give the account of the central stack, e.g. "111122223333"`,
    );
  }
  if (props.trustedRoleArns !== undefined) {
    if (props.trustedRoleArns.length === 0) {
      fail('trustedRoleArns is empty; give the central CollectRoleArn and ActRoleArn, or leave it unset');
    }
    for (const arn of props.trustedRoleArns) {
      if (!RoleArnSchema.safeParse(arn).success || roleAccount(arn) !== props.centralAccountId) {
        fail(
          `trustedRoleArns entry ${JSON.stringify(arn)} is not a role of the central account ${props.centralAccountId}; give the central stack's CollectRoleArn and ActRoleArn outputs`,
        );
      }
    }
  }
  if (props.externalId !== undefined && !ExternalIdSchema.safeParse(props.externalId).success) {
    fail(
      `externalId ${JSON.stringify(props.externalId)} is not valid; use 2 to 1224 letters, digits or +=,.@:/-`,
    );
  }
  if (props.regions !== undefined) {
    if (props.regions.length === 0)
      fail('regions is empty; list regions such as "us-east-1", or leave it unset');
    for (const r of props.regions) {
      if (!RegionSchema.safeParse(r).success)
        fail(`regions entry ${JSON.stringify(r)} is not an AWS region such as "us-east-1"`);
    }
  }
  if (props.roleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(props.roleName)) {
    fail(
      `roleName ${JSON.stringify(props.roleName)} is not an IAM role name (1 to 64 of letters, digits, +=,.@_-)`,
    );
  }
}
