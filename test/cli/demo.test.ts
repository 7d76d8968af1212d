import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { parseMoney, toNumber } from '../../lambdas/core/money.ts';
import { cli, ROOT } from '../helpers/cli.ts';

interface Truth {
  asOf: string;
  truth: {
    incidents: { budget: string; endpoint: string; expectedFinding: string; causePrimary: string | null }[];
    statuses: Record<string, string>;
    monthTotals: Record<string, string>;
  };
}
const manifest = JSON.parse(readFileSync(resolve(ROOT, 'examples/demo/demo.json'), 'utf8')) as Truth;

describe('perf-budgets run --demo', () => {
  let dir: string;
  let json: CycleResult;
  let first: ReturnType<typeof cli>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-demo-'));
    first = cli([
      'run',
      '--demo',
      '--out',
      join(dir, 'out'),
      '--state',
      join(dir, 'state'),
      '--format',
      'json',
    ]);
    json = JSON.parse(first.stdout) as CycleResult;
  });

  it('exits 0 and writes cycle.json and summary.md', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, 'out/cycle.json'), 'utf8'));
    expect(written).toEqual(json);
    expect(readFileSync(join(dir, 'out/summary.md'), 'utf8')).toMatch(
      /^# Inference budgets as of 2026-10-15/,
    );
  });

  it('prints the JSON contract', () => {
    expect(json.asOf).toBe(manifest.asOf);
    expect(json.period).toEqual({ start: '2026-10-01', end: '2026-11-01' });
    for (const b of json.budgets) {
      expect(Object.keys(b)).toEqual(
        expect.arrayContaining(['name', 'status', 'cap', 'spendToDate', 'forecast', 'endpoints', 'findings']),
      );
      for (const e of b.endpoints) {
        expect(Object.keys(e)).toEqual(
          expect.arrayContaining([
            'name',
            'spendToDate',
            'invocations',
            'costPer1k',
            'latencyP99Ms',
            'utilization',
          ]),
        );
      }
    }
  });

  it('gives every budget the status the simulated scenario calls for', () => {
    const statuses = Object.fromEntries(json.budgets.map((b) => [b.name, b.status]));
    expect(statuses).toEqual(manifest.truth.statuses);
  });

  it('reports every incident as a finding with the right cause', () => {
    for (const inc of manifest.truth.incidents) {
      const b = json.budgets.find((x) => x.name === inc.budget);
      const f = b?.findings.find(
        (x) => x.kind === inc.expectedFinding && (x.endpoint ?? inc.endpoint) === inc.endpoint,
      );
      expect(f, `${inc.budget}: ${inc.expectedFinding}`).toBeDefined();
      if (inc.causePrimary)
        expect(f?.cause?.primary, `${inc.budget}: ${inc.expectedFinding}`).toBe(inc.causePrimary);
    }
  });

  it('forecasts each budget at mid-month within 10% of the month it turned out to be', () => {
    for (const [name, total] of Object.entries(manifest.truth.monthTotals)) {
      const actual = toNumber(parseMoney(total) as bigint);
      const b = json.budgets.find((x) => x.name === name);
      const error = Math.abs((b?.forecast.expected ?? 0) - actual) / actual;
      expect(error, `${name}: forecast ${b?.forecast.expected} vs ${actual}`).toBeLessThan(0.1);
      expect(b?.forecast.low).toBeLessThanOrEqual(b?.forecast.expected ?? 0);
      expect(b?.forecast.high).toBeGreaterThanOrEqual(b?.forecast.expected ?? 0);
    }
  });

  it('gives every spend finding a cause in dollars and at least one action with a saving', () => {
    const spend = json.budgets.flatMap((b) => b.findings.filter((f) => f.kind.startsWith('spend-')));
    expect(spend.length).toBeGreaterThan(0);
    for (const f of spend) {
      expect(f.cause?.summary).toMatch(/\$[\d,]+\.\d\d/);
      expect(f.actions.some((a) => a.estimatedSavings > 0)).toBe(true);
    }
  });

  it('sends no alert twice when the same cycle runs again', () => {
    const again = cli(['run', '--demo', '--state', join(dir, 'state')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /\nAlerts: 0 opened, 0 escalated, 0 resolved; [1-9]\d* unchanged since last sent\.\n/,
    );
  });

  it('gates a deploy: --fail-on breach exits 1 when a budget is breached', () => {
    const r = cli(['run', '--demo', '--no-state', '--fail-on', 'breach']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BREACHED/m);
  });

  it('fails --fail-on breach before any breach only on the budget whose spend is unknown', () => {
    // as of October 3 nothing has crossed a limit yet, but the canary's endpoint has no charge yet: its selector
    // takes nothing, which is unknown spend (a typo in a selector reads the same), not a pass
    const r = cli([
      'run',
      '--demo',
      '--no-state',
      '--as-of',
      '2026-10-03',
      '--fail-on',
      'breach',
      '--format',
      'json',
    ]);
    const doc = JSON.parse(r.stdout) as CycleResult;
    expect(doc.budgets.every((b) => b.status !== 'breached')).toBe(true);
    expect(doc.budgets.filter((b) => b.status === 'unknown').map((b) => b.name)).toEqual(['exp-llm-canary']);
    expect(r.code).toBe(1);
  });

  it('prints the worst budget first in the text output', () => {
    const text = cli(['run', '--demo', '--no-state']).stdout;
    const lines = text.split('\n').filter((l) => /^(BREACHED|AT RISK|OK)\s/.test(l));
    expect(lines[0]).toMatch(/^BREACHED/);
    expect(lines.at(-1)).toMatch(/^OK\s+fraud-prod/);
    expect(existsSync(join(ROOT, '.perf-budgets-should-not-exist'))).toBe(false);
  });
});

describe('perf-budgets plan --demo', () => {
  const actionsOf = (args: readonly string[]) => {
    const r = cli(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as NonNullable<CycleResult['actions']>;
  };

  it('shows what the enforce tier would change and why every other change is held, writing nothing', () => {
    const state = mkdtempSync(join(tmpdir(), 'pb-plan-'));
    const actions = actionsOf(['plan', '--demo', '--state', state, '--format', 'json']);
    expect(existsSync(join(state, 'ledger.db'))).toBe(false);
    const byEndpoint = new Map(actions.map((a) => [a.resource.endpoint, a]));
    // the canary experiment (enforce, opted in) is past its exit criteria: scaled to its floor, never deleted
    const canary = byEndpoint.get('exp-llm-canary');
    expect(canary?.kind).toBe('experiment-floor');
    expect(canary?.after.target?.max).toBeLessThan(2);
    expect(canary?.reason).toMatch(/^dry-run: .*would be made/);
    // chat-prod (approve tier, opted in) would wait for an approver on the account; a plan puts nothing to one
    expect(byEndpoint.get('chat-prod')?.status).toBe('skipped');
    expect(byEndpoint.get('chat-prod')?.reason).toMatch(/^dry-run: .*would wait for an approver, and is not/);
    expect(byEndpoint.get('search-prod')?.reason).toMatch(/^not-managed: /);
    expect(byEndpoint.get('embed-prod')?.reason).toMatch(/^model-latency: /);
    for (const a of actions) expect(a.status).not.toBe('applied');
  });

  it('holds the same plan as local-run in a run on the files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-run-'));
    const r = cli(['run', '--demo', '--no-state', '--format', 'json', '--out', join(dir, 'out')]);
    const canary = (JSON.parse(r.stdout) as CycleResult).actions?.find(
      (a) => a.resource.endpoint === 'exp-llm-canary',
    );
    expect(canary?.reason).toMatch(/^local-run: /);
  });
});
