/**
 * What the planner and the verifier read of one scalable resource: its hours (instances in service, invocations,
 * p99 latency, utilisation, errors), its price per instance-hour, and the budget it serves. Built from the snapshot
 * alone, so the same account gives the same observations from files and from a live read.
 */
import type { Budget, BudgetFile } from '../budget.ts';
import { cycleContext } from '../evaluate/context.ts';
import { instanceSpec } from '../instances.ts';
import { toNumber } from '../money.ts';
import { type Allocation, allocate, type EndpointSpend } from '../spend.ts';
import type { ComponentInfo, EndpointInfo, MetricSeries, Snapshot } from '../types.ts';
import {
  COMPONENT_DIMENSION,
  componentResourceId,
  MANAGED_TAG,
  type ScalableResource,
  VARIANT_DIMENSION,
  variantResourceId,
} from './types.ts';

const HOUR = 3_600_000;
/** The planner fits on at most this much history: older hours describe a service that has moved on. */
const HISTORY_HOURS = 28 * 24;

/** One hour of one resource. Unknown values are null, never zero. */
export interface HourObservation {
  /** Epoch ms of the hour's start. */
  readonly t: number;
  /** Instances (or copies) in service, averaged over the hour. */
  readonly instances: number;
  readonly invocations: number | null;
  /** ModelLatency p99 of the hour, ms. */
  readonly p99Ms: number | null;
  /** Normalised utilisation 0..1 (GPUs of GPU instances, else vCPUs). */
  readonly utilization: number | null;
  readonly errors5xx: number | null;
  readonly noCapacity: number | null;
}

/** One resource a budget selects, with what is known of it. */
export interface ResourceObservation {
  readonly budget: Budget;
  readonly endpoint: EndpointInfo;
  readonly resource: ScalableResource;
  /**
   * Its hours, built from the snapshot on each call: a fleet's hours together would be over a million objects, so
   * a cycle holds one resource's at a time.
   */
  readonly read: () => ObservedHours;
  /**
   * Currency per instance-hour (per copy-hour for an inference component): the bill's own rate over the hours,
   * else the list price of the type.
   */
  readonly ratePerInstanceHour: number | undefined;
}

export interface ObservedHours {
  readonly hours: readonly HourObservation[];
  /** Why the resource has no hours to plan on, when it has none. */
  readonly missing?: string;
}

/**
 * Every resource of every budget (an endpoint in two budgets is planned by the first that selects it). `allocated`
 * is the evaluation's allocation of the same snapshot and file, when there is one: the rows are not allocated again.
 */
export function observeResources(
  snapshot: Snapshot,
  file: BudgetFile,
  allocated?: Allocation,
): ResourceObservation[] {
  const ctx = cycleContext(snapshot, file);
  const endMs = ctx.asOfEndMs;
  const alloc =
    allocated ?? allocate(snapshot.costs, file.budgets, ctx.clock, { endMs, periodStart: ctx.period.start });
  const inventory = new Map(snapshot.inventory.map((e) => [e.name, e]));
  const seen = new Set<string>();
  const out: ResourceObservation[] = [];
  for (const view of alloc.views) {
    const names = new Set<string>(view.endpoints.keys());
    for (const inv of snapshot.inventory) if (view.matcher.matches(inv.name, inv.tags)) names.add(inv.name);
    for (const name of [...names].sort()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const spend = view.endpoints.get(name);
      const info: EndpointInfo = inventory.get(name) ?? {
        name,
        tags: spend?.tags ?? {},
        ...(spend?.latestType ? { instanceType: spend.latestType } : {}),
      };
      const series = ctx.metricsByEndpoint?.get(name) ?? [];
      const window = {
        fromMs: endMs - HISTORY_HOURS * HOUR,
        toMs: endMs,
        dayOf: (ms: number) => ctx.clock.dayOf(ms),
      };
      // an endpoint served by inference components scales its copies; its instances follow them (managed
      // instance scaling), so its variants are not planned as instance counts
      if (!info.components?.length)
        out.push(...variantObservations(view.budget, info, spend, series, window));
      for (const c of info.components ?? []) {
        const mine = ctx.metricsByComponent.get(c.name) ?? [];
        out.push(componentObservation(view.budget, info, c, spend, mine, window));
      }
    }
  }
  return out;
}

function variantNames(info: EndpointInfo, series: readonly MetricSeries[]): string[] {
  const fromInventory = (info.variants ?? []).map((v) => v.name);
  if (fromInventory.length > 0) return fromInventory;
  return [...new Set(series.map((s) => s.variant))].sort();
}

