import { describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { summaryLines } from '../../lambdas/cycle/report.ts';
import { budgetResult } from '../core/limits/fixtures.ts';

describe('the Slack summary of a report', () => {
  it('says UNKNOWN, never OK, of a budget whose spend could not be read', () => {
    const result = {
      asOf: '2026-10-10',
      period: { start: '2026-10-01', end: '2026-11-01' },
      currency: 'USD',
      budgets: [
        budgetResult({
          name: 'chat-prod',
          status: 'unknown',
          cap: 3000,
          spendToDate: null,
          forecast: { expected: null, low: null, high: null, method: 'none' },
        }),
      ],
    } as unknown as CycleResult;
    expect(summaryLines(result)).toEqual(['UNKNOWN chat-prod: unknown of $3,000.00, forecast unknown']);
  });
});
