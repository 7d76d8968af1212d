import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const FOCUS = join(ROOT, 'test/fixtures/focus/focus_sample.csv');
const CUR = join(ROOT, 'test/fixtures/cur/sample-anonymous-aws-export-dataset.csv');
const CE_DAILY = join(ROOT, 'test/fixtures/cost-explorer/cloudtoolbox-daily-by-service.json');

function budgetFile(budgets: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pb-real-'));
  const path = join(dir, 'budgets.yaml');
  writeFileSync(
    path,
    `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers: { production: { mode: advise } }
budgets:
${budgets}`,
  );
  return path;
}

const run = (budgets: string, costs: string, asOf: string) => {
  const r = cli([
    'run',
    '--budgets',
    budgets,
    '--costs',
    costs,
    '--as-of',
    asOf,
    '--no-state',
    '--format',
    'json',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as CycleResult;
};

describe('runs on real billing files', () => {
  it('on the FOCUS sample, a tag-selected budget spends exactly the sum of its matching BilledCost', () => {
    // Independently, with Python's decimal over the raw CSV:
    //   sum(Decimal(r['BilledCost']) for r in csv.DictReader(open('focus_sample.csv'))
    //       if json.loads(r['Tags'] or '{}').get('environment') == 'dev')   -> 18.20324140013
    //   ... == 'prod' -> 2.04282084220
    const budgets =
      budgetFile(`  - { name: dev, owner: o, tier: production, environment: dev, selector: { tags: { environment: dev } }, limits: { spendPerPeriod: 10 } }
  - { name: prod, owner: o, tier: production, environment: prod, selector: { tags: { environment: prod } }, limits: { spendPerPeriod: 100 } }
`);
    const r = run(budgets, FOCUS, '2024-09-30');
    const dev = r.budgets.find((b) => b.name === 'dev');
    const prod = r.budgets.find((b) => b.name === 'prod');
    expect(dev?.spendToDateExact).toBe('18.2032414001');
    expect(dev?.spendToDate).toBe(18.2);
    expect(dev?.status).toBe('breached');
    expect(prod?.spendToDateExact).toBe('2.0428208422');
    expect(prod?.status).toBe('ok');
  });

  it('on the FOCUS sample, as-of mid-month counts only the charges up to that day', () => {
    // sum of BilledCost with ChargePeriodStart < '2024-09-16' and Tags environment=prod, Python decimal: 1.08780037020
    const budgets = budgetFile(
      '  - { name: prod, owner: o, tier: production, environment: prod, selector: { tags: { environment: prod } }, limits: { spendPerPeriod: 100 } }\n',
    );
    const r = run(budgets, FOCUS, '2024-09-15');
    expect(r.budgets[0]?.spendToDateExact).toBe('1.0878003702');
  });

  it('on the legacy CUR sample (no tags, no SageMaker), a selector that takes nothing is reported, not read as zero', () => {
    const budgets = budgetFile(
      '  - { name: none, owner: o, tier: production, environment: prod, selector: { tags: { team: nobody } }, limits: { spendPerPeriod: 1 } }\n',
    );
    const r = run(budgets, CUR, '2023-11-14');
    const b = r.budgets[0];
    expect(b?.spendToDate).toBeNull();
    expect(b?.forecast.expected).toBeNull();
    expect(
      b?.findings.some(
        (f) => f.kind === 'incomplete-data' && /no cost rows match the selector/.test(f.message),
      ),
    ).toBe(true);
  });

  it('on a saved Cost Explorer response, a cost-only run judges spend and says what it cannot judge', () => {
    const budgets = budgetFile(
      '  - { name: ml, owner: o, tier: production, environment: prod, selector: { endpoints: ["*"] }, limits: { spendPerPeriod: 5, latencyP99Ms: 100 } }\n',
    );
    const r = run(budgets, CE_DAILY, '2024-03-31');
    expect(r.period).toEqual({ start: '2024-03-01', end: '2024-04-01' });
    const messages = r.budgets[0]?.findings.map((f) => f.message).join('\n');
    expect(messages).toMatch(/no metrics given, so latencyP99Ms cannot be judged/);
  });
});
