/**
 * The collect step of a live cycle: inventory, costs and metrics of one account and region, composed from the
 * adapters into the same Snapshot a file-based run builds. A source that fails becomes a gap (incomplete data) and
 * the cycle goes on with the others; nothing that failed is reported as zero.
 *
 * Across several accounts and regions the step comes in parts: spend once from the deployment account (Cost
 * Explorer covers the organisation from the management or a delegated account; asking per member would count it
 * twice), and inventory and metrics once per account and region. `mergeSnapshotParts` joins them into one Snapshot
 * and only then attributes spend, because an estimated split needs every endpoint that ran an instance type.
 */

import type { ApiUsage } from '../core/api-usage.ts';
import type { BudgetFile } from '../core/budget.ts';
import { addDays, maxDay, periodContaining } from '../core/period.ts';
import { SelectorMatcher } from '../core/selector.ts';
import type { CostRecord, DataGap, EndpointInfo, MetricName, MetricSeries, Snapshot } from '../core/types.ts';
import { type AttributionTags, attribute } from '../cycle/parts.ts';
import type { CostDayCache, CostLoad, CostSource, TimeRange } from '../ports.ts';
import type { AwsClients } from './clients.ts';
import { CloudWatchMetricSource } from './cloudwatch.ts';
import { CostExplorerSource, type ForecastCrossCheck } from './cost-explorer.ts';
import { SourceError, sourceError } from './errors.ts';
import { FocusExportSource } from './focus-export.ts';
import { SageMakerInventory } from './sagemaker.ts';

export interface AwsCollectOptions {
  readonly file: BudgetFile;
  /** The day judged (inclusive, billing time zone). */
  readonly asOf: string;
  readonly clients: AwsClients;
  readonly usage: ApiUsage;
  /** Closed days of earlier cycles (the ledger): Cost Explorer is asked only for days that can still change. */
  readonly cache?: CostDayCache;
  /** The wall clock, for the inventory's current counts; never what counts as "to date". */
  readonly now: () => number;
  /** Export name under focusExport.prefix, for costSource focus-export. */
  readonly focusExportName?: string;
}

export interface AwsCollection {
  readonly snapshot: Snapshot;
  /** Cost Explorer's own forecast of the account total for the rest of the period, beside ours. */
  readonly crossCheck?: ForecastCrossCheck;
}

function gapOf(source: DataGap['source'], api: string, err: unknown): DataGap {
  const e =
    err instanceof SourceError ? err : sourceError(source === 'inventory' ? 'inventory' : source, api, err);
  return { source, message: e.message };
}

