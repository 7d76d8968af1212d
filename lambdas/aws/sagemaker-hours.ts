/**
 * The instance-hours an endpoint ran per billing day and instance type, reconstructed from its current counts and
 * the successful scaling activities of Application Auto Scaling: what estimated attribution splits a usage type's
 * spend by.
 */
import type { ScalingActivity } from '@aws-sdk/client-application-auto-scaling';
import type { VariantInfo } from '../core/types.ts';

export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/**
 * The count a scaling activity set. Application Auto Scaling writes it in `Description` ("Setting desired instance
 * count to 3.") and again in `StatusMessage` ("Successfully set desired instance count to 3. Change successfully
 * fulfilled by sagemaker."); other namespaces say "desired count" (the ECS example of the AWS CLI). Activities that
 * change something else ("Setting min capacity to 5 and max capacity to 10") do not match and are ignored.
 */
const DESIRED_COUNT = /\bdesired (?:instance )?count to (\d+)\b/i;
const HOUR_MS = 3_600_000;

/** The resource id Application Auto Scaling knows a variant by. */
export const variantResourceId = (endpoint: string, variant: string): string =>
  `endpoint/${endpoint}/variant/${variant}`;

/** A successful change of a variant's count. */
export interface Change {
  /** When the new count took effect, epoch ms. */
  readonly at: number;
  readonly count: number;
}

/**
 * The instance type a variant ran from `at` (epoch ms) on, from the endpoint configs it took (see endpoint-history.ts);
 * `type` undefined: a config whose types are unknown, so that its hours are left out rather than put on a wrong type.
 */
export interface TypeChange {
  readonly at: number;
  readonly type: string | undefined;
}

/** The billing days of the history window, as instants. */
export interface HoursWindow {
  readonly from: number;
  readonly to: number;
  readonly days: readonly { readonly day: string; readonly start: number; readonly end: number }[];
}

/**
 * Instance-hours per billing day and instance type over the window, for one endpoint.
 *
 * The count of a variant is known now (DescribeEndpoint); walking its successful scaling activities backwards, the
 * count before each change is the count the previous change set. Assumptions, all for lack of better data:
 * - A change takes effect when its activity ends (EndTime: the instances are in service or gone), else when it starts.
 * - Before the earliest activity retained (six weeks, or the pages read), the count is the one that activity set:
 *   the count it replaced is not recorded anywhere.
 * - A variant without activities (no auto scaling, managed instance scaling of inference components, or activities
 *   that could not be read) held its current count all along.
 * - A variant ran the instance type of the config it took last (`types`, by variant name: an UpdateEndpoint to another
 *   config is not a scaling activity), and its current type where no config change is known.
 * - Nothing ran before the endpoint's CreationTime. Endpoints deleted since are not listed, so they have no hours.
 */
export function instanceHours(
  endpoint: string,
  variants: readonly VariantInfo[],
  changes: ReadonlyMap<string, readonly Change[]> | undefined,
  createdMs: number | undefined,
  window: HoursWindow,
  types?: ReadonlyMap<string, readonly TypeChange[]>,
): Record<string, Record<string, number>> {
  const hours = new Map<string, Map<string, number>>();
  const from = Math.max(window.from, createdMs ?? window.from);
  for (const v of variants) {
    if (!v.instanceType || v.instanceCount === undefined) continue;
    const list = changes?.get(variantResourceId(endpoint, v.name)) ?? [];
    const typed = typeSegments(v.instanceType, types?.get(v.name) ?? []);
    // Segments [start, end) with a count, from now backwards.
    let end = Number.POSITIVE_INFINITY;
    let count = v.instanceCount;
    for (let i = list.length - 1; i >= -1; i--) {
      const start = i >= 0 ? (list[i] as Change).at : Number.NEGATIVE_INFINITY;
      for (const t of typed) {
        const s = Math.max(start, from, t.start);
        const e = Math.min(end, window.to, t.end);
        if (t.type !== undefined) addSegment(hours, t.type, count, s, e, window);
      }
      if (i < 0 || start <= from) break;
      end = start;
      count = (list[Math.max(i - 1, 0)] as Change).count;
    }
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [day, byType] of [...hours].sort(([a], [b]) => a.localeCompare(b))) {
    const row: Record<string, number> = {};
    for (const [type, h] of byType) if (h > 0) row[type] = Math.round(h * 1e6) / 1e6;
    if (Object.keys(row).length) out[day] = row;
  }
  return out;
}

/**
 * The types of a variant over time as [start, end) segments: its current type when no change is known, else the type
 * of the change in force, the first one's also before it (a history that does not know what ran before its first
 * change starts with a change of unknown type).
 */
function typeSegments(
  current: string,
  changes: readonly TypeChange[],
): { start: number; end: number; type: string | undefined }[] {
  const first = changes[0];
  if (!first) return [{ start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY, type: current }];
  return changes.map((c, i) => ({
    start: i === 0 ? Number.NEGATIVE_INFINITY : c.at,
    end: changes[i + 1]?.at ?? Number.POSITIVE_INFINITY,
    type: c.type,
  }));
}

function addSegment(
  hours: Map<string, Map<string, number>>,
  type: string,
  count: number,
  start: number,
  end: number,
  window: HoursWindow,
): void {
  if (count <= 0 || end <= start) return;
  for (const d of window.days) {
    const s = Math.max(start, d.start);
    const e = Math.min(end, d.end);
    if (e <= s) continue;
    const byType = hours.get(d.day) ?? new Map<string, number>();
    hours.set(d.day, byType);
    byType.set(type, (byType.get(type) ?? 0) + (count * (e - s)) / HOUR_MS);
  }
}

/** The count a successful activity set and when it took effect, or undefined for any other activity. */
export function countChange(a: ScalingActivity): Change | undefined {
  if (a.StatusCode !== 'Successful' || a.ScalableDimension !== VARIANT_DIMENSION) return undefined;
  const m = DESIRED_COUNT.exec(a.Description ?? '') ?? DESIRED_COUNT.exec(a.StatusMessage ?? '');
  if (!m) return undefined;
  const when = a.EndTime ?? a.StartTime;
  if (!(when instanceof Date) || Number.isNaN(when.getTime())) return undefined;
  return { at: when.getTime(), count: Number(m[1]) };
}
