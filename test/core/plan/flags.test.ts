import { describe, expect, it } from 'vitest';
import { budgetStatusParameters, ssmNameProblem } from '../../../lambdas/core/plan/flags.ts';

describe('budget status flags', () => {
  it('publishes each budget status under /perf-budgets/budgets/<name>/status', () => {
    const { parameters, problems } = budgetStatusParameters([
      { name: 'search-prod', status: 'breached' },
      { name: 'chat.v2_eu', status: 'at-risk' },
      { name: 'exp-a', status: 'unknown' },
      { name: 'batch', status: 'ok' },
    ]);
    expect([...parameters]).toEqual([
      ['/perf-budgets/budgets/search-prod/status', 'breached'],
      ['/perf-budgets/budgets/chat.v2_eu/status', 'at-risk'],
      ['/perf-budgets/budgets/exp-a/status', 'unknown'],
      ['/perf-budgets/budgets/batch/status', 'ok'],
    ]);
    expect(problems).toEqual([]);
  });

  it('reports, and does not truncate, a budget whose parameter name SSM would refuse', () => {
    const long = 'b'.repeat(1000);
    const { parameters, problems } = budgetStatusParameters([
      { name: long, status: 'ok' },
      { name: 'fine', status: 'ok' },
    ]);
    expect([...parameters.keys()]).toEqual(['/perf-budgets/budgets/fine/status']);
    expect(problems[0]).toMatch(/longer than 1011 characters/);
  });

  it('knows the SSM name rules: characters, reserved prefixes, levels and empty levels', () => {
    expect(ssmNameProblem('/perf-budgets/budgets/a/status')).toBeUndefined();
    expect(ssmNameProblem('/perf-budgets/team a/status')).toMatch(/characters/);
    expect(ssmNameProblem('/AWS-x/status')).toMatch(/reserves/);
    expect(ssmNameProblem('/ssm/status')).toMatch(/reserves/);
    expect(ssmNameProblem(`/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`)).toMatch(
      /15 levels/,
    );
    expect(ssmNameProblem('/perf-budgets//status')).toMatch(/empty level/);
  });
});
