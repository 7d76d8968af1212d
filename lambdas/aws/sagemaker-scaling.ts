/**
 * What Application Auto Scaling knows about the SageMaker variants of an account: each registered variant's minimum
 * and maximum, the target value of its target-tracking policy, and the count changes of its successful scaling
 * activities over the history window. Each listing covers the whole `sagemaker` namespace, not one variant.
 */
import {
  type ApplicationAutoScalingClient,
  paginateDescribeScalableTargets,
  paginateDescribeScalingActivities,
  paginateDescribeScalingPolicies,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import type { NextTokenPages } from './paging.ts';
import { capacity } from './sagemaker-checks.ts';
import { type Change, countChange, type HoursWindow, VARIANT_DIMENSION } from './sagemaker-hours.ts';

/** What every listing here asks for: the instance counts of SageMaker variants. */
const VARIANTS = { ServiceNamespace: 'sagemaker', ScalableDimension: VARIANT_DIMENSION } as const;

export interface ScalingLimits {
  readonly min: number;
  readonly max: number;
  readonly targetValue?: number;
}

/** What Application Auto Scaling knows about the account's variants, keyed by resource id. */
export interface AutoScaling {
  readonly targets: ReadonlyMap<string, ScalingLimits>;
  /** Successful count changes per variant, oldest first; undefined when the activities could not be read. */
  readonly changes: ReadonlyMap<string, readonly Change[]> | undefined;
}

/** How the inventory reads: its paging (counted, under its concurrency limit), and where a failed listing goes. */
export interface ScalingReader {
  readonly client: ApplicationAutoScalingClient;
  readonly list: NextTokenPages;
  /** A listing that failed: `unknown` says what is not known because of it. */
  readonly failed: (api: string, err: unknown, unknown: string) => void;
}

/** Limits, target values and (with a window) count changes of every registered variant; failures go to `r.failed`. */
export async function readAutoScaling(
  r: ScalingReader,
  window: HoursWindow | undefined,
): Promise<AutoScaling> {
  const targets = new Map<string, { min: number; max: number }>();
  let targetsRead = false;
  const targetsApi = 'application-autoscaling:DescribeScalableTargets';
  try {
    for await (const page of r.list(targetsApi, paginateDescribeScalableTargets, r.client, {
      ...VARIANTS,
      MaxResults: 50,
    })) {
      for (const t of page.ScalableTargets ?? []) {
        if (!t.ResourceId) continue;
        targets.set(t.ResourceId, {
          min: capacity(targetsApi, 'ScalableTargets[].MinCapacity', t.MinCapacity),
          max: capacity(targetsApi, 'ScalableTargets[].MaxCapacity', t.MaxCapacity),
        });
      }
    }
    targetsRead = true;
  } catch (err) {
    r.failed(targetsApi, err, 'scaling limits are unknown');
  }
  // Without a registered target there are no policies, and no activities of a variant that still exists.
  if (targetsRead && targets.size === 0) return { targets, changes: new Map() };

  const [values, changes] = await Promise.all([
    targetValues(r),
    window ? activities(r, window) : Promise.resolve(new Map<string, Change[]>()),
  ]);
  const limits = new Map<string, ScalingLimits>();
  for (const [id, t] of targets) {
    const targetValue = values.get(id);
    limits.set(id, { ...t, ...(targetValue === undefined ? {} : { targetValue }) });
  }
  return { targets: limits, changes };
}

/** The target value of each variant's target-tracking policy (invocations per instance first, if it has several). */
async function targetValues(r: ScalingReader): Promise<Map<string, number>> {
  const api = 'application-autoscaling:DescribeScalingPolicies';
  const policies = new Map<string, ScalingPolicy[]>();
  try {
    for await (const page of r.list(api, paginateDescribeScalingPolicies, r.client, {
      ...VARIANTS,
      MaxResults: 10,
    })) {
      for (const p of page.ScalingPolicies ?? []) {
        if (p.PolicyType !== 'TargetTrackingScaling' || !p.ResourceId) continue;
        const list = policies.get(p.ResourceId) ?? [];
        list.push(p);
        policies.set(p.ResourceId, list);
      }
    }
  } catch (err) {
    r.failed(api, err, 'target-tracking target values are unknown');
  }
  const out = new Map<string, number>();
  for (const [id, list] of policies) {
    const rank = (p: ScalingPolicy) =>
      p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType ===
      'SageMakerVariantInvocationsPerInstance'
        ? 0
        : 1;
    const chosen = [...list].sort(
      (a, b) => rank(a) - rank(b) || (a.PolicyName ?? '').localeCompare(b.PolicyName ?? ''),
    )[0];
    const value = chosen?.TargetTrackingScalingPolicyConfiguration?.TargetValue;
    if (typeof value === 'number' && Number.isFinite(value)) out.set(id, value);
  }
  return out;
}

/**
 * The successful count changes of every variant, from now back to the start of the window. Application Auto
 * Scaling keeps six weeks of activities and returns them newest first (as in the AWS CLI example), so paging
 * stops at the first page that lies wholly before the window: that page still gives most variants the count they
 * entered the window with. Returns undefined (with a gap) when the activities could not be read.
 */
async function activities(r: ScalingReader, window: HoursWindow): Promise<Map<string, Change[]> | undefined> {
  const api = 'application-autoscaling:DescribeScalingActivities';
  const changes = new Map<string, Change[]>();
  try {
    for await (const page of r.list(api, paginateDescribeScalingActivities, r.client, {
      ...VARIANTS,
      MaxResults: 50,
    })) {
      const acts = page.ScalingActivities ?? [];
      let before = 0;
      for (const a of acts) {
        const change = countChange(a);
        if (change && a.ResourceId) {
          const list = changes.get(a.ResourceId) ?? [];
          list.push(change);
          changes.set(a.ResourceId, list);
        }
        const start = a.StartTime instanceof Date ? a.StartTime.getTime() : Number.NaN;
        if (start < window.from) before++;
      }
      if (acts.length > 0 && before === acts.length) break;
    }
  } catch (err) {
    r.failed(api, err, "instance-hours assume each variant's current count held through the window");
    return undefined;
  }
  for (const list of changes.values()) list.sort((a, b) => a.at - b.at);
  return changes;
}
