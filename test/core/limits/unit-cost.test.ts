import { describe, expect, it } from 'vitest';
import { unitCost } from '../../../lambdas/core/limits/unit-cost.ts';
import { endpointResult } from '../../helpers/results.ts';
import { CAUSE, facts, remedyInput, WORDING } from './fixtures.ts';

describe('cost per 1k inferences', () => {
  it('breaches only strictly above the limit', () => {
    expect(unitCost.check(facts({ costPer1k: 0.04 }), { costPer1kInferences: 0.04 })).toEqual({
      status: 'ok',
    });
    expect(unitCost.check(facts({ costPer1k: 0.0401 }), { costPer1kInferences: 0.04 })).toEqual({
      status: 'breached',
      observed: 0.0401,
      limit: 0.04,
    });
  });

  it('is critical past one and a half times the limit', () => {
    expect(unitCost.severity(0.06, 0.04)).toBe('warning');
    expect(unitCost.severity(0.0601, 0.04)).toBe('critical');
  });

  it('words a breach, a headline, the value now and the limit in unit prices', () => {
    expect(unitCost.message(facts({ name: 'c' }), 2.849, 0.5, WORDING)).toBe(
      'c costs $2.8490 per 1k inferences over 2026-10-09..2026-10-15, above the $0.5000 limit.',
    );
    expect(
      unitCost.headline({
        asOf: '2026-10-15',
        currency: 'USD',
        message: '',
        findings: [],
        observed: 2.849,
        limit: 0.5,
      }),
    ).toBe('$2.8490 per 1k inferences, above its $0.5000 limit (as of 2026-10-15)');
    expect(unitCost.now(endpointResult('c', { costPer1k: 0.61 }), 'USD')).toBe(
      'now $0.6100 per 1k inferences',
    );
    expect(unitCost.describe?.({ costPer1kInferences: 0.04 }, 'USD')).toBe('cost per 1k $0.0400');
  });

  it("explains a breach with the endpoint's own cause, and sizes no action without cost rows", () => {
    expect(unitCost.remedies(remedyInput(2, 1, CAUSE))).toEqual({ actions: [], cause: CAUSE });
  });
});
