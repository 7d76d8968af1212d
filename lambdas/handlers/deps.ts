/**
 * What every handler builds once per cold start: its environment, the SDK clients, the S3 store and the ledger.
 * Each handler file is its own composition root and imports only what it uses from here.
 */

import { buildClients } from '../aws/clients.ts';
import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { S3Store } from '../aws/s3-store.ts';
import { type BudgetFile, parseBudgetFile } from '../core/budget.ts';
import { BaseEnv, ConfigurationError, readEnv } from './env.ts';

export function baseDeps(env: NodeJS.ProcessEnv = process.env) {
  const config = readEnv(BaseEnv, env);
  const clients = buildClients({ region: config.AWS_REGION });
  const store = new S3Store({
    bucket: config.DATA_BUCKET,
    encryption: { type: 'aws:kms' },
    client: clients.s3,
  });
  const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
  return { config, clients, store, ledger };
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