/** The tag keys the budgets select on, in file order: Cost Explorer groups by the first (or the endpoint tag). */
export function selectorTagKeys(file: BudgetFile): string[] {
  const keys: string[] = [];
  for (const b of file.budgets)
    for (const k of Object.keys(b.selector.tags ?? {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/** Spend of the open and the previous period through as-of, as the cost source returned it (not yet attributed). */
export interface CostsCollection {
  readonly records: CostRecord[];
  readonly gaps: DataGap[];
  readonly completeThrough?: string;
  readonly attribution: AttributionTags;
  readonly crossCheck?: ForecastCrossCheck;
}

async function loadInventory(o: AwsCollectOptions, gaps: DataGap[]): Promise<EndpointInfo[]> {
  const tz = o.file.billingPeriod.timezone;
  const previous = previousPeriodStart(o);
  try {
    const loaded = await new SageMakerInventory({
      sagemaker: o.clients.sageMaker,
      autoscaling: o.clients.autoScaling,
      usage: o.usage,
      region: o.clients.region,
      timezone: tz,
      historyFrom: previous,
      asOf: o.asOf,
      now: o.now,
    }).endpointsWithGaps();
    gaps.push(...loaded.gaps);
    return [...loaded.endpoints];
  } catch (err) {
    gaps.push(gapOf('inventory', 'sagemaker:ListEndpoints', err));
    return [];
  }
}

function previousPeriodStart(o: AwsCollectOptions): string {
  const period = periodContaining(o.asOf, o.file.billingPeriod);
  return periodContaining(addDays(period.start, -1), o.file.billingPeriod).start;
}

/** Costs: the previous period (the baseline of every cause, and the forecast's history) through as-of. */
async function loadCosts(o: AwsCollectOptions): Promise<CostsCollection & { ce?: CostExplorerSource }> {
  const { file, asOf, clients, usage } = o;
  const range: TimeRange = { start: previousPeriodStart(o), end: addDays(asOf, 1) };
  let source: CostSource;
  let ce: CostExplorerSource | undefined;
  if (file.costSource === 'focus-export' && file.focusExport) {
    const prefix = [file.focusExport.prefix, o.focusExportName].filter((p) => p).join('/');
    source = new FocusExportSource({
      client: clients.s3,
      usage,
      bucket: file.focusExport.bucket,
      prefix,
      costMetric: file.costMetric,
      timezone: file.billingPeriod.timezone,
    });
  } else {
    ce = new CostExplorerSource({
      client: clients.costExplorer,
      usage,
      cache: o.cache,
      costMetric: file.costMetric,
      tagKeys: selectorTagKeys(file),
      endpointTag: file.costExplorer?.endpointTag,
      resourceLevel: file.costExplorer?.resourceLevel,
      asOf,
    });
    source = ce;
  }
  let costs: CostLoad;
  try {
    costs = await source.load(range);
  } catch (err) {
    costs = {
      records: [],
      gaps: [gapOf('costs', file.costSource === 'focus-export' ? 's3:GetObject' : 'ce:GetCostAndUsage', err)],
    };
  }
  const endpointTag = ce?.endpointTag ?? file.costExplorer?.endpointTag;
  return {
    records: [...costs.records],
    gaps: [...costs.gaps],
    ...(costs.completeThrough ? { completeThrough: costs.completeThrough } : {}),
    attribution: {
      ...(endpointTag !== undefined ? { endpointTag } : {}),
      ...(ce?.groupTag !== undefined ? { groupTag: ce.groupTag } : {}),
    },
    ce,
  };
}

/** Cost Explorer's own forecast of the rest of the period, when the source is Cost Explorer and days remain. */
async function crossCheckOf(o: AwsCollectOptions, ce: CostExplorerSource | undefined) {
  const period = periodContaining(o.asOf, o.file.billingPeriod);
  if (ce && addDays(o.asOf, 1) < period.end) {
    return ce.forecastCrossCheck({ start: addDays(o.asOf, 1), end: period.end });
  }
  return undefined;
}

/** Metrics: the judging window hourly, for the endpoints some budget selects. */
async function loadMetrics(
  o: AwsCollectOptions,
  inventory: readonly EndpointInfo[],
  gaps: DataGap[],
): Promise<MetricSeries[]> {
  const { file, asOf, clients, usage } = o;
  const matchers = file.budgets.map((b) => new SelectorMatcher(b));
  const selected = inventory.filter((e) => matchers.some((m) => m.matches(e.name, e.tags)));
  const metrics: MetricSeries[] = [];
  if (selected.length === 0) return metrics;
  const previous = previousPeriodStart(o);
  const names = selected.map((e) => e.name);
  const windowStart = maxDay(addDays(asOf, -6), previous);
  // the judging window hourly (what the limits and the actions read), and before it, back to the start of the
  // previous period, daily: the invocations a cause compares the window's with
  const loads: { range: TimeRange; periodSeconds: number; metrics?: MetricName[] }[] = [
    { range: { start: windowStart, end: addDays(asOf, 1) }, periodSeconds: 3600 },
  ];
  if (previous < windowStart) {
    loads.push({
      range: { start: previous, end: windowStart },
      periodSeconds: 86_400,
      metrics: ['Invocations'],
    });
  }
  for (const l of loads) {
    const cw = new CloudWatchMetricSource({
      client: clients.cloudWatch,
      usage,
      inventory: selected,
      periodSeconds: l.periodSeconds,
      timeZone: file.billingPeriod.timezone,
      metrics: l.metrics,
    });
    try {
      const loaded = await cw.load(l.range, names);
      metrics.push(...loaded.series);
      gaps.push(...loaded.gaps);
    } catch (err) {
      gaps.push(gapOf('metrics', 'cloudwatch:GetMetricData', err));
    }
  }
  return metrics;
}

/** One account and region, spend included: the CLI's live run, and a cycle with no accounts list. */
export async function collectAws(o: AwsCollectOptions): Promise<AwsCollection> {
  const gaps: DataGap[] = [];
  const found = await loadInventory(o, gaps);
  const costs = await loadCosts(o);
  gaps.push(...costs.gaps);
  const { records, inventory } = attribute(
    costs.records,
    found,
    costs.attribution,
    o.file.billingPeriod.timezone,
  );
  const metrics = await loadMetrics(o, inventory, gaps);
  const crossCheck = await crossCheckOf(o, costs.ce);
  return {
    snapshot: {
      asOf: o.asOf,
      currency: o.file.currency,
      costs: records,
      metrics,
      inventory,
      gaps,
      ...(costs.completeThrough ? { costsCompleteThrough: costs.completeThrough } : {}),
    },
    crossCheck,
  };
}

/** The spend part of a cycle: read once, from the deployment account, attributed when the parts are merged. */
export async function collectAwsCosts(o: AwsCollectOptions): Promise<CostsCollection> {
  const { ce, ...costs } = await loadCosts(o);
  const crossCheck = await crossCheckOf(o, ce);
  return crossCheck ? { ...costs, crossCheck } : costs;
}

/** The inventory and metrics part of a cycle: one account and region. */
export async function collectAwsResources(
  o: AwsCollectOptions,
): Promise<{ inventory: EndpointInfo[]; metrics: MetricSeries[]; gaps: DataGap[] }> {
  const gaps: DataGap[] = [];
  const inventory = await loadInventory(o, gaps);
  const metrics = await loadMetrics(o, inventory, gaps);
  return { inventory, metrics, gaps };
}
