import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ceilSignificant } from '../../lambdas/core/init/caps.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const FIXTURE = join(ROOT, 'test/fixtures/init');
const DEMO_COSTS = join(ROOT, 'examples/demo/data/costs.focus.csv');

interface Written {
  readonly budgets: { name: string; selector: unknown; limits: Record<string, unknown> }[];
}
const budgetOf = (doc: Written, name: string) => {
  const b = doc.budgets.find((x) => x.name === name);
  if (!b) throw new Error(`no budget ${name} in ${doc.budgets.map((x) => x.name).join(', ')}`);
  return b;
};

/** Within the headroom: at least the measured value, at most the measured value x 1.2 rounded up. */
function expectCap(cap: unknown, measured: number): void {
  expect(cap).toBeGreaterThanOrEqual(measured);
  expect(cap).toBeLessThanOrEqual(ceilSignificant(measured * 1.2));
}

describe('perf-budgets init on a hand-made cost and metrics file', () => {
  let dir: string;
  let out: string;
  let doc: Written;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-init-'));
    out = join(dir, 'budgets.yaml');
    const r = cli([
      'init',
      '--costs',
      join(FIXTURE, 'costs.focus.csv'),
      '--metrics',
      join(FIXTURE, 'metrics.csv'),
      '--days',
      '10',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    doc = parse(readFileSync(out, 'utf8'));
  });

  it('writes a file that validate accepts and the run loader loads', async () => {
    const v = cli(['validate', out]);
    expect(v.stdout).toContain('ok (2 budgets, 2 tiers)');
    expect(v.code).toBe(0);
    const file = await loadBudgetFile(out);
    expect(Object.values(file.tiers).map((t) => t.mode)).toEqual(['advise', 'advise']);
  });

  it('groups the tagged endpoint by its tags and the untagged one by name', () => {
    expect(budgetOf(doc, 'search-prod').selector).toEqual({ tags: { team: 'search', env: 'prod' } });
    expect(budgetOf(doc, 'solo').selector).toEqual({ endpoints: ['solo'] });
  });

  it('sets caps at the measured baseline plus 20%, rounded up to two significant digits', () => {
    // the fixture: search-a runs 2 ml.c5.xlarge ($0.204/h) a day, 3 on 2026-03-05, and its team's model artefacts
    // cost $0.50 a day; 100,000 invocations a day at p99 50 ms (80 ms on 2026-03-05), CPU 160% of 400%
    const hosting = (n: number) => n * 24 * 0.204;
    const days = Array.from({ length: 10 }, (_, i) => hosting(i === 4 ? 3 : 2) + 0.5);
    const median = hosting(2) + 0.5;
    const above = days.reduce((s, d) => s + Math.max(0, d - median), 0);
    const period = median * 31 + (above * 31) / 10;
    const search = budgetOf(doc, 'search-prod').limits;
    expect(search.spendPerPeriod).toBe(ceilSignificant(period * 1.2));
    expectCap(search.spendPerPeriod, period);
    const per1k = ((hosting(2) * 9 + hosting(3)) / 1_000_000) * 1000;
    expect(search.costPer1kInferences).toBe(ceilSignificant(per1k * 1.2));
    expectCap(search.latencyP99Ms, (9 * 50 + 80) / 10);
    expect(search.maxInstances).toBe(Math.ceil(3 * 1.2));
    expect(search.utilization).toEqual({ min: 0.32 });
  });

  it('leaves out what was not measured and says why, never a cap from zero', () => {
    const solo = budgetOf(doc, 'solo').limits;
    expect(Object.keys(solo)).toEqual(['spendPerPeriod']);
    expectCap(solo.spendPerPeriod, 2.76 * 31);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('# left out: latencyP99Ms: no ModelLatency p99 datapoints for solo');
    expect(text).toContain(
      '# measured 2026-03-01..2026-03-10 (10 days): median day $10.29, peak day $15.19 (2026-03-05)',
    );
  });

  it('never overwrites an existing file without --force, and replaces it with --force', () => {
    const path = join(dir, 'existing.yaml');
    writeFileSync(path, 'keep me\n');
    const args = ['init', '--costs', join(FIXTURE, 'costs.focus.csv'), '--days', '10', '--out', path];
    const refused = cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `perf-budgets: init: --out ${path} exists; give --force to replace it`,
    ]);
    expect(readFileSync(path, 'utf8')).toBe('keep me\n');
    const forced = cli([...args, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('name: search-prod');
  });

  it('prints the file without --out', () => {
    const r = cli(['init', '--costs', join(FIXTURE, 'costs.focus.csv'), '--days', '10', '--headroom', '0']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout).budgets.find((b: Written['budgets'][number]) => b.name === 'solo').limits).toEqual(
      {
        spendPerPeriod: 86,
      },
    );
  });

  it.each([
    [['init'], 'give one of --aws, --costs FILE... or --demo'],
    [['init', '--demo', '--aws'], 'give one of --aws, --costs FILE... or --demo'],
    [['init', '--demo', '--days', '0'], '--days: expected a whole number from 1 to 366, got "0"'],
    [['init', '--demo', '--headroom', 'lots'], '--headroom: expected a number from 0 to 500, got "lots"'],
    [['init', '--demo', '--metrics', 'm.csv'], '--metrics goes with --costs'],
  ])('refuses %j with one line and exit 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});

/** A CSV line's fields, quotes undone: enough for the demo's FOCUS file, independently of the project's parser. */
function fields(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g))
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ''));
  return out;
}

