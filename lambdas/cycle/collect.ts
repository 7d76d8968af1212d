/**
 * The collect step, the same for files, a live account and the deployed pipeline: it reads a cycle's inputs through
 * the sources it is given and returns them as the parts of a snapshot (the contract's `SnapshotPart`):
 *
 * - the spend part: cost rows of the previous period (the baseline of every cause, the forecast's history) through
 *   as-of, read once (Cost Explorer covers an organisation from its management or a delegated account; asking per
 *   member would count it twice), with the source's own forecast beside ours;
 * - a resources part per account and region: the inventory, and the metrics of the endpoints some budget selects
 *   (the judging window hourly, the invocations before it daily).
 *
 * A source that fails becomes a gap (incomplete data) and the part goes on with the others: nothing that failed is
 * reported as zero. Bad input (a malformed file, a bill in another currency) is not a gap: it stops the cycle.
 * Spend is placed on endpoints only when the parts are merged (`evaluateStep`), because an estimated split needs
 * every endpoint, in every account, that ran an instance type.
 */
import type { ApiUsage } from '../core/api-usage.ts';
import type { BudgetFile } from '../core/budget.ts';
import { gapOf, InputError } from '../core/errors.ts';
import { addDays, historyStart, maxDay, periodContaining } from '../core/period.ts';
import { SelectorMatcher } from '../core/selector.ts';
import type { CostRecord, DataGap, EndpointInfo, MetricSeries } from '../core/types.ts';
import type { CycleSources, MetricQuery, TimeRange } from '../ports.ts';
import type { SnapshotPart } from './contract.ts';

export interface CollectOptions {
  readonly file: BudgetFile;
  /** The day judged (inclusive, billing time zone). */
  readonly asOf: string;
  readonly sources: CycleSources;
}

type SpendPart = Extract<SnapshotPart, { part: 'costs' }>;
type ResourcesPart = Extract<SnapshotPart, { part: 'resources' }>;

const usageOf = (u: ApiUsage | undefined) => (u ? { apiUsage: u.report() } : {});

/** Spend of the previous and the open period through as-of, with the source's own forecast of the rest. */
export async function collectSpend(o: CollectOptions): Promise<SpendPart> {
  const { file, asOf, sources } = o;
  const gaps: DataGap[] = [];
  let records: readonly CostRecord[] = [];
  let completeThrough: string | undefined;
  let attribution = {};
  if (!sources.spend) {
    gaps.push({ source: 'costs', message: 'no cost source was given' });
  } else {
    try {
      const loaded = await sources.spend.load({
        start: historyStart(asOf, file.billingPeriod),
        end: addDays(asOf, 1),
      });
      ({ records, completeThrough } = loaded);
      gaps.push(...loaded.gaps);
      attribution = loaded.attribution ?? {};
    } catch (err) {
      gaps.push(gapOf('costs', err));
    }
  }
  checkCurrency(records, file.currency);
  const period = periodContaining(asOf, file.billingPeriod);
  const rest: TimeRange = { start: addDays(asOf, 1), end: period.end };
  const forecast = rest.start < rest.end ? await forecastOf(sources, rest) : undefined;
  return {
    part: 'costs',
    snapshot: {
      asOf,
      currency: file.currency,
      costs: records,
      inventory: [],
      gaps,
      ...(completeThrough ? { costsCompleteThrough: completeThrough } : {}),
    },
    attribution,
    ...usageOf(sources.usage),
    ...(forecast ? { costExplorerForecast: forecast } : {}),
  };
}

/** The spend source's own forecast of the rest of the period; why not, when it failed. */
async function forecastOf(sources: CycleSources, rest: TimeRange) {
  try {
    return await sources.spend?.forecast?.(rest);
  } catch (err) {
    return { from: rest.start, to: rest.end, error: gapOf('costs', err).message };
  }
}

/** The inventory and metrics of one account and region. */
export async function collectResources(
  o: CollectOptions,
  /** Where the part was read; absent for files, and for a live run's own account when no accounts are listed. */
  target?: { readonly account: string; readonly region: string },
): Promise<ResourcesPart> {
  const { file, asOf, sources } = o;
  const gaps: DataGap[] = [];
  let inventory: readonly EndpointInfo[] = [];
  if (sources.inventory) {
    try {
      const loaded = await sources.inventory.load();
      inventory = loaded.endpoints;
      gaps.push(...loaded.gaps);
    } catch (err) {
      gaps.push(gapOf('inventory', err));
    }
  }
  let metrics: MetricSeries[] | undefined;
  if (sources.metrics) {
    metrics = [];
    const matchers = file.budgets.map((b) => new SelectorMatcher(b));
    const selected = inventory.filter((e) => matchers.some((m) => m.matches(e.name, e.tags)));
    // with an inventory only the endpoints some budget selects are asked for; without one (files) the source is
    // asked once for the whole history, and gives what it holds
    const queries = !sources.inventory
      ? [
          {
            range: { start: historyStart(asOf, file.billingPeriod), end: addDays(asOf, 1) },
            endpoints: [],
            periodSeconds: 3600,
          },
        ]
      : selected.length === 0
        ? []
        : metricQueries(file, asOf, selected);
    for (const q of queries) {
      try {
        const loaded = await sources.metrics.load(q);
        for (const s of loaded.series) metrics.push(s);
        gaps.push(...loaded.gaps);
      } catch (err) {
        gaps.push(gapOf('metrics', err));
      }
    }
  }
  return {
    part: 'resources',
    snapshot: {
      asOf,
      currency: file.currency,
      costs: [],
      ...(metrics ? { metrics } : {}),
      inventory,
      gaps,
    },
    ...(target ? { target: { account: target.account, region: target.region } } : {}),
    ...usageOf(sources.usage),
  };
}

/**
 * The judging window hourly (what the limits and the actions read), and before it, back to the start of the
 * previous period, the invocations daily (what a cause compares the window's with).
 */
export function metricQueries(
  file: BudgetFile,
  asOf: string,
  endpoints: readonly EndpointInfo[],
): MetricQuery[] {
  const previous = historyStart(asOf, file.billingPeriod);
  const windowStart = maxDay(addDays(asOf, -6), previous);
  const queries: MetricQuery[] = [
    { range: { start: windowStart, end: addDays(asOf, 1) }, endpoints, periodSeconds: 3600 },
  ];
  if (previous < windowStart) {
    queries.push({
      range: { start: previous, end: windowStart },
      endpoints,
      periodSeconds: 86_400,
      metrics: ['Invocations'],
    });
  }
  return queries;
}

function checkCurrency(records: readonly CostRecord[], currency: string): void {
  for (const r of records) {
    if (r.currency !== currency) {
      const where = r.source
        ? `${r.source.file}${r.source.row !== undefined ? ` row ${r.source.row}` : ''}`
        : 'costs';
      throw new InputError(
        `${where}: billed in ${r.currency}, but the budget file is in ${currency}; convert the export or set currency: ${r.currency}`,
      );
    }
  }
}
