import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import type { ReportModel } from '../../lambdas/report/model.ts';
import { cli } from '../helpers/cli.ts';

describe('perf-budgets run --out writes the report beside cycle.json', () => {
  let out: string;
  let r: ReturnType<typeof cli>;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-run-report-'));
    out = join(dir, 'out');
    r = cli(['run', '--demo', '--out', out, '--state', join(dir, 'state'), '--format', 'json']);
  });

  it('writes report.html, report.md and report.json of the same cycle', () => {
    expect(r.code).toBe(0);
    const cycle = JSON.parse(readFileSync(join(out, 'cycle.json'), 'utf8')) as CycleResult;
    const model = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportModel;
    expect(model.asOf).toBe(cycle.asOf);
    for (const b of cycle.budgets) {
      const m = model.budgets.find((x) => x.name === b.name);
      expect(m?.spendToDate, b.name).toBe(b.spendToDate);
      expect(m?.forecast, b.name).toEqual(b.forecast);
      expect(m?.status, b.name).toBe(b.status);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<figure class="chart">');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## The period at a glance');
  });
});
