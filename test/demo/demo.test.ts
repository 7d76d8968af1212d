import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeDemo } from '../../examples/demo/generate.ts';
import {
  type BudgetFile,
  exceptionsInForce,
  globToRegExp,
  parseBudgetFile,
} from '../../lambdas/core/budget.ts';
import { instanceSpec } from '../../lambdas/core/instances.ts';
import { type Money, parseMoney } from '../../lambdas/core/money.ts';
import { endpointFromArn, hostingInstanceType } from '../../lambdas/core/sagemaker.ts';
import { CAUSES } from '../../lambdas/core/types.ts';

const DEMO = join(import.meta.dirname, '../../examples/demo');
const GENERATED = ['budgets.yaml', 'demo.json', 'data/costs.focus.csv', 'data/metrics.csv'];

interface Truth {
  incidents: {
    budget: string;
    endpoint: string;
    incident: string;
    expectedFinding: string;
    causePrimary: string | null;
    startsOn: string;
  }[];
  statuses: Record<string, string>;
  monthTotals: Record<string, string>;
}
interface Demo {
  asOf: string;
  budgets: string;
  costs: string[];
  metrics: string;
  period: { start: string; end: string; timezone: string };
  truth: Truth;
}

const demo = JSON.parse(readFileSync(join(DEMO, 'demo.json'), 'utf8')) as Demo;
type CostRow = Record<string, string>;
let costs: CostRow[];
let budgetFile: BudgetFile;

function money(text: string | undefined): Money {
  const m = parseMoney(text ?? '');
  if (m === undefined) throw new Error(`not an amount: "${text}"`);
  return m;
}

/** Tag keys without AWS's `user:` prefix, as budgets name them. */
function tagsOf(row: CostRow): Record<string, string> {
  if (!row.Tags) return {};
  const raw = JSON.parse(row.Tags) as Record<string, string>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.replace(/^user:/, ''), v]));
}

/** The selector reading of ARCHITECTURE.md: all conditions hold; rows naming no endpoint are taken on tags alone. */
function selects(budget: BudgetFile['budgets'][number], row: CostRow): boolean {
  const tags = tagsOf(row);
  const wanted = Object.entries(budget.selector.tags ?? {});
  if (!wanted.every(([k, v]) => tags[k] === v)) return false;
  const endpoint = endpointFromArn(row.ResourceId);
  if (endpoint === undefined) return wanted.length > 0;
  return (budget.selector.endpoints ?? ['*']).some((g) => globToRegExp(g).test(endpoint));
}

beforeAll(() => {
  costs = parseCsv(readFileSync(join(DEMO, demo.costs[0] ?? ''), 'utf8'), { columns: true }) as CostRow[];
  const parsed = parseBudgetFile(parseYaml(readFileSync(join(DEMO, demo.budgets), 'utf8')));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  budgetFile = parsed.file;
});

describe('demo generator', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'perf-budgets-demo-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerates byte-identical copies of the committed files', () => {
    writeDemo(out);
    for (const file of GENERATED) {
      expect(readFileSync(join(out, file)).equals(readFileSync(join(DEMO, file))), file).toBe(true);
    }
    expect(readdirSync(join(DEMO, 'data')).sort()).toEqual(readdirSync(join(out, 'data')).sort());
  });
});

describe('demo budget file', () => {
  it('validates against the budget file schema', () => {
    const parsed = parseBudgetFile(parseYaml(readFileSync(join(DEMO, 'budgets.yaml'), 'utf8')));
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
  });

  it('has a production tier that asks and an experiment tier that enforces exit criteria', () => {
    expect(budgetFile.tiers.production?.mode).toBe('approve');
    expect(budgetFile.tiers.experiment?.mode).toBe('enforce');
    expect(budgetFile.tiers.experiment?.exitCriteria).toMatchObject({
      maxDays: expect.any(Number),
      maxCostPer1kInferences: expect.any(Number),
    });
    expect(new Set(budgetFile.budgets.map((b) => b.tier))).toEqual(new Set(['production', 'experiment']));
  });

  it('holds one exception in force and one expired on the as-of day', () => {
    const all = budgetFile.budgets.flatMap((b) => b.exceptions);
    const inForce = budgetFile.budgets.flatMap((b) => exceptionsInForce(b, demo.asOf));
    expect(inForce.length).toBeGreaterThanOrEqual(1);
    expect(all.length - inForce.length).toBeGreaterThanOrEqual(1);
  });

  it('gives every budget an intended status in the truth', () => {
    expect(budgetFile.budgets.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(demo.truth.statuses).sort()).toEqual(budgetFile.budgets.map((b) => b.name).sort());
  });
});

