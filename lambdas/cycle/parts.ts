/**
 * How the parts of a cycle (one with the spend, one per account and region) join into one Snapshot.
 * No SDK client here: evaluate and report read the parts without loading the collectors.
 */
import { attributeSpend } from '../core/attribution.ts';
import type { BudgetFile } from '../core/budget.ts';
import { DataError } from '../core/errors.ts';
import { DayClock } from '../core/period.ts';
import type { CostRecord, DataGap, EndpointInfo, MetricSeries, Snapshot } from '../core/types.ts';
import type { AttributionTags } from '../ports.ts';
import type { SnapshotPart } from './contract.ts';

/** Places cost rows on endpoints and records on each endpoint how its spend was placed. */
export function attribute(
  records: readonly CostRecord[],
  inventory: readonly EndpointInfo[],
  tags: AttributionTags,
  timezone: string,
): { records: readonly CostRecord[]; inventory: EndpointInfo[] } {
  const clock = new DayClock(timezone);
  const attributed = attributeSpend(records, inventory, { ...tags, dayOf: (ms) => clock.dayOf(ms) });
  return {
    records: attributed.records,
    inventory: inventory.map((e) => {
      const method = attributed.attribution.get(e.name);
      return method ? { ...e, attribution: method } : e;
    }),
  };
}

/** The parts of a cycle do not fit together (different days or currencies): merging them would mix cycles. */
export class SnapshotPartsError extends DataError {
  override name = 'SnapshotPartsError';
}

/**
 * Joins the parts of a cycle into one Snapshot: costs, inventory, metrics and gaps concatenated in part order,
 * costs complete through the earliest day any cost part vouches for, and spend attributed over the inventory of
 * every account and region. The core knows an endpoint by its name: when two targets have endpoints of the same
 * name, the first target's is kept and the other is a gap, never a silent mix of two endpoints' data. No cost part
 * at all is a gap too, so that missing spend never reads as zero.
 */
export function mergeSnapshotParts(parts: readonly SnapshotPart[], file: BudgetFile): Snapshot {
  const first = parts[0];
  if (!first) throw new SnapshotPartsError('no snapshot parts to merge');
  for (const p of parts) {
    if (p.snapshot.asOf !== first.snapshot.asOf) {
      throw new SnapshotPartsError(
        `snapshot parts of different days: ${first.snapshot.asOf} and ${p.snapshot.asOf}`,
      );
    }
    if (p.snapshot.currency !== file.currency) {
      throw new SnapshotPartsError(
        `a snapshot part in ${p.snapshot.currency}, the budget file in ${file.currency}`,
      );
    }
  }
  const resourceParts = parts.filter((p) => p.part === 'resources');
  const costParts = parts.filter((p) => p.part === 'costs');
  const labelled = resourceParts.length > 1;
  const gaps: DataGap[] = [];
  const inventory: EndpointInfo[] = [];
  let metrics: MetricSeries[] | undefined;
  const owner = new Map<string, string>();
  for (const p of parts) {
    if (p.part === 'costs') {
      gaps.push(...p.snapshot.gaps);
      continue;
    }
    const where = p.target ? `${p.target.account} ${p.target.region}` : 'the files';
    gaps.push(
      ...(labelled
        ? p.snapshot.gaps.map((g) => ({ ...g, message: `${where}: ${g.message}` }))
        : p.snapshot.gaps),
    );
    const dropped = new Set<string>();
    for (const e of p.snapshot.inventory) {
      const had = owner.get(e.name);
      if (had !== undefined) {
        dropped.add(e.name);
        gaps.push({
          source: 'inventory',
          scope: e.name,
          endpoint: e.name,
          message: `endpoint ${e.name} exists in ${had} and in ${where}; only the first is judged, rename one to judge both`,
        });
        continue;
      }
      owner.set(e.name, where);
      inventory.push(e);
    }
    if (p.snapshot.metrics) {
      metrics ??= [];
      for (const m of p.snapshot.metrics) if (!dropped.has(m.endpoint)) metrics.push(m);
    }
  }
  if (costParts.length === 0) {
    gaps.push({ source: 'costs', message: 'no cost data was collected in this cycle' });
  }
  const costs = concat(costParts.map((p) => p.snapshot.costs));
  const complete = costParts
    .map((p) => p.snapshot.costsCompleteThrough)
    .filter((d): d is string => d !== undefined)
    .sort();
  const tags = costParts[0]?.attribution ?? {};
  // nothing to place rows on: the rows keep the endpoints their own columns name (files)
  const attributed =
    inventory.length === 0
      ? { records: costs, inventory }
      : attribute(costs, inventory, tags, file.billingPeriod.timezone);
  return {
    asOf: first.snapshot.asOf,
    currency: file.currency,
    costs: attributed.records,
    ...(metrics ? { metrics } : {}),
    inventory: attributed.inventory,
    gaps,
    ...(complete[0] !== undefined ? { costsCompleteThrough: complete[0] } : {}),
  };
}

/** One array of several, without spreading a file's millions of rows onto the stack. */
function concat<T>(arrays: readonly (readonly T[])[]): readonly T[] {
  if (arrays.length === 1) return arrays[0] as readonly T[];
  const out: T[] = [];
  for (const a of arrays) for (const x of a) out.push(x);
  return out;
}