describe('perf-budgets init on the demo account', () => {
  let doc: Written;
  let out: string;
  beforeAll(() => {
    out = join(mkdtempSync(join(tmpdir(), 'pb-init-demo-')), 'budgets.yaml');
    const r = cli(['init', '--demo', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    doc = parse(readFileSync(out, 'utf8'));
  });

  it('writes one budget per team and environment that validate accepts', () => {
    expect(cli(['validate', out]).code).toBe(0);
    expect(doc.budgets.map((b) => b.name)).toEqual([
      'chat-experiment',
      'chat-prod',
      'embeddings-prod',
      'fraud-prod',
      'ranking-prod',
      'search-prod',
    ]);
  });

  it("caps each group's spend at its measured days plus the headroom", () => {
    // the demo's rows by team and env, summed by day over the 30 days to 2026-10-15, from the file itself
    const lines = readFileSync(DEMO_COSTS, 'utf8').trim().split('\n');
    const header = fields(lines[0] as string);
    const col = (name: string) => header.indexOf(name);
    const byGroup = new Map<string, Map<string, number>>();
    for (const line of lines.slice(1)) {
      const f = fields(line);
      const day = (f[col('ChargePeriodStart')] as string).slice(0, 10);
      if (day < '2026-09-16' || day > '2026-10-15' || !f[col('Tags')]) continue;
      const tags = JSON.parse(f[col('Tags')] as string);
      const key = `${tags['user:team']}-${tags['user:env']}`;
      const days = byGroup.get(key) ?? new Map<string, number>();
      days.set(day, (days.get(day) ?? 0) + Number(f[col('BilledCost')]));
      byGroup.set(key, days);
    }
    for (const [name, days] of [...byGroup].filter(([k]) => k !== 'chat-experiment')) {
      const values = [...days.values()].sort((a, b) => a - b);
      expect(values).toHaveLength(30);
      const median = ((values[14] as number) + (values[15] as number)) / 2;
      const above = values.reduce((s, d) => s + Math.max(0, d - median), 0);
      const measured = median * 31 + (above * 31) / 30;
      expectCap(budgetOf(doc, name).limits.spendPerPeriod, measured);
      // never below a period at the measured mean
      expect(budgetOf(doc, name).limits.spendPerPeriod).toBeGreaterThanOrEqual(
        (values.reduce((s, d) => s + d, 0) / 30) * 31,
      );
    }
  });
});
