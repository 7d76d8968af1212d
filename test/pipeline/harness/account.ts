/**
 * The account the pipeline tests run against: the API benchmark's synthetic account (test/bench/api-account.ts),
 * small, and a budget file over its team tags with caps that some teams' spend crosses, so that a cycle has
 * alerts to send. Slack and the topic are both alert targets (the budget file's notifications name them).
 */
import { ApiAccount, type ApiAccountOptions } from '../../bench/api-account.ts';

export const ACCOUNT_OPTIONS: ApiAccountOptions = { endpoints: 20, teams: 4, ceGroupsPerPage: 1000 };
/** A day the account has data for (it simulates 2026-08-01 to 2026-10-31) in the middle of a period. */
export const AS_OF = '2026-10-14';

/**
 * Caps against the account's spend to 2026-10-14: team-01 has spent about $1,600 (over half its cap, forecast
 * over it), team-02 about $1,740 (over its cap); the others stay well inside.
 */
const CAPS: Readonly<Record<string, number>> = {
  'team-01-inference': 3_000,
  'team-02-inference': 1_500,
};

export function pipelineAccount(): ApiAccount {
  return new ApiAccount(ACCOUNT_OPTIONS);
}

export function pipelineBudgetFile(account: ApiAccount): Record<string, unknown> {
  const file = account.budgetFile() as { budgets: { name: string; limits: Record<string, number> }[] };
  return {
    ...file,
    notifications: {
      sns: { topicArn: 'arn:aws:sns:us-east-1:111122223333:perf-budgets-alerts' },
      slack: {},
    },
    budgets: file.budgets.map((b) => {
      const cap = CAPS[b.name];
      return cap === undefined ? b : { ...b, limits: { ...b.limits, spendPerPeriod: cap } };
    }),
  };
}

/**
 * The tier the act tests put team-04 in (enforce, or approve): its managed endpoints (actuation.ts) are changed
 * within the guardrails.
 */
export const ENFORCE_TIER = 'scaling';
export const ENFORCE_BUDGET = 'team-04-inference';

/**
 * The pipeline's budget file with team-04's budget in an enforce tier: team-04 owns the two endpoints tagged
 * `perf-budgets:managed=true`, and no alert of the other tests' cycles.
 */
export function enforceBudgetFile(account: ApiAccount): Record<string, unknown> {
  return withScalingTier(account, { mode: 'enforce' });
}

/** Who may approve team-04's changes in approve mode: two Slack member ids. */
export const APPROVERS: readonly string[] = ['U0PIPEAPPROVER1', 'U0PIPEAPPROVER2'];

/** As `enforceBudgetFile`, with the tier in approve mode: each change waits for one of `APPROVERS`. */
export function approveBudgetFile(account: ApiAccount): Record<string, unknown> {
  return withScalingTier(account, { mode: 'approve', approvers: [...APPROVERS] });
}

function withScalingTier(account: ApiAccount, tier: Record<string, unknown>): Record<string, unknown> {
  const file = pipelineBudgetFile(account) as { tiers: Record<string, unknown>; budgets: { name: string }[] };
  return {
    ...file,
    tiers: { ...file.tiers, [ENFORCE_TIER]: tier },
    budgets: file.budgets.map((b) => (b.name === ENFORCE_BUDGET ? { ...b, tier: ENFORCE_TIER } : b)),
  };
}
