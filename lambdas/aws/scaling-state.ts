/**
 * The scaling state the tool owns on a scalable target, as read from Application Auto Scaling's answers, and when two
 * states are the same (then a write makes no call). Policies and scheduled actions not named with TOOL_PREFIX are
 * listed as foreign: seen, never written.
 */
import type { ScalingPolicy, ScheduledAction } from '@aws-sdk/client-application-auto-scaling';
import {
  type ObservedScaling,
  type ScalableResource,
  type ScalingState,
  type ScheduledSetting,
  type TargetTrackingSetting,
  TOOL_NAMES,
  TOOL_PREFIX,
} from '../core/plan/types.ts';
import { capacity } from './sagemaker-checks.ts';

/**
 * Application Auto Scaling's cooldown for SageMaker variants and inference components when a policy names none; the
 * tool always names both, so this only fills in a policy someone else edited.
 */
const DEFAULT_COOLDOWN_SECONDS = 300;

/**
 * The alarm that fires the wake-on-request policy, one per inference component (alarm names are unique per region).
 * Deleting a step policy leaves its alarm behind (Application Auto Scaling's DeleteScalingPolicy), so the tool
 * deletes it by this name.
 */
export const wakeAlarmName = (resource: ScalableResource): string =>
  `${TOOL_NAMES.wakeOnRequest}:${resource.resourceId}`;

export type Target = { readonly min: number; readonly max: number };

export function observed(
  r: ScalableResource,
  target: Target,
  policies: readonly ScalingPolicy[],
  actions: readonly ScheduledAction[],
): ObservedScaling {
  let targetTracking: TargetTrackingSetting | null = null;
  let wakeOnRequest = false;
  const foreignPolicies: { name: string; type: string }[] = [];
  for (const p of policies) {
    const name = p.PolicyName ?? '';
    if (name === TOOL_NAMES.targetTracking) targetTracking = tracking(p);
    // The policy without its alarm would never fire: only both together wake the component.
    else if (name === TOOL_NAMES.wakeOnRequest) {
      wakeOnRequest = (p.Alarms ?? []).some((a) => a.AlarmName === wakeAlarmName(r));
    } else if (!name.startsWith(TOOL_PREFIX)) foreignPolicies.push({ name, type: p.PolicyType ?? 'unknown' });
  }
  const schedules: ScheduledSetting[] = [];
  const foreignSchedules: string[] = [];
  for (const a of actions) {
    const name = a.ScheduledActionName ?? '';
    if (!name.startsWith(TOOL_PREFIX)) {
      foreignSchedules.push(name);
      continue;
    }
    schedules.push(scheduled(a, name));
  }
  schedules.sort((a, b) => a.name.localeCompare(b.name));
  foreignPolicies.sort((a, b) => a.name.localeCompare(b.name));
  foreignSchedules.sort();
  return {
    state: { target: { ...target }, targetTracking, wakeOnRequest, schedules },
    foreignPolicies,
    foreignSchedules,
  };
}

function tracking(p: ScalingPolicy): TargetTrackingSetting | null {
  const c = p.TargetTrackingScalingPolicyConfiguration;
  if (p.PolicyType !== 'TargetTrackingScaling' || !c || typeof c.TargetValue !== 'number') return null;
  return {
    metric:
      c.PredefinedMetricSpecification?.PredefinedMetricType ??
      c.CustomizedMetricSpecification?.MetricName ??
      'custom',
    targetValue: c.TargetValue,
    scaleInCooldownSeconds: c.ScaleInCooldown ?? DEFAULT_COOLDOWN_SECONDS,
    scaleOutCooldownSeconds: c.ScaleOutCooldown ?? DEFAULT_COOLDOWN_SECONDS,
  };
}

function scheduled(a: ScheduledAction, name: string): ScheduledSetting {
  const api = 'application-autoscaling:DescribeScheduledActions';
  const t = a.ScalableTargetAction;
  return {
    name,
    schedule: a.Schedule ?? '',
    // Application Auto Scaling reads a schedule without a time zone as UTC.
    timezone: a.Timezone ?? 'UTC',
    min: capacity(api, `ScheduledActions[${name}].ScalableTargetAction.MinCapacity`, t?.MinCapacity),
    max: capacity(api, `ScheduledActions[${name}].ScalableTargetAction.MaxCapacity`, t?.MaxCapacity),
  };
}

export function sameTracking(a: TargetTrackingSetting | null, b: TargetTrackingSetting): boolean {
  return (
    a !== null &&
    a.targetValue === b.targetValue &&
    a.scaleInCooldownSeconds === b.scaleInCooldownSeconds &&
    a.scaleOutCooldownSeconds === b.scaleOutCooldownSeconds &&
    a.metric === b.metric
  );
}

export function sameSchedule(a: ScheduledSetting, b: ScheduledSetting): boolean {
  return a.schedule === b.schedule && a.timezone === b.timezone && a.min === b.min && a.max === b.max;
}

export function sameScaling(a: ScalingState, b: ScalingState): boolean {
  const trackingSame =
    a.targetTracking === null
      ? b.targetTracking === null
      : b.targetTracking !== null && sameTracking(a.targetTracking, b.targetTracking);
  const schedules = new Map(a.schedules.map((s) => [s.name, s]));
  return (
    a.target?.min === b.target?.min &&
    a.target?.max === b.target?.max &&
    trackingSame &&
    a.wakeOnRequest === b.wakeOnRequest &&
    a.schedules.length === b.schedules.length &&
    b.schedules.every((s) => {
      const was = schedules.get(s.name);
      return was !== undefined && sameSchedule(was, s);
    })
  );
}
