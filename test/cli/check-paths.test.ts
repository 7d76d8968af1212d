import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '../../lambdas/core/money.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { type CliResult, cliAsync, ROOT } from '../helpers/cli.ts';
import { AS_OF, BUDGETS_YAML, budgetOf, lineItems, spendFrom } from '../helpers/paths-account.ts';
import { pathsAccountEnv, pathsAccountHandlers } from '../helpers/paths-aws.ts';
import { focusCsv, metricsCsv } from '../helpers/paths-files.ts';
import { PAGE_PRICES } from '../helpers/price-sources.ts';

/**
 * One account's history through each path of `check`: the loopback account of test/helpers/paths-account.ts as FOCUS
 * and metrics files, as a live account, and as the ledger a file cycle leaves. The change
 * (test/fixtures/templates/paths-change.yaml) lowers recs-prod's autoscaling minimum from 4 to 1, keeps chat-prod as
 * it runs and adds labs-next; the base is the same template with the minimum at 4 and without labs-next.
 */
interface Json {
  asOf: string;
  restHours: number;
  budgets: {
    budget: string;
    verdict: string;
    spendToDate: number | null;
    forecast: number | null;
    projected: { min: number; expected: number; max: number } | null;
    added: { min: number; expected: number; max: number } | null;
    problems: string[];
  }[];
  endpoints: { key: string; change: string; added: { expected: number } | null; restOfPeriod: unknown }[];
}

const CHANGE = join(ROOT, 'test/fixtures/templates/paths-change.yaml');
const REST_HOURS = 16 * 24;
const OCTOBER = Date.parse('2026-10-01T00:00:00Z');

describe('perf-budgets check with the history of one account through files, the live account and the ledger', () => {
  let server: AwsTestServer;
  const runs = new Map<string, CliResult>();
  const out = (path: string): Json => {
    const r = runs.get(path);
    if (r?.code !== 0 && r?.code !== 1) throw new Error(`${path}: ${r?.stderr}`);
    return JSON.parse(r.stdout) as Json;
  };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-check-paths-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const budgets = file('budgets.yaml', BUDGETS_YAML);
    const costs = file('aws.focus.csv', focusCsv({ awsColumns: true }));
    const metrics = file('metrics.csv', metricsCsv());
    const base = file(
      'base.yaml',
      readFileSync(CHANGE, 'utf8')
        .replace('MinCapacity: 1', 'MinCapacity: 4')
        .replace(/ {2}LabsConfig:[\s\S]*$/, ''),
    );
    const state = join(dir, 'state');
    const common = ['--budgets', budgets, '--as-of', AS_OF, '--format', 'json'];
    server = await startAwsServer(pathsAccountHandlers());
    const cycle = await cliAsync([
      'run',
      ...common,
      '--costs',
      costs,
      '--metrics',
      metrics,
      '--state',
      state,
    ]);
    if (cycle.code !== 0) throw new Error(cycle.stderr);
    const check = ['check', CHANGE, ...common, '--region', 'us-east-1'];
    const [files, live, ledger, ledgerBase] = await Promise.all([
      cliAsync([...check, '--costs', costs, '--metrics', metrics]),
      cliAsync([...check, '--aws'], pathsAccountEnv(server.url)),
      cliAsync([...check, '--state', state]),
      cliAsync([...check, '--state', state, '--base', base]),
    ]);
    runs.set('files', files);
    runs.set('live', live);
    runs.set('ledger', ledger);
    runs.set('ledger with base', ledgerBase);
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('judges the same budgets with the same figures from the cost files and from the live account', () => {
    const files = out('files');
    expect(files.budgets.map((b) => b.budget)).toEqual(['chat', 'labs', 'recs']);
    expect(out('live').budgets).toEqual(files.budgets);
    expect(out('live').endpoints).toEqual(files.endpoints);
  });

  it('takes each budget’s spend to date as the account spent it', () => {
    const truth = spendFrom(OCTOBER).budgets;
    for (const b of out('files').budgets)
      expect(b.spendToDate, b.budget).toBe(Number(formatMoney(truth.get(b.budget) ?? 0n, 2)));
  });

  it('adds a new endpoint’s whole cost and nothing for one that runs as measured', () => {
    const files = out('files');
    const labs = files.endpoints.find((e) => e.key === 'labs-next');
    expect(labs?.change).toBe('new');
    expect(labs?.added?.expected).toBe(
      Math.round(Number(PAGE_PRICES['ml.g5.xlarge']) * REST_HOURS * 100) / 100,
    );
    const labsBudget = files.budgets.find((b) => b.budget === 'labs');
    expect(labsBudget?.projected?.expected).toBeCloseTo(
      (labsBudget?.forecast ?? 0) + (labs?.added?.expected ?? 0),
      1,
    );
    // chat-prod runs two ml.g5.12xlarge as the template says: what it adds is the template against its measured spend
    const chat = files.endpoints.find((e) => e.key === 'chat-prod');
    expect(chat?.change).toBe('changed');
    expect(Math.abs(chat?.added?.expected ?? Number.NaN)).toBeLessThan(
      Number(PAGE_PRICES['ml.g5.12xlarge']) * 2 * REST_HOURS * 0.1,
    );
  });

  it('from the ledger takes the same spend to date, and says what it cannot tell without --base', () => {
    const files = out('files');
    const ledger = out('ledger');
    // the ledger closes a day once its costs have settled (three days): it judges as of its last closed day
    expect(ledger.asOf).toBe('2026-10-12');
    const through = Date.parse('2026-10-13T00:00:00Z');
    for (const b of ledger.budgets) {
      const truth = lineItems()
        .filter((i) => i.startMs >= OCTOBER && i.startMs < through && budgetOf(i) === b.budget)
        .reduce((s, i) => s + i.amount, 0n);
      expect(b.spendToDate, b.budget).toBe(Number(formatMoney(truth, 2)));
    }
    expect(files.budgets.length).toBe(ledger.budgets.length);
    // a file cycle records no inventory: what recs-prod spends as deployed is unknown, not zero
    const recs = ledger.budgets.find((b) => b.budget === 'recs');
    expect(recs?.verdict).toBe('unknown');
    expect(recs?.problems.join(' ')).toContain('recs-prod: the ledger');
    expect(runs.get('ledger')?.code).toBe(1);
  });

  it('from the ledger with --base prices the difference: recs-prod’s minimum from 4 to 1 saves three instances at most', () => {
    const r = out('ledger with base');
    const recs = r.budgets.find((b) => b.budget === 'recs');
    // the rest of the period runs from the ledger's last closed day (2026-10-12): 19 days
    expect(r.restHours).toBe(19 * 24);
    const three = Math.round(Number(PAGE_PRICES['ml.c5.xlarge']) * 3 * r.restHours * 100) / 100;
    expect(recs?.added?.min).toBe(-three);
    expect(recs?.verdict).not.toBe('unknown');
  });
});
