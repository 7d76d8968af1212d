import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReportModel } from '../../lambdas/report/model.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const DEMO = join(ROOT, 'examples/demo');
const demoBudgets = join(DEMO, 'budgets.yaml');
const demoCosts = join(DEMO, 'data/costs.focus.csv');
const demoMetrics = join(DEMO, 'data/metrics.csv');

describe('perf-budgets report', () => {
  let out: string;
  let first: ReturnType<typeof cli>;

  beforeAll(() => {
    out = join(mkdtempSync(join(tmpdir(), 'pb-report-')), 'out');
    first = cli(['report', '--demo', '--out', out]);
  });

  it('writes report.html, report.md and report.json and says where', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      '.perf-budgets-out.json',
      'report.html',
      'report.json',
      'report.md',
    ]);
    expect(first.stdout).toBe(
      `Wrote ${join(out, 'report.html')}, ${join(out, 'report.md')}, ${join(out, 'report.json')}.\n`,
    );
  });

  it('reports the demo’s as-of and every budget, the JSON being the report model', () => {
    const model = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportModel;
    expect(model.version).toBe(1);
    expect(model.asOf).toBe('2026-10-15');
    expect(model.budgets.map((b) => b.name).sort()).toEqual([
      'chat-prod',
      'embed-prod',
      'exp-llm-canary',
      'fraud-prod',
      'rank-prod',
      'search-prod',
    ]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/<figure class="chart">/g)?.length).toBeGreaterThanOrEqual(6 + 2 * 7);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /^# Inference budgets: 2026-10-01 to 2026-10-31/,
    );
  });

  it('gives the same files from explicit inputs as from --demo, and touches no ledger', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-report-'));
    const r = cli(
      [
        'report',
        '--budgets',
        demoBudgets,
        '--costs',
        demoCosts,
        '--metrics',
        demoMetrics,
        '--as-of',
        '2026-10-15',
        '--out',
        join(dir, 'out'),
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    for (const f of ['report.html', 'report.md', 'report.json']) {
      expect(readFileSync(join(dir, 'out', f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
    }
    expect(existsSync(join(dir, '.perf-budgets'))).toBe(false);
  });
});

describe('perf-budgets report: bad input', () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-report-bad-'));
    out = join(dir, 'out');
  });

  function expectBadInput(args: string[], pattern: RegExp) {
    const r = cli(['report', ...args], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(out), 'nothing written to --out').toBe(false);
  }

  it('a budget file with a wrongly typed limit names the path in it', () => {
    const bad = join(dir, 'budgets.yaml');
    writeFileSync(bad, readFileSync(demoBudgets, 'utf8').replace('latencyP99Ms: 120', 'latencyP99Ms: fast'));
    expectBadInput(
      ['--budgets', bad, '--costs', demoCosts, '--metrics', demoMetrics, '--out', out],
      /budgets\.yaml.*latencyP99Ms/,
    );
  });

  it('an as-of outside the cost data says which days the data covers', () => {
    expectBadInput(
      ['--demo', '--as-of', '2027-01-01', '--out', out],
      /^perf-budgets: --as-of 2027-01-01 is outside the cost data \(2026-09-01 to 2026-10-31\)/,
    );
  });

  it('a missing cost file is named', () => {
    expectBadInput(['--budgets', demoBudgets, '--costs', join(dir, 'nope.csv'), '--out', out], /nope\.csv/);
  });

  it('without --out it says the option is required', () => {
    expectBadInput(['--demo'], /required option '--out <dir>'/);
  });

  it('without --budgets it asks for one', () => {
    expectBadInput(['--costs', demoCosts, '--out', out], /^perf-budgets: report: --budgets FILE is required/);
  });
});
