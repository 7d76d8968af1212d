import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetSchema } from '../../lambdas/core/budget.ts';
import { explainChange } from '../../lambdas/core/cause.ts';
import { DayClock } from '../../lambdas/core/period.ts';
import { allocateSpend } from '../../lambdas/core/spend.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { hostingRows } from '../helpers/build.ts';

const budget = BudgetSchema.parse({
  name: 'b',
  owner: 'o',
  tier: 't',
  environment: 'prod',
  selector: { endpoints: ['*'] },
  limits: {},
});
const baseline = { from: '2026-09-01', to: '2026-09-08' };
const current = { from: '2026-09-08', to: '2026-09-15' };

function explain(
  rows: CostRecord[],
  invocations: (e: string, from: string) => number | undefined = () => undefined,
) {
  const [view] = allocateSpend(rows, [budget], new DayClock('UTC'), {
    endMs: Date.parse('2026-10-01'),
    periodStart: '2026-09-01',
  });
  if (!view) throw new Error('no view');
  return explainChange({
    endpoints: [...view.endpoints.values()],
    other: view.other,
    baseline,
    current,
    daysInPeriod: 30,
    invocations: (e, w) => invocations(e, w.from),
    currency: 'USD',
  });
}

describe('cause of a spend change', () => {
  it('names a new endpoint when it had no instance-hours in the baseline', () => {
    const rows = hostingRows({
      endpoint: 'fresh',
      from: '2026-09-08',
      days: 7,
      type: 'ml.g5.xlarge',
      instances: () => 2,
    });
    const c = explain(rows);
    expect(c.primary).toBe('new-endpoint');
    // 2 instances x $1.408 x 24 h = $67.584/day, x 30 days
    expect(c.parts['new-endpoint']).toBeCloseTo(67.584 * 30, 2);
  });

  it('names an instance-type change when the type moved and the hours did not', () => {
    const rows = hostingRows({
      endpoint: 'rank',
      from: '2026-09-01',
      days: 14,
      type: (h) => (h < 7 * 24 ? 'ml.g5.xlarge' : 'ml.g5.4xlarge'),
      instances: () => 2,
    });
    const c = explain(rows, () => 1000);
    expect(c.primary).toBe('instance-change');
    expect(c.parts['instance-change']).toBeCloseTo((2.03 - 1.408) * 48 * 30, 2);
    expect(c.parts.traffic).toBeCloseTo(0, 6);
    expect(c.parts['idle-capacity']).toBeCloseTo(0, 6);
    expect(c.summary).toContain('ml.g5.xlarge → ml.g5.4xlarge');
  });

  it('names traffic when instance-hours grew in step with invocations', () => {
    const rows = hostingRows({
      endpoint: 'search',
      from: '2026-09-01',
      days: 14,
      type: 'ml.c5.xlarge',
      instances: (h) => (h < 7 * 24 ? 2 : 3),
    });
    const c = explain(rows, (_e, from) => (from === baseline.from ? 1000 : 1500));
    expect(c.primary).toBe('traffic');
    expect(c.parts.traffic).toBeCloseTo(0.204 * 24 * 30, 2);
    expect(c.parts['idle-capacity']).toBeCloseTo(0, 6);
  });

  it('names idle capacity when instance-hours grew and invocations did not', () => {
    const rows = hostingRows({
      endpoint: 'chat',
      from: '2026-09-01',
      days: 14,
      type: 'ml.g5.2xlarge',
      // nights (0-7h) held at 4 instead of 1 from day 8
      instances: (h) => (h >= 7 * 24 && h % 24 < 8 ? 4 : h % 24 < 8 ? 1 : 3),
    });
    const c = explain(rows, () => 5000);
    expect(c.primary).toBe('idle-capacity');
    expect(c.parts['idle-capacity']).toBeCloseTo(3 * 8 * 1.515 * 30, 2);
    expect(c.parts.traffic).toBeCloseTo(0, 6);
  });

  it('splits growth that outpaces traffic between traffic and idle capacity', () => {
    const rows = hostingRows({
      endpoint: 'mixed',
      from: '2026-09-01',
      days: 14,
      type: 'ml.m5.xlarge',
      instances: (h) => (h < 7 * 24 ? 2 : 4),
    });
    const c = explain(rows, (_e, from) => (from === baseline.from ? 100 : 150));
    // +48 instance-hours a day, of which traffic (+50%) explains 24
    expect(c.parts.traffic).toBeCloseTo(24 * 0.23 * 30, 2);
    expect(c.parts['idle-capacity']).toBeCloseTo(24 * 0.23 * 30, 2);
  });

  it('names price when the same type costs more per hour', () => {
    const rows = [
      ...hostingRows({
        endpoint: 'p',
        from: '2026-09-01',
        days: 7,
        type: 'ml.m5.xlarge',
        instances: () => 1,
        price: 0.23,
      }),
      ...hostingRows({
        endpoint: 'p',
        from: '2026-09-08',
        days: 7,
        type: 'ml.m5.xlarge',
        instances: () => 1,
        price: 0.3,
      }),
    ];
    const c = explain(rows, () => 10);
    expect(c.primary).toBe('price');
    expect(c.parts.price).toBeCloseTo(0.07 * 24 * 30, 2);
  });

  it('parts always add up to the change (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 14, maxLength: 14 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        (perDay, switchType, invBase, invCur) => {
          const rows = hostingRows({
            endpoint: 'x',
            from: '2026-09-01',
            days: 14,
            type: (h) => (switchType && h >= 7 * 24 ? 'ml.g5.2xlarge' : 'ml.g5.xlarge'),
            instances: (h) => perDay[Math.floor(h / 24)] ?? 0,
          });
          const c = explain(rows, (_e, from) => (from === baseline.from ? invBase : invCur));
          const sum = Object.values(c.parts).reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(c.change, 0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
