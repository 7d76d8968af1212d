/**
 * Prices what a template would deploy: for each endpoint the least, the expected and the most it can cost over a
 * span of hours, at list prices. The least runs every variant at its minimum, the most at its maximum; expected is
 * what the endpoint was measured to run (its mean instances over the history, held within the new minimum and
 * maximum) and, without history, the minimum, said as such. A price that is not in the table, an instance type the
 * template leaves to deploy time, an endpoint without a region: each leaves the endpoint unpriced, with the reason,
 * never at zero.
 */
import { type Money, scaleMoney, sumMoney, ZERO } from '../money.ts';
import type {
  InstanceVariant,
  ListPrice,
  PlannedEndpoint,
  PriceLookup,
  ServerlessVariant,
  UnresolvedValue,
} from './types.ts';

/** Least, expected and most, exact. */
export interface CostRange {
  readonly min: Money;
  readonly expected: Money;
  readonly max: Money;
}

/** What the history measured of one endpoint as it runs today. */
export interface MeasuredEndpoint {
  /** First and last day measured (inclusive) and how many days had data. */
  readonly from: string;
  readonly through: string;
  readonly days: number;
  /** Mean instances running over the days measured, by instance type. */
  readonly meanInstances: Readonly<Record<string, number>>;
  /** Mean spend a day over the days measured (serverless endpoints are expected at this rate). */
  readonly dailySpend?: Money;
}

export interface PricedVariant {
  readonly name: string;
  /** Per hour at the minimum, expected and maximum capacity; absent when the variant could not be priced. */
  readonly hourly?: CostRange;
  readonly price?: ListPrice;
  /** How `expected` was reached. */
  readonly basis: string;
}

/** One endpoint priced, or the reasons it could not be. */
export interface PricedEndpoint {
  readonly endpoint: PlannedEndpoint;
  /** The endpoint's name, or `stack/logicalId` when CloudFormation names it. */
  readonly key: string;
  readonly variants: readonly PricedVariant[];
  /** Per hour, summed over the variants; absent when any variant is unpriced. */
  readonly hourly?: CostRange;
  /** Why the endpoint is not priced (empty when it is). */
  readonly unpriced: readonly UnresolvedValue[];
}

const GB_SECONDS_PER_MB_HOUR = 3600 / 1024;

export const endpointKey = (e: PlannedEndpoint): string =>
  e.name ?? `${e.source.stack}/${e.source.logicalId}`;

const scaled = (rate: Money, count: number): Money => scaleMoney(rate, count);

function instanceVariant(
  v: InstanceVariant,
  price: ListPrice,
  measured: MeasuredEndpoint | undefined,
  onlyInstanceVariant: boolean,
): PricedVariant {
  const mean = measuredCount(v, measured, onlyInstanceVariant);
  const count = mean === undefined ? v.min : Math.min(v.max, Math.max(v.min, mean.count));
  const basis =
    mean === undefined
      ? `no history: expected at its minimum of ${v.min} ${plural(v.min, 'instance')}`
      : `measured ${round(mean.count)} ${mean.type} ${plural(mean.count, 'instance')} on average over ${measured?.days} days (${measured?.from}..${measured?.through})${count !== mean.count ? `, held to ${count} by the new ${count === v.min ? 'minimum' : 'maximum'}` : ''}`;
  return {
    name: v.name,
    price,
    basis,
    hourly: {
      min: scaled(price.amount, v.min),
      expected: scaled(price.amount, count),
      max: scaled(price.amount, v.max),
    },
  };
}

/**
 * The measured mean of the variant's instance type; when the endpoint has one instance variant and the history ran
 * another type, the count it ran (a type change keeps the count unless autoscaling moves it).
 */
function measuredCount(
  v: InstanceVariant,
  measured: MeasuredEndpoint | undefined,
  only: boolean,
): { count: number; type: string } | undefined {
  if (!measured || v.instanceType === undefined) return undefined;
  const same = measured.meanInstances[v.instanceType];
  if (same !== undefined) return { count: same, type: v.instanceType };
  if (!only) return undefined;
  const entries = Object.entries(measured.meanInstances);
  if (entries.length === 0) return undefined;
  const count = entries.reduce((s, [, n]) => s + n, 0);
  return { count, type: entries.map(([t]) => t).join('+') };
}

