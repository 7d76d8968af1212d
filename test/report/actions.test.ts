import { describe, expect, it } from 'vitest';
import { NO_SCALING } from '../../lambdas/core/plan/types.ts';
import { describeChange, renderActions } from '../../lambdas/report/actions.ts';

describe('scaling actions in words', () => {
  it('says what the step could not do after its actions, so an empty plan never reads as nothing to do', () => {
    const text = renderActions([], undefined, [
      'scaling could not be read, nothing planned or verified: denied',
    ]);
    expect(text).toBe(
      'No scaling changes planned.\n! scaling could not be read, nothing planned or verified: denied\n',
    );
    expect(renderActions([])).toBe('No scaling changes planned.\n');
  });

  it('names each field a change moves', () => {
    const before = { ...NO_SCALING, target: { min: 4, max: 8 } };
    const after = { ...before, target: { min: 2, max: 8 } };
    expect(describeChange(before, after)).toBe('min 4 -> 2');
    expect(describeChange(NO_SCALING, after)).toBe('register min 2 max 8');
    expect(describeChange(before, NO_SCALING)).toBe('deregister the scaling target');
    expect(describeChange(before, before)).toBe('no change');
  });
});
