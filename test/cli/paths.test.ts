import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetResult, CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { displayMoney } from '../../lambdas/core/money.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { type CliResult, cliAsync } from '../helpers/cli.ts';
import { AS_OF, BUDGETS_YAML, endpointTruth, shownMoney, spendFrom } from '../helpers/paths-account.ts';
import { pathsAccountEnv, pathsAccountHandlers } from '../helpers/paths-aws.ts';
import { focusCsv, metricsCsv } from '../helpers/paths-files.ts';

/**
 * One account (test/helpers/paths-account.ts) through every path a user has: its FOCUS bill with AWS's `x_`
 * columns, the same bill without them, and the live account behind Cost Explorer, CloudWatch, SageMaker,
 * Application Auto Scaling and CloudTrail. It holds a new endpoint, an instance-type change, idle capacity, traffic
 * growth, budgets selected by two tags, and an endpoint that matches a budget's globs but lacks its tag. Every path
 * must give the bill's spend to the cent, and the same statuses, causes and findings.
 */
const OCTOBER = Date.parse('2026-10-01T00:00:00Z');
const PATHS = ['focus', 'focus without x_ columns', 'live'] as const;
type Path = (typeof PATHS)[number];
const BUDGETS = ['search', 'chat', 'labs', 'recs'] as const;
/** What each budget's change in spend is, by construction of the account. */
const DRIVER: Readonly<Record<(typeof BUDGETS)[number], string>> = {
  search: 'traffic',
  chat: 'instance-change',
  labs: 'new-endpoint',
  recs: 'idle-capacity',
};

const runs = new Map<Path, CliResult>();
const docs = new Map<Path, CycleResult>();

function budget(path: Path, name: string): BudgetResult {
  const b = docs.get(path)?.budgets.find((x) => x.name === name);
  if (!b) throw new Error(`${path}: no budget ${name}`);
  return b;
}

/** Every object in the document with a `kind` of `unbudgeted-spend`, wherever the result puts it. */
function unbudgetedFindings(doc: unknown): { message?: string }[] {
  const out: { message?: string }[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) for (const y of x) walk(y);
    else if (x && typeof x === 'object') {
      if ((x as { kind?: unknown }).kind === 'unbudgeted-spend') out.push(x as { message?: string });
      for (const y of Object.values(x)) walk(y);
    }
  };
  walk(doc);
  return out;
}

