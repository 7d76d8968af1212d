import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { InputError } from '../core/errors.ts';
import { METRICS_NAMESPACE, SERVICE } from '../cycle/contract.ts';
import { redactError, redactingReplacer, redactTraces } from './redact.ts';

// every log line and every trace is serialized with the URLs in it cut to scheme and host (see redact.ts)
export const logger = new Logger({ serviceName: SERVICE, jsonReplacerFn: redactingReplacer });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });
const tracesRedacted = redactTraces();
export const tracer = new Tracer({ serviceName: SERVICE, enabled: tracesRedacted });
if (!tracesRedacted)
  logger.warn('tracing is off: this X-Ray SDK serializes segments without the URL redaction');

/** The state machine passed an event this handler cannot read; names the field and what it must be. */
export class EventError extends InputError {
  override name = 'EventError';
}

/**
 * One thin Lambda: the event validated with zod at the edge, then the function; Powertools logs (with the Lambda
 * context), metrics (EMF, flushed at the end) and traces through their middy middlewares. An error leaves with
 * the URLs in its messages redacted, before the tracer records it and the runtime logs it.
 */
export function lambda<S extends z.ZodType, R>(
  eventSchema: S,
  fn: (event: z.infer<S>, context: Context) => Promise<R>,
): middy.MiddyfiedHandler<unknown, R, Error, Context> {
  return middy<unknown, R, Error, Context>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      const parsed = eventSchema.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
        throw new EventError(`event: ${problems.join('; ')}`);
      }
      try {
        return await fn(parsed.data, context);
      } catch (err) {
        throw redactError(err);
      }
    });
}
