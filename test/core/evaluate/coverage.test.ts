import { describe, expect, it } from 'vitest';
import { planAlerts } from '../../../lambdas/core/alerts.ts';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import { CycleResultSchema } from '../../../lambdas/cycle/contract.ts';
import { dailyRow, hostingRows } from '../../helpers/build.ts';
import { budget, file, snap } from './fixtures.ts';

/** 1 x ml.m5.xlarge ($0.23/h, $5.52 a day) from Oct 1 through Oct 10, with these tags. */
const endpoint = (name: string, tags: Record<string, string>) =>
  hostingRows({
    endpoint: name,
    from: '2026-10-01',
    days: 10,
    type: 'ml.m5.xlarge',
    instances: () => 1,
    tags,
  });

const search = budget(
  { spendPerPeriod: 1000 },
  { name: 'search', selector: { endpoints: ['api-*'], tags: { team: 'search' } } },
);

describe('spend the selectors leave out', () => {
  const rows = [
    ...endpoint('api-a', { team: 'search' }),
    // matches the globs of search, but belongs to another team
    ...endpoint('api-b', { team: 'ads' }),
    // matches the globs, no tag at all
    ...endpoint('api-c', {}),
    // matches no glob: unbudgeted, but not search's concern
    ...endpoint('web-a', {}),
    dailyRow({ day: '2026-10-05', amount: 7, tags: { team: 'ads' } }),
  ];
  const r = evaluate(snap(rows, '2026-10-10'), file([search]));
  const b = r.budgets[0];
  const found = b?.findings.filter((f) => f.kind === 'unbudgeted-spend') ?? [];

  it('finds an endpoint the globs take whose tags the selector does not, with its spend', () => {
    expect(found.map((f) => f.endpoint).sort()).toEqual(['api-b', 'api-c']);
    expect(found.find((f) => f.endpoint === 'api-b')?.message).toBe(
      'api-b matches the endpoint globs of search but not its tags (team=search; its charges carry team=ads): its $55.20 this period is in no budget. Tag the endpoint or widen the selector.',
    );
    expect(found.find((f) => f.endpoint === 'api-c')?.observed).toBe(55.2);
    // the budget's own spend is unchanged: only api-a
    expect(b?.spendToDate).toBe(55.2);
  });

  it('totals the spend no budget takes, and the untagged part of it', () => {
    // api-b, api-c, web-a and the $7 charge; api-c and web-a carry no tag
    expect(r.unbudgeted).toEqual({
      total: 172.6,
      untagged: 110.4,
      top: [
        { endpoint: 'api-b', service: 'Amazon SageMaker', amount: 55.2, untagged: 0 },
        { endpoint: 'api-c', service: 'Amazon SageMaker', amount: 55.2, untagged: 55.2 },
        { endpoint: 'web-a', service: 'Amazon SageMaker', amount: 55.2, untagged: 55.2 },
        { service: 'Amazon Simple Storage Service', amount: 7, untagged: 0 },
      ],
    });
    expect(CycleResultSchema.parse(r).unbudgeted).toEqual(r.unbudgeted);
  });

  it('reports them, never alerts them', () => {
    const plan = planAlerts(r, [], '2026-10-10T06:00:00.000Z');
    expect(plan.alerts.some((a) => /matches the endpoint globs/.test(JSON.stringify(a)))).toBe(false);
  });

  it('finds nothing when every endpoint the globs take carries the tags', () => {
    const clean = evaluate(snap(endpoint('api-a', { team: 'search' }), '2026-10-10'), file([search]));
    expect(clean.budgets[0]?.findings.filter((f) => f.kind === 'unbudgeted-spend')).toEqual([]);
    expect(clean.unbudgeted).toEqual({ total: 0, untagged: 0, top: [] });
  });
});

describe('overlapping budgets', () => {
  const team = budget({ spendPerPeriod: 1000 }, { name: 'team', selector: { tags: { team: 'search' } } });
  const rows = [
    ...endpoint('api-a', { team: 'search' }),
    ...endpoint('other-a', { team: 'search' }),
    dailyRow({ day: '2026-10-05', amount: 7, tags: { team: 'search' } }),
  ];
  const r = evaluate(snap(rows, '2026-10-10'), file([search, team]));
  const of = (name: string) =>
    r.budgets.find((b) => b.name === name)?.findings.filter((f) => f.kind === 'overlapping-budgets') ?? [];

  it('says on both budgets which charges both count, and how much', () => {
    // search takes a charge naming no endpoint on its tags alone, as team does
    expect(of('search').map((f) => f.message)).toEqual([
      'search and team both take endpoint api-a and 1 charge naming no endpoint: $62.20 of this period is counted in both. Narrow one selector so that each charge has one budget.',
    ]);
    expect(of('team').map((f) => f.message)).toEqual([
      'team and search both take endpoint api-a and 1 charge naming no endpoint: $62.20 of this period is counted in both. Narrow one selector so that each charge has one budget.',
    ]);
    // each still counts it: the finding says so, the numbers stay the bill's
    expect(r.budgets.find((b) => b.name === 'team')?.spendToDate).toBe(117.4);
  });

  it('says nothing when the selectors take apart', () => {
    const apart = evaluate(
      snap(rows, '2026-10-10'),
      file([
        search,
        budget({ spendPerPeriod: 1000 }, { name: 'other', selector: { endpoints: ['other-*'] } }),
      ]),
    );
    expect(apart.budgets.flatMap((b) => b.findings).filter((f) => f.kind === 'overlapping-budgets')).toEqual(
      [],
    );
  });
});