describe('one account through the file path and the live path', () => {
  let server: AwsTestServer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-paths-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const budgets = file('budgets.yaml', BUDGETS_YAML);
    const metrics = file('metrics.csv', metricsCsv());
    const common = ['--budgets', budgets, '--as-of', AS_OF, '--no-state', '--format', 'json'];
    server = await startAwsServer(pathsAccountHandlers());
    const [focus, plain, live] = await Promise.all([
      cliAsync([
        'run',
        ...common,
        '--costs',
        file('aws.focus.csv', focusCsv({ awsColumns: true })),
        '--metrics',
        metrics,
      ]),
      cliAsync([
        'run',
        ...common,
        '--costs',
        file('plain.focus.csv', focusCsv({ awsColumns: false })),
        '--metrics',
        metrics,
      ]),
      cliAsync(['run', '--aws', ...common], pathsAccountEnv(server.url)),
    ]);
    for (const [path, r] of [
      ['focus', focus],
      ['focus without x_ columns', plain],
      ['live', live],
    ] as const) {
      runs.set(path, r);
      if (r.code === 0) docs.set(path, JSON.parse(r.stdout) as CycleResult);
    }
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  it.each(PATHS)('runs the cycle on the %s path', (path) => {
    const r = runs.get(path);
    expect(r?.code, r?.stderr).toBe(0);
  });

  it.each(PATHS)("gives every budget the bill's spend to date, to the cent, on the %s path", (path) => {
    const truth = spendFrom(OCTOBER).budgets;
    const got = Object.fromEntries(BUDGETS.map((b) => [b, budget(path, b).spendToDate]));
    const want = Object.fromEntries(BUDGETS.map((b) => [b, Number(shownMoney(truth.get(b) ?? 0n))]));
    expect(got).toEqual(want);
  });

  it.each(PATHS)(
    'knows the type, peak instances and spend of every budgeted endpoint on the %s path',
    (path) => {
      const truth = [...endpointTruth(OCTOBER)].filter(([, t]) => t.budget !== undefined);
      const got = Object.fromEntries(
        truth.map(([name, t]) => {
          const e = budget(path, t.budget as string).endpoints.find((x) => x.name === name);
          return [name, e && [e.instanceType, e.peakInstances, e.spendToDate]];
        }),
      );
      const want = Object.fromEntries(
        truth.map(([name, t]) => [name, [t.instanceType, t.peakInstances, Number(shownMoney(t.spend))]]),
      );
      expect(got).toEqual(want);
    },
  );

  it('gives every budget the same status on every path', () => {
    const statuses = (path: Path) => Object.fromEntries(BUDGETS.map((b) => [b, budget(path, b).status]));
    // search runs 5 instances against a ceiling of 4, chat is over its cap, labs is forecast over it, recs idles
    expect(statuses('focus')).toEqual({
      search: 'breached',
      chat: 'breached',
      labs: 'at-risk',
      recs: 'breached',
    });
    expect(statuses('focus without x_ columns')).toEqual(statuses('focus'));
    expect(statuses('live')).toEqual(statuses('focus'));
  });

  it.each(PATHS)(
    'names the driver each budget was built with as its primary cause on the %s path',
    (path) => {
      const primaries = Object.fromEntries(BUDGETS.map((b) => [b, budget(path, b).cause?.primary]));
      expect(primaries).toEqual(DRIVER);
    },
  );

  it.each(PATHS.slice(1))('splits every change into the same parts, to the cent, on the %s path', (path) => {
    for (const name of BUDGETS) {
      const want = budget('focus', name).cause;
      const got = budget(path, name).cause;
      if (!want) throw new Error(`focus: no cause for ${name}`);
      expect(got?.change, name).toBeCloseTo(want.change, 2);
      type Split = Readonly<Record<string, number>> | undefined;
      const parts = (c: typeof got): [string, Split][] => [
        ['budget', c?.parts],
        ...(c?.endpoints ?? []).map((e): [string, Split] => [e.endpoint, e.parts]),
      ];
      const types = (c: typeof got) =>
        Object.fromEntries((c?.endpoints ?? []).map((e) => [e.endpoint, [e.typeBefore, e.typeAfter]]));
      expect(types(got), name).toEqual(types(want));
      const mine = new Map(parts(got));
      for (const [where, split] of parts(want)) {
        for (const [part, value] of Object.entries(split ?? {})) {
          const other = mine.get(where)?.[part];
          expect(other, `${name} ${where} ${part}`).toBeCloseTo(value, 2);
        }
      }
    }
  });

  it.each(PATHS.slice(1))('finds the same kinds of finding in every budget on the %s path', (path) => {
    const kinds = (p: Path) =>
      Object.fromEntries(
        BUDGETS.map((b) => [b, [...new Set(budget(p, b).findings.map((f) => f.kind))].sort()]),
      );
    expect(kinds(path)).toEqual(kinds('focus'));
  });

  it('finds the ceiling, the overspend, the forecast, the idle instances and the type change on the file path', () => {
    const kinds = (b: string) => budget('focus', b).findings.map((f) => f.kind);
    expect(kinds('search')).toEqual(expect.arrayContaining(['spend-forecast', 'max-instances']));
    expect(kinds('chat')).toContain('spend-breach');
    expect(kinds('labs')).toContain('spend-forecast');
    expect(kinds('recs')).toEqual(expect.arrayContaining(['spend-forecast', 'utilization-low']));
    const chat = budget('focus', 'chat').cause?.endpoints?.find((e) => e.endpoint === 'chat-prod');
    expect([chat?.typeBefore, chat?.typeAfter]).toEqual(['ml.g5.xlarge', 'ml.g5.12xlarge']);
  });

  it.each(PATHS)(
    'reports the spend of recs-shadow, which lacks the recs team tag, as unbudgeted on the %s path',
    (path) => {
      const dollars = displayMoney(endpointTruth(OCTOBER).get('recs-shadow')?.spend ?? 0n, 'USD');
      const all = unbudgetedFindings(docs.get(path));
      const found = all.filter((f) => f.message?.includes('recs-shadow') && f.message.includes(dollars));
      expect(found.length, JSON.stringify(all)).toBeGreaterThan(0);
    },
  );
});
