import { actStep } from '../cycle/act.ts';
import { FindingsEventSchema, FindingsSchema } from '../cycle/contract.ts';
import { readPayload } from '../cycle/payloads.ts';
import { baseDeps } from './deps.ts';
import { lambda, logger } from './middleware.ts';

const { store } = baseDeps();

/** Act: what the cycle's findings would have the tool change, within each tier's mode (advise only, for now). */
export const handler = lambda(FindingsEventSchema, async (event) => {
  const { result } = await readPayload(store, event.resultKey, FindingsSchema);
  const outcome = actStep(result);
  logger.info('planned', { asOf: event.asOf, advised: outcome.advised, applied: outcome.applied.length });
  return { ...event, ...outcome };
});
