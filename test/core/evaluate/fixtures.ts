import { type BudgetFile, parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { type Context, cycleContext } from '../../../lambdas/core/evaluate/context.ts';
import { allocate, type BudgetSpend } from '../../../lambdas/core/spend.ts';
import type { CostRecord, MetricSeries, Snapshot } from '../../../lambdas/core/types.ts';
import { hostingRows } from '../../helpers/build.ts';

export function file(
  budgets: unknown[],
  tiers: Record<string, unknown> = { production: { mode: 'advise' } },
): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers,
    budgets,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

/** The budget `api` of the endpoints `api-*`. */
export const budget = (limits: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'api',
  owner: 'team@example.com',
  tier: 'production',
  environment: 'prod',
  selector: { endpoints: ['api-*'] },
  limits,
  ...extra,
});

export function snap(
  costs: CostRecord[],
  asOf: string,
  metrics?: MetricSeries[],
  extra: Partial<Snapshot> = {},
): Snapshot {
  return { asOf, currency: 'USD', costs, metrics, inventory: [], gaps: [], ...extra };
}

/** api-a: 2 x ml.m5.xlarge ($0.23/h) all of September and October: $11.04 a day. */
export const steady = hostingRows({
  endpoint: 'api-a',
  from: '2026-09-01',
  days: 61,
  type: 'ml.m5.xlarge',
  instances: () => 2,
});

/** The context of an evaluation and the spend of its first budget, as evaluate builds them. */
export function contextOf(snapshot: Snapshot, f: BudgetFile): { ctx: Context; view: BudgetSpend } {
  const ctx = cycleContext(snapshot, f);
  const [view] = allocate(snapshot.costs, f.budgets, ctx.clock, {
    endMs: ctx.asOfEndMs,
    periodStart: ctx.period.start,
  }).views;
  if (!view) throw new Error('no budget');
  return { ctx, view };
}
