/**
 * What every handler builds once per cold start: its environment and the S3 store. Each handler file is its own
 * composition root and builds, besides, only the clients it uses (the ledger for collect and notify, the service
 * clients for collect): a client package that a handler does not import is one it does not load at cold start.
 */

import { S3Client } from '@aws-sdk/client-s3';
import { S3Store } from '../aws/s3-store.ts';
import { type BudgetFile, parseBudgetFile } from '../core/budget.ts';
import { BaseEnv, ConfigurationError, readEnv } from './env.ts';

export function baseDeps(env: NodeJS.ProcessEnv = process.env) {
  const config = readEnv(BaseEnv, env);
  const s3 = new S3Client({ region: config.AWS_REGION });
  const store = new S3Store({
    bucket: config.DATA_BUCKET,
    encryption: { type: 'aws:kms' },
    client: s3,
  });
  return { config, store };
}

/** The budget file the stack validated at synth and wrote to the bucket as JSON. */
export async function loadBudgets(store: S3Store, key: string): Promise<BudgetFile> {
  const doc = await store.getJson(key);
  const r = parseBudgetFile(doc);
  if (!r.ok) {
    const p = r.problems[0];
    throw new ConfigurationError(`s3 budget file ${key}: ${p?.path}: ${p?.message}`);
  }
  return r.file;
}
