/**
 * Budget status flags: each budget's status published as an SSM parameter, so applications can switch expensive
 * features off when their budget is breached.
 *
 * SSM parameter names (Systems Manager user guide, "Parameter name requirements"): case sensitive; only
 * a-z A-Z 0-9 and `_ . - /`; a hierarchy of at most 15 levels, each `/`-separated; the whole name at most 1011
 * characters; no name may begin (its first level) with `aws` or `ssm` in any case. Budget names are
 * `[A-Za-z0-9][A-Za-z0-9._-]*` (budget.ts), so they fit one level; only their length can break the rules, and a name
 * that does is reported, never truncated (a truncated name could collide with another budget's).
 */
import type { Status } from '../types.ts';

export const SSM_NAME_MAX = 1011;
export const SSM_MAX_LEVELS = 15;
const SSM_NAME = /^[A-Za-z0-9_.\-/]+$/;

export const budgetStatusParameterName = (budget: string): string => `/perf-budgets/budgets/${budget}/status`;

/** Why `name` cannot be an SSM parameter name, or undefined when it can. */
export function ssmNameProblem(name: string): string | undefined {
  if (!SSM_NAME.test(name)) return `${JSON.stringify(name)} has characters SSM parameter names cannot hold`;
  if (name.length > SSM_NAME_MAX) return `${name.slice(0, 40)}... is longer than ${SSM_NAME_MAX} characters`;
  const levels = name.split('/').filter((p) => p.length > 0);
  if (levels.length > SSM_MAX_LEVELS) return `${name} has more than ${SSM_MAX_LEVELS} levels`;
  if (
    name
      .split('/')
      .slice(1, -1)
      .some((p) => p.length === 0)
  )
    return `${name} has an empty level`;
  if (/^(aws|ssm)/i.test(levels[0] ?? '')) return `${name} begins with a prefix AWS reserves (aws, ssm)`;
  return undefined;
}

export interface StatusParameters {
  /** Parameter name -> `ok | at-risk | breached | unknown`. */
  readonly parameters: Map<string, string>;
  /** Budgets whose parameter name SSM would refuse, with why. */
  readonly problems: readonly string[];
}

/** One parameter per budget: `/perf-budgets/budgets/<name>/status` = its status. */
export function budgetStatusParameters(
  budgets: readonly { readonly name: string; readonly status: Status }[],
): StatusParameters {
  const parameters = new Map<string, string>();
  const problems: string[] = [];
  for (const b of budgets) {
    const name = budgetStatusParameterName(b.name);
    const problem = ssmNameProblem(name);
    if (problem) problems.push(`budget ${b.name}: ${problem}`);
    else parameters.set(name, b.status);
  }
  return { parameters, problems };
}
