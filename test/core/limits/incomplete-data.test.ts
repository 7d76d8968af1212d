import { describe, expect, it } from 'vitest';
import { incompleteData, spendUnknownKey } from '../../../lambdas/core/limits/incomplete-data.ts';
import { budgetResult } from './fixtures.ts';

describe('incomplete data', () => {
  it('asks to restore the source, saving nothing', () => {
    expect(incompleteData.remedy('chat-a')).toEqual({
      type: 'restore-data',
      endpoint: 'chat-a',
      estimatedSavings: 0,
      risk: 'low',
      description:
        'Fix the source or re-run once the data is complete; until then these numbers are lower bounds.',
    });
  });

  it('counts the gaps in its headline', () => {
    const a = { asOf: '2026-10-15', currency: 'USD', message: 'x.' };
    expect(incompleteData.headline({ ...a, findings: [1] })).toBe(
      'incomplete data, 1 gap: numbers are lower bounds (as of 2026-10-15)',
    );
    expect(incompleteData.headline({ ...a, findings: [1, 2] })).toMatch(/^incomplete data, 2 gaps:/);
  });

  it('says in its headline that spend is unknown when one of its findings does', () => {
    const a = { asOf: '2026-10-15', currency: 'USD', message: 'x.' };
    const unknown = { budget: 'chat-prod', key: spendUnknownKey('chat-prod') };
    expect(
      incompleteData.headline({ ...a, findings: [{ budget: 'chat-prod', key: 'other' }, unknown] }),
    ).toBe(
      'spend unknown, status UNKNOWN: no cost data of the period could be read for it, 2 gaps (as of 2026-10-15)',
    );
  });

  it('closes as soon as the gap does, for the endpoint or the whole budget', () => {
    expect(incompleteData.recoveryKnown(budgetResult(), undefined)).toBe(true);
    expect(incompleteData.resolved?.(budgetResult(), 'chat-a', 'USD').message).toBe(
      'The data of chat-a is complete again.',
    );
    expect(incompleteData.resolved?.(budgetResult(), '*', 'USD').message).toBe(
      "chat-prod's cost and metric data is complete again.",
    );
  });
});
