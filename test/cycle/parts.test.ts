import { describe, expect, it } from 'vitest';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import { parseBudgetFile } from '../../lambdas/core/budget.ts';
import { moneyFromNumber } from '../../lambdas/core/money.ts';
import type { CostRecord, EndpointInfo, Snapshot } from '../../lambdas/core/types.ts';
import type { SnapshotPart } from '../../lambdas/cycle/contract.ts';
import { mergeSnapshotParts, SnapshotPartsError } from '../../lambdas/cycle/parts.ts';
import { series } from '../helpers/build.ts';

const parsed = parseBudgetFile({
  version: 1,
  currency: 'USD',
  billingPeriod: { startDay: 1, timezone: 'UTC' },
  tiers: { production: { mode: 'advise' } },
  budgets: [
    {
      name: 'all',
      owner: 'ml@example.com',
      tier: 'production',
      environment: 'prod',
      selector: { endpoints: ['*'] },
      limits: { spendPerPeriod: 1000 },
    },
  ],
});
if (!parsed.ok) throw new Error('test budget file');
const file: BudgetFile = parsed.file;

const DAY = Date.parse('2026-10-14T00:00:00Z');
const snap = (s: Partial<Snapshot>): Snapshot => ({
  asOf: '2026-10-15',
  currency: 'USD',
  costs: [],
  inventory: [],
  gaps: [],
  ...s,
});
const endpoint = (name: string, account: string, region: string): EndpointInfo => ({
  name,
  account,
  region,
  instanceType: 'ml.g5.xlarge',
  instanceCount: 1,
  tags: {},
});
/** One day of ml.g5.xlarge hosting in us-east-1, as Cost Explorer reports it: no endpoint on the row. */
const hosting = (amount: number): CostRecord => ({
  start: DAY,
  end: DAY + 86_400_000,
  amount: moneyFromNumber(amount),
  currency: 'USD',
  service: 'Amazon SageMaker',
  usageType: 'USE1-Host:ml.g5.xlarge',
  usageHours: 48,
  tags: {},
});
const home = { account: '111122223333', region: 'us-east-1' };
const member = { account: '444455556666', region: 'us-east-1', roleArn: 'arn:aws:iam::444455556666:role/m' };
const costs = (s: Partial<Snapshot> = {}): SnapshotPart => ({
  part: 'costs',
  snapshot: snap(s),
  attribution: {},
});

describe('mergeSnapshotParts', () => {
  it('splits spend read once across the endpoints of every account that ran the instance type', () => {
    const merged = mergeSnapshotParts(
      [
        costs({ costs: [hosting(100)] }),
        {
          part: 'resources',
          target: home,
          snapshot: snap({ inventory: [endpoint('a', home.account, 'us-east-1')] }),
        },
        {
          part: 'resources',
          target: member,
          snapshot: snap({ inventory: [endpoint('b', member.account, 'us-east-1')] }),
        },
      ],
      file,
    );
    expect(merged.costs.map((r) => [r.endpoint, r.amount])).toEqual([
      ['a', moneyFromNumber(50)],
      ['b', moneyFromNumber(50)],
    ]);
    expect(merged.inventory.map((e) => [e.name, e.account, e.attribution])).toEqual([
      ['a', home.account, 'estimated'],
      ['b', member.account, 'estimated'],
    ]);
  });

  it('concatenates metrics and gaps in part order, labelling each target gap with its account and region', () => {
    const m1 = series('a', 'Invocations', 'Sum', '2026-10-14', 2, () => 1);
    const m2 = series('b', 'Invocations', 'Sum', '2026-10-14', 2, () => 2);
    const merged = mergeSnapshotParts(
      [
        costs({ gaps: [{ source: 'costs', message: 'day 2026-10-15 not final' }] }),
        {
          part: 'resources',
          target: home,
          snapshot: snap({ metrics: [m1], inventory: [endpoint('a', home.account, 'us-east-1')] }),
        },
        {
          part: 'resources',
          target: member,
          snapshot: snap({
            metrics: [m2],
            inventory: [endpoint('b', member.account, 'us-east-1')],
            gaps: [{ source: 'metrics', scope: 'b', message: 'no ModelLatency' }],
          }),
        },
      ],
      file,
    );
    expect(merged.metrics).toEqual([m1, m2]);
    expect(merged.gaps).toEqual([
      { source: 'costs', message: 'day 2026-10-15 not final' },
      { source: 'metrics', scope: 'b', message: '444455556666 us-east-1: no ModelLatency' },
    ]);
  });

  it('leaves the gaps of a single target as they are, as a one-account cycle reports them', () => {
    const gap = { source: 'inventory' as const, message: 'sagemaker:ListEndpoints denied' };
    const merged = mergeSnapshotParts(
      [costs(), { part: 'resources', target: home, snapshot: snap({ gaps: [gap] }) }],
      file,
    );
    expect(merged.gaps).toEqual([gap]);
  });

  it('keeps costs complete only through the earliest day a cost part vouches for', () => {
    const merged = mergeSnapshotParts(
      [costs({ costsCompleteThrough: '2026-10-13' }), costs({ costsCompleteThrough: '2026-10-11' }), costs()],
      file,
    );
    expect(merged.costsCompleteThrough).toBe('2026-10-11');
  });

  it('judges the first of two same-named endpoints and reports the other as a gap, never mixing their data', () => {
    const m1 = series('a', 'Invocations', 'Sum', '2026-10-14', 2, () => 1);
    const m2 = series('a', 'Invocations', 'Sum', '2026-10-14', 2, () => 9);
    const merged = mergeSnapshotParts(
      [
        costs(),
        {
          part: 'resources',
          target: home,
          snapshot: snap({ metrics: [m1], inventory: [endpoint('a', home.account, 'us-east-1')] }),
        },
        {
          part: 'resources',
          target: member,
          snapshot: snap({ metrics: [m2], inventory: [endpoint('a', member.account, 'us-east-1')] }),
        },
      ],
      file,
    );
    expect(merged.inventory.map((e) => e.account)).toEqual([home.account]);
    expect(merged.metrics).toEqual([m1]);
    expect(merged.gaps).toEqual([
      {
        source: 'inventory',
        scope: 'a',
        endpoint: 'a',
        message:
          'endpoint a exists in 111122223333 us-east-1 and in 444455556666 us-east-1; only the first is judged, rename one to judge both',
      },
    ]);
  });

  it('reports missing spend as a gap when no part carries costs', () => {
    const merged = mergeSnapshotParts([{ part: 'resources', target: home, snapshot: snap({}) }], file);
    expect(merged.gaps).toEqual([{ source: 'costs', message: 'no cost data was collected in this cycle' }]);
    expect(merged.costsCompleteThrough).toBeUndefined();
  });

  it('refuses parts of different days or another currency than the budget file', () => {
    expect(() =>
      mergeSnapshotParts(
        [costs(), { part: 'resources', target: home, snapshot: snap({ asOf: '2026-10-14' }) }],
        file,
      ),
    ).toThrow(SnapshotPartsError);
    expect(() => mergeSnapshotParts([costs({ currency: 'EUR' })], file)).toThrow(
      /a snapshot part in EUR, the budget file in USD/,
    );
    expect(() => mergeSnapshotParts([], file)).toThrow(/no snapshot parts/);
  });
});
