import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBudgetFile } from '../../lambdas/core/budget.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import { parseMoney } from '../../lambdas/core/money.ts';
import { DayClock } from '../../lambdas/core/period.ts';
import { allocate, spreadOverDays, TypeUses } from '../../lambdas/core/spend.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { dailyRow, HOUR, hostingRows, ms } from '../helpers/build.ts';

const money = (text: string) => parseMoney(text) as bigint;

/** A charge of the team `search` over [from, to). */
function charge(from: string, to: string, amount: string, extra: Partial<CostRecord> = {}): CostRecord {
  return {
    start: ms(from),
    end: ms(to),
    amount: money(amount),
    currency: 'USD',
    service: 'AWS Support (Business)',
    tags: { team: 'search' },
    ...extra,
  };
}

/** Daily $1 rows of the team through `to` (inclusive), so that as-of lies within the data. */
const daily = (from: string, days: number) =>
  Array.from({ length: days }, (_, i) =>
    dailyRow({
      day: new Date(ms(from) + i * 24 * HOUR).toISOString().slice(0, 10),
      amount: 1,
      tags: { team: 'search' },
    }),
  );

function budgets(startDay = 1, timezone = 'UTC') {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay, timezone },
    tiers: { production: { mode: 'advise' } },
    budgets: [
      {
        name: 'search',
        owner: 'o@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { tags: { team: 'search' } },
        limits: { spendPerPeriod: 100_000 },
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

const snap = (costs: CostRecord[], asOf: string) => ({
  asOf,
  currency: 'USD',
  costs,
  inventory: [],
  gaps: [],
});

describe('spreadOverDays', () => {
  it('splits a charge over the days it covers, by the time it covers in each, to the pico-unit', () => {
    const parts = spreadOverDays(
      ms('2026-09-30T12:00:00Z'),
      ms('2026-10-15T12:00:00Z'),
      money('1000'),
      new DayClock('UTC'),
    );
    expect(parts.map((p) => p.day)).toEqual([
      '2026-09-30',
      ...Array.from({ length: 15 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`),
    ]);
    // 12 of 360 hours on Sept 30: 1000/30 = 33.333333333333|33; the full days get 66.666666666666|67 each, and the ten
    // picos left over go to the ten largest remainders, the first ten full days
    expect(parts[0]?.amount).toBe(33_333_333_333_333n);
    expect(parts[1]?.amount).toBe(66_666_666_666_667n);
    expect(parts[11]?.amount).toBe(66_666_666_666_666n);
    expect(parts[15]?.amount).toBe(33_333_333_333_333n);
    expect(parts.reduce((s, p) => s + p.amount, 0n)).toBe(money('1000'));
    expect(parts[0]?.share).toBeCloseTo(1 / 30, 12);
  });

  it('keeps a charge within one day whole, and one of no length on its day', () => {
    const clock = new DayClock('UTC');
    expect(spreadOverDays(ms('2026-10-01'), ms('2026-10-02'), 5n, clock)).toEqual([
      { day: '2026-10-01', amount: 5n, share: 1 },
    ]);
    expect(spreadOverDays(ms('2026-10-01T05:00:00Z'), ms('2026-10-01T05:00:00Z'), 5n, clock)).toEqual([
      { day: '2026-10-01', amount: 5n, share: 1 },
    ]);
  });

  it('splits a UTC day over the two billing days of another zone, and a credit like a charge', () => {
    const parts = spreadOverDays(
      ms('2026-10-01'),
      ms('2026-10-02'),
      -money('24'),
      new DayClock('America/Los_Angeles'),
    );
    expect(parts).toEqual([
      { day: '2026-09-30', amount: -money('7'), share: 7 / 24 },
      { day: '2026-10-01', amount: -money('17'), share: 17 / 24 },
    ]);
  });

  it('always sums to the charge, each part within a pico-unit of its exact share', () => {
    const zones = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Europe/Berlin'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 * 24 * 4 }),
        fc.integer({ min: 1, max: 70 * 24 * 4 }),
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.constantFrom(...zones),
        (offset, quarters, amount, zone) => {
          const start = ms('2025-01-01') + offset * 900_000;
          const end = start + quarters * 900_000;
          const parts = spreadOverDays(start, end, amount, new DayClock(zone));
          expect(parts.reduce((s, p) => s + p.amount, 0n)).toBe(amount);
          for (const p of parts) {
            const exact = (Number(amount) * p.share) as number;
            expect(Math.abs(Number(p.amount) - exact)).toBeLessThanOrEqual(1 + Math.abs(exact) * 1e-12);
          }
          expect(new Set(parts.map((p) => p.day)).size).toBe(parts.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("a day's instance types", () => {
  it('sums each type apart and lists them in the order they were first billed', () => {
    const types = new TypeUses();
    expect(types.size).toBe(0);
    expect([...types]).toEqual([]);
    types.add('ml.m5.xlarge', 10, money('2.3'));
    types.add('ml.m5.xlarge', 4, money('0.92'));
    expect(types.size).toBe(1);
    expect(types.get('ml.m5.xlarge')).toEqual({ hours: 14, cost: money('3.22') });
    expect(types.get('ml.g5.xlarge')).toBeUndefined();
    types.add('ml.g5.xlarge', 6, money('8.46'));
    types.add('ml.m5.xlarge', 1, money('0.23'));
    expect(types.size).toBe(2);
    expect([...types]).toEqual([
      ['ml.m5.xlarge', { hours: 15, cost: money('3.45') }],
      ['ml.g5.xlarge', { hours: 6, cost: money('8.46') }],
    ]);
  });
});

describe('allocate: a charge counts on every day it covers', () => {
  it('counts the October share of a charge that starts in September', () => {
    const rows = [charge('2026-09-30T12:00:00Z', '2026-10-15T12:00:00Z', '1000'), ...daily('2026-10-10', 6)];
    const b = evaluate(snap(rows, '2026-10-15'), budgets()).budgets[0];
    // Oct 1..14 (66.666666666666 x 14 + 10 picos) + Oct 15 (33.333333333333) + six daily $1 rows
    expect(b?.spendToDateExact).toBe('972.6666666667');
  });

  it('gives each period its share of a year-long charge', () => {
    // 2025-10-01..2026-10-01 is 365 days: $1 a day
    const rows = [charge('2025-10-01', '2026-10-01', '365'), ...daily('2026-09-01', 10)];
    const b = evaluate(snap(rows, '2026-09-10'), budgets()).budgets[0];
    expect(b?.spendToDateExact).toBe('20.0000000000');
  });

  it('forecasts from a year-long charge what it adds a day, as if billed daily', () => {
    const days = (from: string, n: number) =>
      Array.from({ length: n }, (_, i) => new Date(ms(from) + i * 24 * HOUR).toISOString().slice(0, 10));
    const asOne = [charge('2025-10-01', '2026-10-01', '365'), ...daily('2026-09-01', 10)];
    const asDays = [
      ...days('2025-10-01', 365).map((day) => charge(day, `${day}T23:59:59.999Z`, '1')),
      ...daily('2026-09-01', 10),
    ];
    const one = evaluate(snap(asOne, '2026-09-10'), budgets()).budgets[0];
    const each = evaluate(snap(asDays, '2026-09-10'), budgets()).budgets[0];
    expect(one?.forecast).toEqual(each?.forecast);
    // $2 a day: $20 to date and 20 more days
    expect(one?.forecast.expected).toBeCloseTo(60, 6);
  });

  it('puts a monthly fee in the periods it covers when periods start on the 15th', () => {
    // October's $31 fee: Oct 15..31 falls in the period that starts on Oct 15
    const rows = [charge('2026-10-01', '2026-11-01', '31'), ...daily('2026-10-25', 7)];
    const r = evaluate(snap(rows, '2026-10-31'), budgets(15));
    expect(r.period).toEqual({ start: '2026-10-15', end: '2026-11-15' });
    expect(r.budgets[0]?.spendToDateExact).toBe('24.0000000000');
  });

  it('leaves out the days of a charge after as-of', () => {
    const rows = [charge('2026-10-01', '2026-11-01', '31'), ...daily('2026-10-01', 10)];
    const b = evaluate(snap(rows, '2026-10-10'), budgets()).budgets[0];
    expect(b?.spendToDateExact).toBe('20.0000000000');
  });

  it('spreads a hosting charge and its instance-hours alike', () => {
    const row: CostRecord = {
      ...charge('2026-10-01', '2026-10-03', '48', {
        endpoint: 'api-a',
        instanceType: 'ml.m5.xlarge',
        usageHours: 96,
      }),
      service: 'Amazon SageMaker',
      chargeCategory: 'Usage',
    };
    const { views } = allocate([row], budgets().budgets, new DayClock('UTC'), {
      endMs: ms('2026-10-03'),
      periodStart: '2026-10-01',
    });
    const e = views[0]?.endpoints.get('api-a');
    expect(e?.days.get('2026-10-01')).toMatchObject({
      cost: money('24'),
      hostingCost: money('24'),
      hours: 48,
    });
    expect(e?.days.get('2026-10-02')?.types.get('ml.m5.xlarge')).toEqual({ hours: 48, cost: money('24') });
    expect(e?.hourlyInstances.size).toBe(0);
  });

  it('keeps the one-day path: hourly rows land whole on their day', () => {
    const rows = hostingRows({
      endpoint: 'api-a',
      from: '2026-10-01',
      days: 2,
      type: 'ml.m5.xlarge',
      instances: () => 2,
      tags: { team: 'search' },
    });
    const { views } = allocate(rows, budgets().budgets, new DayClock('UTC'), {
      endMs: ms('2026-10-03'),
      periodStart: '2026-10-01',
    });
    const e = views[0]?.endpoints.get('api-a');
    expect(e?.days.get('2026-10-02')?.hours).toBe(48);
    expect(e?.hourlyInstances.get(ms('2026-10-01T05:00:00Z'))).toBe(2);
    expect(views[0]?.spendToDate).toBe(money('22.08'));
  });
});