describe('demo truth', () => {
  it('names, for every incident, a budget of the file and an endpoint billed in the costs', () => {
    const hosted = new Set(
      costs.filter((r) => hostingInstanceType(r.x_UsageType)).map((r) => endpointFromArn(r.ResourceId)),
    );
    const budgets = new Map(budgetFile.budgets.map((b) => [b.name, b]));
    for (const i of demo.truth.incidents) {
      expect(hosted, i.endpoint).toContain(i.endpoint);
      const budget = budgets.get(i.budget);
      expect(budget, i.budget).toBeDefined();
      if (budget) expect(budget.selector.endpoints?.some((g) => globToRegExp(g).test(i.endpoint))).toBe(true);
      expect([...CAUSES, null]).toContain(i.causePrimary);
      expect(i.startsOn >= demo.period.start && i.startsOn <= demo.asOf, i.startsOn).toBe(true);
    }
  });

  it('states month totals equal to the exact sum of billed cost of each budget in the period', () => {
    const inPeriod = costs.filter(
      (r) =>
        (r.ChargePeriodStart ?? '') >= demo.period.start && (r.ChargePeriodStart ?? '') < demo.period.end,
    );
    const totals = Object.fromEntries(
      budgetFile.budgets.map((b) => {
        const sum = inPeriod.filter((r) => selects(b, r)).reduce((s, r) => s + money(r.BilledCost), 0n);
        return [b.name, sum];
      }),
    );
    for (const [name, total] of Object.entries(demo.truth.monthTotals)) {
      expect(money(total), name).toBe(totals[name]);
    }
    expect(Object.keys(demo.truth.monthTotals).sort()).toEqual(Object.keys(totals).sort());
  });

  it('lets no cost row belong to two budgets', () => {
    for (const r of costs) {
      expect(budgetFile.budgets.filter((b) => selects(b, r)).length).toBeLessThanOrEqual(1);
    }
  });
});

describe('demo costs', () => {
  it('prices every hosting row exactly as instance-hours times the list price of its instance type', () => {
    const hosting = costs.filter((r) => hostingInstanceType(r.x_UsageType));
    expect(hosting.length).toBeGreaterThan(0);
    for (const r of hosting) {
      const type = hostingInstanceType(r.x_UsageType) ?? '';
      expect(r.BilledCost).toMatch(/^\d+(\.\d{1,10})?$/);
      expect(money(r.ListUnitPrice)).toBe(money(String(instanceSpec(type)?.hourlyUsd)));
      const product = money(r.ConsumedQuantity) * money(r.ListUnitPrice);
      expect(product).toBe(money(r.BilledCost) * 10n ** 12n);
      expect(r.ServiceName).toBe('Amazon SageMaker');
      expect(r.ChargePeriodStart).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:00:00$/);
    }
  });

  it('covers the whole history with at least one hosting row per endpoint and hour once the endpoint exists', () => {
    const hours = new Map<string, Set<string>>();
    for (const r of costs.filter((x) => hostingInstanceType(x.x_UsageType))) {
      const e = endpointFromArn(r.ResourceId) ?? '';
      const set = hours.get(e) ?? new Set<string>();
      set.add(r.ChargePeriodStart ?? '');
      hours.set(e, set);
    }
    expect(hours.size).toBeGreaterThanOrEqual(6);
    const full = 61 * 24;
    const complete = [...hours.values()].filter((s) => s.size === full).length;
    expect(complete).toBeGreaterThanOrEqual(5);
  });
});

describe('demo traffic', () => {
  it('has hourly rates for 6 to 8 ServeGen clients over 14 days', () => {
    const lines = readFileSync(join(DEMO, 'traffic-servegen.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('client,hour,rate_req_per_s');
    const byClient = new Map<string, number[]>();
    for (const line of lines.slice(1)) {
      const [client = '', hour = '', rate = ''] = line.split(',');
      expect(client).toMatch(/^chunk-\d+$/);
      expect(Number(rate)).toBeGreaterThanOrEqual(0);
      byClient.set(client, [...(byClient.get(client) ?? []), Number(hour)]);
    }
    expect(byClient.size).toBeGreaterThanOrEqual(6);
    expect(byClient.size).toBeLessThanOrEqual(8);
    const hours = Array.from({ length: 336 }, (_, h) => h);
    for (const [client, hs] of byClient) expect(hs, client).toEqual(hours);
  });
});
