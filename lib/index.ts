/**
 * The construct library (`import { PerfBudgets } from 'perf-budgets'`): the construct, the ready-made stacks, the
 * alert targets, and the budget file's types and reader. Everything else in the package is internal.
 */
export type {
  Account,
  AthenaConfig,
  Budget,
  BudgetException,
  BudgetFile,
  Limits,
  Mode,
  ScalingGuardrails,
  Selector,
  Tier,
  TierGuardrails,
} from '../lambdas/core/budget.ts';
export {
  type AlertChannel,
  type AlertTarget,
  type AlertTargetBinding,
  type AlertTargetHost,
  AlertTargets,
} from './alert-targets.ts';
export type { AthenaAccess, S3Location } from './athena.ts';
export { BudgetFileError, readBudgetFile } from './budget-config.ts';
export { MEMBER_ROLE_NAME, PerfBudgetsMemberRole, type PerfBudgetsMemberRoleProps } from './member-role.ts';
export { PerfBudgetsMemberStack, type PerfBudgetsMemberStackProps } from './member-stack.ts';
export { PerfBudgets, type PerfBudgetsProps } from './perf-budgets.ts';
export { PerfBudgetsStack, type PerfBudgetsStackProps } from './stack.ts';
