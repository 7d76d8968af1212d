import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { buildClients, TargetClients } from '../aws/clients.ts';
import { collectAws, collectAwsCosts, collectAwsResources } from '../aws/collect.ts';
import type { ForecastCrossCheck } from '../aws/cost-explorer.ts';
import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { snapshotKey } from '../aws/s3-store.ts';
import { ApiUsage } from '../core/api-usage.ts';
import {
  AccountIdSchema,
  type CollectionTarget,
  ExternalIdSchema,
  RegionSchema,
  RoleArnSchema,
  roleAccount,
} from '../core/budget.ts';
import { formatMoney } from '../core/money.ts';
import { addDays, DayClock } from '../core/period.ts';
import { storeSnapshot } from '../core/records.ts';
import type { Snapshot } from '../core/types.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda, logger, metrics } from './middleware.ts';

const deps = baseDeps();
const ledger = new DynamoDbLedger(deps.config.LEDGER_TABLE);
const homeClients = buildClients({ region: deps.config.AWS_REGION });
/** RoleSessionName of the sessions this function opens in member accounts: what their CloudTrail shows. */
export const COLLECT_SESSION_NAME = 'perf-budgets-collect';
const targets = new TargetClients({ homeRegion: deps.config.AWS_REGION, sessionName: COLLECT_SESSION_NAME });

export const CollectTarget = z
  .strictObject({
    account: AccountIdSchema,
    region: RegionSchema,
    /** The member role to assume; absent for the deployment account, read with this function's own role. */
    roleArn: RoleArnSchema.optional(),
    externalId: ExternalIdSchema.optional(),
  })
  .refine((t) => t.roleArn === undefined || roleAccount(t.roleArn) === t.account, {
    message: 'roleArn must be a role in the target account',
    path: ['roleArn'],
  })
  .refine((t) => t.externalId === undefined || t.roleArn !== undefined, {
    message: 'externalId is sent only when assuming roleArn',
    path: ['externalId'],
  });

export const CollectEvent = z
  .object({
    /** The execution name: payload keys are made of it. */
    runId: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
    /** The day to judge (a manual run's choice). */
    asOf: z.iso.date().optional(),
    /** The instant the cycle runs for (a schedule's time, an execution's start): the day before it is judged. */
    at: z.iso.datetime({ offset: true }).optional(),
    /**
     * What to collect: everything of one account and region (`all`), spend only (`costs`, once per cycle, from the
     * deployment account), or inventory and metrics of one target (`resources`).
     */
    part: z.enum(['all', 'costs', 'resources']).default('all'),
    /** Where to collect. @default the deployment account in this function's region */
    target: CollectTarget.optional(),
  })
  .refine((e) => e.asOf === undefined || e.at === undefined, {
    message: 'give asOf or at, not both',
    path: ['at'],
  })
  .refine((e) => e.part === 'resources' || e.target?.roleArn === undefined, {
    message: 'spend is read from the deployment account only (Cost Explorer covers the organisation there)',
    path: ['target', 'roleArn'],
  });
export type CollectEvent = z.infer<typeof CollectEvent>;

/** The account this function runs in, from its own ARN. */
function ownAccount(invokedFunctionArn: string): string {
  const account = invokedFunctionArn.split(':')[4];
  if (!account) throw new EventError(`cannot tell the account from ${invokedFunctionArn}`);
  return account;
}

/** Collect: inventory, costs (closed days from the ledger) and metrics into a snapshot (or a part of one) in S3. */
export const handler = lambda(CollectEvent, async (event, context) => {
  const file = await loadBudgets(deps.store, deps.config.BUDGETS_KEY);
  const home = ownAccount(context.invokedFunctionArn);
  const target: CollectionTarget = event.target ?? { account: home, region: deps.config.AWS_REGION };
  if (target.roleArn === undefined && target.account !== home) {
    throw new EventError(
      `target.account ${target.account} is not this function's account (${home}); a member account needs its roleArn`,
    );
  }
  const clock = new DayClock(file.billingPeriod.timezone);
  const asOf =
    event.asOf ?? addDays(clock.dayOf(event.at === undefined ? Date.now() : Date.parse(event.at)), -1);
  const clients =
    target.roleArn === undefined && target.region === homeClients.region ? homeClients : targets.for(target);
  const usage = new ApiUsage();
  const options = { file, asOf, clients, usage, cache: ledger, now: Date.now };

  let key: string;
  let stored: Record<string, unknown>;
  let snapshot: Snapshot;
  if (event.part === 'costs') {
    const costs = await collectAwsCosts(options);
    snapshot = {
      asOf,
      currency: file.currency,
      costs: costs.records,
      inventory: [],
      gaps: costs.gaps,
      ...(costs.completeThrough ? { costsCompleteThrough: costs.completeThrough } : {}),
    };
    key = snapshotKey(asOf, `${event.runId}.costs`);
    stored = {
      part: 'costs',
      attribution: costs.attribution,
      crossCheck: storedCrossCheck(costs.crossCheck),
    };
  } else if (event.part === 'resources') {
    const found = await collectAwsResources(options);
    snapshot = { asOf, currency: file.currency, costs: [], ...found };
    key = snapshotKey(asOf, `${event.runId}.${target.account}.${target.region}`);
    stored = { part: 'resources', target: { account: target.account, region: target.region } };
  } else {
    const all = await collectAws(options);
    snapshot = all.snapshot;
    key = snapshotKey(asOf, event.runId);
    stored = { crossCheck: storedCrossCheck(all.crossCheck) };
  }
  const report = usage.report();
  await deps.store.putJson(key, { ...stored, snapshot: storeSnapshot(snapshot), apiUsage: report });
  // a summary, never the payloads: they are large and commercially sensitive
  logger.info('collected', {
    asOf,
    part: event.part,
    account: target.account,
    region: target.region,
    costRows: snapshot.costs.length,
    series: snapshot.metrics?.length ?? 0,
    endpoints: snapshot.inventory.length,
    gaps: snapshot.gaps.length,
    apiRequests: report.requests,
  });
  metrics.addMetric('ApiCostUsd', MetricUnit.Count, report.costUsd);
  metrics.addMetric('DataGaps', MetricUnit.Count, snapshot.gaps.length);
  return { runId: event.runId, asOf, snapshotKey: key };
});

/** Cost Explorer's forecast as JSON carries it: the mean as decimal text. */
function storedCrossCheck(c: ForecastCrossCheck | undefined): unknown {
  return c?.ok ? { ...c, mean: formatMoney(c.mean, 10) } : c;
}
