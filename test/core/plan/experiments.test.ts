import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import { endpointsPastExitCriteria, pastExitCriteria } from '../../../lambdas/core/plan/experiments.ts';
import { hostingRows } from '../../helpers/build.ts';
import { budget, file, snap } from '../evaluate/fixtures.ts';

const experiment = (maxDays: number) => {
  const rows = ['exp-old', 'exp-new'].flatMap((endpoint, i) =>
    hostingRows({
      endpoint,
      from: i === 0 ? '2026-09-20' : '2026-10-05',
      days: i === 0 ? 20 : 5,
      type: 'ml.g5.xlarge',
      instances: () => 1,
    }),
  );
  return evaluate(
    snap(rows, '2026-10-09'),
    file([{ ...budget({}, { selector: { endpoints: ['exp-*'] } }), tier: 'experiment' }], {
      experiment: { mode: 'enforce', exitCriteria: { maxDays } },
    }),
  ).budgets[0];
};

describe('experiments past their exit criteria', () => {
  it('names the endpoints the evaluation found past their exit criteria, and only those', () => {
    const b = experiment(14);
    if (!b) throw new Error('expected a budget');
    expect(endpointsPastExitCriteria(b)).toEqual(['exp-old']);
    expect(pastExitCriteria(b)).toBe(true);
    expect(pastExitCriteria(b, 'exp-old')).toBe(true);
    expect(pastExitCriteria(b, 'exp-new')).toBe(false);
  });

  it('finds none while every endpoint is within its criteria', () => {
    const b = experiment(30);
    if (!b) throw new Error('expected a budget');
    expect(endpointsPastExitCriteria(b)).toEqual([]);
    expect(pastExitCriteria(b)).toBe(false);
  });
});
