import { describe, expect, it } from 'vitest';
import {
  ledgerBudgetHistory,
  ledgerMeasured,
  measureEndpoints,
} from '../../../lambdas/core/check/measure.ts';
import { formatMoney, parseMoney } from '../../../lambdas/core/money.ts';
import type { CostRecord, Snapshot } from '../../../lambdas/core/types.ts';

const HOUR = 3_600_000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** One hosting row a day: `count` instances of `type` for 24 hours at `rate` an instance-hour. */
function hosting(endpoint: string, day: string, type: string, count: number, rate: string): CostRecord {
  const amount = ((parseMoney(rate) as bigint) * BigInt(count * 24)) as bigint;
  return {
    start: dayMs(day),
    end: dayMs(day) + 24 * HOUR,
    amount,
    currency: 'USD',
    service: 'Amazon SageMaker',
    usageType: `USE1-Host:${type}`,
    endpoint,
    instanceType: type,
    usageHours: count * 24,
    tags: {},
  };
}

const snapshot = (costs: CostRecord[]): Snapshot => ({
  asOf: '2026-10-15',
  currency: 'USD',
  costs,
  inventory: [],
  gaps: [],
});

describe('what the history measured', () => {
  it('means an endpoint’s instances and spend over the last 14 days, from its first day in them', () => {
    const costs = [
      // before the window: not counted
      hosting('chat-prod', '2026-09-30', 'ml.g5.xlarge', 9, '1.4084'),
      ...['2026-10-02', '2026-10-03', '2026-10-04'].map((d) =>
        hosting('chat-prod', d, 'ml.g5.xlarge', 2, '1.4084'),
      ),
      ...['2026-10-05', '2026-10-06'].map((d) => hosting('chat-prod', d, 'ml.g5.xlarge', 4, '1.4084')),
      // a new endpoint: measured from its first day, not diluted by the days before it
      ...['2026-10-14', '2026-10-15'].map((d) => hosting('exp-new', d, 'ml.g5.2xlarge', 1, '1.515')),
      hosting('not-asked', '2026-10-10', 'ml.g5.xlarge', 1, '1.4084'),
    ];
    const m = measureEndpoints(snapshot(costs), ['chat-prod', 'exp-new', 'never-seen'], '2026-10-15', 'UTC');
    const chat = m.get('chat-prod');
    expect(chat?.from).toBe('2026-10-02');
    expect(chat?.days).toBe(14);
    // (3 days x 2 + 2 days x 4) instance-days over 14 days = 1 instance on average
    expect(chat?.meanInstances['ml.g5.xlarge']).toBeCloseTo(1, 10);
    // 14 instance-days x 24 x 1.4084 / 14 days
    expect(formatMoney(chat?.dailySpend ?? 0n, 4)).toBe('33.8016');
    expect(m.get('exp-new')).toMatchObject({
      from: '2026-10-14',
      days: 2,
      meanInstances: { 'ml.g5.2xlarge': 1 },
    });
    expect(m.has('never-seen')).toBe(false);
    expect(m.has('not-asked')).toBe(false);
  });

  it('forecasts a budget from the ledger’s closed days at their run-rate, and has nothing without a day', () => {
    const days = ['2026-10-01', '2026-10-02', '2026-10-03'].map((day) => ({ day, amount: '100.0000000000' }));
    const h = ledgerBudgetHistory(days, { start: '2026-10-01', end: '2026-11-01' }, '2026-10-03');
    expect(formatMoney(h?.spendToDate ?? 0n, 2)).toBe('300.00');
    // 31 days at $100
    expect(formatMoney(h?.forecast?.expected ?? 0n, 2)).toBe('3100.00');
    expect(ledgerBudgetHistory([], { start: '2026-10-01', end: '2026-11-01' }, '2026-10-03')).toBeUndefined();
    // a damaged closed day is refused, never counted as no spend
    expect(() =>
      ledgerBudgetHistory(
        [{ day: '2026-10-01', amount: 'NaN' }],
        { start: '2026-10-01', end: '2026-11-01' },
        '2026-10-03',
      ),
    ).toThrow('ledger: closed day 2026-10-01 holds "NaN", not an amount');
  });

  it('means the ledger’s inventory days by instance type', () => {
    const m = ledgerMeasured([
      { day: '2026-10-01', instanceType: 'ml.g5.xlarge', count: 2 },
      { day: '2026-10-02', instanceType: 'ml.g5.xlarge', count: 4 },
    ]);
    expect(m).toMatchObject({
      from: '2026-10-01',
      through: '2026-10-02',
      days: 2,
      meanInstances: { 'ml.g5.xlarge': 3 },
    });
    expect(m?.dailySpend).toBeUndefined();
    expect(ledgerMeasured([])).toBeUndefined();
  });
});
