import { describe, expect, it } from 'vitest';
import { errorRate } from '../../../lambdas/core/limits/error-rate.ts';
import { endpointResult } from '../../helpers/results.ts';
import { facts, remedyInput, WORDING } from './fixtures.ts';

describe('error rate', () => {
  it('breaches above the limit', () => {
    expect(errorRate.check(facts({ errorRate: 0.01 }), { errorRate: 0.01 })).toEqual({ status: 'ok' });
    expect(errorRate.check(facts({ errorRate: 0.02 }), { errorRate: 0.01 }).status).toBe('breached');
  });

  it('is critical past twice the limit', () => {
    expect(errorRate.severity(0.015, 0.01)).toBe('warning');
    expect(errorRate.severity(0.03, 0.01)).toBe('critical');
  });

  it('words rates in percent', () => {
    expect(errorRate.message(facts({ name: 'e' }), 0.0234, 0.01, WORDING)).toBe(
      'e fails 2.34% of invocations (4XX+5XX) over 2026-10-09..2026-10-15, above the 1.00% limit.',
    );
    expect(
      errorRate.headline({
        asOf: '2026-10-15',
        currency: 'USD',
        message: '',
        findings: [],
        observed: 0.0234,
        limit: 0.01,
      }),
    ).toBe('2.34% of invocations fail, above its 1.00% limit (as of 2026-10-15)');
    expect(errorRate.now(endpointResult('e', { errorRate: 0.004 }), 'USD')).toBe('errors now 0.40%');
    expect(errorRate.describe?.({ errorRate: 0.005 }, 'USD')).toBe('error rate 0.5%');
  });

  it('sends people to the errors and the logs, whatever the endpoint costs', () => {
    const { actions } = errorRate.remedies(remedyInput(0.02, 0.01));
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      type: 'investigate-errors',
      endpoint: 'e',
      estimatedSavings: 0,
      risk: 'low',
    });
    expect(actions[0]?.description).toMatch(/^Look at e's Invocation4XXErrors\/5XXErrors/);
  });
});
