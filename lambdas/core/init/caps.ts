/**
 * The limits a new budget file proposes: the measured baseline plus a headroom, rounded up to two significant
 * digits (a floor rounded down), never past the measured value the wrong way. Each limit comes with the measured
 * numbers behind it, and a limit without a measurement is left out with the reason, never set from zero.
 */
import type { Limits } from '../budget.ts';
import { displayMoney, type Money, scaleMoney, toNumber } from '../money.ts';
import type { DaySpan, EndpointBaseline, GroupBaseline } from './baseline.ts';

/** Significant digits a cap keeps: readable figures, at most one step of the second digit above the baseline. */
export const CAP_DIGITS = 2;

/**
 * Days of the billing period a spend cap is sized for: the longest monthly period, so that the cap holds in every
 * month.
 */
export const PERIOD_DAYS = 31;

/** Rounds up to `digits` significant digits; never below `x`. */
export function ceilSignificant(x: number, digits = CAP_DIGITS): number {
  if (!(x > 0)) return 0;
  const e = Math.floor(Math.log10(x)) - (digits - 1);
  // the quotient is read at 12 digits so that 0.013 / 0.001 = 12.999999999999998 is 13, not 14
  let k = Math.ceil(Number((x / 10 ** e).toPrecision(12)));
  if (Number(`${k}e${e}`) < x) k++;
  return Number(`${k}e${e}`);
}

/** Rounds down to `digits` significant digits; never above `x`. */
export function floorSignificant(x: number, digits = CAP_DIGITS): number {
  if (!(x > 0)) return 0;
  const e = Math.floor(Math.log10(x)) - (digits - 1);
  let k = Math.floor(Number((x / 10 ** e).toPrecision(12)));
  if (Number(`${k}e${e}`) > x) k--;
  return Number(`${k}e${e}`);
}

/** An exact amount rounded up to `digits` significant digits. */
export function ceilSignificantMoney(m: Money, digits = CAP_DIGITS): Money {
  if (m <= 0n) return 0n;
  const n = m.toString().length;
  if (n <= digits) return m;
  const unit = 10n ** BigInt(n - digits);
  return ((m + unit - 1n) / unit) * unit;
}

export interface CapOptions {
  /** Percent added to the baseline (and taken off a floor). */
  readonly headroomPercent: number;
  readonly currency: string;
  /** The measured days, for limits whose datapoints do not say their own. */
  readonly window: DaySpan;
}

export interface ProposedLimits {
  readonly limits: Limits;
  /** The lines of the comment above each limit. */
  readonly comments: Readonly<Partial<Record<keyof Limits, readonly string[]>>>;
  /** Limits left out and why. */
  readonly leftOut: readonly string[];
}

/** A measured figure for a comment: five significant digits, no float noise. */
const fig = (x: number) => String(Number(x.toPrecision(5)));
const span = (s: DaySpan) => (s.from === s.to ? s.from : `${s.from}..${s.to}`);

/**
 * The spend cap: (median day x PERIOD_DAYS + peak allowance) x (1 + headroom), the allowance being what the measured
 * days spent above their median, at the same rate over the period. With that allowance the cap is never below a
 * period of the measured days' mean.
 */
export function spendCap(
  g: GroupBaseline,
  o: CapOptions,
): { cap?: number; comment?: string[]; leftOut?: string } {
  const s = g.spend;
  if (!s) return { leftOut: 'spendPerPeriod: no charge of this budget in the measured days' };
  const money = (m: Money) => displayMoney(m, o.currency);
  const allowance = divCeil(s.aboveMedian * BigInt(PERIOD_DAYS), BigInt(s.days));
  const baseline = s.median * BigInt(PERIOD_DAYS) + allowance;
  const withHeadroom = maxMoney(scaleMoney(baseline, 1 + o.headroomPercent / 100), baseline);
  const cap = ceilSignificantMoney(withHeadroom);
  if (cap <= 0n) return { leftOut: 'spendPerPeriod: the measured days spent nothing' };
  return {
    cap: toNumber(cap),
    comment: [
      `measured ${span(s)} (${s.days} days${s.since ? `, from its first charge on ${s.since}` : ''}): median day ${money(s.median)}, peak day ${money(s.peak)} (${s.peakDay})`,
      `cap = (median day x ${PERIOD_DAYS} days + peak allowance ${money(allowance)}) x ${factor(o)} = ${money(withHeadroom)}, rounded up to ${CAP_DIGITS} significant digits`,
      `peak allowance: the spend above the median day in the measured days, at the same rate over ${PERIOD_DAYS} days (the longest period)`,
    ],
  };
}

const factor = (o: CapOptions) => fig(1 + o.headroomPercent / 100);
const divCeil = (a: bigint, b: bigint) => (a + b - 1n) / b;
const maxMoney = (a: Money, b: Money) => (a > b ? a : b);

/** One endpoint limit: the highest (or for a floor, lowest) measured endpoint, with headroom. */
interface EndpointLimit {
  readonly key: 'costPer1kInferences' | 'latencyP99Ms' | 'maxInstances' | 'utilization';
  readonly what: string;
  readonly observe: (e: EndpointBaseline) => number | null;
  readonly days?: (e: EndpointBaseline) => DaySpan | undefined;
  readonly show: (x: number) => string;
  /** Why nothing was measured, when no endpoint has a value. */
  readonly missing: string;
}