function variantObservations(
  budget: Budget,
  info: EndpointInfo,
  spend: EndpointSpend | undefined,
  series: readonly MetricSeries[],
  window: HourWindow,
): ResourceObservation[] {
  const variants = variantNames(info, series);
  const single = variants.length === 1;
  return variants.map((variant) => {
    const vinfo = info.variants?.find((v) => v.name === variant);
    const instanceType = vinfo?.instanceType ?? info.instanceType ?? spend?.latestType;
    const resource: ScalableResource = {
      resourceId: variantResourceId(info.name, variant),
      dimension: VARIANT_DIMENSION,
      endpoint: info.name,
      variant,
      ...(instanceType ? { instanceType } : {}),
      ...(info.account ? { account: info.account } : {}),
      ...(info.region ? { region: info.region } : {}),
    };
    const mine = series.filter((s) => s.variant === variant);
    const read = (): ObservedHours => {
      // the bill names endpoints, not variants: its instances are the variant's only when the endpoint has one
      const hours = hourObservations(mine, single ? spend : undefined, instanceType, window);
      if (hours.length > 0) return { hours };
      return {
        hours,
        missing:
          mine.length === 0
            ? 'no metrics of the variant'
            : 'no instance count per hour (hourly billing or InvocationsPerInstance)',
      };
    };
    return { budget, endpoint: info, resource, read, ratePerInstanceHour: rateOf(spend, instanceType) };
  });
}

/**
 * One inference component, scaled by its copy count. Its hours hold the copies read at collection (CurrentCopyCount)
 * over every hour its metrics cover: the copy count's history is not read, so a component that scaled in the window
 * is observed at its current copies throughout. Its rate is the hosting variant's per instance-hour divided by the
 * copies one instance fits (its GPUs over the accelerators a copy holds) when both are known, else the whole
 * instance's rate: a saving then counts the instance a copy would free, which is true only of the last copy on it.
 */
function componentObservation(
  budget: Budget,
  info: EndpointInfo,
  c: ComponentInfo,
  spend: EndpointSpend | undefined,
  series: readonly MetricSeries[],
  window: HourWindow,
): ResourceObservation {
  const vinfo = info.variants?.find((v) => v.name === c.variant);
  const instanceType = vinfo?.instanceType ?? info.instanceType;
  const resource: ScalableResource = {
    resourceId: componentResourceId(c.name),
    dimension: COMPONENT_DIMENSION,
    endpoint: info.name,
    variant: c.variant,
    component: c.name,
    ...(instanceType ? { instanceType } : {}),
    ...(info.account ? { account: info.account } : {}),
    ...(info.region ? { region: info.region } : {}),
  };
  const read = (): ObservedHours => {
    if (c.copies === undefined) return { hours: [], missing: 'no copy count of the inference component' };
    const hours = hourObservations(series, undefined, instanceType, window, c.copies);
    return hours.length > 0 ? { hours } : { hours, missing: 'no metrics of the inference component' };
  };
  const instanceRate = rateOf(spend, instanceType);
  const spec = instanceType ? instanceSpec(instanceType) : undefined;
  const perInstance =
    spec && spec.gpus > 0 && c.acceleratorsPerCopy ? Math.floor(spec.gpus / c.acceleratorsPerCopy) : 0;
  const rate = instanceRate !== undefined && perInstance >= 1 ? instanceRate / perInstance : instanceRate;
  return { budget, endpoint: guardView(info, c), resource, read, ratePerInstanceHour: rate };
}

/**
 * The endpoint as the guard judges a component of it: Application Auto Scaling checks the component's own tag, so
 * it counts as managed only when the endpoint and the component both carry the tag; and a component that is not
 * InService holds the change as its endpoint would.
 */
function guardView(info: EndpointInfo, c: ComponentInfo): EndpointInfo {
  const managed = info.tags[MANAGED_TAG] === 'true' && c.tags?.[MANAGED_TAG] === 'true';
  const { [MANAGED_TAG]: _, ...others } = info.tags;
  const componentDown = c.status !== undefined && c.status !== 'InService';
  return {
    ...info,
    tags: managed ? info.tags : others,
    ...(componentDown ? { status: c.status } : {}),
  };
}

/** The bill's hosting cost per instance-hour over every day it has both, else the type's list price. */
function rateOf(spend: EndpointSpend | undefined, type: string | undefined): number | undefined {
  let cost = 0;
  let hours = 0;
  for (const day of spend?.days.values() ?? []) {
    if (day.hours > 0) {
      cost += toNumber(day.hostingCost);
      hours += day.hours;
    }
  }
  if (hours > 0 && cost > 0) return cost / hours;
  const spec = type ? instanceSpec(type) : undefined;
  return spec?.hourlyUsd;
}

/** The hours observed, and the billing day of an instant (a daily bill's hours are spread over its day). */
interface HourWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly dayOf: (ms: number) => string;
}

/** What an hour of a resource accumulates, one column each, and which of them it has (bits of `has`). */
const INVOCATIONS = 1;
const PER_INSTANCE = 2;
const P99 = 4;
const ERRORS = 8;
const NO_CAPACITY = 16;
const UTIL = 32;
const SEEN = 64;

