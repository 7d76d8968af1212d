/**
 * `perf-budgets check TEMPLATE|CDK_OUT_DIR --budgets FILE`: the pre-deploy gate. Reads what the templates would
 * deploy, prices it, and judges each budget it touches on its period with the change (core/check/judge.ts). Exit 0
 * within budget (an exception that lets a change through is named), 1 over or unknown, 2 on bad input.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BudgetFile } from '../core/budget.ts';
import { type BudgetHistory, type CheckHistory, judgeCheck } from '../core/check/judge.ts';
import {
  budgetHistories,
  ledgerBudgetHistory,
  ledgerMeasured,
  measureEndpoints,
} from '../core/check/measure.ts';
import { type MeasuredEndpoint, priceEndpoint } from '../core/check/price.ts';
import type { PlannedDeployment, PriceLookup } from '../core/check/types.ts';
import { EXIT, InputError } from '../core/errors.ts';
import { scaleMoney } from '../core/money.ts';
import { addDays, DayClock, maxDay, parseDay, periodContaining } from '../core/period.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { readDeployment } from '../formats/cdk-out.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import { type CheckHeader, checkJson, renderCheckMarkdown, renderCheckText } from '../report/check.ts';
import { loadPriceTable } from './prices.ts';
import { collectFiles, collectLive } from './run.ts';
import { jsonForTerminal, print } from './terminal.ts';

export interface CheckFlags {
  readonly budgets?: string;
  readonly base?: string;
  readonly costs?: string[];
  readonly metrics?: string;
  readonly aws?: boolean;
  readonly state?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly prices?: string;
  readonly asOf?: string;
  readonly parameter?: string[];
  readonly format: 'text' | 'markdown' | 'json';
}

/** `--parameter Key=Value`, repeatable: template parameters the check resolves with. */
function parameters(given: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of given ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InputError(`check: --parameter: expected Key=Value, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function sources(flags: CheckFlags): number {
  return [flags.costs !== undefined, flags.aws === true, flags.state !== undefined].filter(Boolean).length;
}

interface History {
  readonly asOf: string;
  readonly history?: CheckHistory;
}

/** The day judged without history: the one before today in the billing time zone (the rest of the period starts today). */
function dayWithout(flags: CheckFlags, file: BudgetFile, now: Date): string {
  const tz = file.billingPeriod.timezone;
  if (flags.asOf === undefined) return addDays(new DayClock(tz).dayOf(now.getTime()), -1);
  try {
    parseDay(flags.asOf, tz);
  } catch (err) {
    throw new InputError(`check: --as-of: ${(err as Error).message}`);
  }
  return flags.asOf;
}

/** What the history is read for: the endpoints the templates name, with their regions, priced at the table. */
interface HistoryAsk {
  readonly flags: CheckFlags;
  readonly file: BudgetFile;
  readonly names: readonly string[];
  readonly regionOf: (name: string) => string | undefined;
  readonly prices: PriceLookup;
  readonly now: Date;
}

async function historyOf(ask: HistoryAsk): Promise<History> {
  const { flags, file, names, now } = ask;
  if (flags.state !== undefined) return ledgerHistory(ask);
  if (flags.costs === undefined && !flags.aws) return { asOf: dayWithout(flags, file, now) };
  const o = { ...(flags.asOf !== undefined ? { asOf: flags.asOf } : {}), now };
  const parts = flags.costs
    ? await collectFiles(
        file,
        { costs: flags.costs, ...(flags.metrics ? { metrics: flags.metrics } : {}) },
        o,
      )
    : await collectLive(file, { region: flags.region, profile: flags.profile }, { ...o, state: false });
  const { snapshot, result } = evaluateStep(file, parts);
  const label = flags.costs
    ? `cost files, ${result.data.costsFrom ?? '?'}..${result.data.costsThrough ?? '?'}`
    : `the live account, through ${result.asOf}`;
  return {
    asOf: result.asOf,
    history: {
      label,
      budgets: budgetHistories(result),
      endpoints: measureEndpoints(snapshot, names, result.asOf, file.billingPeriod.timezone),
    },
  };
}

/**
 * History from the ledger: the budgets' closed days of the period and the endpoints' recorded inventory, whose
 * spend a day is their mean instances at list price (the ledger keeps no spend per endpoint).
 */
async function ledgerHistory({ flags, file, names, regionOf, prices, now }: HistoryAsk): Promise<History> {
  const path = join(flags.state as string, 'ledger.db');
  if (!existsSync(path)) throw new InputError(`check: --state: no ledger at ${path}`);
  const given = dayWithout(flags, file, now);
  const period = periodContaining(given, file.billingPeriod);
  const ledger = new SqliteLedger(path);
  try {
    // the ledger closes a day only once its costs have settled: the history runs through its last closed day, and
    // the days after it are the rest of the period
    const spent = new Map<string, readonly { day: string; amount: string }[]>();
    for (const b of file.budgets)
      spent.set(b.name, await ledger.dailySpend(b.name, period.start, addDays(given, 1)));
    const closed = [...spent.values()].flat().map((d) => d.day);
    const asOf = closed.length > 0 ? closed.reduce((a, d) => maxDay(a, d)) : given;
    const budgets = new Map<string, BudgetHistory>();
    for (const [name, days] of spent) budgets.set(name, ledgerBudgetHistory(days, period, asOf) ?? {});
    const endpoints = new Map<string, MeasuredEndpoint>();
    for (const name of names) {
      const inv = await ledger.inventory(name, addDays(asOf, -13), addDays(asOf, 1));
      const m = ledgerMeasured(inv);
      // no inventory recorded (file runs record none): what it spends as deployed is not known, not zero
      if (!m) {
        endpoints.set(name, { from: asOf, through: asOf, days: 0, meanInstances: {} });
        continue;
      }
      const region = regionOf(name);
      let daily: bigint | undefined = 0n;
      for (const [type, n] of Object.entries(m.meanInstances)) {
        const p = region === undefined ? undefined : prices.hosting(region, type);
        if (p === undefined) daily = undefined;
        else if (daily !== undefined) daily += scaleMoney(p.amount, n * 24);
      }
      endpoints.set(name, { ...m, ...(daily !== undefined ? { dailySpend: daily } : {}) });
    }
    return { asOf, history: { label: `ledger ${path}, closed days through ${asOf}`, budgets, endpoints } };
  } finally {
    await ledger.close();
  }
}

const names = (...ds: (PlannedDeployment | undefined)[]): string[] => [
  ...new Set(ds.flatMap((d) => d?.endpoints.flatMap((e) => (e.name ? [e.name] : [])) ?? [])),
];

export async function check(target: string, flags: CheckFlags, now: Date): Promise<number> {
  if (!flags.budgets) throw new InputError('check: --budgets FILE is required');
  if (sources(flags) > 1)
    throw new InputError('check: give one history: --costs FILE..., --aws or --state DIR');
  if (flags.metrics && !flags.costs) throw new InputError('check: --metrics goes with --costs');
  const file = await loadBudgetFile(flags.budgets);
  const values = parameters(flags.parameter);
  const opts = { ...(flags.region ? { region: flags.region } : {}), parameters: values };
  const head = await readDeployment(target, opts);
  const base = flags.base === undefined ? undefined : await readDeployment(flags.base, opts);
  const prices = await loadPriceTable(flags.prices);
  const regions = new Map(
    [...(base?.endpoints ?? []), ...head.endpoints].flatMap((e) =>
      e.name && e.region ? [[e.name, e.region]] : [],
    ),
  );
  const { asOf, history } = await historyOf({
    flags,
    file,
    names: names(head, base),
    regionOf: (n) => regions.get(n),
    prices,
    now,
  });
  const price = (d: PlannedDeployment) =>
    d.endpoints.map((e) => priceEndpoint(e, prices, e.name ? history?.endpoints.get(e.name) : undefined));
  const result = judgeCheck({
    file,
    asOf,
    period: periodContaining(asOf, file.billingPeriod),
    head: price(head),
    ...(base ? { base: price(base) } : {}),
    ...(history ? { history } : {}),
  });
  const header: CheckHeader = {
    target,
    templates: head.templates,
    ...(flags.base ? { base: flags.base } : {}),
    prices: { date: prices.date, source: prices.source },
    currency: file.currency,
  };
  const unresolved = [...head.unresolved, ...(base?.unresolved ?? [])];
  const withUnresolved = { ...result, unpriced: [...result.unpriced, ...unresolved] };
  if (flags.format === 'json')
    print(`${jsonForTerminal(JSON.stringify(checkJson(withUnresolved, header), null, 2))}\n`);
  else if (flags.format === 'markdown') print(renderCheckMarkdown(withUnresolved, header));
  else print(renderCheckText(withUnresolved, header));
  return result.pass ? EXIT.ok : EXIT.breach;
}
