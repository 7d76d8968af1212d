import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, attributeSpend, mergeResourceLevel } from '../../lambdas/core/attribution.ts';
import { BudgetSchema } from '../../lambdas/core/budget.ts';
import { formatMoney, parseMoney, sumMoney } from '../../lambdas/core/money.ts';
import { addDays, daysOf } from '../../lambdas/core/period.ts';
import { SelectorMatcher } from '../../lambdas/core/selector.ts';
import type { CostRecord, EndpointInfo } from '../../lambdas/core/types.ts';

const OCT1 = '2026-10-01';
const OCT2 = '2026-10-02';
const utc = (day: string) => Date.parse(`${day}T00:00:00Z`);
const money = (text: string) => parseMoney(text) as bigint;
const total = (records: readonly CostRecord[]) => sumMoney(records.map((r) => r.amount));

function row(
  amount: string,
  opts: Partial<Omit<CostRecord, 'amount'>> & { day?: string; usageType?: string } = {},
): CostRecord {
  const { day = OCT1, usageType = 'USE1-Host:ml.g5.xlarge', ...rest } = opts;
  const instanceType = /Host:(ml\.[a-z0-9.]+)/.exec(usageType)?.[1];
  return {
    start: utc(day),
    end: utc(addDays(day, 1)),
    amount: money(amount),
    currency: 'USD',
    service: 'All services',
    usageType,
    instanceType,
    training: false,
    tags: {},
    ...rest,
  };
}

function endpoint(
  name: string,
  tags: Record<string, string>,
  opts: Partial<EndpointInfo> = {},
): EndpointInfo {
  return { name, instanceType: 'ml.g5.xlarge', instanceCount: 1, region: 'us-east-1', tags, ...opts };
}

const byEndpoint = (records: readonly CostRecord[]) =>
  Object.fromEntries(
    [...new Set(records.map((r) => r.endpoint ?? '-'))].map((e) => [
      e,
      formatMoney(total(records.filter((r) => (r.endpoint ?? '-') === e)), 12),
    ]),
  );

