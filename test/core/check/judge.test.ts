import { describe, expect, it } from 'vitest';
import { type BudgetFile, parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { judgeCheck } from '../../../lambdas/core/check/judge.ts';
import { type MeasuredEndpoint, priceEndpoint } from '../../../lambdas/core/check/price.ts';
import type {
  ListPrice,
  PlannedEndpoint,
  PlannedVariant,
  PriceLookup,
} from '../../../lambdas/core/check/types.ts';
import { formatMoney, parseMoney } from '../../../lambdas/core/money.ts';
import { periodContaining } from '../../../lambdas/core/period.ts';

const m = (s: string) => parseMoney(s) as bigint;

/** A two-price table: what the check charges is only ever what the table says. */
const prices: PriceLookup = {
  date: '2025-06-01',
  source: 'test table',
  currency: 'USD',
  hosting: (region, type): ListPrice | undefined => {
    const table: Record<string, string> = {
      'us-east-1 ml.g5.xlarge': '1.4084',
      'us-east-1 ml.g5.2xlarge': '1.515',
    };
    const p = table[`${region} ${type}`];
    return p === undefined
      ? undefined
      : { amount: m(p), unit: 'instance-hour', region, date: '2025-06-01', source: 'test table' };
  },
  serverless: () => undefined,
  regions: () => ['us-east-1'],
};

function fileWith(budget: Record<string, unknown>): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { production: { mode: 'advise' } },
    budgets: [
      {
        name: 'chat-prod',
        owner: 'chat@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { endpoints: ['chat-*'] },
        limits: { spendPerPeriod: 2000 },
        ...budget,
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

const variant = (over: Partial<PlannedVariant> = {}): PlannedVariant =>
  ({
    kind: 'instances',
    name: 'AllTraffic',
    instanceType: 'ml.g5.xlarge',
    initial: 2,
    min: 2,
    max: 4,
    scaling: 'autoscaling',
    ...over,
  }) as PlannedVariant;

const endpoint = (over: Partial<PlannedEndpoint> = {}): PlannedEndpoint => ({
  source: { stack: 'Chat', file: 'Chat.template.json', logicalId: 'ChatEndpoint' },
  name: 'chat-prod',
  region: 'us-east-1',
  tags: {},
  asynchronous: false,
  variants: [variant()],
  unresolved: [],
  ...over,
});

// October 2026: 31 days, 744 hours
const OCT = periodContaining('2026-10-15', { startDay: 1, timezone: 'UTC' });

describe('the pre-deploy check', () => {
  it('prices a budget without history at the template’s minimum for a full period, and names the gap over the cap', () => {
    const file = fileWith({});
    const r = judgeCheck({
      file,
      asOf: '2026-10-15',
      period: OCT,
      head: [priceEndpoint(endpoint(), prices)],
    });
    const b = r.budgets[0];
    // 2 x $1.4084 x 744 h = $2,095.6992 expected; 4 x ... = $4,191.3984 at most
    expect(formatMoney(b?.projected?.expected ?? 0n, 4)).toBe('2095.6992');
    expect(formatMoney(b?.projected?.max ?? 0n, 4)).toBe('4191.3984');
    expect(b?.verdict).toBe('over');
    expect(formatMoney(b?.gap ?? 0n, 4)).toBe('95.6992');
    expect(r.pass).toBe(false);
    expect(r.fullHours).toBe(744);
    expect(r.restHours).toBe(16 * 24);
  });

  it('lets a change through under an exception in force and names it; an expired one does not, and is named too', () => {
    const exception = {
      reason: 'launch headroom',
      approvedBy: 'vp@example.com',
      limits: { spendPerPeriod: 2500 },
    };
    const inForce = judgeCheck({
      file: fileWith({ exceptions: [{ ...exception, expires: '2026-10-31' }] }),
      asOf: '2026-10-15',
      period: OCT,
      head: [priceEndpoint(endpoint(), prices)],
    });
    expect(inForce.pass).toBe(true);
    expect(inForce.budgets[0]?.verdict).toBe('excepted');
    expect(inForce.budgets[0]?.exceptions.map((e) => e.reason)).toEqual(['launch headroom']);

    const expired = judgeCheck({
      file: fileWith({ exceptions: [{ ...exception, expires: '2026-10-10' }] }),
      asOf: '2026-10-15',
      period: OCT,
      head: [priceEndpoint(endpoint(), prices)],
    });
    expect(expired.pass).toBe(false);
    expect(expired.budgets[0]?.verdict).toBe('over');
    expect(expired.budgets[0]?.expired.map((e) => e.expires)).toEqual(['2026-10-10']);
  });

  it('never prices an unknown instance type at zero: the budget is unknown and the gate fails', () => {
    const e = endpoint({
      variants: [variant({ instanceType: undefined })],
      unresolved: [
        {
          path: 'Chat/ChatConfig.Properties.ProductionVariants[0].InstanceType',
          why: 'Ref InstanceType: a parameter without a default (give its value)',
        },
      ],
    });
    const priced = priceEndpoint(e, prices);
    expect(priced.hourly).toBeUndefined();
    const r = judgeCheck({ file: fileWith({}), asOf: '2026-10-15', period: OCT, head: [priced] });
    expect(r.budgets[0]?.verdict).toBe('unknown');
    expect(r.budgets[0]?.projected).toBeUndefined();
    expect(r.pass).toBe(false);
    expect(r.unpriced[0]?.path).toContain('InstanceType');
    // an endpoint none of whose variants could be read is not free: it is unpriced, with the template's reasons
    const unread = priceEndpoint(
      endpoint({
        variants: [],
        unresolved: [{ path: 'Chat/ChatConfig.Properties.ProductionVariants', why: 'no ProductionVariants' }],
      }),
      prices,
    );
    expect(unread.hourly).toBeUndefined();
    expect(unread.unpriced).toEqual([
      { path: 'Chat/ChatConfig.Properties.ProductionVariants', why: 'not priced: no ProductionVariants' },
    ]);
    expect(judgeCheck({ file: fileWith({}), asOf: '2026-10-15', period: OCT, head: [unread] }).pass).toBe(
      false,
    );
    // a type the table does not have is named the same way
    const missing = priceEndpoint(
      endpoint({ variants: [variant({ instanceType: 'ml.g5.48xlarge' })] }),
      prices,
    );
    expect(missing.unpriced[0]?.why).toContain('no hosting price for ml.g5.48xlarge in us-east-1');
  });

  it('with --base and history adds only the difference for the rest of the period to the forecast', () => {
    const base = priceEndpoint(endpoint(), prices);
    const head = priceEndpoint(endpoint({ variants: [variant({ instanceType: 'ml.g5.2xlarge' })] }), prices);
    const r = judgeCheck({
      file: fileWith({}),
      asOf: '2026-10-15',
      period: OCT,
      head: [head],
      base: [base],
      history: {
        label: 'test',
        budgets: new Map([
          [
            'chat-prod',
            {
              spendToDate: m('900'),
              forecast: { expected: m('1800'), high: m('1900'), method: 'test' },
            },
          ],
        ]),
        endpoints: new Map(),
      },
    });
    const b = r.budgets[0];
    // (1.515 - 1.4084) x 2 x 384 h = $81.8688 added to the $1,800 forecast
    expect(formatMoney(b?.added?.expected ?? 0n, 4)).toBe('81.8688');
    expect(formatMoney(b?.projected?.expected ?? 0n, 4)).toBe('1881.8688');
    expect(b?.verdict).toBe('within');
    expect(r.endpoints[0]?.kind).toBe('changed');
  });

  it('without --base compares with what the history measured the endpoint to run and spend', () => {
    const measured: MeasuredEndpoint = {
      from: '2026-10-02',
      through: '2026-10-15',
      days: 14,
      meanInstances: { 'ml.g5.xlarge': 3 },
      dailySpend: m('101.4048'),
    };
    const head = priceEndpoint(endpoint({ variants: [variant({ max: 6 })] }), prices, measured);
    // expected at the measured 3 instances (within min 2, max 6)
    expect(formatMoney(head.hourly?.expected ?? 0n, 4)).toBe('4.2252');
    expect(head.variants[0]?.basis).toContain('measured 3 ml.g5.xlarge instances');
    const r = judgeCheck({
      file: fileWith({}),
      asOf: '2026-10-15',
      period: OCT,
      head: [head],
      history: {
        label: 'test',
        budgets: new Map([
          [
            'chat-prod',
            { spendToDate: m('1400'), forecast: { expected: m('3000'), high: m('3000'), method: 't' } },
          ],
        ]),
        endpoints: new Map([['chat-prod', measured]]),
      },
    });
    // 3 x 1.4084 x 24 = 101.4048 a day, as measured: the change adds nothing at the expected capacity
    expect(r.budgets[0]?.added?.expected).toBe(0n);
    expect(r.budgets[0]?.verdict).toBe('over');
    expect(formatMoney(r.budgets[0]?.gap ?? 0n, 2)).toBe('1000.00');
  });

  it('judges maxInstances against the most the template lets an endpoint run', () => {
    const r = judgeCheck({
      file: fileWith({ limits: { spendPerPeriod: 100000, maxInstances: 3 } }),
      asOf: '2026-10-15',
      period: OCT,
      head: [priceEndpoint(endpoint(), prices)],
    });
    expect(r.budgets[0]?.verdict).toBe('over');
    expect(r.budgets[0]?.instances).toEqual([{ endpoint: 'chat-prod', max: 4, limit: 3 }]);
  });

  it('lists an endpoint no budget takes, and judges no budget for it', () => {
    const r = judgeCheck({
      file: fileWith({}),
      asOf: '2026-10-15',
      period: OCT,
      head: [priceEndpoint(endpoint({ name: 'other-endpoint' }), prices)],
    });
    expect(r.unbudgeted).toEqual(['other-endpoint']);
    expect(r.budgets).toEqual([]);
    expect(r.pass).toBe(true);
  });
});
