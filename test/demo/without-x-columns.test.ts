import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotOfFiles } from '../../lambdas/cli/run.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { DEMO_AS_OF, DEMO_BUDGETS, DEMO_COSTS, DEMO_METRICS } from '../helpers/demo.ts';
import { scratch } from '../helpers/fixtures.ts';

const tmp = scratch();

/**
 * The demo's FOCUS file as a producer without AWS's `x_` columns writes it: the usage is named only by
 * ChargeDescription ("$1.515 per Hosting ml.g5.2xlarge hour in US East (N. Virginia)") and the units.
 */
function withoutXColumns(): string {
  const [header = '', ...rows] = readFileSync(DEMO_COSTS, 'utf8').split('\n');
  // the two x_ columns are the last ones, and their cells hold no quote or comma
  expect(header.endsWith(',x_ServiceCode,x_UsageType')).toBe(true);
  const strip = (line: string) => line.replace(/,[^,"]*,[^,"]*$/, '');
  return tmp.write('costs-without-x.csv', [strip(header), ...rows.map((r) => (r ? strip(r) : r))].join('\n'));
}

async function run(costs: string): Promise<CycleResult> {
  const file = await loadBudgetFile(DEMO_BUDGETS);
  const snapshot = await snapshotOfFiles(
    file,
    { costs: [costs], metrics: DEMO_METRICS },
    { asOf: DEMO_AS_OF, now: new Date(0) },
  );
  return evaluate(snapshot, file);
}

/** What recognising the usage decides: per endpoint its type and peak, per budget and finding the cause. */
function recognised(r: CycleResult) {
  return r.budgets.map((b) => ({
    budget: b.name,
    status: b.status,
    endpoints: b.endpoints.map((e) => [e.name, e.instanceType, e.peakInstances, e.utilization, e.costPer1k]),
    cause: b.cause,
    findings: b.findings.map((f) => [f.kind, f.endpoint, f.cause ?? null]),
  }));
}

describe('the demo bill without the AWS x_ columns', () => {
  it('gives the same instance types, instance-hours, peaks and causes as with them', async () => {
    const [withX, withoutX] = await Promise.all([run(DEMO_COSTS), run(withoutXColumns())]);
    expect(recognised(withoutX)).toEqual(recognised(withX));
    // and the recognition is not empty on either side
    const chat = withoutX.budgets.find((b) => b.name === 'chat-prod');
    expect(chat?.endpoints[0]).toMatchObject({ instanceType: 'ml.g5.2xlarge', peakInstances: 4 });
    expect(chat?.cause?.primary).toBe('idle-capacity');
    expect(withoutX.budgets.find((b) => b.name === 'rank-prod')?.cause?.primary).toBe('instance-change');
  });
});
