import { buildClients, TargetClients } from '../aws/clients.ts';
import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { awsResourceSources, awsSpendSources } from '../aws/sources.ts';
import { ApiUsage } from '../core/api-usage.ts';
import { resolveAsOf } from '../cycle/as-of.ts';
import { collectResources, collectSpend } from '../cycle/collect.ts';
import { CollectEventSchema, payloadKey, SnapshotPartSchema } from '../cycle/contract.ts';
import { writePayload } from '../cycle/payloads.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda } from './middleware.ts';
import { logCollected } from './observe.ts';

const { config, store } = baseDeps();
/** Closed cost days, and the inventory days earlier cycles recorded: the instance types CloudTrail cannot date. */
const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
const home = buildClients({ region: config.AWS_REGION });
/** RoleSessionName of the sessions this function opens in member accounts: what their CloudTrail shows. */
export const COLLECT_SESSION_NAME = 'perf-budgets-collect';
const members = new TargetClients({ homeRegion: config.AWS_REGION, sessionName: COLLECT_SESSION_NAME });

/** Collect: the spend, or one account and region's inventory and metrics, as a snapshot part in S3. */
export const handler = lambda(CollectEventSchema, async (event, context) => {
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const account = context.invokedFunctionArn.split(':')[4] ?? '';
  const target = event.target ?? { account, region: config.AWS_REGION };
  if (target.roleArn === undefined && target.account !== account) {
    throw new EventError(
      `target.account ${target.account} is not this function's account (${account}); a member account needs its roleArn`,
    );
  }
  const now = Date.now();
  const at = event.at === undefined ? undefined : Date.parse(event.at);
  const asOf = resolveAsOf({ given: event.asOf, at, now, timezone: file.billingPeriod.timezone, live: true });
  const clients = target.roleArn === undefined && target.region === home.region ? home : members.for(target);
  const o = {
    file,
    asOf,
    clients,
    usage: new ApiUsage(),
    cache: ledger,
    history: ledger,
    now: Date.now,
  };
  const part =
    event.part === 'costs'
      ? await collectSpend({ file, asOf, sources: awsSpendSources(o) })
      : await collectResources({ file, asOf, sources: awsResourceSources(o) }, target);
  const name = event.part === 'costs' ? 'costs' : `${target.account}.${target.region}`;
  const key = payloadKey('snapshots', asOf, `${event.runId}.${name}`);
  await writePayload(store, key, SnapshotPartSchema, part);
  logCollected(part, key);
  return { runId: event.runId, asOf, snapshotKey: key };
});
