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
  /** Utilisation under which capacity counts as idle: the budget's floor, else 30%. */
  readonly idleBelow?: number;
  readonly currency: string;
}

/** Utilisation under which capacity counts as idle when the budget sets no floor. */
const IDLE_BELOW = 0.3;

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

/** An endpoint's split, and how much of its unexplained rest is instance-hours no invocations could split. */
interface EndpointSplit extends EndpointCause {
  readonly unsplitHours: number;
}

/**
 * Splits one endpoint's change in daily spend between two windows into drivers:
 * - new-endpoint: it had no instance-hours before (or has none now: retired, negative);
 * - instance-change / price: the rate per instance-hour moved, because the type mix changed or, same types, the price;
 * - traffic: the part of the change in instance-hours that invocations grew (or fell) by;
 * - idle-capacity: the rest of the change in instance-hours, capacity that traffic does not explain;
 * - other, the unexplained rest: charges that are not instance-hours (storage, data, hosting rows without hours)
 *   and, when invocations were not measured in both windows, the change in instance-hours: nothing tells traffic
 *   from idle capacity then.
 * The parts add up to the change exactly (in floating point), by construction.
 */
function splitEndpoint(
  e: EndpointSpend,
  baseDays: readonly string[],
  curDays: readonly string[],
  invBase: number | undefined,
  invCur: number | undefined,
): EndpointSplit {
  const b = stats(e, baseDays);
  const c = stats(e, curDays);
  const parts = noChange();
  parts.other = c.nonHosting - b.nonHosting;
  const typeBefore = dominant(b.types);
  const typeAfter = dominant(c.types);

  if (b.hours <= 0 || c.hours <= 0) {
    parts['new-endpoint'] = c.hosting - b.hosting;
    return { endpoint: e.name, parts, typeBefore, typeAfter, unsplitHours: 0 };
  }
  const rateBase = b.hosting / b.hours;
  const rateCur = c.hosting / c.hours;
  const rateEffect = (rateCur - rateBase) * c.hours;
  if (typeMixShift(b.types, c.types) > 0.2) parts['instance-change'] = rateEffect;
  else parts.price = rateEffect;

  const dHours = c.hours - b.hours;
  if (invBase === undefined || invCur === undefined || invBase <= 0) {
    const unsplit = dHours * rateBase;
    parts.other += unsplit;
    return { endpoint: e.name, parts, typeBefore, typeAfter, unsplitHours: unsplit };
  }
  // Hours that traffic alone would have moved: autoscaling keeps instances in proportion to invocations.
  const implied = b.hours * (invCur / invBase - 1);
  const trafficHours = dHours >= 0 ? clamp(implied, 0, dHours) : clamp(implied, dHours, 0);
  parts.traffic = trafficHours * rateBase;
  parts['idle-capacity'] = (dHours - trafficHours) * rateBase;
  return { endpoint: e.name, parts, typeBefore, typeAfter, unsplitHours: 0 };
}

function dailyOther(other: ReadonlyMap<string, Money> | undefined, days: readonly string[]): number {
  if (!other || days.length === 0) return 0;
  let sum = 0;
  for (const d of days) sum += toNumber(other.get(d) ?? 0n);
  return sum / days.length;
}

/**
 * The drivers of a spend change as people read them, in sentences, alerts and reports. `other` is the rest no
 * driver measures: it reads as what it is, unexplained.
 */
export const DRIVER_LABELS: Readonly<Record<CauseKind | 'other', string>> = {
  traffic: 'traffic',
  'idle-capacity': 'idle capacity',
  'instance-change': 'instance-type change',
  price: 'price',
  'new-endpoint': 'new endpoint',
  other: 'other (unexplained)',
};

/** The parts in the order a tie is broken: named drivers first, the unexplained rest last. */
const PART_ORDER: readonly (keyof Parts)[] = [...CAUSES, 'other'];

/**
 * The part holding the largest share of the change (the largest part in the direction the spend moved; when the
 * parts cancel out, the largest one), `unexplained` when that is the rest no driver measured. Undefined when no
 * part reaches `material`: nothing moved enough to name.
 */
