import { displayMoney, type Money, toNumber } from './money.ts';
import { addDays, daysOf } from './period.ts';
import type { EndpointSpend } from './spend.ts';
import { CAUSES, type Cause, type CauseKind, type EndpointCause } from './types.ts';

export interface Window {
  /** First day, inclusive. */
  readonly from: string;
  /** Last day, exclusive. */
  readonly to: string;
}

type Parts = Record<CauseKind | 'other', number>;

const noChange = (): Parts => ({
  traffic: 0,
  'idle-capacity': 0,
  'instance-change': 0,
  price: 0,
  'new-endpoint': 0,
  other: 0,
});

export type EndpointChange = EndpointCause;

export interface ExplainInput {
  readonly endpoints: readonly EndpointSpend[];
  /** Daily charges that name no endpoint. */
  readonly other?: ReadonlyMap<string, Money>;
  readonly baseline: Window;
  readonly current: Window;
  /** Days in the billing period: daily changes are stated as what they add over a whole period. */
  readonly daysInPeriod: number;
  /** Invocations of an endpoint over a window, undefined when not measured. */
  readonly invocations: (endpoint: string, w: Window) => number | undefined;
  /** Mean utilisation 0..1 of the endpoints in question, to name a cause when spend did not change. */
  readonly utilization?: number;
  readonly currency: string;
}

interface Stats {
  hosting: number;
  hours: number;
  nonHosting: number;
  types: Map<string, number>;
}

function stats(e: EndpointSpend, days: readonly string[]): Stats {
  const s: Stats = { hosting: 0, hours: 0, nonHosting: 0, types: new Map() };
  for (const day of days) {
    const d = e.days.get(day);
    if (!d) continue;
    const hosting = toNumber(d.hostingCost);
    s.hosting += hosting;
    s.nonHosting += toNumber(d.cost) - hosting;
    s.hours += d.hours;
    for (const [t, v] of d.types) s.types.set(t, (s.types.get(t) ?? 0) + v.hours);
  }
  const n = days.length || 1;
  s.hosting /= n;
  s.hours /= n;
  s.nonHosting /= n;
  return s;
}

function dominant(types: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let hours = -1;
  for (const [t, h] of types) if (h > hours) [best, hours] = [t, h];
  return best;
}