function endpointLimit(
  g: GroupBaseline,
  l: EndpointLimit,
  o: CapOptions,
  floor: boolean,
  round: (x: number) => number,
): { value?: number; comment?: string[]; leftOut?: string } {
  const measured = g.endpoints.filter((e) => l.observe(e) !== null);
  const without = g.endpoints.filter((e) => l.observe(e) === null).map((e) => e.name);
  if (measured.length === 0) return { leftOut: `${l.key}: ${l.missing}` };
  const pickBy = (a: EndpointBaseline, b: EndpointBaseline) =>
    floor
      ? (l.observe(a) as number) <= (l.observe(b) as number)
      : (l.observe(a) as number) >= (l.observe(b) as number);
  const worst = measured.reduce((a, b) => (pickBy(a, b) ? a : b));
  const x = l.observe(worst) as number;
  // read at 12 digits: 0.175 x 0.8 is 0.13999999999999999 in binary, and its floor must be 0.14
  const scaled = Number(
    (x * (floor ? 1 - o.headroomPercent / 100 : 1 + o.headroomPercent / 100)).toPrecision(12),
  );
  const value = round(scaled);
  if (!(value > 0))
    return {
      leftOut: `${l.key}: measured ${l.show(x)} leaves no floor under a ${o.headroomPercent}% headroom`,
    };
  const days = l.days?.(worst) ?? g.spend ?? o.window;
  const lines = [
    `measured over ${span(days)}: ${l.what} ${l.show(x)}${measured.length > 1 ? ` (${floor ? 'lowest' : 'highest'} of ${measured.length} endpoints: ${worst.name})` : ` (${worst.name})`}`,
    `${floor ? 'floor' : 'cap'} = ${l.show(x)} x ${floor ? fig(1 - o.headroomPercent / 100) : factor(o)} = ${l.show(scaled)}, rounded ${floor ? 'down' : 'up'}${l.key === 'maxInstances' ? ' to a whole instance' : ` to ${CAP_DIGITS} significant digits`}`,
  ];
  if (without.length > 0) lines.push(`not measured for ${without.join(', ')}: ${l.missing}`);
  return { value, comment: lines };
}

const noMetrics = (g: GroupBaseline, metric: string, metrics: boolean) =>
  metrics
    ? `no ${metric} datapoints for ${g.endpoints.map((e) => e.name).join(', ') || 'its endpoints'} in the measured days`
    : `no metrics were read (give --metrics, or --aws)`;

/** Every limit of a group's budget, with the comments behind each and the ones left out. */
export function proposeLimits(g: GroupBaseline, o: CapOptions, metrics: boolean): ProposedLimits {
  const limits: Record<string, unknown> = {};
  const comments: Partial<Record<keyof Limits, string[]>> = {};
  const leftOut: string[] = [];
  const spend = spendCap(g, o);
  if (spend.cap !== undefined) {
    limits.spendPerPeriod = spend.cap;
    comments.spendPerPeriod = spend.comment;
  } else if (spend.leftOut) leftOut.push(spend.leftOut);

  const money = (x: number) => `${o.currency === 'USD' ? '$' : `${o.currency} `}${fig(x)}`;
  const specs: [EndpointLimit, boolean, (x: number) => number][] = [
    [
      {
        key: 'costPer1kInferences',
        what: 'cost per 1k inferences',
        observe: (e) => e.costPer1k,
        show: money,
        missing: noMetrics(g, 'Invocations', metrics),
      },
      false,
      (x) => ceilSignificant(x),
    ],
    [
      {
        key: 'latencyP99Ms',
        what: 'ModelLatency p99',
        observe: (e) => e.latencyP99Ms,
        days: (e) => e.latencyDays,
        show: (x) => `${fig(x)} ms`,
        missing: noMetrics(g, 'ModelLatency p99', metrics),
      },
      false,
      (x) => ceilSignificant(x),
    ],
    [
      {
        key: 'maxInstances',
        what: 'peak instances',
        observe: (e) => e.peakInstances,
        show: fig,
        missing: 'the peak is unknown: billing is not hourly and no metric gives the instance count',
      },
      false,
      (x) => Math.ceil(x - 1e-9),
    ],
    [
      {
        key: 'utilization',
        what: 'mean utilisation',
        observe: (e) => e.utilization,
        days: (e) => e.utilizationDays,
        show: (x) => `${fig(x * 100)}%`,
        missing: noMetrics(g, 'CPU or GPU utilisation', metrics),
      },
      true,
      (x) => floorSignificant(x),
    ],
  ];
  for (const [spec, floor, round] of specs) {
    // without the budget's spend its endpoints' cost per 1k reads $0: unmeasured, not free
    if (spec.key === 'costPer1kInferences' && !g.spend) {
      leftOut.push('costPer1kInferences: no spend of this budget was measured');
      continue;
    }
    const r = endpointLimit(g, spec, o, floor, round);
    if (r.value === undefined) {
      if (r.leftOut) leftOut.push(r.leftOut);
      continue;
    }
    limits[spec.key] = spec.key === 'utilization' ? { min: r.value } : r.value;
    comments[spec.key] = r.comment;
  }
  return { limits: limits as Limits, comments, leftOut };
}