export function primaryOf(
  parts: Readonly<Parts>,
  change: number,
  material: number,
): Cause['primary'] | undefined {
  const sign = Math.abs(change) >= material ? Math.sign(change) : 0;
  let best: keyof Parts | undefined;
  let size = 0;
  for (const k of PART_ORDER) {
    const v = sign === 0 ? Math.abs(parts[k]) : sign * parts[k];
    if (v > size) [best, size] = [k, v];
  }
  const largest = Math.max(...PART_ORDER.map((k) => Math.abs(parts[k])));
  if (best === undefined || largest < material) return undefined;
  return best === 'other' ? 'unexplained' : best;
}

/** Below this share of the period's spend a change in spend is no change: spend is at its usual level. */
const MATERIAL_SHARE = 0.01;

/** What made the unexplained rest, so the finding can say which data would explain it. */
interface Rest {
  /** Instance-hours whose change no invocations split between traffic and idle capacity. */
  readonly unsplitHours: number;
  /** The endpoints whose invocations were measured in the current window. */
  readonly measuredInvocations: number;
  readonly noBaseline: boolean;
}

/** Explains the change in a budget's (or one endpoint's) spend between a baseline and the current window. */
export function explainChange(input: ExplainInput): Cause {
  const baseDays = daysOf(input.baseline.from, input.baseline.to);
  const curDays = daysOf(input.current.from, input.current.to);
  const noBaseline = baseDays.length === 0;
  const scale = input.daysInPeriod;
  const total = noChange();
  const changes: EndpointCause[] = [];
  let baseDaily = dailyOther(input.other, baseDays);
  let curDaily = dailyOther(input.other, curDays);
  total.other += (curDaily - baseDaily) * scale;
  let unsplitHours = 0;
  let measuredInvocations = 0;

  for (const e of input.endpoints) {
    const b = stats(e, baseDays);
    const c = stats(e, curDays);
    baseDaily += b.hosting + b.nonHosting;
    curDaily += c.hosting + c.nonHosting;
    const invCur = input.invocations(e.name, input.current);
    if (invCur !== undefined) measuredInvocations++;
    if (noBaseline) {
      // nothing to compare with: the endpoint's whole spend is a change no driver can split
      total.other += (c.hosting + c.nonHosting) * scale;
      continue;
    }
    const { unsplitHours: unsplit, ...ch } = splitEndpoint(
      e,
      baseDays,
      curDays,
      input.invocations(e.name, input.baseline),
      invCur,
    );
    unsplitHours += unsplit * scale;
    const scaled = Object.fromEntries(Object.entries(ch.parts).map(([k, v]) => [k, v * scale])) as Parts;
    for (const k of Object.keys(total) as (keyof Parts)[]) total[k] += scaled[k];
    changes.push({ ...ch, parts: scaled });
  }

  const change = (curDaily - baseDaily) * scale;
  const material = Math.max(1, MATERIAL_SHARE * curDaily * scale);
  const rest: Rest = { unsplitHours, measuredInvocations, noBaseline };
  const measured = primaryOf(total, change, material);
  const primary = measured ?? levelCause(input, rest);
  const summary = measured
    ? describeChange(input, primary, total, change, changes, rest)
    : describeLevel(input, primary, change, rest);
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

/**
 * The cause of spend at its usual level, from what was measured: capacity is idle when utilisation sits under the
 * floor, and the spend serves traffic when utilisation is above it and invocations were counted. Without both
 * measurements nothing tells one from the other.
 */
function levelCause(input: ExplainInput, rest: Rest): Cause['primary'] {
  const u = input.utilization;
  if (u === undefined) return 'unexplained';
  if (u < (input.idleBelow ?? IDLE_BELOW)) return 'idle-capacity';
  return rest.measuredInvocations > 0 ? 'traffic' : 'unexplained';
}

const weight = (c: EndpointCause) => Object.values(c.parts).reduce((a, b) => a + Math.abs(b), 0);

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function usd(x: number, currency: string): string {
  return displayMoney(BigInt(Math.round(x * 100)) * 10_000_000_000n, currency);
}

const signed = (x: number, currency: string) => `${x >= 0 ? '+' : '-'}${usd(Math.abs(x), currency)}`;
const percent = (x: number) => `${Math.round(x * 100)}%`;

function head(input: ExplainInput, change: number): string {
  const direction = change >= 0 ? 'more' : 'less';
  return `At the current rate the period costs ${usd(Math.abs(change), input.currency)} ${direction} than in ${input.baseline.from}..${addDays(input.baseline.to, -1)}`;
}

/** The sentence of a change that a part holds: the drivers that moved, largest first, and the primary one. */
function describeChange(
  input: ExplainInput,
  primary: Cause['primary'],
  total: Parts,
  change: number,
  changes: readonly EndpointCause[],
  rest: Rest,
): string {
  const cur = input.currency;
  const key: keyof Parts = primary === 'unexplained' ? 'other' : primary;
  const shown = PART_ORDER.filter((k) => k === key || (k !== 'other' && Math.abs(total[k]) >= 1))
    .sort((a, b) => Math.abs(total[b]) - Math.abs(total[a]))
    .slice(0, 3);
  if (!shown.includes(key)) shown[shown.length - 1] = key;
  const drivers = shown.map((k) => `${DRIVER_LABELS[k]} ${signed(total[k], cur)}`).join(', ');
  const start = rest.noBaseline
    ? `No earlier spend to compare with: the period's ${usd(Math.abs(change), cur)} at the current rate cannot be split by driver`
    : `${head(input, change)}: ${drivers}`;
  if (primary === 'unexplained')
    return `${start}; mainly unexplained: ${whatWouldExplain(input, total.other, rest)}.`;
  const sign = Math.sign(total[key]);
  const top = [...changes].sort((a, b) => sign * (b.parts[key] - a.parts[key]))[0];
  const where =
    top && sign * top.parts[key] > 0
      ? primary === 'instance-change' && top.typeBefore && top.typeAfter
        ? ` (${top.endpoint}: ${top.typeBefore} → ${top.typeAfter})`
        : ` (mostly ${top.endpoint})`
      : '';
  return `${start}; mainly ${DRIVER_LABELS[key]}${where}.`;
}

/** Which data would explain the rest: a baseline, invocations, or bill rows that state instance-hours. */
function whatWouldExplain(input: ExplainInput, other: number, rest: Rest): string {
  if (rest.noBaseline) return 'cost data from before the window would give a baseline to compare with';
  const cur = input.currency;
  const charges = other - rest.unsplitHours;
  const why: string[] = [];
  if (Math.abs(rest.unsplitHours) >= 1) {
    why.push(
      `${signed(rest.unsplitHours, cur)} is a change in instance-hours that invocations (CloudWatch Invocations, or --metrics) would split between traffic and idle capacity`,
    );
  }
  if (Math.abs(charges) >= 1 || why.length === 0) {
    why.push(
      `${signed(charges, cur)} is in charges the bill does not state as instance-hours of an endpoint (storage, data transfer, other services, or hosting rows without an instance type or a quantity in hours); a usage type such as Host:ml.g5.xlarge, or a description naming the instance type, with the hours would split them`,
    );
  }
  return why.join('; ');
}

/** The sentence of spend at its usual level: the cause from measured utilisation, or what would tell it. */
function describeLevel(input: ExplainInput, primary: Cause['primary'], change: number, rest: Rest): string {
  const start = rest.noBaseline
    ? 'No earlier spend to compare with'
    : `${head(input, change)}; spend is at its usual level`;
  const u = input.utilization;
  if (primary === 'idle-capacity' && u !== undefined) {
    return `${start}, but the endpoints run at ${percent(u)} utilisation: idle capacity.`;
  }
  if (primary === 'traffic' && u !== undefined) {
    return `${start} and follows the traffic served, at ${percent(u)} utilisation.`;
  }
  return `${start}; without utilisation and invocations (CloudWatch metrics, or --metrics) nothing tells idle capacity from traffic.`;
}
