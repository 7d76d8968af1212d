import { describe, expect, it } from 'vitest';
import { exitCriteria } from '../../../lambdas/core/limits/exit-criteria.ts';
import { budgetResult, gap } from './fixtures.ts';

const canary = (ageDays: number, costPer1k: number | null) => ({ name: 'exp-a', ageDays, costPer1k });
const criteria = { maxDays: 14, maxCostPer1kInferences: 0.5 };

describe('exit criteria of an experiment', () => {
  it('is not applicable to a tier without criteria', () => {
    expect(exitCriteria.check(canary(99, 9), undefined)).toEqual({ status: 'not-applicable' });
  });

  it('is met past the days allowed or the unit cost allowed, with each reason', () => {
    expect(exitCriteria.check(canary(14, 0.5), criteria)).toEqual({ status: 'ok' });
    expect(exitCriteria.check(canary(15, 0.6), criteria)).toEqual({
      status: 'breached',
      reasons: [
        { kind: 'age', days: 15, maxDays: 14 },
        { kind: 'unit-cost', observed: 0.6, max: 0.5 },
      ],
    });
    expect(exitCriteria.check(canary(3, null), criteria)).toEqual({ status: 'ok' });
  });

  it('words every reason', () => {
    const v = exitCriteria.check(canary(20, 2.849), criteria);
    if (v.status !== 'breached') throw new Error('expected the criteria met');
    expect(exitCriteria.message(canary(20, 2.849), v.reasons, 'USD')).toBe(
      'Experiment exp-a meets its exit criteria: running 20 days, past its 14; costing $2.8490 per 1k inferences, above $0.5000.',
    );
  });

  it('ends the experiment, saving its daily spend for the days left', () => {
    expect(exitCriteria.remedies({ endpoint: 'exp-a', perDay: 33.792, remainingDays: 22 })).toEqual([
      {
        type: 'end-experiment',
        endpoint: 'exp-a',
        estimatedSavings: 743.42,
        risk: 'low',
        description: 'End the experiment: delete exp-a, or promote it to a production budget.',
        change: { delete: true },
      },
    ]);
  });

  it('headlines without numbers, and resolves only when the data is there', () => {
    expect(exitCriteria.headline({ asOf: '2026-10-15', currency: 'USD', message: 'x.', findings: [] })).toBe(
      'the experiment meets its exit criteria (as of 2026-10-15)',
    );
    expect(exitCriteria.recoveryKnown(budgetResult({ findings: [gap('exp-a')] }), 'exp-a')).toBe(false);
    expect(exitCriteria.recoveryKnown(budgetResult(), 'exp-a')).toBe(true);
  });
});
