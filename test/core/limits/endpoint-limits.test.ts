import { describe, expect, it } from 'vitest';
import { errorRate as errorRateRule } from '../../../lambdas/core/limits/error-rate.ts';
import { ENDPOINT_LIMITS as ENDPOINT_RULES } from '../../../lambdas/core/limits/index.ts';
import { latency as latencyRule } from '../../../lambdas/core/limits/latency.ts';
import type { EndpointFacts } from '../../../lambdas/core/limits/limit.ts';
import { maxInstances as maxInstancesRule } from '../../../lambdas/core/limits/max-instances.ts';
import { unitCost as unitCostRule } from '../../../lambdas/core/limits/unit-cost.ts';
import { utilizationHigh as utilizationHighRule } from '../../../lambdas/core/limits/utilization-high.ts';
import { utilizationLow as utilizationLowRule } from '../../../lambdas/core/limits/utilization-low.ts';

const facts = (f: Partial<EndpointFacts>): EndpointFacts => ({
  name: 'e',
  costPer1k: null,
  latencyP99Ms: null,
  worstHourP99Ms: null,
  errorRate: null,
  utilization: null,
  peakInstances: null,
  ...f,
});

describe('endpoint rules: ok, breached or not applicable', () => {
  it('is not applicable without a limit or without the measurement', () => {
    for (const rule of ENDPOINT_RULES) {
      expect(
        rule.check(
          facts({ costPer1k: 9, latencyP99Ms: 9, errorRate: 0.9, utilization: 0.5, peakInstances: 9 }),
          {},
        ),
      ).toEqual({ status: 'not-applicable' });
    }
    expect(latencyRule.check(facts({}), { latencyP99Ms: 100 })).toEqual({ status: 'not-applicable' });
  });

  it('breaches only strictly beyond the limit', () => {
    expect(unitCostRule.check(facts({ costPer1k: 0.04 }), { costPer1kInferences: 0.04 })).toEqual({
      status: 'ok',
    });
    expect(unitCostRule.check(facts({ costPer1k: 0.0401 }), { costPer1kInferences: 0.04 })).toEqual({
      status: 'breached',
      observed: 0.0401,
      limit: 0.04,
    });
    expect(maxInstancesRule.check(facts({ peakInstances: 8 }), { maxInstances: 8 }).status).toBe('ok');
    expect(errorRateRule.check(facts({ errorRate: 0.02 }), { errorRate: 0.01 }).status).toBe('breached');
  });

  it('judges the utilisation band from both sides', () => {
    const band = { utilization: { min: 0.3, max: 0.85 } };
    expect(utilizationLowRule.check(facts({ utilization: 0.2 }), band).status).toBe('breached');
    expect(utilizationHighRule.check(facts({ utilization: 0.2 }), band).status).toBe('ok');
    expect(utilizationHighRule.check(facts({ utilization: 0.9 }), band).status).toBe('breached');
    expect(utilizationLowRule.check(facts({ utilization: 0.9 }), { utilization: { max: 0.95 } }).status).toBe(
      'not-applicable',
    );
  });

  it('grades severity by how far past the limit', () => {
    expect(latencyRule.severity(140, 100)).toBe('warning');
    expect(latencyRule.severity(160, 100)).toBe('critical');
    expect(errorRateRule.severity(0.015, 0.01)).toBe('warning');
    expect(errorRateRule.severity(0.03, 0.01)).toBe('critical');
  });

  it('words a breach with the numbers, the window and the unit', () => {
    const w = { window: '2026-10-09..2026-10-15', currency: 'USD' };
    expect(latencyRule.message(facts({ name: 'embed', worstHourP99Ms: 98.7 }), 63.5, 50, w)).toBe(
      'embed ModelLatency p99 is 63.5 ms over 2026-10-09..2026-10-15 (worst hour 98.7 ms), above the 50 ms ceiling.',
    );
    expect(unitCostRule.message(facts({ name: 'c' }), 2.849, 0.5, w)).toBe(
      'c costs $2.8490 per 1k inferences over 2026-10-09..2026-10-15, above the $0.5000 limit.',
    );
  });
});
