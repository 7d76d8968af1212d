import { EvaluateEventSchema, FindingsSchema, payloadKey } from '../cycle/contract.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { readParts, writePayload } from '../cycle/payloads.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda, logger } from './middleware.ts';
import { publishResult, statusCounts } from './observe.ts';

const { config, store } = baseDeps();

/** Evaluate: the cycle's snapshot parts + budget file -> findings with causes and actions, and the ledger records. */
export const handler = lambda(EvaluateEventSchema, async (event) => {
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const { result, records } = evaluateStep(file, await readParts(store, event.partKeys));
  if (result.asOf !== event.asOf) {
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${result.asOf}`);
  }
  const key = payloadKey('findings', event.asOf, event.runId);
  // the inputs go along, so that the report can evaluate the same snapshot again
  await writePayload(store, key, FindingsSchema, { result, records, inputs: { partKeys: event.partKeys } });
  publishResult(result);
  const counts = statusCounts(result);
  logger.info('evaluated', {
    asOf: event.asOf,
    parts: event.partKeys.length,
    budgets: result.budgets.length,
    ...counts,
  });
  return { runId: event.runId, asOf: event.asOf, resultKey: key, ...counts };
});
