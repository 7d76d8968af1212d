import { describe, expect, it } from 'vitest';
import { latency } from '../../../lambdas/core/limits/latency.ts';
import { endpointResult } from '../../helpers/results.ts';
import { facts, remedyInput, WORDING } from './fixtures.ts';

describe('p99 latency', () => {
  it('breaches above the ceiling', () => {
    expect(latency.check(facts({ latencyP99Ms: 120 }), { latencyP99Ms: 120 })).toEqual({ status: 'ok' });
    expect(latency.check(facts({ latencyP99Ms: 130 }), { latencyP99Ms: 120 }).status).toBe('breached');
  });

  it('grades severity by how far past the ceiling', () => {
    expect(latency.severity(140, 100)).toBe('warning');
    expect(latency.severity(160, 100)).toBe('critical');
  });

  it('words a breach with the window and the worst hour, or the p99 when the worst hour is unknown', () => {
    expect(latency.message(facts({ name: 'embed', worstHourP99Ms: 98.7 }), 63.5, 50, WORDING)).toBe(
      'embed ModelLatency p99 is 63.5 ms over 2026-10-09..2026-10-15 (worst hour 98.7 ms), above the 50 ms ceiling.',
    );
    expect(latency.message(facts({ name: 'embed' }), 63.5, 50, WORDING)).toContain('(worst hour 63.5 ms)');
  });

  it('words its headline, the value now and the limit in milliseconds', () => {
    expect(
      latency.headline({
        asOf: '2026-10-15',
        currency: 'USD',
        message: '',
        findings: [],
        observed: 63.5,
        limit: 50,
      }),
    ).toBe('ModelLatency p99 63.5 ms, above its 50 ms ceiling (as of 2026-10-15)');
    expect(latency.now(endpointResult('e', { latencyP99Ms: 41 }), 'USD')).toBe('p99 now 41.0 ms');
    expect(latency.describe?.({ latencyP99Ms: 120 }, 'USD')).toBe('p99 latency 120 ms');
    expect(latency.what('embed-prod')).toBe('p99 latency: embed-prod');
  });

  it('sizes no action on an endpoint without cost rows', () => {
    expect(latency.remedies(remedyInput(130, 100))).toEqual({ actions: [] });
  });
});
