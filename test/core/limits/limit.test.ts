import { describe, expect, it } from 'vitest';
import { ENDPOINT_LIMITS } from '../../../lambdas/core/limits/index.ts';
import { fallbackHeadline, measuredAgain, measuredHeadline } from '../../../lambdas/core/limits/limit.ts';
import { endpointResult } from '../../helpers/results.ts';
import { budgetResult, facts, gap } from './fixtures.ts';

describe('every endpoint limit', () => {
  it('is not applicable without its limit, or without the measurement it judges', () => {
    const measured = facts({
      costPer1k: 9,
      latencyP99Ms: 9,
      errorRate: 0.9,
      utilization: 0.5,
      peakInstances: 9,
    });
    const everyLimit = {
      costPer1kInferences: 1,
      latencyP99Ms: 1,
      errorRate: 0.01,
      utilization: { min: 0.6, max: 0.4 },
      maxInstances: 1,
    };
    for (const limit of ENDPOINT_LIMITS) {
      expect(limit.check(measured, {}), limit.kind).toEqual({ status: 'not-applicable' });
      expect(limit.check(facts(), everyLimit), limit.kind).toEqual({ status: 'not-applicable' });
      expect(limit.check(measured, everyLimit).status, limit.kind).toBe('breached');
    }
  });

  it('says the value is not measured on a resolved notice when it is not', () => {
    const unmeasured = endpointResult('e', {
      costPer1k: null,
      latencyP99Ms: null,
      errorRate: null,
      utilization: null,
      peakInstances: null,
    });
    for (const limit of ENDPOINT_LIMITS)
      expect(limit.now(unmeasured, 'USD'), limit.kind).toBe('now not measured');
  });
});

describe('recovery needs a measurement', () => {
  const latency = (r: { latencyP99Ms: number | null }) => r.latencyP99Ms;

  it('is unknown while a missing-data finding stands for the budget or the endpoint', () => {
    expect(measuredAgain(budgetResult({ findings: [gap()] }), 'chat-a', latency)).toBe(false);
    expect(measuredAgain(budgetResult({ findings: [gap('chat-a')] }), 'chat-a', latency)).toBe(false);
    expect(measuredAgain(budgetResult({ findings: [gap('chat-b')] }), 'chat-a', latency)).toBe(true);
  });

  it('is unknown when the endpoint is still there but not measured, known when it left the budget', () => {
    const unmeasured = budgetResult({ endpoints: [endpointResult('chat-a', { latencyP99Ms: null })] });
    expect(measuredAgain(unmeasured, 'chat-a', latency)).toBe(false);
    expect(measuredAgain(unmeasured, 'chat-gone', latency)).toBe(true);
    expect(measuredAgain(unmeasured, 'chat-a')).toBe(true);
  });
});

describe('headlines', () => {
  const alert = { asOf: '2026-10-15', currency: 'USD', message: 'Something happened.', findings: [] };

  it('puts the numbers and the day in a measured headline, else the sentence without its full stop', () => {
    const numbers = (o: number, l: number) => `${o} over ${l}`;
    expect(measuredHeadline({ ...alert, observed: 2, limit: 1 }, numbers)).toBe(
      '2 over 1 (as of 2026-10-15)',
    );
    expect(measuredHeadline(alert, numbers)).toBe('Something happened');
  });

  it('falls back on the sentence, with the day when it has numbers', () => {
    expect(fallbackHeadline(alert)).toBe('Something happened');
    expect(fallbackHeadline({ ...alert, observed: 2, limit: 1 })).toBe(
      'Something happened (as of 2026-10-15)',
    );
  });
});
