import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeTags,
  planTagQueries,
  relabel,
  type TagConditions,
  type TagPlan,
  tagFilter,
} from '../../lambdas/aws/cost-explorer-tags.ts';
import { type Money, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { groupItems, type LineItem } from '../helpers/cost-explorer-engine.ts';

const DAY = '2026-10-05';
const START = Date.parse(`${DAY}T00:00:00Z`);
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const money = (x: number): Money => parseMoney(x.toFixed(10)) as Money;

function item(tags: Record<string, string>, usageType: string, cents: number, hours = 0): LineItem {
  return {
    tags,
    usageType,
    service: usageType.includes('Host') ? 'Amazon SageMaker' : 'Amazon Simple Storage Service',
    amount: cents / 100,
    quantity: hours,
    unit: hours > 0 ? 'Hrs' : 'GB-Mo',
  };
}

/** The rows Cost Explorer returns for a query grouped by `groupTag` and USAGE_TYPE over `items`. */
function rows(items: readonly LineItem[], groupTag: string, filter?: object): CostRecord[] {
  const groups = groupItems(
    items,
    [
      { Type: 'TAG', Key: groupTag },
      { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
    ],
    filter,
  );
  return groups.map((g) => {
    const value = (g.keys[0] as string).slice(groupTag.length + 1);
    return {
      start: START,
      end: START + 86_400_000,
      amount: money(g.amount),
      currency: 'USD',
      service: 'AWS',
      usageType: g.keys[1] as string,
      ...(g.unit === 'Hrs' ? { usageHours: g.quantity } : {}),
      tags: value === '' ? {} : { [groupTag]: value },
    };
  });
}

/** The main query and every tag query of `plan` over `items`, relabelled. */
function resolve(items: readonly LineItem[], plan: TagPlan, failed: ReadonlySet<number> = new Set()) {
  const g = plan.groupTag as string;
  const byQuery = plan.queries.map((q, i) => (failed.has(i) ? [] : rows(items, g, tagFilter(g, q))));
  const loaded = plan.queries.map((_, i) => new Set(failed.has(i) ? [] : [DAY]));
  return relabel(rows(items, g), plan, byQuery, loaded, utcDay);
}

const carries = (tags: Readonly<Record<string, string>>, s: TagConditions) =>
  Object.entries(s).every(([k, v]) => tags[k] === v);
const billed = (items: readonly LineItem[], s: TagConditions) =>
  sumMoney(items.filter((i) => carries(i.tags, s)).map((i) => money(i.amount)));
const selected = (records: readonly CostRecord[], s: TagConditions) =>
  sumMoney(records.filter((r) => carries(r.tags, s)).map((r) => r.amount));

describe('planTagQueries', () => {
  it('needs no tag query when every selector names one tag key', () => {
    const plan = planTagQueries([{ team: 'search' }, { team: 'chat' }]);
    expect(plan).toEqual({ groupTag: 'team', queries: [], unresolved: [] });
  });

  it("asks one query for a condition that several selectors share, with each one's group value", () => {
    const plan = planTagQueries([
      { team: 'search', env: 'prod' },
      { team: 'ads', env: 'prod' },
      { team: 'chat' },
    ]);
    expect(plan.groupTag).toBe('team');
    expect(plan.queries).toEqual([{ tags: { env: 'prod' }, groupValues: ['ads', 'search'] }]);
    expect(tagFilter('team', plan.queries[0] as never)).toEqual({
      And: [
        { Tags: { Key: 'team', Values: ['ads', 'search'], MatchOptions: ['EQUALS'] } },
        { Tags: { Key: 'env', Values: ['prod'], MatchOptions: ['EQUALS'] } },
      ],
    });
    expect(describeTags(plan.groupTag, plan.queries[0] as never)).toBe('env=prod and team=ads or search');
  });

  it('groups by the tag that needs the fewest queries, not the first in the file', () => {
    const plan = planTagQueries([
      { env: 'prod', team: 'a' },
      { env: 'prod', team: 'b' },
      { env: 'prod', team: 'c' },
    ]);
    // grouped by env it would take one query per team; grouped by team, one for env=prod
    expect(plan.groupTag).toBe('team');
    expect(plan.queries).toHaveLength(1);
  });

  it('adds the union of two overlapping conditions, so that a row carrying both is counted once', () => {
    const plan = planTagQueries([{ team: 'a' }, { env: 'prod' }, { tier: 'gold' }]);
    expect(plan.groupTag).toBe('team');
    expect(plan.queries.map((q) => q.tags)).toEqual([
      { env: 'prod' },
      { tier: 'gold' },
      { env: 'prod', tier: 'gold' },
    ]);
  });

  it('groups by the endpoint tag when there is one', () => {
    const plan = planTagQueries([{ team: 'a' }], 'endpoint');
    expect(plan.groupTag).toBe('endpoint');
    expect(plan.queries).toEqual([{ tags: { team: 'a' } }]);
  });

  it('leaves out the conditions past the limit of queries, and says which', () => {
    const selectors = Array.from({ length: 5 }, (_, i) => ({ team: 'a', [`k${i}`]: 'x' }));
    const plan = planTagQueries(selectors, undefined, 3);
    expect(plan.queries.length).toBeLessThanOrEqual(3);
    expect(plan.unresolved.length).toBeGreaterThan(0);
    expect(plan.queries.length + plan.unresolved.length).toBeGreaterThanOrEqual(3);
  });
});

describe('relabel', () => {
  const items = [
    item({ team: 'search', env: 'prod' }, 'USE1-Host:ml.g5.xlarge', 3379, 24),
    item({ team: 'search', env: 'dev' }, 'USE1-Host:ml.g5.xlarge', 3379, 24),
    item({ team: 'search', env: 'prod' }, 'USE1-TimedStorage-ByteHrs', 4583),
    item({ team: 'search', env: 'dev' }, 'USE1-TimedStorage-ByteHrs', 1200),
    item({ team: 'chat', env: 'prod' }, 'USE1-TimedStorage-ByteHrs', 700),
  ];

  it("gives a budget selected by team and env its S3 model artefacts, the main query's total unchanged", () => {
    const plan = planTagQueries([{ team: 'search', env: 'prod' }, { team: 'chat' }]);
    const { records } = resolve(items, plan);
    const prod = { team: 'search', env: 'prod' };
    expect(selected(records, prod)).toBe(billed(items, prod));
    expect(selected(records, prod)).toBe(money(33.79 + 45.83));
    expect(selected(records, { team: 'chat' })).toBe(money(7));
    expect(sumMoney(records.map((r) => r.amount))).toBe(billed(items, {}));
    // instance-hours follow the amounts: the prod part of the hosting row has the prod hours
    const host = records.filter((r) => r.usageType === 'USE1-Host:ml.g5.xlarge');
    expect(host.map((r) => [r.tags, r.usageHours])).toEqual([
      [{ team: 'search', env: 'prod' }, 24],
      [{ team: 'search' }, 24],
    ]);
  });

  it('leaves the cells of a query that did not load as they were, and names the spend at stake', () => {
    const plan = planTagQueries([{ team: 'search', env: 'prod' }]);
    const out = resolve(items, plan, new Set([0]));
    expect(out.records.every((r) => r.tags.env === undefined)).toBe(true);
    // the query asks for team=search only: chat's rows are not at stake
    expect(out.atStake.get(0)).toBe(money(33.79 * 2 + 45.83 + 12));
  });

  it('tells apart the spend of every selector exactly, whatever tags the bill carries', () => {
    const value = (values: readonly string[]) => fc.constantFrom(...values, '');
    const tags = fc
      .record({ team: value(['a', 'b']), env: value(['prod', 'dev']), tier: value(['gold']) })
      .map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== '')));
    const lineItem = fc
      .tuple(
        tags,
        fc.constantFrom('USE1-Host:ml.g5.xlarge', 'USE1-TimedStorage-ByteHrs'),
        fc.integer({ min: 1, max: 99_999 }),
      )
      .map(([t, usage, cents]) => item(t, usage, cents, usage.includes('Host') ? cents % 48 : 0));
    const selector = tags.filter((t) => Object.keys(t).length > 0);
    fc.assert(
      fc.property(
        fc.array(lineItem, { maxLength: 40 }),
        fc.array(selector, { minLength: 1, maxLength: 5 }),
        (its, sels) => {
          const plan = planTagQueries(sels);
          const { records } = resolve(its, plan);
          expect(sumMoney(records.map((r) => r.amount))).toBe(billed(its, {}));
          for (const s of sels) expect(selected(records, s)).toBe(billed(its, s));
        },
      ),
      { numRuns: 300 },
    );
  });
});
