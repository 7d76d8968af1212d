import { describe, expect, it } from 'vitest';
import type { Budget } from '../../../lambdas/core/budget.ts';
import { groupEndpoints, type SeenEndpoint } from '../../../lambdas/core/init/groups.ts';
import { SelectorMatcher } from '../../../lambdas/core/selector.ts';

const budgetOf = (selector: Budget['selector']): Budget => ({
  name: 'x',
  owner: 'o',
  tier: 't',
  environment: 'e',
  selector,
  limits: {},
  alertAt: [1],
  exceptions: [],
});

describe('groupEndpoints', () => {
  it('groups endpoints by their team and env tags, one budget a group, with its tier', () => {
    const groups = groupEndpoints([
      { name: 'search-a', tags: { team: 'search', env: 'prod', other: 'x' } },
      { name: 'search-b', tags: { team: 'search', env: 'prod' } },
      { name: 'chat-exp', tags: { team: 'chat', env: 'experiment' } },
    ]);
    expect(groups.map((g) => [g.name, g.selector, g.endpoints, g.tier])).toEqual([
      ['chat-experiment', { tags: { team: 'chat', env: 'experiment' } }, ['chat-exp'], 'experiment'],
      ['search-prod', { tags: { team: 'search', env: 'prod' } }, ['search-a', 'search-b'], 'production'],
    ]);
  });

  it('takes owner or project when there is no team tag, and environment for env', () => {
    const [g] = groupEndpoints([{ name: 'a', tags: { project: 'atlas', environment: 'staging' } }]);
    expect(g?.selector).toEqual({ tags: { project: 'atlas', environment: 'staging' } });
    expect(g?.environment).toBe('staging');
    expect(g?.tier).toBe('experiment');
  });

  it('gives an endpoint without a group tag a budget of its own by name, production when it names no environment', () => {
    const groups = groupEndpoints([
      { name: 'solo', tags: {} },
      { name: 'only-env', tags: { env: 'dev' } },
    ]);
    expect(groups.map((g) => [g.name, g.selector, g.tier])).toEqual([
      ['only-env', { endpoints: ['only-env'] }, 'experiment'],
      ['solo', { endpoints: ['solo'] }, 'production'],
    ]);
  });

  it('names the endpoints of a tag group whose tags another group carries, so that no endpoint is in two budgets', () => {
    const endpoints: SeenEndpoint[] = [
      { name: 'chat-prod', tags: { team: 'chat', env: 'prod' } },
      { name: 'chat-misc', tags: { team: 'chat' } },
    ];
    const groups = groupEndpoints(endpoints);
    for (const e of endpoints) {
      const taking = groups.filter((g) => new SelectorMatcher(budgetOf(g.selector)).matches(e.name, e.tags));
      expect(taking.map((g) => g.endpoints)).toEqual([[e.name]]);
    }
  });

  it('makes budget names valid and unique', () => {
    const groups = groupEndpoints([
      { name: 'a', tags: { team: 'ML Platform' } },
      { name: 'b', tags: { team: 'ML/Platform' } },
    ]);
    expect(groups.map((g) => g.name)).toEqual(['ML-Platform', 'ML-Platform-2']);
  });
});
