import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetSchema } from '../../lambdas/core/budget.ts';
import { DRIVER_LABELS, explainChange } from '../../lambdas/core/cause.ts';
import { DayClock } from '../../lambdas/core/period.ts';
import { allocate } from '../../lambdas/core/spend.ts';
import type { Cause, CauseKind, CostRecord } from '../../lambdas/core/types.ts';
import { dailyRow, hostingRows } from '../helpers/build.ts';

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
  level: {
    utilization?: number;
    idleBelow?: number;
    selected?: typeof budget;
    base?: { from: string; to: string };
  } = {},
) {
  const [view] = allocate(rows, [level.selected ?? budget], new DayClock('UTC'), {
    endMs: Date.parse('2026-10-01'),
    periodStart: '2026-09-01',
  }).views;
  if (!view) throw new Error('no view');
  return explainChange({
    endpoints: [...view.endpoints.values()],
    other: view.other,
    baseline: level.base ?? baseline,
    current,
    daysInPeriod: 30,
    invocations: (e, w) => invocations(e, w.from),
    utilization: level.utilization,
    idleBelow: level.idleBelow,
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

/** Two weeks of hourly hosting rows from 2026-09-01: the baseline week, then the current one. */
const fortnight = (
  endpoint: string,
  type: string | ((hour: number) => string),
  instances: (hour: number) => number,
  tags?: Record<string, string>,
) => hostingRows({ endpoint, from: '2026-09-01', days: 14, type, instances, ...(tags ? { tags } : {}) });

/** Hosting rows whose bill states no instance-hours (no usage type, no quantity in hours): charges, not capacity. */
const withoutHours = (rows: CostRecord[]): CostRecord[] =>
  rows.map(({ instanceType: _t, usageHours: _h, usageType: _u, ...r }) => r);

describe('a cause is measured or unexplained', () => {
  it('names the rest unexplained when it holds the change and every named driver is $0', () => {
    // spend nearly triples in rows that say nothing of instances: nothing measures traffic or idle capacity
    const rows = withoutHours(fortnight('opaque', 'ml.g5.xlarge', (h) => (h < 7 * 24 ? 1 : 3)));
    const c = explain(rows, () => 1000, { utilization: 0.6 });
    expect(c.primary).toBe('unexplained');
    expect(c.parts.other).toBeCloseTo(2 * 1.408 * 24 * 30, 2);
    expect(c.parts.traffic).toBe(0);
    expect(c.summary).not.toMatch(/traffic|idle capacity/);
    expect(c.summary).toMatch(
      /mainly unexplained: \+\$2,027\.52 is in charges the bill does not state as instance-hours/,
    );
    expect(c.summary).toMatch(/Host:ml\.g5\.xlarge/);
  });

  it('counts a change in instance-hours without invocations as unexplained, not as traffic', () => {
    const rows = fortnight('search', 'ml.c5.xlarge', (h) => (h < 7 * 24 ? 2 : 3));
    const c = explain(rows, () => undefined, { utilization: 0.6 });
    expect(c.primary).toBe('unexplained');
    expect(c.parts.traffic).toBe(0);
    expect(c.parts['idle-capacity']).toBe(0);
    expect(c.parts.other).toBeCloseTo(0.204 * 24 * 30, 2);
    expect(c.summary).toMatch(
      /\+\$146\.88 is a change in instance-hours that invocations \(CloudWatch Invocations, or --metrics\) would split/,
    );
  });

  it('splits nothing without a baseline: the whole spend is the unexplained rest, whatever the utilisation', () => {
    const rows = fortnight('young', 'ml.g5.xlarge', () => 2);
    const c = explain(rows, () => 1000, { utilization: 0.1, base: { from: current.from, to: current.from } });
    expect(c.primary).toBe('unexplained');
    expect(c.parts.other).toBeCloseTo(c.change, 2);
    expect(c.parts['idle-capacity']).toBe(0);
    expect(c.summary).toMatch(
      /^No earlier spend to compare with: .* cannot be split by driver; mainly unexplained: cost data from before the window/,
    );
  });

  it('names the part that fell most when spend fell', () => {
    const rows = [
      ...fortnight('shrink', 'ml.m5.xlarge', (h) => (h < 7 * 24 ? 4 : 2)),
      ...fortnight('grow', 'ml.m5.xlarge', (h) => (h < 7 * 24 ? 1 : 2)),
    ];
    // shrink: traffic halved with its hours; grow: hours doubled with flat traffic
    const c = explain(rows, (e, from) => (e === 'shrink' && from === current.from ? 500 : 1000));
    expect(c.change).toBeLessThan(0);
    expect(c.parts.traffic).toBeCloseTo(-2 * 0.23 * 24 * 30, 2);
    expect(c.parts['idle-capacity']).toBeCloseTo(0.23 * 24 * 30, 2);
    expect(c.primary).toBe('traffic');
    expect(c.summary).toMatch(/mainly traffic \(mostly shrink\)/);
  });

  describe('with spend at its usual level', () => {
    const flat = fortnight('flat', 'ml.m5.xlarge', () => 2);

    it('names idle capacity from measured utilisation under the floor', () => {
      const c = explain(flat, () => 1000, { utilization: 0.2 });
      expect(c.primary).toBe('idle-capacity');
      expect(c.summary).toMatch(
        /spend is at its usual level, but the endpoints run at 20% utilisation: idle capacity\.$/,
      );
      expect(explain(flat, () => 1000, { utilization: 0.4, idleBelow: 0.5 }).primary).toBe('idle-capacity');
    });

    it('names traffic when utilisation is above the floor and invocations were counted', () => {
      const c = explain(flat, () => 1000, { utilization: 0.6 });
      expect(c.primary).toBe('traffic');
      expect(c.summary).toMatch(/follows the traffic served, at 60% utilisation\.$/);
    });

    it('gives no cause without utilisation, or without invocations to say the capacity serves traffic', () => {
      for (const c of [explain(flat, () => 1000), explain(flat, () => undefined, { utilization: 0.6 })]) {
        expect(c.primary).toBe('unexplained');
        expect(c.summary).toMatch(
          /without utilisation and invocations .* nothing tells idle capacity from traffic/,
        );
      }
    });
  });
});

const PARTS = ['traffic', 'idle-capacity', 'instance-change', 'price', 'new-endpoint', 'other'] as const;
const keyOf = (primary: Cause['primary']): CauseKind | 'other' =>
  primary === 'unexplained' ? 'other' : primary;
const dollars = (x: number) =>
  `$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

describe('cause properties', () => {
  const tagged = BudgetSchema.parse({ ...budget, selector: { tags: { team: 't' } } });
  const tags = { team: 't' };
  const arbitrary = fc.record({
    a: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 14, maxLength: 14 }),
    b: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 14, maxLength: 14 }),
    bHours: fc.boolean(),
    switchType: fc.boolean(),
    other: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 14, maxLength: 14 }),
    invBase: fc.option(fc.integer({ min: 1, max: 5000 })),
    invCur: fc.option(fc.integer({ min: 1, max: 5000 })),
    utilization: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  });
  const build = (x: typeof arbitrary extends fc.Arbitrary<infer T> ? T : never) => {
    const b = fortnight('b', 'ml.c5.xlarge', (h) => x.b[Math.floor(h / 24)] ?? 0, tags);
    const rows = [
      ...fortnight(
        'a',
        (h) => (x.switchType && h >= 7 * 24 ? 'ml.g5.2xlarge' : 'ml.g5.xlarge'),
        (h) => x.a[Math.floor(h / 24)] ?? 0,
        tags,
      ),
      ...(x.bHours ? b : withoutHours(b)),
      ...x.other.flatMap((amount, d) =>
        amount > 0 ? [dailyRow({ day: `2026-09-${String(d + 1).padStart(2, '0')}`, amount, tags })] : [],
      ),
    ];
    return explain(
      rows,
      (_e, from) => (from === baseline.from ? (x.invBase ?? undefined) : (x.invCur ?? undefined)),
      {
        utilization: x.utilization ?? undefined,
        selected: tagged,
      },
    );
  };

  it('parts add up to the change, and the primary holds the largest share of it, never less than the rest', () => {
    fc.assert(
      fc.property(arbitrary, (x) => {
        const c = build(x);
        const sum = PARTS.reduce((s, k) => s + c.parts[k], 0);
        expect(Math.abs(sum - c.change)).toBeLessThanOrEqual(0.06);
        const material = Math.max(1, 0.01 * c.current.dailySpend * 30);
        const largest = Math.max(...PARTS.map((k) => Math.abs(c.parts[k])));
        // too close to the line between a change and no change for rounded parts to tell
        fc.pre(Math.abs(largest - material) > 0.1 && Math.abs(Math.abs(c.change) - material) > 0.1);
        if (largest < material) {
          // spend at its usual level: the cause is what utilisation and invocations measured, or none
          const u = x.utilization ?? undefined;
          const expected =
            u === undefined
              ? 'unexplained'
              : u < 0.3
                ? 'idle-capacity'
                : x.invCur === null
                  ? 'unexplained'
                  : 'traffic';
          expect(c.primary).toBe(expected);
          return;
        }
        const sign = Math.abs(c.change) >= material ? Math.sign(c.change) : 0;
        const share = (k: (typeof PARTS)[number]) => (sign === 0 ? Math.abs(c.parts[k]) : sign * c.parts[k]);
        const primary = share(keyOf(c.primary));
        for (const k of PARTS)
          expect(primary, `${c.primary} vs ${k}`).toBeGreaterThanOrEqual(share(k) - 0.01);
        expect(primary).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('words and numbers agree: every driver the sentence names carries its part, none of them $0', () => {
    fc.assert(
      fc.property(arbitrary, (x) => {
        const c = build(x);
        expect(c.summary).not.toMatch(/[+-]\$0\.00\b/);
        for (const k of PARTS) {
          const named = new RegExp(
            `${DRIVER_LABELS[k].replace(/[()]/g, '\\$&')} ([+-])(\\$[\\d,]+\\.\\d{2})`,
          ).exec(c.summary);
          if (named) {
            expect(named[2], `${k} in "${c.summary}"`).toBe(dollars(c.parts[k]));
            expect(named[1]).toBe(c.parts[k] >= 0 ? '+' : '-');
          }
        }
        // "at its usual level" is said of spend that no part moved, never over a material change
        const material = Math.max(1, 0.01 * c.current.dailySpend * 30);
        const largest = Math.max(...PARTS.map((k) => Math.abs(c.parts[k])));
        if (/usual level/.test(c.summary)) expect(largest).toBeLessThan(material + 0.1);
        const mainly = /; mainly ([a-z -]+?)(?: \(|[.:])/.exec(c.summary);
        if (mainly) {
          const label = c.primary === 'unexplained' ? 'unexplained' : DRIVER_LABELS[c.primary];
          expect(mainly[1]).toBe(label);
          expect(Math.abs(c.parts[keyOf(c.primary)])).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with spend at its usual level, names only what utilisation and invocations measured', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.option(fc.double({ min: 0.05, max: 0.95, noNaN: true })),
        fc.boolean(),
        (n, utilization, floor, counted) => {
          const c = explain(
            fortnight('flat', 'ml.g5.xlarge', () => n),
            () => (counted ? 1000 : undefined),
            {
              utilization: utilization ?? undefined,
              idleBelow: floor ?? undefined,
            },
          );
          const idle = utilization !== null && utilization < (floor ?? 0.3);
          const served = utilization !== null && !idle && counted;
          expect(c.primary).toBe(idle ? 'idle-capacity' : served ? 'traffic' : 'unexplained');
          expect(Object.values(c.parts).every((v) => v === 0)).toBe(true);
          expect(c.summary).toMatch(/spend is at its usual level/);
          if (c.primary !== 'unexplained') {
            expect(c.summary).toContain(`${Math.round((utilization ?? 0) * 100)}% utilisation`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
