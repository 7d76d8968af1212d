import { describe, expect, it } from 'vitest';
import { utilizationLow } from '../../../lambdas/core/limits/utilization-low.ts';
import { endpointResult } from '../../helpers/results.ts';
import { CAUSE, facts, remedyInput, WORDING } from './fixtures.ts';

describe('utilisation below the floor', () => {
  it('judges the floor of the band only', () => {
    const band = { utilization: { min: 0.3, max: 0.85 } };
    expect(utilizationLow.check(facts({ utilization: 0.2 }), band).status).toBe('breached');
    expect(utilizationLow.check(facts({ utilization: 0.9 }), band).status).toBe('ok');
    expect(utilizationLow.check(facts({ utilization: 0.2 }), { utilization: { max: 0.95 } }).status).toBe(
      'not-applicable',
    );
  });

  it('is critical below a third of the floor', () => {
    expect(utilizationLow.severity(0.11, 0.3)).toBe('warning');
    expect(utilizationLow.severity(0.09, 0.3)).toBe('critical');
  });

  it('words idle capacity', () => {
    expect(utilizationLow.message(facts({ name: 'chat' }), 0.21, 0.3, WORDING)).toBe(
      'chat runs at 21% utilisation over 2026-10-09..2026-10-15, below the 30% floor: capacity sits idle.',
    );
    expect(utilizationLow.now(endpointResult('chat', { utilization: 0.345 }), 'USD')).toBe(
      'utilisation now 35%',
    );
    expect(utilizationLow.describe?.({ utilization: { min: 0.3 } }, 'USD')).toBe(
      'utilisation at least 30.0%',
    );
    expect(utilizationLow.describe?.({ utilization: { max: 0.9 } }, 'USD')).toBeUndefined();
  });

  it('keeps the measured cause: idle capacity is never named over a driver that moved the spend more', () => {
    // traffic holds $80 of the change, idle capacity $20
    expect(utilizationLow.remedies(remedyInput(0.2, 0.3, CAUSE)).cause).toEqual(CAUSE);
    expect(utilizationLow.remedies(remedyInput(0.2, 0.3)).cause).toBeUndefined();
  });
});