function hourObservations(
  series: readonly MetricSeries[],
  spend: EndpointSpend | undefined,
  type: string | undefined,
  { fromMs, toMs, dayOf }: HourWindow,
  /** Copies in service every hour (an inference component), instead of instances from the bill or metrics. */
  copies?: number,
): HourObservation[] {
  const spec = type ? instanceSpec(type) : undefined;
  const useGpu =
    spec !== undefined &&
    spec.gpus > 0 &&
    series.some((s) => s.metric === 'GPUUtilization' && s.t.length > 0);
  const capacity = spec ? 100 * (useGpu ? spec.gpus : spec.vcpu) : undefined;
  // the window's hours as slots of flat columns, in time order: a fleet's planning reads millions of points, and an
  // object (or map entry) per hour of each resource is garbage that outlives the young generation
  const base = Math.floor(fromMs / HOUR) * HOUR;
  const slots = Math.max(0, Math.ceil((toMs - base) / HOUR));
  const has = new Uint8Array(slots);
  const cols = new Float64Array(slots * 7);
  const [inv, perInstance, p99, errors, noCapacity, utilSum, utilN] = [0, 1, 2, 3, 4, 5, 6].map((c) =>
    cols.subarray(c * slots, (c + 1) * slots),
  ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const slotOf = (t: number) => (Math.floor(t / HOUR) * HOUR - base) / HOUR;
  const add = (column: Float64Array, bit: number, k: number, v: number) => {
    column[k] = (column[k] as number) + v;
    has[k] = (has[k] as number) | bit;
  };
  for (const s of series) {
    if (s.periodSeconds > 3600) continue;
    const sum = s.stat === 'Sum';
    const util =
      capacity !== undefined &&
      s.stat === 'Average' &&
      s.metric === (useGpu ? 'GPUUtilization' : 'CPUUtilization');
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      if (t < fromMs || t >= toMs) continue;
      const v = s.v[i] as number;
      const k = slotOf(t);
      has[k] = (has[k] as number) | SEEN;
      if (sum && s.metric === 'Invocations') add(inv, INVOCATIONS, k, v);
      else if (sum && s.metric === 'InvocationsPerInstance') add(perInstance, PER_INSTANCE, k, v);
      else if (s.metric === 'ModelLatency' && s.stat === 'p99') {
        p99[k] = Math.max(p99[k] as number, v / 1000);
        has[k] = (has[k] as number) | P99;
      } else if (sum && s.metric === 'Invocation5XXErrors') add(errors, ERRORS, k, v);
      else if (sum && s.metric === 'NoCapacityInvocationFailures') add(noCapacity, NO_CAPACITY, k, v);
      else if (util) {
        add(utilSum, UTIL, k, Math.max(0, v / (capacity as number)));
        utilN[k] = (utilN[k] as number) + 1;
      }
    }
  }
  // hours the bill covers count too, even when no metric was published in them (an idle hour still costs)
  for (const t of spend?.hourlyInstances.keys() ?? []) {
    if (t >= fromMs && t < toMs) {
      const k = slotOf(t);
      has[k] = (has[k] as number) | SEEN;
    }
  }
  const out: HourObservation[] = [];
  const value = (column: Float64Array, bit: number, k: number, h: number) =>
    h & bit ? (column[k] as number) : null;
  for (let k = 0; k < slots; k++) {
    const h = has[k] as number;
    if (!(h & SEEN)) continue;
    const t = base + k * HOUR;
    const instances =
      copies ??
      instancesIn(t, value(inv, INVOCATIONS, k, h), value(perInstance, PER_INSTANCE, k, h), spend, dayOf);
    if (instances === undefined) continue;
    out.push({
      t,
      instances,
      invocations: value(inv, INVOCATIONS, k, h),
      p99Ms: value(p99, P99, k, h),
      utilization: h & UTIL ? (utilSum[k] as number) / (utilN[k] as number) : null,
      errors5xx: value(errors, ERRORS, k, h),
      noCapacity: value(noCapacity, NO_CAPACITY, k, h),
    });
  }
  return out;
}

/** Hourly billing first, then Invocations / InvocationsPerInstance, then a daily bill's hours spread over 24. */
function instancesIn(
  t: number,
  invocations: number | null,
  perInstance: number | null,
  spend: EndpointSpend | undefined,
  dayOf: (ms: number) => string,
): number | undefined {
  const billed = spend?.hourlyInstances.get(t);
  if (billed !== undefined) return billed;
  if (invocations !== null && perInstance !== null && perInstance > 0) return invocations / perInstance;
  if (spend && spend.hourlyInstances.size === 0) {
    const day = spend.days.get(dayOf(t));
    if (day && day.hours > 0) return day.hours / 24;
  }
  return undefined;
}
