import { describe, expect, it } from 'vitest';
import { CRITICAL_WITHIN_DAYS, type SpendFacts, spend } from '../../../lambdas/core/limits/spend.ts';
import { moneyFromNumber } from '../../../lambdas/core/money.ts';
import { budgetResult } from './fixtures.ts';

const facts = (spent: number, expected: number, over: Partial<SpendFacts> = {}): SpendFacts => ({
  budget: 'chat-prod',
  spent: moneyFromNumber(spent),
  forecast: { expected, low: expected - 100, high: expected + 100 },
  period: { start: '2026-10-01', end: '2026-11-01' },
  crossesCapOn: undefined,
  currency: 'USD',
  ...over,
});

describe('spend against the cap', () => {
  it('is breached only once actual spend is past the cap, to the pico-unit', () => {
    expect(spend.checkActual(facts(3000, 3500), 3000)).toEqual({ status: 'ok' });
    expect(spend.checkActual(facts(3000.000001, 3500), 3000)).toEqual({
      status: 'breached',
      observed: 3000,
      limit: 3000,
    });
    expect(spend.checkActual(facts(9999, 9999), undefined)).toEqual({ status: 'not-applicable' });
  });

  it('is at risk when the expected forecast is past the cap', () => {
    expect(spend.checkForecast(facts(1000, 3000), 3000)).toEqual({ status: 'ok' });
    expect(spend.checkForecast(facts(1000, 3001), 3000)).toEqual({
      status: 'breached',
      observed: 3001,
      limit: 3000,
    });
  });

  it('is critical when even the low end of the forecast is past the cap', () => {
    expect(spend.severity.forecast(facts(1000, 3050), 3000)).toBe('warning');
    expect(spend.severity.forecast(facts(1000, 3150), 3000)).toBe('critical');
    expect(spend.severity.actual(facts(3100, 3500), 3000)).toBe('critical');
  });

  it('words a breach and a forecast with the period, the amounts and the crossing day', () => {
    expect(spend.message.actual(facts(3100, 3500), 3000)).toBe(
      'chat-prod has spent $3,100.00 of its $3,000.00 cap for 2026-10-01..2026-10-31, $100.00 over; forecast $3,500.00.',
    );
    expect(spend.message.forecast(facts(1763.61, 4098.65, { crossesCapOn: '2026-10-24' }), 3000)).toBe(
      'chat-prod is forecast to spend $4,098.65 ($3,998.65–$4,198.65) against its $3,000.00 cap, $1,098.65 over; at this rate it crosses the cap on 2026-10-24. Spent so far: $1,763.61.',
    );
  });
});

