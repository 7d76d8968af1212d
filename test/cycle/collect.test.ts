import { describe, expect, it } from 'vitest';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import type { EndpointInfo } from '../../lambdas/core/types.ts';
import { collectResources, collectSpend } from '../../lambdas/cycle/collect.ts';
import type { MetricQuery, TimeRange } from '../../lambdas/ports.ts';
import { dailyRow, series } from '../helpers/build.ts';

const parsed = parseBudgetFile({
  version: 1,
  currency: 'USD',
  billingPeriod: { startDay: 1, timezone: 'UTC' },
  tiers: { production: { mode: 'advise' } },
  budgets: [
    {
      name: 'search',
      owner: 'ml@example.com',
      tier: 'production',
      environment: 'prod',
      selector: { endpoints: ['search-*'] },
      limits: { spendPerPeriod: 1000 },
    },
  ],
});
if (!parsed.ok) throw new Error('test budget file');
const file: BudgetFile = parsed.file;
const asOf = '2026-10-15';
const endpoint = (name: string): EndpointInfo => ({ name, instanceType: 'ml.g5.xlarge', tags: {} });

describe('collectSpend', () => {
  it('asks for the previous period through as-of, and keeps how the rows are placed on endpoints', async () => {
    const asked: TimeRange[] = [];
    const part = await collectSpend({
      file,
      asOf,
      sources: {
        spend: {
          load: async (range) => {
            asked.push(range);
            return {
              records: [dailyRow({ day: '2026-10-14', amount: 12.5 })],
              gaps: [],
              attribution: { groupTag: 'team' },
            };
          },
        },
      },
    });
    expect(asked).toEqual([{ start: '2026-09-01', end: '2026-10-16' }]);
    expect(part).toMatchObject({
      part: 'costs',
      attribution: { groupTag: 'team' },
      snapshot: { asOf, gaps: [] },
    });
    expect(part.snapshot.costs).toHaveLength(1);
    expect(part.apiUsage).toBeUndefined();
  });

  it('turns a source that failed into a gap that names it, never into zero spend', async () => {
    const part = await collectSpend({
      file,
      asOf,
      sources: {
        spend: {
          load: async () => {
            throw new Error('ce:GetCostAndUsage was throttled (ThrottlingException) after the SDK retries');
          },
        },
      },
    });
    expect(part.snapshot.costs).toEqual([]);
    expect(part.snapshot.gaps).toEqual([
      {
        source: 'costs',
        message: 'ce:GetCostAndUsage was throttled (ThrottlingException) after the SDK retries',
      },
    ]);
  });

  it('stops on bad input instead of reporting it as a gap', async () => {
    const bad = new InputError('costs.csv row 3, column BilledCost: expected a number');
    await expect(
      collectSpend({ file, asOf, sources: { spend: { load: async () => Promise.reject(bad) } } }),
    ).rejects.toBe(bad);
    const euros = {
      ...dailyRow({ day: '2026-10-14', amount: 1 }),
      currency: 'EUR',
      source: { file: 'x.csv', row: 7 },
    };
    await expect(
      collectSpend({
        file,
        asOf,
        sources: { spend: { load: async () => ({ records: [euros], gaps: [] }) } },
      }),
    ).rejects.toThrow(/^x\.csv row 7: billed in EUR, but the budget file is in USD/);
  });

  it("asks for the source's forecast of the rest of the period, and says why it is missing when it failed", async () => {
    const asked: TimeRange[] = [];
    const ok = await collectSpend({
      file,
      asOf,
      sources: {
        spend: {
          load: async () => ({ records: [], gaps: [] }),
          forecast: async (range) => {
            asked.push(range);
            return { from: range.start, to: range.end, metric: 'UNBLENDED_COST', mean: 812.4 };
          },
        },
      },
    });
    expect(asked).toEqual([{ start: '2026-10-16', end: '2026-11-01' }]);
    expect(ok.costExplorerForecast).toEqual({
      from: '2026-10-16',
      to: '2026-11-01',
      metric: 'UNBLENDED_COST',
      mean: 812.4,
    });
    const failed = await collectSpend({
      file,
      asOf,
      sources: {
        spend: {
          load: async () => ({ records: [], gaps: [] }),
          forecast: () => Promise.reject(new Error('ce:GetCostForecast was denied')),
        },
      },
    });
    expect(failed.costExplorerForecast).toEqual({
      from: '2026-10-16',
      to: '2026-11-01',
      error: 'ce:GetCostForecast was denied',
    });
  });

  it('asks for no forecast on the last day of the period', async () => {
    let asked = false;
    const part = await collectSpend({
      file,
      asOf: '2026-10-31',
      sources: {
        spend: {
          load: async () => ({ records: [], gaps: [] }),
          forecast: async () => {
            asked = true;
            return undefined;
          },
        },
      },
    });
    expect(asked).toBe(false);
    expect(part.costExplorerForecast).toBeUndefined();
  });

  it('reports the paid calls its sources counted', async () => {
    const usage = new ApiUsage();
    const part = await collectSpend({
      file,
      asOf,
      sources: {
        usage,
        spend: {
          load: async () => {
            usage.count('ce:GetCostAndUsage');
            return { records: [], gaps: [] };
          },
        },
      },
    });
    expect(part.apiUsage).toEqual({
      requests: 1,
      costUsd: 0.01,
      byApi: [{ api: 'ce:GetCostAndUsage', requests: 1, costUsd: 0.01 }],
    });
  });
});

