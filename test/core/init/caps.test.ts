import { describe, expect, it } from 'vitest';
import type { GroupBaseline } from '../../../lambdas/core/init/baseline.ts';
import {
  ceilSignificant,
  ceilSignificantMoney,
  floorSignificant,
  proposeLimits,
  spendCap,
} from '../../../lambdas/core/init/caps.ts';
import { parseMoney } from '../../../lambdas/core/money.ts';

const $ = (s: string) => parseMoney(s) as bigint;

describe('rounding caps to two significant digits', () => {
  it('rounds up, never below the value', () => {
    expect(ceilSignificant(4073.78)).toBe(4100);
    expect(ceilSignificant(0.013)).toBe(0.013);
    expect(ceilSignificant(0.0131)).toBe(0.014);
    expect(ceilSignificant(63.6)).toBe(64);
    expect(ceilSignificant(4100)).toBe(4100);
    for (const x of [0.000123456, 1.0000001, 99.01, 123456.7])
      expect(ceilSignificant(x)).toBeGreaterThanOrEqual(x);
  });

  it('rounds a floor down, never above the value', () => {
    expect(floorSignificant(0.2538)).toBe(0.25);
    expect(floorSignificant(0.14)).toBe(0.14);
    for (const x of [0.0461, 0.999, 0.3333]) expect(floorSignificant(x)).toBeLessThanOrEqual(x);
  });

  it('rounds exact money up to two significant digits', () => {
    expect(ceilSignificantMoney($('4073.78'))).toBe($('4100'));
    expect(ceilSignificantMoney($('4100'))).toBe($('4100'));
    expect(ceilSignificantMoney($('0.421'))).toBe($('0.43'));
  });
});

describe('spendCap', () => {
  const group = (spend: GroupBaseline['spend']): GroupBaseline => ({
    group: {
      name: 'g',
      tags: {},
      selector: { endpoints: ['g'] },
      endpoints: ['g'],
      environment: undefined,
      tier: 'production',
      owner: undefined,
    },
    ...(spend ? { spend } : {}),
    endpoints: [],
  });

  it('is the median day over 31 days plus the spend above the median at the measured rate, with headroom', () => {
    const r = spendCap(
      group({
        from: '2026-03-01',
        to: '2026-03-10',
        days: 10,
        median: $('10'),
        peak: $('20'),
        peakDay: '2026-03-05',
        aboveMedian: $('10'),
      }),
      { headroomPercent: 20, currency: 'USD', window: { from: '2026-03-01', to: '2026-03-10' } },
    );
    // (10 x 31 + 10 x 31 / 10) x 1.2 = 409.2 -> 410
    expect(r.cap).toBe(410);
    expect(r.comment?.join('\n')).toContain('median day $10.00, peak day $20.00 (2026-03-05)');
  });

  it('leaves the cap out, saying why, when the budget had no charge', () => {
    const r = spendCap(group(undefined), {
      headroomPercent: 20,
      currency: 'USD',
      window: { from: '2026-03-01', to: '2026-03-10' },
    });
    expect(r.cap).toBeUndefined();
    expect(r.leftOut).toMatch(/no charge/);
  });

  it('leaves cost per 1k out when no spend was measured, never $0 from missing spend', () => {
    const r = proposeLimits(
      {
        ...group(undefined),
        endpoints: [
          {
            name: 'g',
            invocations: 1_000_000,
            costPer1k: 0,
            latencyP99Ms: 50,
            utilization: 0.5,
            peakInstances: 2,
          },
        ],
      },
      { headroomPercent: 20, currency: 'USD', window: { from: '2026-03-01', to: '2026-03-10' } },
      true,
    );
    expect(r.limits.costPer1kInferences).toBeUndefined();
    expect(r.leftOut).toContain('costPer1kInferences: no spend of this budget was measured');
    expect(r.limits.latencyP99Ms).toBe(60);
  });
});