describe('spend alerts', () => {
  const alertsOf = (over: Parameters<typeof budgetResult>[0]) =>
    spend.alerts(budgetResult(over), '2026-10-15', 'USD');

  it('alerts on the highest alertAt fraction actual spend reached, more severe as it nears the cap', () => {
    const severities = [0.5, 0.8, 1].map(
      (f) => alertsOf({ thresholds: { actual: [f], forecast: [] } })[0]?.severity,
    );
    expect(severities).toEqual(['info', 'warning', 'critical']);
    expect(alertsOf({ thresholds: { actual: [0.5, 0.8], forecast: [] } })[0]?.spend.fraction).toBe(0.8);
  });

  it('alerts on a forecast only past the cap and past what actual spend already reached', () => {
    expect(
      alertsOf({ thresholds: { actual: [0.5], forecast: [0.5, 0.8] } }).map((a) => a.spend.basis),
    ).toEqual(['actual']);
    const both = alertsOf({ thresholds: { actual: [0.5], forecast: [0.5, 0.8, 1] } });
    expect(both.map((a) => [a.spend.basis, a.finding])).toEqual([
      ['actual', 'spend-breach'],
      ['forecast', 'spend-forecast'],
    ]);
    expect(alertsOf({ thresholds: { actual: [1], forecast: [1] } }).map((a) => a.spend.basis)).toEqual([
      'actual',
    ]);
  });

  it(`makes a forecast critical when the cap is crossed within ${CRITICAL_WITHIN_DAYS} days`, () => {
    const forecast = (crossesCapOn: string) =>
      alertsOf({
        forecast: { expected: 3100, low: 2900, high: 3300, method: 'test' },
        thresholds: { actual: [0.5], forecast: [0.5, 0.8, 1] },
        crossesCapOn,
      })[1];
    expect(forecast('2026-10-22')?.severity).toBe('critical');
    expect(forecast('2026-10-23')?.severity).toBe('warning');
    expect(forecast('2026-10-23')?.message).toBe(
      'chat-prod is forecast to spend $3,100.00, 103% of its $3,000.00 cap, crossing it on 2026-10-23.',
    );
  });

  it('sends nothing without a cap or without known spend', () => {
    expect(alertsOf({ cap: null })).toEqual([]);
    expect(alertsOf({ spendToDate: null })).toEqual([]);
  });

  it('headlines actual and forecast spend with the share of the cap', () => {
    const base = { asOf: '2026-10-15', currency: 'USD', message: '', findings: [] };
    expect(
      spend.headline({
        ...base,
        spend: { basis: 'actual', fraction: 0.5, amount: 1650, cap: 3000, spendToDate: 1650 },
      }),
    ).toBe('spent $1,650.00 of $3,000.00 cap (55%) by 2026-10-15');
    expect(
      spend.headline({
        ...base,
        spend: {
          basis: 'forecast',
          fraction: 1,
          amount: 3300,
          cap: 3000,
          spendToDate: 1650,
          crossesOn: '2026-10-25',
        },
      }),
    ).toBe('forecast $3,300.00 vs $3,000.00 cap (110%), crosses 2026-10-25');
  });
});

describe('a spend alert closing', () => {
  it('needs known spend to see a recovery', () => {
    expect(spend.recoveryKnown(budgetResult(), 'actual')).toBe(true);
    expect(spend.recoveryKnown(budgetResult({ spendToDate: null }), 'actual')).toBe(false);
  });

  it('closes a forecast alert quietly when actual spend reached its level', () => {
    const b = budgetResult({ thresholds: { actual: [0.5, 0.8, 1], forecast: [1] } });
    expect(spend.closesQuietly?.(b, 'forecast', 1)).toBe(
      "chat-prod's actual spend reached the level its forecast had alerted on.",
    );
    expect(spend.closesQuietly?.(b, 'actual', 1)).toBeUndefined();
    expect(spend.closesQuietly?.(budgetResult(), 'forecast', 1)).toBeUndefined();
  });

  it('words the notice with the amount now, or says the cap is gone', () => {
    expect(spend.resolved?.(budgetResult(), 'forecast', 'USD')).toEqual({
      message: "chat-prod's forecast is back under its alert threshold: $2,800.00 against its $3,000.00 cap.",
      observed: 2800,
      limit: 3000,
    });
    expect(spend.resolved?.(budgetResult({ cap: null }), 'actual', 'USD')).toEqual({
      message: 'chat-prod no longer has a spend cap; its spend alert is closed.',
    });
    expect(spend.what('forecast')).toBe('spend (forecast)');
    expect(spend.what('actual')).toBe('spend (actual)');
  });
});

describe('spend remedies', () => {
  const input = {
    endpoints: [],
    cause: undefined,
    daysInPeriod: 31,
    remainingDays: 20,
    tier: 'production',
    currency: 'USD',
  };

  it('turns on managed spot training when the period has on-demand training spend', () => {
    expect(spend.remedies({ ...input, training: { spent: 300, elapsedDays: 10 } })).toEqual([
      {
        type: 'enable-managed-spot',
        estimatedSavings: 420,
        risk: 'low',
        description:
          'Turn on Managed Spot Training for production training jobs: $300.00 of on-demand training this period; spot typically saves 70% (jobs need checkpointing).',
        change: { managedSpotTraining: true, tier: 'production' },
      },
    ]);
    expect(spend.remedies(input)).toEqual([]);
  });

  it('states the cap as the report lists limits', () => {
    expect(spend.describe?.({ spendPerPeriod: 12000 }, 'USD')).toBe('spend per period $12,000.00');
    expect(spend.describe?.({}, 'USD')).toBeUndefined();
  });
});