describe('collectResources', () => {
  it('asks for the metrics of the endpoints a budget selects: the window hourly, the invocations before it daily', async () => {
    const queries: MetricQuery[] = [];
    const part = await collectResources(
      {
        file,
        asOf,
        sources: {
          inventory: {
            load: async () => ({ endpoints: [endpoint('search-a'), endpoint('other')], gaps: [] }),
          },
          metrics: {
            load: async (q) => {
              queries.push(q);
              return { series: [], gaps: [] };
            },
          },
        },
      },
      { account: '111122223333', region: 'us-east-1' },
    );
    expect(queries.map((q) => [q.range, q.periodSeconds, q.metrics, q.endpoints.map((e) => e.name)])).toEqual(
      [
        [{ start: '2026-10-09', end: '2026-10-16' }, 3600, undefined, ['search-a']],
        [{ start: '2026-09-01', end: '2026-10-09' }, 86_400, ['Invocations'], ['search-a']],
      ],
    );
    expect(part).toMatchObject({
      part: 'resources',
      target: { account: '111122223333', region: 'us-east-1' },
    });
    expect(part.snapshot.inventory.map((e) => e.name)).toEqual(['search-a', 'other']);
  });

  it('asks for no metrics when no budget selects an endpoint of the inventory', async () => {
    let asked = 0;
    const part = await collectResources({
      file,
      asOf,
      sources: {
        inventory: { load: async () => ({ endpoints: [endpoint('other')], gaps: [] }) },
        metrics: {
          load: async () => {
            asked++;
            return { series: [], gaps: [] };
          },
        },
      },
    });
    expect(asked).toBe(0);
    expect(part.snapshot.metrics).toEqual([]);
  });

  it('keeps going when the inventory or the metrics fail, each a gap of its own', async () => {
    const part = await collectResources({
      file,
      asOf,
      sources: {
        inventory: { load: () => Promise.reject(new Error('sagemaker:ListEndpoints was denied')) },
        metrics: { load: () => Promise.reject(new Error('cloudwatch:GetMetricData was denied')) },
      },
    });
    expect(part.snapshot.gaps).toEqual([
      { source: 'inventory', message: 'sagemaker:ListEndpoints was denied' },
    ]);
    const files = await collectResources({
      file,
      asOf,
      sources: { metrics: { load: () => Promise.reject(new Error('cloudwatch:GetMetricData was denied')) } },
    });
    expect(files.snapshot.gaps).toEqual([
      { source: 'metrics', message: 'cloudwatch:GetMetricData was denied' },
    ]);
  });

  it('asks a source without an inventory (files) once for the whole history, and has no metrics without a source', async () => {
    const queries: MetricQuery[] = [];
    const s = series('search-a', 'Invocations', 'Sum', '2026-10-14', 3, () => 5);
    const part = await collectResources({
      file,
      asOf,
      sources: {
        metrics: {
          load: async (q) => {
            queries.push(q);
            return { series: [s], gaps: [] };
          },
        },
      },
    });
    expect(queries.map((q) => q.range)).toEqual([{ start: '2026-09-01', end: '2026-10-16' }]);
    expect(part.snapshot.metrics).toEqual([s]);
    expect(part.target).toBeUndefined();
    const costOnly = await collectResources({ file, asOf, sources: {} });
    expect(costOnly.snapshot.metrics).toBeUndefined();
  });
});