describe('allocate', () => {
  it('splits $10 three ways into parts that sum to $10 to the pico-unit, the leftover to the largest remainder', () => {
    const parts = allocate(money('10'), [1n, 1n, 1n]);
    expect(parts.map((p) => formatMoney(p, 12))).toEqual([
      '3.333333333334',
      '3.333333333333',
      '3.333333333333',
    ]);
    expect(sumMoney(parts)).toBe(money('10'));
    expect(allocate(2n, [1n, 3n, 3n])).toEqual([0n, 1n, 1n]);
  });

  it('splits a credit like its absolute value, and refuses weights that are all zero or negative', () => {
    expect(allocate(-money('10'), [1n, 1n, 1n]).map((p) => formatMoney(p, 12))).toEqual([
      '-3.333333333334',
      '-3.333333333333',
      '-3.333333333333',
    ]);
    expect(() => allocate(5n, [0n, 0n])).toThrow('all zero');
    expect(() => allocate(5n, [1n, -1n])).toThrow('negative weight');
  });

  it('conserves any amount exactly and gives each part its share to within one pico-unit (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 40 }),
        (amount, weights) => {
          fc.pre(weights.some((w) => w > 0n));
          const parts = allocate(amount, weights);
          const w = sumMoney(weights);
          expect(sumMoney(parts)).toBe(amount);
          parts.forEach((p, i) => {
            const err = p * w - amount * (weights[i] as bigint);
            expect(err < 0n ? -err : err).toBeLessThan(w);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('attributeSpend: estimated', () => {
  it("splits a day's hosting spend of a type across the tag group's endpoints by their instance-hours", () => {
    const inventory = [
      endpoint(
        'search-a',
        { team: 'search', env: 'prod' },
        { instanceHours: { [OCT1]: { 'ml.g5.xlarge': 24 } } },
      ),
      endpoint('search-b', { team: 'search' }, { instanceHours: { [OCT1]: { 'ml.g5.xlarge': 72 } } }),
      endpoint('recs', { team: 'recs' }, { instanceHours: { [OCT1]: { 'ml.g5.xlarge': 240 } } }),
    ];
    const { records, attribution } = attributeSpend(
      [row('100', { tags: { team: 'search' }, usageHours: 96 })],
      inventory,
      { groupTag: 'team' },
    );
    expect(records.map((r) => [r.endpoint, formatMoney(r.amount, 2), r.usageHours, r.tags])).toEqual([
      ['search-a', '25.00', 24, { team: 'search', env: 'prod' }],
      ['search-b', '75.00', 72, { team: 'search' }],
    ]);
    expect([...attribution]).toEqual([
      ['search-a', 'estimated'],
      ['search-b', 'estimated'],
    ]);
  });

  it('splits the untagged group only across endpoints that lack the group tag', () => {
    const inventory = [
      endpoint('tagged', { team: 'search' }),
      endpoint('untagged-1', {}),
      endpoint('untagged-2', { team: '' }),
    ];
    const { records } = attributeSpend([row('10')], inventory, { groupTag: 'team' });
    expect(byEndpoint(records)).toEqual({ 'untagged-1': '5.000000000000', 'untagged-2': '5.000000000000' });
  });

  it('splits the rest of a group told apart by a tag only across endpoints that do not carry it', () => {
    const inventory = [
      endpoint('search-prod', { team: 'search', env: 'prod' }),
      endpoint('search-dev', { team: 'search', env: 'dev' }),
      endpoint('ads-prod', { team: 'ads', env: 'prod' }),
    ];
    const rows = [
      row('30', { tags: { team: 'search', env: 'prod' } }),
      row('10', { tags: { team: 'search' } }),
      row('7', { tags: { team: 'ads' } }),
    ];
    const { records } = attributeSpend(rows, inventory, {
      groupTag: 'team',
      // env=prod was told apart in team=search only: ads' rows still hold its prod endpoint's spend
      resolvedTags: [{ tags: { env: 'prod' }, groupValues: ['search'] }],
    });
    expect(byEndpoint(records)).toEqual({
      'search-prod': '30.000000000000',
      'search-dev': '10.000000000000',
      'ads-prod': '7.000000000000',
    });
  });

  it('falls back to the current instance count for 24 hours, and not before the endpoint existed', () => {
    const inventory = [
      endpoint('hours-known', {}, { instanceHours: { [OCT1]: { 'ml.g5.xlarge': 24 } } }),
      endpoint('two-now', {}, { instanceCount: 2 }),
      endpoint(
        'variants',
        {},
        {
          instanceType: undefined,
          variants: [
            { name: 'a', instanceType: 'ml.g5.xlarge', instanceCount: 1 },
            { name: 'b', instanceType: 'ml.m5.large', instanceCount: 3 },
          ],
        },
      ),
      endpoint('created-later', {}, { instanceCount: 5, createdAt: '2026-10-02T09:00:00Z' }),
    ];
    const { records } = attributeSpend([row('96')], inventory);
    // 24 : 48 : 24 instance-hours.
    expect(byEndpoint(records)).toEqual({
      'hours-known': '24.000000000000',
      'two-now': '48.000000000000',
      variants: '24.000000000000',
    });
  });

  it('gives no share to an endpoint whose hours that day were on another instance type', () => {
    const inventory = [
      endpoint('moved', {}, { instanceHours: { [OCT1]: { 'ml.m5.large': 24 } } }),
      endpoint('stayed', {}),
    ];
    const { records } = attributeSpend([row('33.792')], inventory);
    expect(byEndpoint(records)).toEqual({ stayed: '33.792000000000' });
  });

  it("splits a region's usage only across that region's endpoints", () => {
    const inventory = [endpoint('east', {}), endpoint('west', {}, { region: 'us-west-2' })];
    const { records } = attributeSpend(
      [
        row('10', { usageType: 'USW2-Host:ml.g5.xlarge' }),
        row('20', { usageType: 'USE1-Host:ml.g5.xlarge' }),
      ],
      inventory,
    );
    expect(byEndpoint(records)).toEqual({ west: '10.000000000000', east: '20.000000000000' });
  });

  it('conserves a credit split as exactly as a charge', () => {
    const inventory = [endpoint('a', {}), endpoint('b', {}), endpoint('c', {})];
    const { records } = attributeSpend([row('-1.0000000001')], inventory);
    expect(records).toHaveLength(3);
    expect(total(records)).toBe(money('-1.0000000001'));
  });
});

describe('attributeSpend: order of methods', () => {
  it('takes the endpoint tag when it names an inventory endpoint, for any usage type', () => {
    const inventory = [endpoint('search-prod', { team: 'search' }), endpoint('other', {})];
    const { records, attribution } = attributeSpend(
      [
        row('5', { tags: { endpoint: 'search-prod' } }),
        row('0.5', { usageType: 'USE1-Host:VolumeUsage.gp2', tags: { endpoint: 'search-prod' } }),
      ],
      inventory,
      { endpointTag: 'endpoint', groupTag: 'endpoint' },
    );
    expect(records.map((r) => [r.endpoint, formatMoney(r.amount, 2), r.tags])).toEqual([
      ['search-prod', '5.00', { team: 'search', endpoint: 'search-prod' }],
      ['search-prod', '0.50', { team: 'search', endpoint: 'search-prod' }],
    ]);
    expect(attribution.get('search-prod')).toBe('tag');
  });

  it('does not take an endpoint tag naming an endpoint the inventory lacks', () => {
    const { records, attribution } = attributeSpend(
      [row('5', { usageType: 'USE1-Host:VolumeUsage.gp2', tags: { endpoint: 'deleted' } })],
      [endpoint('live', {})],
      { endpointTag: 'endpoint', groupTag: 'endpoint' },
    );
    expect(records).toEqual([
      row('5', { usageType: 'USE1-Host:VolumeUsage.gp2', tags: { endpoint: 'deleted' } }),
    ]);
    expect(attribution.size).toBe(0);
  });

  it('lets resource-level rows win for their day: that endpoint takes no estimated share that day', () => {
    const inventory = [endpoint('measured', { team: 'search' }), endpoint('guessed', {})];
    const { records, attribution } = attributeSpend(
      [row('30', { endpoint: 'measured' }), row('12', { day: OCT1 }), row('12', { day: OCT2 })],
      inventory,
    );
    const oct1 = records.filter((r) => r.start === utc(OCT1));
    expect(byEndpoint(oct1)).toEqual({ measured: '30.000000000000', guessed: '12.000000000000' });
    expect(byEndpoint(records.filter((r) => r.start === utc(OCT2)))).toEqual({
      guessed: '6.000000000000',
      measured: '6.000000000000',
    });
    // The resource row keeps its endpoint and takes the inventory's tags.
    expect(oct1[0]).toMatchObject({ endpoint: 'measured', tags: { team: 'search' } });
    // Partly estimated reads as estimated.
    expect(attribution.get('measured')).toBe('estimated');
  });

  it('says resource when an endpoint has only resource-level rows', () => {
    const { attribution } = attributeSpend([row('30', { endpoint: 'not-in-inventory' })], []);
    expect([...attribution]).toEqual([['not-in-inventory', 'resource']]);
  });

  it('keeps rows it cannot attribute as they are: none dropped, training never split', () => {
    const input = [
      row('1.25', { usageType: 'USE1-TimedStorage-ByteHrs', tags: { team: 'search' } }),
      row('7', { usageType: 'USE1-Host:ml.p4d.24xlarge' }),
      row('3.825', { usageType: 'USE1-Train:ml.g5.xlarge', training: true }),
    ];
    const { records, attribution } = attributeSpend(input, [endpoint('g5', {})]);
    expect(records).toEqual(input);
    expect(attribution.size).toBe(0);
  });
});

describe('attributeSpend at 2,000 endpoints', () => {
  it('splits 30 days of hosting spend exactly, per row group and per budget', () => {
    const types = ['ml.g5.xlarge', 'ml.g5.2xlarge', 'ml.m5.large', 'ml.c5.xlarge'];
    const teams = ['search', 'recs', undefined];
    const days = daysOf('2026-10-01', '2026-10-31');
    const inventory: EndpointInfo[] = Array.from({ length: 2000 }, (_, i) => {
      const team = teams[i % 3];
      const type = types[i % 4] as string;
      const hours: Record<string, Record<string, number>> = {};
      // Every fifth endpoint has reconstructed hours (scaling between 1 and 4 instances); the rest fall back.
      if (i % 5 === 0)
        for (const [d, day] of days.entries()) hours[day] = { [type]: 24 * (1 + ((i + d) % 4)) - 0.5 };
      return endpoint(`ep-${String(i).padStart(4, '0')}`, team ? { team } : {}, {
        instanceType: type,
        instanceCount: 1 + (i % 3),
        ...(i % 5 === 0 ? { instanceHours: hours } : {}),
      });
    });
    const input: CostRecord[] = [];
    let seed = 7;
    for (const day of days)
      for (const type of types)
        for (const team of teams) {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          const amount = `${seed % 9000}.${String(seed % 10_000_000_000).padStart(10, '0')}`;
          input.push(row(amount, { day, usageType: `USE1-Host:${type}`, tags: team ? { team } : {} }));
        }

    const { records, attribution } = attributeSpend(input, inventory, { groupTag: 'team' });

    expect(total(records)).toBe(total(input));
    expect(records.every((r) => r.endpoint !== undefined)).toBe(true);
    expect(attribution.size).toBe(2000);
    expect(new Set(attribution.values())).toEqual(new Set(['estimated']));
    // Each (day, type, group) row is conserved by its parts.
    const key = (r: CostRecord) => `${r.start}|${r.instanceType}|${r.tags.team ?? ''}`;
    const sums = new Map<string, bigint>();
    for (const r of records) sums.set(key(r), (sums.get(key(r)) ?? 0n) + r.amount);
    for (const r of input) expect(sums.get(key(r))).toBe(r.amount);
    // A budget selecting a team takes the same spend before and after attribution.
    const budget = new SelectorMatcher(
      BudgetSchema.parse({
        name: 'search',
        owner: 'search@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { tags: { team: 'search' } },
        limits: { spendPerPeriod: 1000 },
      }),
    );
    const spend = (rs: readonly CostRecord[]) => total(rs.filter((r) => budget.matches(r.endpoint, r.tags)));
    expect(spend(records)).toBe(spend(input));
    expect(spend(records)).toBeGreaterThan(0n);
  });
});

describe('attributeSpend conservation (property)', () => {
  it('keeps the total exact for random amounts and instance-hour splits', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }),
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 2400, noNaN: true })), {
          minLength: 1,
          maxLength: 60,
        }),
        (amount, hours) => {
          fc.pre(hours.some((h) => h > 0));
          const inventory = hours.map((h, i) =>
            endpoint(`ep-${i}`, {}, { instanceHours: { [OCT1]: { 'ml.g5.xlarge': h } } }),
          );
          const input = { ...row('0'), amount };
          const { records } = attributeSpend([input], inventory);
          expect(total(records)).toBe(amount);
          expect(records).toHaveLength(hours.filter((h) => h > 0).length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('mergeResourceLevel', () => {
  const arnRow = (amount: string, name: string | undefined, opts: Parameters<typeof row>[1] = {}) =>
    row(amount, {
      ...opts,
      endpoint: name,
      resourceId: name ? `arn:aws:sagemaker:us-east-1:1:endpoint/${name}` : undefined,
    });

  it('replaces a day and usage type fully named by resource rows, carrying the tag-grouped total exactly', () => {
    const main = [
      row('60', { tags: { team: 'search' } }),
      row('0.1', { usageType: 'USE1-Host:VolumeUsage.gp2' }),
    ];
    const resource = [
      arnRow('20.0000000001', 'a'),
      arnRow('40', 'b'),
      arnRow('0.1', 'a', { usageType: 'USE1-Host:VolumeUsage.gp2' }),
    ];
    const out = mergeResourceLevel(main, resource, new Set([OCT1]));
    expect(out.map((r) => [r.endpoint, r.usageType, r.tags])).toEqual([
      ['a', 'USE1-Host:ml.g5.xlarge', { team: 'search' }],
      ['b', 'USE1-Host:ml.g5.xlarge', { team: 'search' }],
      [undefined, 'USE1-Host:VolumeUsage.gp2', {}],
    ]);
    expect(total(out)).toBe(total(main));
  });

  it('leaves days outside the set, and usage types with a resource row lacking an endpoint, alone', () => {
    const main = [row('60'), row('5', { usageType: 'USE1-Host:ml.m5.large' })];
    const resource = [
      arnRow('60', 'a', { day: OCT2 }),
      arnRow('4', 'b', { usageType: 'USE1-Host:ml.m5.large' }),
      arnRow('1', undefined, { usageType: 'USE1-Host:ml.m5.large' }),
    ];
    expect(mergeResourceLevel(main, resource, new Set([OCT1]))).toEqual(main);
  });
});
