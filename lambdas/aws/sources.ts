/**
 * The sources of a live cycle on AWS: the adapters of one account and region behind the cycle's ports, with every
 * failure turned into an error that names the API (and, if denied, the IAM action to grant). What each part reads:
 * spend from Cost Explorer, a FOCUS export in S3 or Athena over the export's table (with Cost Explorer's forecast
 * for Cost Explorer only), the inventory from SageMaker and
 * Application Auto Scaling, metrics from CloudWatch.
 */
import type { ApiUsage } from '../core/api-usage.ts';
import type { BudgetFile } from '../core/budget.ts';
import type { AwsSource } from '../core/errors.ts';
import type { CostExplorerForecast } from '../core/evaluate/types.ts';
import { formatMoney } from '../core/money.ts';
import { historyStart } from '../core/period.ts';
import type {
  CostDayCache,
  CycleSources,
  EndpointsSource,
  InventoryHistory,
  MetricsSource,
  SpendSource,
} from '../ports.ts';
import { AthenaCostSource } from './athena.ts';
import type { AwsClients } from './clients.ts';
import { CloudWatchMetricSource } from './cloudwatch.ts';
import { CostExplorerSource, type ForecastCrossCheck } from './cost-explorer.ts';
import { sourceError } from './errors.ts';
import { FocusExportSource } from './focus-export.ts';
import { SageMakerInventory } from './sagemaker.ts';

export interface AwsSourcesOptions {
  readonly file: BudgetFile;
  /** The day judged (inclusive, billing time zone). */
  readonly asOf: string;
  readonly clients: AwsClients;
  readonly usage: ApiUsage;
  /** Closed days of earlier cycles (the ledger): Cost Explorer is asked only for days that can still change. */
  readonly cache?: CostDayCache;
  /** Inventory days earlier cycles recorded (the ledger): the instance types CloudTrail cannot date. */
  readonly history?: InventoryHistory;
  /** The wall clock, for the inventory's current counts; never what counts as "to date". */
  readonly now: () => number;
  /** Export name under focusExport.prefix, for costSource focus-export. */
  readonly focusExportName?: string;
}

/** Rethrows a failure as an AwsAccessError naming the API (or the refused role, or what did not fit). */
function failed(source: AwsSource, api: string) {
  return (err: unknown): never => {
    throw sourceError(source, api, err);
  };
}

/** The tags each budget selects on, in file order: what Cost Explorer's queries must tell apart. */
export function selectorTags(file: BudgetFile): Record<string, string>[] {
  return file.budgets.map((b) => b.selector.tags ?? {});
}

/** Cost Explorer's forecast as the result carries it: the mean to the cent, or why it is missing. */
export function forecastOf(c: ForecastCrossCheck): CostExplorerForecast {
  const days = { from: c.range.start, to: c.range.end };
  return c.ok
    ? { ...days, metric: c.metric, mean: Number(formatMoney(c.mean, 2)) }
    : { ...days, error: c.gap.message };
}

function spendSource(o: AwsSourcesOptions): SpendSource {
  const { file, clients, usage } = o;
  if (file.costSource === 'focus-export' && file.focusExport) {
    const focus = new FocusExportSource({
      client: clients.s3,
      usage,
      bucket: file.focusExport.bucket,
      prefix: [file.focusExport.prefix, o.focusExportName].filter((p) => p).join('/'),
      costMetric: file.costMetric,
      timezone: file.billingPeriod.timezone,
    });
    const endpointTag = file.costExplorer?.endpointTag;
    return {
      load: async (range) => ({
        ...(await focus.load(range).catch(failed('costs', 's3:GetObject'))),
        attribution: endpointTag !== undefined ? { endpointTag } : {},
      }),
    };
  }
  if (file.costSource === 'athena' && file.athena) {
    const endpointTag = file.costExplorer?.endpointTag;
    const athena = new AthenaCostSource({
      client: clients.athena,
      usage,
      ...(o.cache ? { cache: o.cache } : {}),
      athena: file.athena,
      costMetric: file.costMetric,
      tagKeys: [
        ...selectorTags(file).flatMap((t) => Object.keys(t)),
        ...(endpointTag !== undefined ? [endpointTag] : []),
      ],
      timezone: file.billingPeriod.timezone,
      asOf: o.asOf,
      now: o.now,
    });
    return {
      load: async (range) => ({
        ...(await athena.load(range).catch(failed('costs', 'athena:StartQueryExecution'))),
        attribution: endpointTag !== undefined ? { endpointTag } : {},
      }),
    };
  }
  const ce = new CostExplorerSource({
    client: clients.costExplorer,
    usage,
    cache: o.cache,
    costMetric: file.costMetric,
    selectors: selectorTags(file),
    endpointTag: file.costExplorer?.endpointTag,
    resourceLevel: file.costExplorer?.resourceLevel,
    asOf: o.asOf,
    now: o.now,
  });
  const attribution = {
    ...(ce.endpointTag !== undefined ? { endpointTag: ce.endpointTag } : {}),
    ...(ce.groupTag !== undefined ? { groupTag: ce.groupTag } : {}),
    ...(ce.tagPlan.queries.length > 0 ? { resolvedTags: ce.tagPlan.queries } : {}),
  };
  return {
    load: async (range) => ({
      ...(await ce.load(range).catch(failed('costs', 'ce:GetCostAndUsage'))),
      attribution,
    }),
    forecast: async (range) => {
      const c = await ce.forecastCrossCheck(range);
      return c ? forecastOf(c) : undefined;
    },
  };
}

function inventorySource(o: AwsSourcesOptions): EndpointsSource {
  const inventory = new SageMakerInventory({
    sagemaker: o.clients.sageMaker,
    autoscaling: o.clients.autoScaling,
    cloudtrail: o.clients.cloudTrail,
    usage: o.usage,
    region: o.clients.region,
    timezone: o.file.billingPeriod.timezone,
    // instance-hours are rebuilt as far back as spend is read
    historyFrom: historyStart(o.asOf, o.file.billingPeriod),
    asOf: o.asOf,
    ...(o.history ? { history: o.history } : {}),
    now: o.now,
  });
  return {
    load: () =>
      inventory
        .endpointsWithGaps()
        // a gap crosses steps as the contract's DataGap: which API failed and how is already in its words
        .then(({ endpoints, gaps }) => ({
          endpoints,
          gaps: gaps.map(({ source, scope, endpoint, message }) => ({
            source,
            ...(scope === undefined ? {} : { scope }),
            ...(endpoint === undefined ? {} : { endpoint }),
            message,
          })),
        }))
        .catch(failed('inventory', 'sagemaker:ListEndpoints')),
  };
}

function metricsSource(o: AwsSourcesOptions): MetricsSource {
  return {
    load: (q) =>
      new CloudWatchMetricSource({
        client: o.clients.cloudWatch,
        usage: o.usage,
        inventory: q.endpoints,
        periodSeconds: q.periodSeconds,
        timeZone: o.file.billingPeriod.timezone,
        metrics: q.metrics,
      })
        .load(
          q.range,
          q.endpoints.map((e) => e.name),
        )
        .catch(failed('metrics', 'cloudwatch:GetMetricData')),
  };
}

/** The spend sources of the deployment account (spend is read once per cycle, there). */
export function awsSpendSources(o: AwsSourcesOptions): CycleSources {
  return { spend: spendSource(o), usage: o.usage };
}

/** The inventory and metric sources of one account and region. */
export function awsResourceSources(o: AwsSourcesOptions): CycleSources {
  return { inventory: inventorySource(o), metrics: metricsSource(o), usage: o.usage };
}
