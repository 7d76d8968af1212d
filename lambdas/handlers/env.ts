import * as z from 'zod';
import { ConfigurationError } from '../core/errors.ts';

export { ConfigurationError };

/**
 * Reads a handler's environment once, at cold start, and fails with the name of every missing or malformed
 * variable (as Powertools' envUtils do), so a misconfigured deployment says what to fix on its first invocation.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigurationError(`environment: ${problems.join('; ')}`);
}

/** Variables every handler reads. */
export const BaseEnv = z.object({
  /** Bucket for snapshots, cycle results and reports (large payloads travel between states as keys in it). */
  DATA_BUCKET: z.string().min(3),
  /** Key of the validated budget file (JSON) in DATA_BUCKET, written at deploy time. */
  BUDGETS_KEY: z.string().min(1),
  /** DynamoDB table of the ledger. */
  LEDGER_TABLE: z.string().min(1),
  AWS_REGION: z.string().min(1),
});
export type BaseEnv = z.infer<typeof BaseEnv>;

/** The approvals handler (Slack's interactivity request URL), besides BaseEnv. */
export const ApprovalsEnv = z.object({
  /** The Slack secret: its `signingSecret` verifies every request. */
  SLACK_SECRET_ARN: z.string().startsWith('arn:'),
  /** The function (name or ARN) that applies a decided change and answers Slack, invoked asynchronously. */
  APPROVAL_WORKER: z.string().min(1),
});
export type ApprovalsEnv = z.infer<typeof ApprovalsEnv>;
