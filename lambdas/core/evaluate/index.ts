/**
 * One evaluation: snapshot + budget file -> per budget status, forecast and findings, each finding with its cause
 * and viable actions. Pure: time is `snapshot.asOf`.
 */
import type { BudgetFile } from '../budget.ts';
import { allocate } from '../spend.ts';
import type { Snapshot, Status } from '../types.ts';
import { evaluateBudget } from './budget-result.ts';
import { accountGaps } from './completeness.ts';
import { cycleContext } from './context.ts';
import { coverageFindings, unbudgetedResult } from './coverage.ts';
import { dailySpendOf } from './spend-forecast.ts';
import type { BudgetResult, CycleResult, Evaluation } from './types.ts';

const STATUS_RANK: Record<Status, number> = { breached: 0, unknown: 1, 'at-risk': 2, ok: 3 };

export function evaluate(snapshot: Snapshot, file: BudgetFile): CycleResult {
  return evaluateCycle(snapshot, file).result;
}

export function evaluateCycle(snapshot: Snapshot, file: BudgetFile): Evaluation {
  const ctx = cycleContext(snapshot, file);
  const alloc = allocate(snapshot.costs, file.budgets, ctx.clock, {
    endMs: ctx.asOfEndMs,
    periodStart: ctx.period.start,
  });
  const { views } = alloc;
  const gaps = accountGaps(ctx);
  const budgets = views.map((v, i) => evaluateBudget(ctx, v, gaps, coverageFindings(ctx, alloc, i)));
  // worst first: breached, at risk, ok; then the furthest over its cap
  budgets.sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      overage(b) - overage(a) ||
      a.name.localeCompare(b.name),
  );
  return {
    result: {
      asOf: snapshot.asOf,
      period: { start: ctx.period.start, end: ctx.period.end },
      currency: snapshot.currency,
      window: { start: ctx.window.from, end: ctx.window.to },
      data: {
        costsFrom: ctx.span.from ?? null,
        costsThrough: ctx.lastWithData ?? null,
        metrics: snapshot.metrics !== undefined,
      },
      budgets,
      unbudgeted: unbudgetedResult(alloc),
    },
    ...dailySpendOf(views),
    through: ctx.through,
    allocation: alloc,
  };
}

function overage(b: BudgetResult): number {
  if (b.cap === null || b.cap === 0) return 0;
  return Math.max(b.spendToDate ?? 0, b.forecast.expected ?? 0) / b.cap;
}