/** Largest difference in the share of instance-hours any one type has between the windows. */
function typeMixShift(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((x, y) => x + y, 0) || 1;
  const ta = total(a);
  const tb = total(b);
  let worst = 0;
  for (const t of new Set([...a.keys(), ...b.keys()])) {
    worst = Math.max(worst, Math.abs((a.get(t) ?? 0) / ta - (b.get(t) ?? 0) / tb));
  }
  return worst;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Splits one endpoint's change in daily spend between two windows into drivers:
 * - new-endpoint: it had no instance-hours before (or has none now: retired, negative);
 * - instance-change / price: the rate per instance-hour moved, because the type mix changed or, same types, the price;
 * - traffic: the part of the change in instance-hours that invocations grew (or fell) by;
 * - idle-capacity: the rest of the change in instance-hours, capacity that traffic does not explain;
 * - other: non-hosting charges of the endpoint (storage, data).
 * The parts add up to the change exactly (in floating point), by construction.
 */
export function explainEndpoint(
  e: EndpointSpend,
  baseDays: readonly string[],
  curDays: readonly string[],
  invBase: number | undefined,
  invCur: number | undefined,
): EndpointChange {
  const b = stats(e, baseDays);
  const c = stats(e, curDays);
  const parts = noChange();
  parts.other = c.nonHosting - b.nonHosting;
  const typeBefore = dominant(b.types);
  const typeAfter = dominant(c.types);

  if (b.hours <= 0 || c.hours <= 0) {
    parts['new-endpoint'] = c.hosting - b.hosting;
    return { endpoint: e.name, parts, typeBefore, typeAfter };
  }
  const rateBase = b.hosting / b.hours;
  const rateCur = c.hosting / c.hours;
  const rateEffect = (rateCur - rateBase) * c.hours;
  if (typeMixShift(b.types, c.types) > 0.2) parts['instance-change'] = rateEffect;
  else parts.price = rateEffect;

  const dHours = c.hours - b.hours;
  // Hours that traffic alone would have moved: autoscaling keeps instances in proportion to invocations.
  // Without invocations the split cannot be made, and the change in hours is counted as traffic.
  let trafficHours = dHours;
  if (invBase !== undefined && invCur !== undefined && invBase > 0) {
    const implied = b.hours * (invCur / invBase - 1);
    trafficHours = dHours >= 0 ? clamp(implied, 0, dHours) : clamp(implied, dHours, 0);
  }
  parts.traffic = trafficHours * rateBase;
  parts['idle-capacity'] = (dHours - trafficHours) * rateBase;
  return { endpoint: e.name, parts, typeBefore, typeAfter };
}

function dailyOther(other: ReadonlyMap<string, Money> | undefined, days: readonly string[]): number {
  if (!other || days.length === 0) return 0;
  let sum = 0;
  for (const d of days) sum += toNumber(other.get(d) ?? 0n);
  return sum / days.length;
}

/** The drivers of a spend change as people read them, in sentences, alerts and reports. */
export const DRIVER_LABELS: Readonly<Record<CauseKind | 'other', string>> = {
  traffic: 'traffic',
  'idle-capacity': 'idle capacity',
  'instance-change': 'instance-type change',
  price: 'price',
  'new-endpoint': 'new endpoint',
  other: 'other charges',
};
const LABEL = DRIVER_LABELS;

/** Explains the change in a budget's (or one endpoint's) spend between a baseline and the current window. */
export function explainChange(input: ExplainInput): Cause {
  const baseDays = daysOf(input.baseline.from, input.baseline.to);
  const curDays = daysOf(input.current.from, input.current.to);
  const scale = input.daysInPeriod;
  const total = noChange();
  const changes: EndpointChange[] = [];
  let baseDaily = dailyOther(input.other, baseDays);
  let curDaily = dailyOther(input.other, curDays);
  total.other += (curDaily - baseDaily) * scale;

  for (const e of input.endpoints) {
    const ch =
      baseDays.length === 0
        ? undefined
        : explainEndpoint(
            e,
            baseDays,
            curDays,
            input.invocations(e.name, input.baseline),
            input.invocations(e.name, input.current),
          );
    const b = stats(e, baseDays);
    const c = stats(e, curDays);
    baseDaily += b.hosting + b.nonHosting;
    curDaily += c.hosting + c.nonHosting;
    if (!ch) continue;
    const scaled = Object.fromEntries(Object.entries(ch.parts).map(([k, v]) => [k, v * scale])) as Parts;
    for (const k of Object.keys(total) as (keyof Parts)[]) total[k] += scaled[k];
    changes.push({ ...ch, parts: scaled });
  }

  const change = (curDaily - baseDaily) * scale;
  let primary: CauseKind | undefined;
  let best = 0;
  for (const k of CAUSES) {
    if (total[k] > best) [primary, best] = [k, total[k]];
  }
  // A change under 1% of the period's spend explains nothing: the spend is simply at its usual level, and what
  // makes it high is how much of the capacity sits idle, or how much traffic there is.
  const material = Math.max(1, 0.01 * curDaily * scale);
  if (primary === undefined || best < material) {
    primary = input.utilization !== undefined && input.utilization < 0.3 ? 'idle-capacity' : 'traffic';
  }

  const summary = describe(input, primary, total, change, changes, baseDays.length === 0);
  return {
    primary,
    change: round2(change),
    parts: Object.fromEntries(Object.entries(total).map(([k, v]) => [k, round2(v)])) as Parts,
    baseline: { from: input.baseline.from, to: input.baseline.to, dailySpend: round2(baseDaily) },
    current: { from: input.current.from, to: input.current.to, dailySpend: round2(curDaily) },
    summary,
    endpoints: [...changes]
      .sort((a, b) => weight(b) - weight(a))
      .map((c) => ({
        ...c,
        parts: Object.fromEntries(Object.entries(c.parts).map(([k, v]) => [k, round2(v)])) as Parts,
      })),
  };
}

const weight = (c: EndpointChange) => Object.values(c.parts).reduce((a, b) => a + Math.abs(b), 0);

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function usd(x: number, currency: string): string {
  return displayMoney(BigInt(Math.round(x * 100)) * 10_000_000_000n, currency);
}

function describe(
  input: ExplainInput,
  primary: CauseKind,
  total: Parts,
  change: number,
  changes: readonly EndpointChange[],
  noBaseline: boolean,
): string {
  const cur = input.currency;
  if (noBaseline) {
    return primary === 'idle-capacity'
      ? `No earlier spend to compare with; the endpoints run at ${Math.round((input.utilization ?? 0) * 100)}% utilisation, so most of the spend is idle capacity.`
      : 'No earlier spend to compare with; the spend follows the traffic served.';
  }
  const top = [...changes].sort((a, b) => b.parts[primary] - a.parts[primary])[0];
  const where =
    top && top.parts[primary] > 0
      ? primary === 'instance-change' && top.typeBefore && top.typeAfter
        ? ` (${top.endpoint}: ${top.typeBefore} → ${top.typeAfter})`
        : ` (mostly ${top.endpoint})`
      : '';
  const drivers = CAUSES.filter((k) => Math.abs(total[k]) >= 1)
    .sort((a, b) => Math.abs(total[b]) - Math.abs(total[a]))
    .slice(0, 3)
    .map((k) => `${LABEL[k]} ${total[k] >= 0 ? '+' : '-'}${usd(Math.abs(total[k]), cur)}`);
  const direction = change >= 0 ? 'more' : 'less';
  const head = `At the current rate the period costs ${usd(Math.abs(change), cur)} ${direction} than in ${input.baseline.from}..${addDays(input.baseline.to, -1)}`;
  if (total[primary] <= 0 || drivers.length === 0) {
    return primary === 'idle-capacity'
      ? `${head}; spend is at its usual level, but the endpoints run at ${Math.round((input.utilization ?? 0) * 100)}% utilisation: idle capacity.`
      : `${head}; spend is at its usual level and follows the traffic served.`;
  }
  return `${head}: ${drivers.join(', ')}; mainly ${LABEL[primary]}${where}.`;
}
