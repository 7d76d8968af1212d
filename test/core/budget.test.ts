import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { effectiveLimits, endpointLimits, globToRegExp, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { problemsAfter } from '../helpers/budget-problems.ts';

const valid = `
version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
costMetric: billed
tiers:
  production: { mode: approve }
  experiment: { mode: enforce, exitCriteria: { maxDays: 14, maxCostPer1kInferences: 0.5 } }
budgets:
  - name: search-prod
    owner: search-team@example.com
    tier: production
    environment: prod
    selector:
      endpoints: ["search-*"]
      tags: { team: search }
    limits:
      spendPerPeriod: 12000
      costPer1kInferences: 0.04
      latencyP99Ms: 120
      errorRate: 0.01
      utilization: { min: 0.3, max: 0.85 }
      maxInstances: 8
    alertAt: [0.5, 0.8, 1.0]
    exceptions:
      - { reason: "Launch week", approvedBy: cfo@example.com, expires: 2026-12-31, limits: { spendPerPeriod: 15000 } }
      - { reason: "Canary", approvedBy: cto@example.com, expires: 2026-12-31, endpoints: ["search-canary"], limits: { latencyP99Ms: 300 } }
`;

// biome-ignore lint/suspicious/noExplicitAny: the tests break arbitrary paths of a parsed YAML document
const problems = (mutate: (doc: any) => void) => problemsAfter(valid, mutate);

describe('budget file schema', () => {
  it('accepts the documented example, YAML dates included', () => {
    const r = parseBudgetFile(parse(valid));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.file.budgets[0]?.exceptions[0]?.expires).toBe('2026-12-31');
  });

  it('names the path of a wrongly typed limit', () => {
    expect(problems((d) => (d.budgets[0].limits.latencyP99Ms = 'fast'))).toEqual([
      expect.stringMatching(/^budgets\[0\]\.limits\.latencyP99Ms: .*number/),
    ]);
  });

  it('rejects unknown keys, so a typo does not silently drop a limit', () => {
    expect(problems((d) => (d.budgets[0].limits.latencyP99 = 100))).toEqual([
      expect.stringMatching(/^budgets\[0\]\.limits: .*latencyP99/),
    ]);
  });

  it('rejects a budget in a tier that does not exist', () => {
    expect(problems((d) => (d.budgets[0].tier = 'prod'))).toEqual([
      'budgets[0].tier: unknown tier "prod"; expected one of: production, experiment',
    ]);
  });

  it('rejects an unknown mode, a bad time zone, an inverted utilisation band and a bad expiry', () => {
    const ps = problems((d) => {
      d.tiers.production.mode = 'auto';
      d.billingPeriod.timezone = 'Mars/Olympus';
      d.budgets[0].limits.utilization = { min: 0.9, max: 0.5 };
      d.budgets[0].exceptions[0].expires = '31/12/2026';
    });
    expect(ps.join('\n')).toMatch(/tiers\.production\.mode/);
    expect(ps.join('\n')).toMatch(/billingPeriod\.timezone: an IANA time zone/);
    expect(ps.join('\n')).toMatch(/budgets\[0\]\.limits\.utilization: utilization\.min must be below/);
    expect(ps.join('\n')).toMatch(/budgets\[0\]\.exceptions\[0\]\.expires: expected a day as YYYY-MM-DD/);
  });

  it('rejects duplicate budget names and empty selectors', () => {
    const ps = problems((d) => {
      d.budgets.push({ ...d.budgets[0], selector: {} });
    });
    expect(ps).toContain('budgets[1].selector: a selector needs endpoint globs or tags');
    expect(ps).toContain('budgets[1].name: duplicate budget name "search-prod"');
  });

  it('applies exceptions in force, through their expiry day, and drops expired ones', () => {
    const r = parseBudgetFile(parse(valid));
    if (!r.ok) throw new Error('invalid');
    const b = r.file.budgets[0];
    if (!b) throw new Error('no budget');
    expect(effectiveLimits(b, '2026-12-31').spendPerPeriod).toBe(15000);
    expect(effectiveLimits(b, '2027-01-01').spendPerPeriod).toBe(12000);
    expect(endpointLimits(b, 'search-canary', '2026-12-01').latencyP99Ms).toBe(300);
    expect(endpointLimits(b, 'search-main', '2026-12-01').latencyP99Ms).toBe(120);
  });
});

describe('budget file: cost source', () => {
  it('defaults to Cost Explorer and asks a FOCUS export for its bucket', () => {
    const base = parse(valid);
    const r = parseBudgetFile(base);
    expect(r.ok && r.file.costSource).toBe('cost-explorer');
    const bad = parseBudgetFile({ ...base, costSource: 'focus-export' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      { path: 'focusExport', message: 'costSource focus-export needs focusExport: { bucket, prefix }' },
    ]);
    const good = parseBudgetFile({
      ...base,
      costSource: 'focus-export',
      focusExport: { bucket: 'cur-exports-1' },
    });
    expect(good.ok && good.file.focusExport).toEqual({ bucket: 'cur-exports-1', prefix: '' });
  });

  it('asks Athena for its table, defaults the workgroup, and refuses a scan limit Athena would refuse', () => {
    const base = parse(valid);
    const bad = parseBudgetFile({ ...base, costSource: 'athena' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      { path: 'athena', message: 'costSource athena needs athena: { database, table, workgroup }' },
    ]);
    const good = parseBudgetFile({
      ...base,
      costSource: 'athena',
      athena: { database: 'billing', table: 'focus_1_0', create: { bucket: 'cur-exports-1' } },
    });
    expect(good.ok && good.file.athena).toEqual({
      database: 'billing',
      table: 'focus_1_0',
      workgroup: 'primary',
      create: { bucket: 'cur-exports-1', prefix: '' },
    });
    const athena = {
      database: 'billing',
      table: 'Focus',
      bytesScannedLimit: 9_999_999,
      outputLocation: 'bucket/x',
    };
    const refused = parseBudgetFile({ ...base, costSource: 'athena', athena });
    expect(refused.ok ? [] : refused.problems.map((p) => p.path)).toEqual([
      'athena.table',
      'athena.outputLocation',
      'athena.bytesScannedLimit',
    ]);
  });
});

describe('endpoint globs', () => {
  it('match * as any run, ? as one character, and everything else as itself', () => {
    const g = (glob: string) => globToRegExp(glob);
    expect(g('search-*').test('search-prod')).toBe(true);
    expect(g('search-*').test('search-')).toBe(true);
    expect(g('search-*').test('xsearch-prod')).toBe(false);
    expect(g('*-prod').test('chat-prod')).toBe(true);
    expect(g('*-prod').test('chat-prod-2')).toBe(false);
    expect(g('a?c').test('abc')).toBe(true);
    expect(g('a?c').test('ac')).toBe(false);
    expect(g('*a*b*c').test('xxaybzzc')).toBe(true);
    expect(g('*a*b*c').test('xxaybzzcd')).toBe(false);
    expect(g('ml.g5.*').test('mlxg5xlarge')).toBe(false);
    expect(g('a+(b)[c]$').test('a+(b)[c]$')).toBe(true);
    expect(g('*').test('')).toBe(true);
    expect(g('').test('a')).toBe(false);
  });

  it('take time linear in the name however many stars the glob repeats', () => {
    const started = performance.now();
    // as regular expressions these two took seconds: the first about C(36, 10) steps
    expect(globToRegExp(`${'*'.repeat(10)}x`).test('a'.repeat(26))).toBe(false);
    expect(globToRegExp(`${'*a'.repeat(8)}*b`).test('a'.repeat(50))).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
