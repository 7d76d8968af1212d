import { type InstanceSpec, instanceSpec, smallerInFamily } from './instances.ts';
import type { EndpointMetrics } from './metrics.ts';
import { toNumber } from './money.ts';
import type { EndpointSpend } from './spend.ts';
import type { Action, Risk } from './types.ts';

export interface ActionContext {
  readonly endpoint: EndpointSpend;
  readonly metrics?: EndpointMetrics;
  /** Days of the judging window (the last 7 days to as-of). */
  readonly windowDays: readonly string[];
  /** Days left in the period after as-of: savings are what an action saves over them. */
  readonly remainingDays: number;
  /** Utilisation autoscaling should aim at, 0..1. */
  readonly targetUtilization: number;
  /** Lowest instance count the budget's guardrails allow. */
  readonly minInstancesFloor: number;
  /** Current autoscaling minimum, when the inventory knows it. */
  readonly scalingMin?: number;
  readonly production: boolean;
  /** The billing day of an instant. */
  readonly dayOf: (ms: number) => string;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** Actions that save less than this (currency units over the rest of the period) are noise, not advice. */
export const MIN_SAVING = 1;

interface WindowCost {
  hosting: number;
  hours: number;
  rate: number;
  perDay: number;
}

function windowCost(e: EndpointSpend, days: readonly string[]): WindowCost {
  let hosting = 0;
  let hours = 0;
  for (const d of days) {
    const c = e.days.get(d);
    if (!c) continue;
    hosting += toNumber(c.hostingCost);
    hours += c.hours;
  }
  return {
    hosting,
    hours,
    rate: hours > 0 ? hosting / hours : 0,
    perDay: hosting / Math.max(1, days.length),
  };
}

/** Instances each hour of the window would need to serve its load at the target utilisation. */
function hourlyNeed(ctx: ActionContext): { t: number; have: number; need: number }[] {
  const out: { t: number; have: number; need: number }[] = [];
  if (!ctx.metrics) return out;
  for (const [t, sample] of ctx.metrics.hours) {
    const u = sample.utilization;
    const have = instancesAt(ctx, t);
    if (u === undefined || have === undefined || have <= 0) continue;
    const need = Math.max(ctx.minInstancesFloor, Math.ceil((have * u) / ctx.targetUtilization - 1e-9));
    out.push({ t, have, need });
  }
  return out;
}

/**
 * Instances running in an hour: from hourly billing rows, or, where billing is daily (Cost Explorer, daily
 * exports), the day's instance-hours spread evenly over its 24 hours, to the nearest whole instance.
 */
function instancesAt(ctx: ActionContext, t: number): number | undefined {
  const hourly = ctx.endpoint.hourlyInstances;
  if (hourly.size > 0) return hourly.get(t);
  const hours = ctx.endpoint.days.get(ctx.dayOf(t))?.hours;
  return hours === undefined ? undefined : Math.round(hours / 24);
}

/**
 * Lower the autoscaling minimum when the endpoint sits at its floor with capacity it does not use: autoscaling then
 * keeps max(new minimum, what the load needs) each hour. The saving is the instance-hours that frees at the
 * current rate, over the rest of the period.
 */
export function lowerMinInstances(ctx: ActionContext): Action | undefined {
  const hours = hourlyNeed(ctx);
  if (hours.length < 24) return undefined;
  // Without the scaling target from the inventory, the floor is the fewest whole instances seen in any hour
  // (hours with a fraction are a launch or a replacement, not the floor).
  const whole = hours.filter((h) => Number.isInteger(h.have));
  if (ctx.scalingMin === undefined && whole.length === 0) return undefined;
  const floor = ctx.scalingMin ?? Math.min(...whole.map((h) => h.have));
  const newMin = ctx.minInstancesFloor;
  if (floor <= newMin) return undefined;
  let freed = 0;
  for (const h of hours) if (h.have <= floor) freed += Math.max(0, h.have - Math.max(newMin, h.need));
  if (freed <= 0) return undefined;
  const { rate } = windowCost(ctx.endpoint, ctx.windowDays);
  const perHourOfData = freed / hours.length;
  const savings = perHourOfData * 24 * ctx.remainingDays * rate;
  if (savings < MIN_SAVING) return undefined;
  const risk: Risk = newMin >= 2 || !ctx.production ? 'low' : 'medium';
  return {
    type: 'lower-min-instances',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(savings),
    risk,
    description: `Lower the autoscaling minimum of ${ctx.endpoint.name} from ${floor} to ${newMin}: ${Math.round(
      (freed / hours.length) * 24,
    )} instance-hours a day sit idle at the floor; scaling out on load stays as it is.`,
    change: { minInstances: { from: floor, to: newMin } },
  };
}

/** Quiet hours must run this long to be worth a scheduled action. */
const MIN_QUIET_HOURS = 4;

/**
 * Scale down on a schedule: the hours of the day (UTC) in which, on every day of the window, the load needs fewer
 * instances than the endpoint keeps. A scheduled action (Application Auto Scaling) lowers the minimum for those
 * hours only, and capacity for the busy hours stays as it is.
 */
export function scheduleScaleDown(ctx: ActionContext): Action | undefined {
  const hours = hourlyNeed(ctx);
  if (hours.length < 48) return undefined;
  const whole = hours.filter((h) => Number.isInteger(h.have));
  if (whole.length === 0) return undefined;
  const floor = ctx.scalingMin ?? Math.min(...whole.map((h) => h.have));
  // the most any day needed in each hour of the day: the schedule must hold on the busiest of them
  const need = new Array<number>(24).fill(0);
  const seen = new Array<boolean>(24).fill(false);
  for (const h of hours) {
    const hod = new Date(h.t).getUTCHours();
    need[hod] = Math.max(need[hod] ?? 0, h.need);
    seen[hod] = true;
  }
  const quiet = (hod: number) => seen[hod] === true && (need[hod] ?? 0) < floor;
  // the longest run of quiet hours, wrapping past midnight
  let best = { start: 0, length: 0 };
  for (let start = 0; start < 24; start++) {
    if (!quiet(start) || quiet((start + 23) % 24)) continue;
    let length = 0;
    while (length < 24 && quiet((start + length) % 24)) length++;
    if (length > best.length) best = { start, length };
  }
  if (best.length === 24) best = { start: 0, length: 24 };
  if (best.length < MIN_QUIET_HOURS) return undefined;
  const inRun = (hod: number) => (hod - best.start + 24) % 24 < best.length;
  let scheduledMin = ctx.minInstancesFloor;
  for (let k = 0; k < best.length; k++)
    scheduledMin = Math.max(scheduledMin, need[(best.start + k) % 24] ?? 0);
  if (scheduledMin >= floor) return undefined;
  let freed = 0;
  for (const h of hours) {
    if (inRun(new Date(h.t).getUTCHours()) && h.have <= floor) freed += Math.max(0, h.have - scheduledMin);
  }
  const { rate } = windowCost(ctx.endpoint, ctx.windowDays);
  const savings = (freed / hours.length) * 24 * ctx.remainingDays * rate;
  if (savings < MIN_SAVING) return undefined;
  const end = (best.start + best.length) % 24;
  const hh = (x: number) => `${String(x).padStart(2, '0')}:00`;
  return {
    type: 'schedule-scale-down',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(savings),
    risk: 'low',
    description: `Schedule ${ctx.endpoint.name} down to ${scheduledMin} instance${scheduledMin === 1 ? '' : 's'} from ${hh(best.start)} to ${hh(end)} UTC, when no day of the last week needed more; keep the minimum of ${floor} for the rest of the day.`,
    change: {
      schedule: { fromHourUtc: best.start, toHourUtc: end, minInstances: scheduledMin, otherwise: floor },
    },
  };
}

/**
 * Let autoscaling run the instances hotter: in the hours it has scaled above the floor, the load would fit on
 * fewer instances at the budget's utilisation ceiling. Saves money on traffic that is real, at some latency headroom.
 */
export function raiseScalingTarget(ctx: ActionContext): Action | undefined {
  const hours = hourlyNeed(ctx);
  if (hours.length < 24) return undefined;
  const whole = hours.filter((h) => Number.isInteger(h.have));
  const floor = ctx.scalingMin ?? (whole.length ? Math.min(...whole.map((h) => h.have)) : 0);
  let freed = 0;
  let busy = 0;
  for (const h of hours) {
    if (h.have <= floor) continue;
    busy++;
    freed += Math.max(0, h.have - Math.max(floor, h.need));
  }
  if (busy === 0 || freed <= 0) return undefined;
  const { rate } = windowCost(ctx.endpoint, ctx.windowDays);
  const savings = (freed / hours.length) * 24 * ctx.remainingDays * rate;
  if (savings < MIN_SAVING) return undefined;
  const mean = ctx.metrics?.utilization;
  return {
    type: 'raise-scaling-target',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(savings),
    risk: 'medium',
    description: `Raise the target-tracking utilisation of ${ctx.endpoint.name} towards ${Math.round(
      ctx.targetUtilization * 100,
    )}%${mean !== undefined ? ` (it averages ${Math.round(mean * 100)}%)` : ''}: the busy hours need ${Math.round(
      (freed / hours.length) * 24,
    )} fewer instance-hours a day; bursts get less headroom.`,
    change: { targetUtilization: ctx.targetUtilization },
  };
}

/** Move to a smaller type of the same family when even the busy hours leave most of the CPU unused. */
export function rightSizeInstance(ctx: ActionContext): Action | undefined {
  const type = ctx.endpoint.latestType;
  const spec = type ? instanceSpec(type) : undefined;
  const cpuP95 = ctx.metrics?.cpuUtilizationP95;
  const accelP95 = ctx.metrics?.utilizationP95;
  if (!type || !spec || cpuP95 === undefined) return undefined;
  let pick: { type: string; spec: InstanceSpec } | undefined;
  for (const cand of smallerInFamily(type)) {
    // the smaller type must keep every accelerator busy enough work needs, and CPU under the target
    if (spec.gpus > 0 && cand.spec.gpus < spec.gpus) continue;
    const cpuAfter = (cpuP95 * spec.vcpu) / cand.spec.vcpu;
    const memOk = cand.spec.memoryGiB >= spec.memoryGiB / 4;
    if (
      cpuAfter <= ctx.targetUtilization &&
      memOk &&
      (accelP95 === undefined || spec.gpus > 0 || cpuAfter <= 1)
    ) {
      if (!pick || cand.spec.hourlyUsd < pick.spec.hourlyUsd) pick = cand;
    }
  }
  if (!pick) return undefined;
  const { rate, hours } = windowCost(ctx.endpoint, ctx.windowDays);
  const newRate = rate * (pick.spec.hourlyUsd / spec.hourlyUsd);
  const hoursPerDay = hours / Math.max(1, ctx.windowDays.length);
  const savings = (rate - newRate) * hoursPerDay * ctx.remainingDays;
  if (savings < MIN_SAVING) return undefined;
  const memoryDrop = pick.spec.memoryGiB < spec.memoryGiB;
  return {
    type: 'right-size-instance',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(savings),
    risk: memoryDrop ? 'medium' : 'low',
    description: `Right-size ${ctx.endpoint.name} from ${type} to ${pick.type}: CPU p95 is ${Math.round(
      cpuP95 * 100,
    )}% of ${spec.vcpu} vCPUs${memoryDrop ? `; check the model fits ${pick.spec.memoryGiB} GiB` : ''}.`,
    change: { instanceType: { from: type, to: pick.type } },
  };
}

/** An endpoint that served nothing in the window but still runs instances. */
export function retireIdleEndpoint(ctx: ActionContext): Action | undefined {
  const inv = ctx.metrics?.invocations;
  if (inv === undefined || inv > 0) return undefined;
  const { perDay } = windowCost(ctx.endpoint, ctx.windowDays);
  if (perDay * ctx.remainingDays < MIN_SAVING) return undefined;
  return {
    type: 'retire-endpoint',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(perDay * ctx.remainingDays),
    risk: 'low',
    description: `Delete ${ctx.endpoint.name}: it served no invocations in the last ${ctx.windowDays.length} days.`,
    change: { delete: true },
  };
}

/** Go back to the previous instance type when a type change drove the spend up. */
export function revertInstanceType(
  ctx: ActionContext,
  from: string | undefined,
  to: string | undefined,
  periodEffect: number,
  daysInPeriod: number,
): Action | undefined {
  if (!from || !to || from === to) return undefined;
  const savings = (periodEffect / daysInPeriod) * ctx.remainingDays;
  if (savings < MIN_SAVING) return undefined;
  return {
    type: 'revert-instance-type',
    endpoint: ctx.endpoint.name,
    estimatedSavings: round2(savings),
    risk: 'medium',
    description: `Revert ${ctx.endpoint.name} from ${to} to ${from}, unless the larger type was chosen for latency; compare p99 before and after the change first.`,
    change: { instanceType: { from: to, to: from } },
  };
}

/** Latency above the ceiling while instances are busy: add capacity (costs money). */
export function raiseCapacity(ctx: ActionContext): Action | undefined {
  const u = ctx.metrics?.utilizationP95;
  if (u === undefined || u < ctx.targetUtilization) return undefined;
  const { perDay } = windowCost(ctx.endpoint, ctx.windowDays);
  const extra = perDay * Math.max(0, u / ctx.targetUtilization - 1);
  return {
    type: 'raise-max-instances',
    endpoint: ctx.endpoint.name,
    estimatedSavings: -round2(extra * ctx.remainingDays),
    risk: 'low',
    description: `Scale ${ctx.endpoint.name} out earlier (lower the target or raise the maximum): utilisation p95 is ${Math.round(
      u * 100,
    )}%, above the ${Math.round(ctx.targetUtilization * 100)}% target.`,
    change: { targetUtilization: ctx.targetUtilization },
  };
}

/** Latency above the ceiling with spare capacity: the model itself got slower; capacity will not fix it. */
export function reviewModelLatency(ctx: ActionContext, observedMs: number, limitMs: number): Action {
  return {
    type: 'review-model-latency',
    endpoint: ctx.endpoint.name,
    estimatedSavings: 0,
    risk: 'low',
    description: `ModelLatency p99 of ${ctx.endpoint.name} is ${Math.round(observedMs)} ms against ${limitMs} ms with capacity to spare: roll back the model version or deploy config that changed, or profile the model.`,
  };
}
