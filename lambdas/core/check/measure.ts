/**
 * What the history says of the endpoints a template names and of the budgets it touches: each endpoint's mean
 * instances by type and its mean spend a day over the last days measured, and each budget's spend to date and
 * forecast. From a cycle's snapshot and result (cost files, a live account) or from the ledger's closed days and
 * inventory (`--state`).
 */
import { InputError } from '../errors.ts';
import type { CycleResult } from '../evaluate/types.ts';
import { runRateRemaining } from '../forecast.ts';
import { type Money, moneyFromNumber, parseMoney, sumMoney, toNumber } from '../money.ts';
import { addDays, DayClock, daysBetween, maxDay } from '../period.ts';
import type { Snapshot } from '../types.ts';
import type { BudgetHistory } from './judge.ts';
import type { MeasuredEndpoint } from './price.ts';

/** Days of history an endpoint's run is measured over. */
export const MEASURED_DAYS = 14;

const mean = (total: Money, days: number): Money => total / BigInt(days);

/**
 * Each named endpoint's last `days` days through `asOf` (from its first cost row in them, so that an endpoint
 * created inside the window is not diluted by the days before it): instance-hours by type over the hours, and spend
 * over the days. An endpoint with no cost row in the window is absent: the history did not see it.
 */
export function measureEndpoints(
  snapshot: Snapshot,
  names: readonly string[],
  asOf: string,
  timezone: string,
  days = MEASURED_DAYS,
): Map<string, MeasuredEndpoint> {
  const clock = new DayClock(timezone);
  const from = addDays(asOf, 1 - days);
  const wanted = new Set(names);
  const rows = new Map<string, { first: string; hours: Map<string, number>; spend: Money[] }>();
  for (const r of snapshot.costs) {
    if (r.endpoint === undefined || !wanted.has(r.endpoint)) continue;
    const day = clock.dayOf(r.start);
    if (day < from || day > asOf) continue;
    const e = rows.get(r.endpoint) ?? { first: day, hours: new Map<string, number>(), spend: [] as Money[] };
    if (day < e.first) e.first = day;
    e.spend.push(r.amount);
    if (r.instanceType !== undefined && r.usageHours !== undefined)
      e.hours.set(r.instanceType, (e.hours.get(r.instanceType) ?? 0) + r.usageHours);
    rows.set(r.endpoint, e);
  }
  const out = new Map<string, MeasuredEndpoint>();
  for (const [name, e] of rows) {
    const n = daysBetween(maxDay(e.first, from), asOf) + 1;
    out.set(name, {
      from: maxDay(e.first, from),
      through: asOf,
      days: n,
      meanInstances: Object.fromEntries([...e.hours].map(([t, h]) => [t, h / (n * 24)])),
      dailySpend: mean(sumMoney(e.spend), n),
    });
  }
  return out;
}

/** Each budget's spend to date and forecast as a cycle judged them (unknown spend stays unknown). */
export function budgetHistories(result: CycleResult): Map<string, BudgetHistory> {
  const out = new Map<string, BudgetHistory>();
  for (const b of result.budgets) {
    const spent = b.spendToDateExact === null ? undefined : parseMoney(b.spendToDateExact);
    const { expected, high, method } = b.forecast;
    out.set(b.name, {
      ...(spent !== undefined ? { spendToDate: spent } : {}),
      ...(spent !== undefined && expected !== null
        ? {
            forecast: {
              expected: moneyFromNumber(expected),
              high: moneyFromNumber(high ?? expected),
              method,
            },
          }
        : {}),
    });
  }
  return out;
}

/**
 * A budget's period from the ledger's closed days: spend to date, and the period's forecast at the run-rate of the
 * days closed so far (the ledger keeps daily totals, not the components the cycle's forecast reads). Undefined
 * without a closed day in the period.
 */
export function ledgerBudgetHistory(
  days: readonly { readonly day: string; readonly amount: string }[],
  period: { readonly start: string; readonly end: string },
  asOf: string,
): BudgetHistory | undefined {
  const inPeriod = days.filter((d) => d.day >= period.start && d.day <= asOf);
  if (inPeriod.length === 0) return undefined;
  const amounts = inPeriod.map((d) => {
    const amount = parseMoney(d.amount);
    // a closed day the ledger cannot read is a damaged ledger, never a day of no spend
    if (amount === undefined)
      throw new InputError(`ledger: closed day ${d.day} holds "${d.amount}", not an amount`);
    return amount;
  });
  const spent = sumMoney(amounts);
  const remaining = daysBetween(addDays(asOf, 1), period.end);
  const rest = moneyFromNumber(
    runRateRemaining(
      amounts.map((a) => toNumber(a)),
      Math.max(0, remaining),
    ),
  );
  const expected = spent + rest;
  return {
    spendToDate: spent,
    forecast: {
      expected,
      high: expected,
      method: `run-rate of the ${inPeriod.length} days closed in the ledger`,
    },
  };
}

/** An endpoint's mean instances by type from the ledger's inventory days. */
export function ledgerMeasured(
  inventory: readonly { readonly day: string; readonly instanceType: string; readonly count: number }[],
): MeasuredEndpoint | undefined {
  if (inventory.length === 0) return undefined;
  const days = [...new Set(inventory.map((d) => d.day))].sort();
  const byType = new Map<string, number>();
  for (const d of inventory) byType.set(d.instanceType, (byType.get(d.instanceType) ?? 0) + d.count);
  const first = days[0] as string;
  const last = days[days.length - 1] as string;
  return {
    from: first,
    through: last,
    days: days.length,
    meanInstances: Object.fromEntries([...byType].map(([t, n]) => [t, n / days.length])),
  };
}