function serverlessVariant(
  v: ServerlessVariant,
  price: ListPrice,
  measured: MeasuredEndpoint | undefined,
): PricedVariant {
  const perConcurrentHour = scaled(price.amount, v.memoryMb * GB_SECONDS_PER_MB_HOUR);
  const max = scaled(perConcurrentHour, v.maxConcurrency);
  const daily = measured?.dailySpend;
  const expected = daily === undefined ? ZERO : minMoney(daily / 24n, max);
  return {
    name: v.name,
    price,
    basis:
      daily === undefined
        ? 'serverless bills per use: no history, expected at its minimum of no use'
        : `serverless: measured spend of ${measured?.days} days (${measured?.from}..${measured?.through}) at its mean rate`,
    hourly: { min: ZERO, expected, max },
  };
}

const minMoney = (a: Money, b: Money): Money => (a < b ? a : b);
const round = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const plural = (n: number, word: string): string => (n === 1 ? word : `${word}s`);

/** Prices one endpoint per hour at the lookup's prices, with its measured history when there is one. */
export function priceEndpoint(
  e: PlannedEndpoint,
  prices: PriceLookup,
  measured?: MeasuredEndpoint,
): PricedEndpoint {
  const key = endpointKey(e);
  const where = `${e.source.stack}/${e.source.logicalId}`;
  const unpriced: UnresolvedValue[] = [];
  const variants: PricedVariant[] = [];
  const instanceVariants = e.variants.filter((v) => v.kind === 'instances').length;
  if (e.variants.length === 0) {
    // nothing read is not nothing deployed: the reasons the variants could not be read, or that there were none
    const why = e.unresolved.length
      ? e.unresolved
      : [{ path: where, why: 'no production variant could be read' }];
    return {
      endpoint: e,
      key,
      variants: [],
      unpriced: why.map((u) => ({ path: u.path, why: `not priced: ${u.why}` })),
    };
  }
  for (const v of e.variants) {
    const at = `${where} variant ${v.name}`;
    if (e.region === undefined) {
      unpriced.push({
        path: at,
        why: 'the stack has no region (env-agnostic): give --region to price it',
      });
      variants.push({ name: v.name, basis: 'not priced' });
      continue;
    }
    if (v.kind === 'serverless') {
      const price = prices.serverless(e.region);
      if (price === undefined) {
        unpriced.push({
          path: at,
          why: `no serverless inference price for ${e.region} in the price table of ${prices.date}`,
        });
        variants.push({ name: v.name, basis: 'not priced' });
      } else variants.push(serverlessVariant(v, price, measured));
      continue;
    }
    if (v.instanceType === undefined) {
      const named = e.unresolved.find((u) => /InstanceType/.test(u.path));
      unpriced.push(
        named
          ? { path: named.path, why: `the instance type is not known before deploy: ${named.why}` }
          : { path: at, why: 'the instance type is not known before deploy' },
      );
      variants.push({ name: v.name, basis: 'not priced' });
      continue;
    }
    const price = prices.hosting(e.region, v.instanceType);
    if (price === undefined) {
      unpriced.push({
        path: at,
        why: `no hosting price for ${v.instanceType} in ${e.region} in the price table of ${prices.date} (perf-budgets prices --refresh)`,
      });
      variants.push({ name: v.name, basis: 'not priced' });
      continue;
    }
    variants.push(instanceVariant(v, price, measured, instanceVariants === 1));
  }
  const all = variants.map((v) => v.hourly);
  const hourly = all.every((h): h is CostRange => h !== undefined)
    ? {
        min: sumMoney(all.map((h) => h.min)),
        expected: sumMoney(all.map((h) => h.expected)),
        max: sumMoney(all.map((h) => h.max)),
      }
    : undefined;
  return { endpoint: e, key, variants, ...(hourly && unpriced.length === 0 ? { hourly } : {}), unpriced };
}

/** A per-hour range over `hours`. */
export function overHours(r: CostRange, hours: number): CostRange {
  if (Number.isInteger(hours)) {
    const h = BigInt(hours);
    return { min: r.min * h, expected: r.expected * h, max: r.max * h };
  }
  return {
    min: scaleMoney(r.min, hours),
    expected: scaleMoney(r.expected, hours),
    max: scaleMoney(r.max, hours),
  };
}

export function addRanges(a: CostRange, b: CostRange): CostRange {
  return { min: a.min + b.min, expected: a.expected + b.expected, max: a.max + b.max };
}

export function subtractRanges(a: CostRange, b: CostRange): CostRange {
  return { min: a.min - b.min, expected: a.expected - b.expected, max: a.max - b.max };
}

export const ZERO_RANGE: CostRange = { min: ZERO, expected: ZERO, max: ZERO };
