import { describe, expect, it } from 'vitest';
import { utilizationHigh } from '../../../lambdas/core/limits/utilization-high.ts';
import { facts, remedyInput, WORDING } from './fixtures.ts';

describe('utilisation above the ceiling', () => {
  it('judges the ceiling of the band only', () => {
    const band = { utilization: { min: 0.3, max: 0.85 } };
    expect(utilizationHigh.check(facts({ utilization: 0.9 }), band).status).toBe('breached');
    expect(utilizationHigh.check(facts({ utilization: 0.2 }), band).status).toBe('ok');
    expect(utilizationHigh.check(facts({ utilization: 0.9 }), { utilization: { min: 0.1 } }).status).toBe(
      'not-applicable',
    );
  });

  it('warns, however far past the ceiling', () => {
    expect(utilizationHigh.severity(0.99, 0.5)).toBe('warning');
  });

  it('words latency at risk', () => {
    expect(utilizationHigh.message(facts({ name: 'rank' }), 0.9, 0.85, WORDING)).toBe(
      'rank runs at 90% utilisation over 2026-10-09..2026-10-15, above the 85% ceiling: latency is at risk.',
    );
    expect(
      utilizationHigh.headline({
        asOf: '2026-10-15',
        currency: 'USD',
        message: '',
        findings: [],
        observed: 0.9,
        limit: 0.85,
      }),
    ).toBe('90% utilisation, above its 85% ceiling (as of 2026-10-15)');
    expect(utilizationHigh.describe?.({ utilization: { max: 0.85 } }, 'USD')).toBe(
      'utilisation at most 85.0%',
    );
  });

  it('sizes no action on an endpoint without cost rows', () => {
    expect(utilizationHigh.remedies(remedyInput(0.9, 0.85))).toEqual({ actions: [] });
  });
});
