/**
 * Commitments counted as the bill counts them: the same account (Savings Plan and reserved-instance coverage, their
 * fees, unused commitment, a credit and a refund) as a CUR v1 file and as a FOCUS 1.0 file, against sums done by hand.
 *
 * Billed (CUR UnblendedCost, FOCUS BilledCost):
 *   search-prod  1.408 covered - 1.408 negation + 1.408 on demand - 0.10 refund    = 1.308  (FOCUS: 0 + 1.408 - 0.10)
 *   rank-prod    0 under the reservation + 0.23 on demand                           = 0.23
 *   no budget    1.10 SP fee + 0.25 RI fee + 100.00 RI upfront - 0.50 credit        = 100.85
 * Effective (CUR amortised per line item type, FOCUS EffectiveCost):
 *   search-prod  1.01376 SP rate + 0 negation + 1.408 - 0.10                        = 2.32176
 *   rank-prod    0.30 RI rate + 0.23                                                = 0.53
 *   no budget    0.08624 unused SP + 0.05 unused RI + 0 upfront - 0.50 credit       = -0.36376
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import { formatMoney } from '../../../lambdas/core/money.ts';
import { DayClock } from '../../../lambdas/core/period.ts';
import { allocate } from '../../../lambdas/core/spend.ts';
import { loadCostFile } from '../../../lambdas/formats/cost-files.ts';
import { ms } from '../../helpers/build.ts';
import { ROOT } from '../../helpers/cli.ts';

const FILES = {
  cur: join(ROOT, 'test/fixtures/cur/sagemaker-commitments.csv'),
  focus: join(ROOT, 'test/fixtures/focus/sagemaker-commitments.csv'),
};

function budgets(costMetric: 'billed' | 'effective') {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    costMetric,
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { production: { mode: 'advise' } },
    budgets: ['search', 'rank'].map((name) => ({
      name,
      owner: 'o@example.com',
      tier: 'production',
      environment: 'prod',
      selector: { endpoints: [`${name}-*`] },
      limits: { spendPerPeriod: 1000 },
    })),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

const HAND = {
  billed: { search: '1.3080000000', rank: '0.2300000000', unbudgeted: 100.85 },
  effective: { search: '2.3217600000', rank: '0.5300000000', unbudgeted: -0.36 },
} as const;

describe.each(['cur', 'focus'] as const)('commitments in a %s file', (format) => {
  describe.each(['billed', 'effective'] as const)('%s cost', (metric) => {
    it('gives each budget and the unbudgeted rest what the bill gives them, summed by hand', async () => {
      const { records } = await loadCostFile(FILES[format], { costMetric: metric });
      const r = evaluate(
        { asOf: '2026-10-01', currency: 'USD', costs: records, inventory: [], gaps: [] },
        budgets(metric),
      );
      const spend = (name: string) => r.budgets.find((b) => b.name === name)?.spendToDateExact;
      expect(spend('search')).toBe(HAND[metric].search);
      expect(spend('rank')).toBe(HAND[metric].rank);
      expect(r.unbudgeted?.total).toBe(HAND[metric].unbudgeted);
    });

    it('counts what the bill sets against hosting as hosting, and its instance-hours once', async () => {
      const { records } = await loadCostFile(FILES[format], { costMetric: metric });
      const { views } = allocate(records, budgets(metric).budgets, new DayClock('UTC'), {
        endMs: ms('2026-10-02'),
        periodStart: '2026-10-01',
      });
      const day = (budget: number, endpoint: string) =>
        views[budget]?.endpoints.get(endpoint)?.days.get('2026-10-01');
      const search = day(0, 'search-prod');
      const rank = day(1, 'rank-prod');
      // every charge on the endpoints is hosting: covered usage, its negation, on-demand usage and the refund
      expect(formatMoney(search?.hostingCost ?? 0n, 10)).toBe(HAND[metric].search);
      expect(search?.hostingCost).toBe(search?.cost);
      expect(formatMoney(rank?.hostingCost ?? 0n, 10)).toBe(HAND[metric].rank);
      // one covered hour and one on-demand hour; the negation and the refund carry no instance-hours
      expect(search?.hours).toBe(2);
      expect(rank?.hours).toBe(3);
      expect(views[0]?.endpoints.get('search-prod')?.hourlyInstances).toEqual(
        new Map([
          [ms('2026-10-01T00:00:00Z'), 1],
          [ms('2026-10-01T01:00:00Z'), 1],
        ]),
      );
    });
  });
});

describe('the real FOCUS sample', () => {
  // rows 458 (an AWS credit: BilledCost -2.6137, EffectiveCost -3.0), 949 and 950 (Oracle adjustments: BilledCost
  // 0.192 and 0.08, EffectiveCost 0); its four Savings-Plan-covered rows bill 0 and carry an EffectiveCost of 0
  it.each([
    ['billed', '-2.3417000000'],
    ['effective', '-3.0000000000'],
  ] as const)('sums its credit and adjustments as the file states their %s cost', async (metric, sum) => {
    const { records } = await loadCostFile(join(ROOT, 'test/fixtures/focus/focus_sample.csv'), {
      costMetric: metric,
    });
    const adjusted = records.filter(
      (r) => r.chargeCategory === 'Credit' || r.chargeCategory === 'Adjustment',
    );
    expect(adjusted).toHaveLength(3);
    expect(
      formatMoney(
        adjusted.reduce((s, r) => s + r.amount, 0n),
        10,
      ),
    ).toBe(sum);
  });
});
