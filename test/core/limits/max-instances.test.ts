import { describe, expect, it } from 'vitest';
import { maxInstances } from '../../../lambdas/core/limits/max-instances.ts';
import { endpointResult } from '../../helpers/results.ts';
import { budgetResult, facts, remedyInput, WORDING } from './fixtures.ts';

describe('instance ceiling', () => {
  it('allows the limit itself and breaches above it', () => {
    expect(maxInstances.check(facts({ peakInstances: 8 }), { maxInstances: 8 }).status).toBe('ok');
    expect(maxInstances.check(facts({ peakInstances: 9 }), { maxInstances: 8 })).toEqual({
      status: 'breached',
      observed: 9,
      limit: 8,
    });
  });

  it('needs no metrics: peak instances come from billing', () => {
    expect(maxInstances.needs).toEqual([]);
  });

  it('does not resolve while the peak is not known', () => {
    const b = budgetResult({ endpoints: [endpointResult('chat-a', { peakInstances: null })] });
    expect(maxInstances.recoveryKnown(b, 'chat-a')).toBe(false);
    expect(maxInstances.recoveryKnown(budgetResult(), 'chat-a')).toBe(true);
  });

  it('words the peak against the limit', () => {
    expect(maxInstances.message(facts({ name: 's' }), 9, 8, WORDING)).toBe(
      's ran 9 instances in 2026-10-09..2026-10-15, above the limit of 8.',
    );
    expect(maxInstances.now(endpointResult('s', { peakInstances: 6 }), 'USD')).toBe('peak now 6 instances');
    expect(maxInstances.describe?.({ maxInstances: 8 }, 'USD')).toBe('at most 8 instances');
  });

  it('proposes the autoscaling maximum at the limit', () => {
    expect(maxInstances.remedies(remedyInput(9, 8)).actions).toEqual([
      {
        type: 'lower-max-instances',
        endpoint: 'e',
        estimatedSavings: 0,
        risk: 'medium',
        description: 'Set the autoscaling maximum of e to 8, or raise the limit with an approved exception.',
        change: { maxInstances: { from: 9, to: 8 } },
      },
    ]);
  });
});
