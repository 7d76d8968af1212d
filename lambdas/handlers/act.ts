import * as z from 'zod';
import type { CycleResult } from '../core/evaluate.ts';
import { baseDeps } from './deps.ts';
import { lambda, logger } from './middleware.ts';

const deps = baseDeps();

export const ActEvent = z.object({
  runId: z.string().min(1),
  asOf: z.iso.date(),
  resultKey: z.string().min(1),
});

/**
 * Act: the planner hook. Until actuation lands, every tier is treated as advise: the actions stay recommendations
 * in the findings, nothing in the account is changed, and this step reports what it would have considered.
 */
export const handler = lambda(ActEvent, async (event) => {
  const { result } = await deps.store.getJson<{ result: CycleResult }>(event.resultKey);
  const advised = result.budgets.reduce(
    (n, b) => n + b.findings.reduce((m, f) => m + f.actions.length, 0),
    0,
  );
  logger.info('planned', { asOf: event.asOf, advised, applied: 0 });
  return { ...event, applied: [], advised };
});
