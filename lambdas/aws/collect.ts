/**
 * The collect step of a live cycle: inventory, costs and metrics of one account and region, composed from the
 * adapters into the same Snapshot a file-based run builds. A source that fails becomes a gap (incomplete data) and
 * the cycle goes on with the others; nothing that failed is reported as zero.
 */
import { attributeSpend } from '../core/attribution.ts';
import type { BudgetFile } from '../core/budget.ts';
import { addDays, DayClock, maxDay, periodContaining } from '../core/period.ts';
import { SelectorMatcher } from '../core/selector.ts';
import type { DataGap, EndpointInfo, MetricName, MetricSeries, Snapshot } from '../core/types.ts';
import type { CostDayCache, CostLoad, CostSource, TimeRange } from '../ports.ts';
import type { AwsClients } from './clients.ts';
import { CloudWatchMetricSource } from './cloudwatch.ts';
import { CostExplorerSource, type ForecastCrossCheck } from './cost-explorer.ts';
import { SourceError, sourceError } from './errors.ts';
import { FocusExportSource } from './focus-export.ts';
import { SageMakerInventory } from './sagemaker.ts';
import type { ApiUsage } from './usage.ts';

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

export async function collectAws(o: AwsCollectOptions): Promise<AwsCollection> {
  const { file, asOf, clients, usage } = o;
  const tz = file.billingPeriod.timezone;
  const clock = new DayClock(tz);
  const period = periodContaining(asOf, file.billingPeriod);
  const previous = periodContaining(addDays(period.start, -1), file.billingPeriod);
  const gaps: DataGap[] = [];

  // Inventory: what runs, with its tags, scaling and instance-hours since the previous period began.
  let inventory: EndpointInfo[] = [];
  try {
    const loaded = await new SageMakerInventory({
      sagemaker: clients.sageMaker,
      autoscaling: clients.autoScaling,
      usage,
      region: clients.region,
      timezone: tz,
      historyFrom: previous.start,
      asOf,
      now: o.now,
    }).endpointsWithGaps();
    inventory = [...loaded.endpoints];
    gaps.push(...loaded.gaps);
  } catch (err) {
    gaps.push(gapOf('inventory', 'sagemaker:ListEndpoints', err));
  }

  // Costs: the previous period (the baseline of every cause, and the forecast's history) through as-of.
  const range: TimeRange = { start: previous.start, end: addDays(asOf, 1) };
  const tagKeys = selectorTagKeys(file);
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
      timezone: tz,
    });
  } else {
    ce = new CostExplorerSource({
      client: clients.costExplorer,
      usage,
      cache: o.cache,
      costMetric: file.costMetric,
      tagKeys,
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
  gaps.push(...costs.gaps);
  const attributed = attributeSpend(costs.records, inventory, {
    endpointTag: ce?.endpointTag ?? file.costExplorer?.endpointTag,
    groupTag: ce?.groupTag,
    dayOf: (ms) => clock.dayOf(ms),
  });
  inventory = inventory.map((e) => {
    const method = attributed.attribution.get(e.name);
    return method ? { ...e, attribution: method } : e;
  });

  // Metrics: the judging window hourly, for the endpoints some budget selects.
  const matchers = file.budgets.map((b) => new SelectorMatcher(b));
  const selected = inventory.filter((e) => matchers.some((m) => m.matches(e.name, e.tags)));
  const metrics: MetricSeries[] = [];
  if (selected.length > 0) {
    const names = selected.map((e) => e.name);
    const windowStart = maxDay(addDays(asOf, -6), previous.start);
    // the judging window hourly (what the limits and the actions read), and before it, back to the start of the
    // previous period, daily: the invocations a cause compares the window's with
    const loads: { range: TimeRange; periodSeconds: number; metrics?: MetricName[] }[] = [
      { range: { start: windowStart, end: addDays(asOf, 1) }, periodSeconds: 3600 },
    ];
    if (previous.start < windowStart) {
      loads.push({
        range: { start: previous.start, end: windowStart },
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
        timeZone: tz,
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
  }

  let crossCheck: ForecastCrossCheck | undefined;
  if (ce && addDays(asOf, 1) < period.end) {
    crossCheck = await ce.forecastCrossCheck({ start: addDays(asOf, 1), end: period.end });
  }

  return {
    snapshot: {
      asOf,
      currency: file.currency,
      costs: attributed.records,
      metrics,
      inventory,
      gaps,
      ...(costs.completeThrough ? { costsCompleteThrough: costs.completeThrough } : {}),
    },
    crossCheck,
  };
}
