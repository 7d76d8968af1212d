import { describe, expect, it } from 'vitest';
import { BudgetSchema } from '../../../lambdas/core/budget.ts';
import {
  managedSpotParameters,
  maxWaitSeconds,
  SPOT_SAVING_DEFAULT,
  spotEstimates,
  spotSavingRate,
  type TrainingJob,
} from '../../../lambdas/core/plan/spot.ts';

const job = (name: string, over: Partial<TrainingJob> = {}): TrainingJob => ({
  name,
  instanceType: 'ml.p3.2xlarge',
  instanceCount: 1,
  spot: false,
  trainingSeconds: 7_200,
  tags: { team: 'ml' },
  ...over,
});
const spotJob = (name: string, training: number, billable: number) =>
  job(name, { spot: true, trainingSeconds: training, billableSeconds: billable });

const budgets = [
  BudgetSchema.parse({
    name: 'ml-dev',
    owner: 'ml@example.com',
    tier: 'dev',
    environment: 'dev',
    selector: { tags: { team: 'ml' } },
    limits: {},
  }),
];

describe('managed spot estimates', () => {
  it('measures the saving on the account spot jobs, the median weighted by training time', () => {
    // savings 0.9 (1 h), 0.6 (10 h), 0.2 (2 h): half the 13 h weight is reached at 0.6
    const r = spotSavingRate([
      spotJob('a', 3_600, 360),
      spotJob('b', 36_000, 14_400),
      spotJob('c', 7_200, 5_760),
      job('on-demand'),
    ]);
    expect(r.basis).toBe('measured');
    expect(r.spotJobs).toBe(3);
    expect(r.fraction).toBeCloseTo(0.6, 10);
  });

  it('says the saving is an estimate from the default when the account has no spot job', () => {
    const r = spotSavingRate([job('a'), job('b', { spot: true, billableSeconds: undefined })]);
    expect(r).toMatchObject({ basis: 'estimate', fraction: SPOT_SAVING_DEFAULT, spotJobs: 0 });
    expect(r.note).toMatch(/estimate of 50% \(AWS quotes up to 90%\)/);
  });

  it('counts on-demand instance-hours per tier and prices them, listing jobs it cannot measure or price', () => {
    const [e] = spotEstimates(
      [
        job('a', { instanceCount: 2 }),
        job('b', { trainingSeconds: undefined }),
        job('c', { instanceType: 'ml.trn1.32xlarge' }),
        job('other-team', { tags: { team: 'other' } }),
        spotJob('s', 10_000, 3_000),
      ],
      budgets,
    );
    expect(e?.tier).toBe('dev');
    expect(e?.onDemandJobs).toEqual(['a', 'b', 'c']);
    expect(e?.onDemandInstanceHours).toBe(6); // 2 h x 2 + 2 h
    expect(e?.unmeasuredJobs).toEqual(['b']);
    expect(e?.unpricedJobs).toEqual(['c']);
    expect(e?.rate.fraction).toBeCloseTo(0.7, 10);
    expect(e?.savingInstanceHours).toBe(4.2);
    expect(e?.savingCurrency).toBe(Math.round(4 * 3.825 * 0.7 * 100) / 100);
  });

  it('waits twice the p90 training time, at least an hour, in whole hours', () => {
    const times = [600, 1_200, 1_800, 2_400, 3_000, 3_600, 4_200, 4_800, 5_400, 36_000];
    expect(maxWaitSeconds(times.map((t, i) => job(`j${i}`, { trainingSeconds: t })))).toBe(3 * 3_600);
    expect(maxWaitSeconds([job('short', { trainingSeconds: 60 })])).toBe(3_600);
    expect(maxWaitSeconds([job('none', { trainingSeconds: undefined })])).toBe(3_600);
  });

  it('sets the flag of enforce tiers and advises advise and approve tiers that ran on demand', () => {
    const estimates = spotEstimates([job('a', { trainingSeconds: 5_400 })], budgets);
    const out = managedSpotParameters(estimates, {
      dev: 'enforce',
      staging: 'enforce',
      production: 'approve',
    });
    expect([...out.parameters]).toEqual([
      [
        '/perf-budgets/dev/training/managed-spot',
        JSON.stringify({ enabled: true, maxWaitSeconds: 3 * 3_600 }),
      ],
      [
        '/perf-budgets/staging/training/managed-spot',
        JSON.stringify({ enabled: true, maxWaitSeconds: 3_600 }),
      ],
    ]);
    expect(out.actions).toEqual([]);

    const advised = managedSpotParameters(estimates, { dev: 'advise' });
    expect(advised.parameters.size).toBe(0);
    expect(advised.actions).toHaveLength(1);
    expect(advised.actions[0]).toMatchObject({
      type: 'enable-managed-spot',
      estimatedSavings: Math.round(1.5 * 3.825 * SPOT_SAVING_DEFAULT * 100) / 100,
      change: { tier: 'dev', parameter: '/perf-budgets/dev/training/managed-spot', basis: 'estimate' },
    });
  });

  it('refuses to name a parameter for a tier whose name SSM would refuse', () => {
    const out = managedSpotParameters([], { 'team a': 'enforce' });
    expect(out.parameters.size).toBe(0);
    expect(out.problems[0]).toMatch(/^tier team a: .*characters/);
  });
});
