import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sageMakerApp } from '../../examples/sagemaker-app/app.ts';
import { type CliResult, cli, ROOT } from '../helpers/cli.ts';
import { BILL_PRICES, PAGE_PRICES } from '../helpers/price-sources.ts';

/**
 * `perf-budgets check` on the example CDK app synthesized offline (base: what is deployed; head: a pull request that
 * moves chat-prod to ml.g5.2xlarge with a maximum of 8) and on hand-written CloudFormation YAML. Every price is
 * checked against the price table's own sources in test/fixtures/prices and test/fixtures/sagemaker, not against
 * the table: December 2026 has 744 hours; as of 2026-12-05, 26 days (624 hours) are left.
 */
const root = mkdtempSync(join(tmpdir(), 'pb-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const BUDGETS = join(ROOT, 'examples/sagemaker-app/budgets.yaml');
const AS_OF = ['--as-of', '2026-12-05'];
const FULL_HOURS = 744;
const REST_HOURS = 624;

const cents = (n: number) => Math.round(n * 100) / 100;

let base: string;
let head: string;
beforeAll(() => {
  base = join(root, 'base');
  head = join(root, 'head');
  sageMakerApp({ outdir: base, revision: 'base' }).synth();
  sageMakerApp({ outdir: head, revision: 'head' }).synth();
}, 120_000);

interface Json {
  pass: boolean;
  budgets: {
    budget: string;
    verdict: string;
    gap: number | null;
    projected: { expected: number; max: number } | null;
    added: { expected: number } | null;
    exceptions: { reason: string }[];
    problems: string[];
  }[];
  endpoints: {
    key: string;
    change: string;
    region: string | null;
    restOfPeriod: { min: number; expected: number; max: number } | null;
    fullPeriod: { expected: number } | null;
    prices: { price: { amount: string; region: string; date: string } | null }[];
    variants: { instanceType?: string; min?: number; max?: number }[];
  }[];
  unpriced: { path: string; why: string }[];
}
const json = (r: CliResult): Json => JSON.parse(r.stdout) as Json;
const budget = (r: Json, name: string) => r.budgets.find((b) => b.budget === name);

function budgetsWith(exception: { expires: string; cap: number }): string {
  const doc = parse(readFileSync(BUDGETS, 'utf8'));
  doc.budgets[0].exceptions = [
    {
      reason: 'Chat launch: the bigger instance for the holiday peak',
      approvedBy: 'vp-engineering@example.com',
      expires: exception.expires,
      limits: { spendPerPeriod: exception.cap },
    },
  ];
  const path = join(root, `budgets-${exception.expires}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('perf-budgets check on a synthesized CDK app', () => {
  it('exits 1 for a change over its budget, naming the budget and the dollar gap at the table’s prices', () => {
    const r = cli(['check', head, '--budgets', BUDGETS, ...AS_OF]);
    expect(r.code, r.stderr).toBe(1);
    // chat-prod at its minimum of one ml.g5.2xlarge for December: the cap is $1,100
    const expected = cents(Number(PAGE_PRICES['ml.g5.2xlarge']) * FULL_HOURS);
    expect(r.stdout).toContain(
      `chat-prod: OVER by $${(expected - 1100).toFixed(2)}: expected $${expected.toLocaleString('en-US', { minimumFractionDigits: 2 })} for the period`,
    );
    expect(r.stdout).toMatch(/^perf-budgets check: FAIL: 1 budget over/);
  });

  it('prices every endpoint at its region’s price from the table’s sources, and names what it cannot price', () => {
    const r = json(cli(['check', head, '--budgets', BUDGETS, ...AS_OF, '--format', 'json']));
    const byKey = Object.fromEntries(r.endpoints.map((e) => [e.key, e]));
    for (const key of ['chat-prod', 'llm-prod', 'transcribe-prod', 'chat-staging']) {
      const e = byKey[key];
      const type = e?.variants[0]?.instanceType as string;
      const source = e?.region === 'eu-west-1' ? BILL_PRICES : PAGE_PRICES;
      expect(Number(e?.prices[0]?.price?.amount), key).toBe(Number(source[type]));
      expect(e?.restOfPeriod?.min, key).toBe(
        cents(Number(source[type]) * (e?.variants[0]?.min ?? 0) * REST_HOURS),
      );
      expect(e?.restOfPeriod?.max, key).toBe(
        cents(Number(source[type]) * (e?.variants[0]?.max ?? 0) * REST_HOURS),
      );
    }
    expect(byKey['chat-staging']?.region).toBe('eu-west-1');
    // the serverless endpoint of the env-agnostic stack: no region, no price, never $0
    const serverless = r.endpoints.find((e) => e.key.startsWith('embed-prod/'));
    expect(serverless?.restOfPeriod).toBeNull();
    expect(r.unpriced.some((u) => u.why.includes('no region'))).toBe(true);
    const withRegion = json(
      cli(['check', head, '--budgets', BUDGETS, ...AS_OF, '--region', 'us-east-1', '--format', 'json']),
    );
    expect(withRegion.unpriced.map((u) => u.why)).toEqual([
      'no serverless inference price for us-east-1 in the price table of 2025-06-01',
    ]);
  });

  it('with --base prices only what the change adds, and an unchanged endpoint adds nothing', () => {
    const r = json(cli(['check', head, '--base', base, '--budgets', BUDGETS, ...AS_OF, '--format', 'json']));
    const chat = budget(r, 'chat-prod');
    // one instance moves from ml.g5.xlarge to ml.g5.2xlarge for the 624 hours left
    const delta = cents(
      (Number(PAGE_PRICES['ml.g5.2xlarge']) - Number(PAGE_PRICES['ml.g5.xlarge'])) * REST_HOURS,
    );
    expect(chat?.added?.expected).toBe(delta);
    expect(r.endpoints.find((e) => e.key === 'chat-prod')?.change).toBe('changed');
    expect(r.endpoints.find((e) => e.key === 'llm-prod')?.change).toBe('unchanged');
    expect(budget(r, 'llm-prod')?.added?.expected).toBe(0);
    expect(r.pass).toBe(false);
    // the base itself is within every budget
    expect(cli(['check', base, '--budgets', BUDGETS, ...AS_OF]).code).toBe(0);
  });

  it('exits 0 for a change an exception in force lets through, and names the exception; an expired one does not', () => {
    const excepted = cli([
      'check',
      head,
      '--budgets',
      budgetsWith({ expires: '2026-12-31', cap: 1200 }),
      ...AS_OF,
    ]);
    expect(excepted.code, excepted.stdout).toBe(0);
    expect(excepted.stdout).toContain(
      'chat-prod: within its exception: expected $1,127.16 for the period (max $9,017.28) against the cap of $1,200.00',
    );
    expect(excepted.stdout).toContain(
      'let through by "Chat launch: the bigger instance for the holiday peak" (approved by vp-engineering@example.com, expires 2026-12-31',
    );
    const expired = cli([
      'check',
      head,
      '--budgets',
      budgetsWith({ expires: '2026-11-30', cap: 1200 }),
      ...AS_OF,
    ]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain('would cover it but has expired');
  });

  it('writes a Markdown pull-request comment with the verdict, the budgets and the endpoints', () => {
    const r = cli(['check', head, '--base', base, '--budgets', BUDGETS, ...AS_OF, '--format', 'markdown']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('### perf-budgets check: FAIL, 1 budget over');
    expect(lines.find((l) => l.startsWith('| chat-prod | over |'))).toContain('$1,100.00');
    expect(lines.find((l) => l.startsWith('| llm-prod | unchanged |'))).toContain('ml.g5.12xlarge x 1-2');
  });
});

describe('perf-budgets check on hand-written CloudFormation', () => {
  const template = join(ROOT, 'test/fixtures/templates/unresolved-type.yaml');
  const budgets = join(root, 'rank.yaml');
  beforeAll(() => {
    writeFileSync(
      budgets,
      `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers: { production: { mode: advise } }
budgets:
  - { name: rank, owner: o@example.com, tier: production, environment: prod, selector: { endpoints: [rank-*] }, limits: { spendPerPeriod: 200 } }
`,
    );
  });

  it('names an instance type the template leaves to deploy time, prices nothing at zero, and fails the gate', () => {
    const r = cli(['check', template, '--budgets', budgets, '--region', 'us-east-1', ...AS_OF]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rank: UNKNOWN: rank-prod is not priced');
    expect(r.stdout).toMatch(
      /unresolved-type\/RankConfig\.Properties\.ProductionVariants\[0\]\.InstanceType/,
    );
    expect(r.stdout).toContain('RankInstanceType');
    expect(r.stdout).not.toContain('$0.00');
  });

  it('prices it once the parameter is given', () => {
    const r = json(
      cli([
        'check',
        template,
        '--budgets',
        budgets,
        '--region',
        'us-east-1',
        '--parameter',
        'RankInstanceType=ml.c5.xlarge',
        ...AS_OF,
        '--format',
        'json',
      ]),
    );
    expect(budget(r, 'rank')?.verdict).toBe('within');
    expect(budget(r, 'rank')?.projected?.expected).toBe(
      cents(Number(PAGE_PRICES['ml.c5.xlarge']) * FULL_HOURS),
    );
  });

  it.each([
    [['check', template], '--budgets FILE is required'],
    [
      ['check', join(root, 'nothing.yaml'), '--budgets', BUDGETS],
      'no such template file or cdk.out directory',
    ],
    [['check', root, '--budgets', BUDGETS], 'manifest.json'],
    [['check', template, '--budgets', BUDGETS, '--costs', template, '--aws'], 'give one history'],
    [['check', template, '--budgets', BUDGETS, '--parameter', 'oops'], 'expected Key=Value'],
    [['check', template, '--budgets', BUDGETS, '--as-of', '2026-13-01'], '--as-of'],
  ])('refuses bad input in one line with exit 2: %j', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('NodeVersionSupportWarning')),
    ).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});
