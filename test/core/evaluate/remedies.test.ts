import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import { series } from '../../helpers/build.ts';
import { budget, file, snap, steady } from './fixtures.ts';

/** api-a's metrics over September and October: 1,000 invocations and CPU at `cpu` percent (of 4 vCPUs) an hour. */
const metrics = (cpu: number) => [
  series('api-a', 'Invocations', 'Sum', '2026-09-01', 61 * 24, () => 1000),
  series('api-a', 'CPUUtilization', 'Average', '2026-09-01', 61 * 24, () => cpu * 4),
];

describe('the cause of a breach with flat spend', () => {
  it('is unexplained without utilisation and invocations, and says what would tell', () => {
    // api-a costs the same $11.04 every day: a cap breach with nothing that moved
    const b = evaluate(snap(steady, '2026-10-10'), file([budget({ spendPerPeriod: 100 })])).budgets[0];
    const f = b?.findings.find((x) => x.kind === 'spend-breach');
    expect(f?.cause?.primary).toBe('unexplained');
    expect(f?.cause?.summary).toMatch(
      /spend is at its usual level; without utilisation and invocations .* nothing tells idle capacity from traffic\.$/,
    );
  });

  it('is idle capacity when measured utilisation sits under the floor, the budget floor when it sets one', () => {
    const limits = { costPer1kInferences: 0.0001, utilization: { min: 0.5 } };
    const b = evaluate(snap(steady, '2026-10-10', metrics(40)), file([budget(limits)])).budgets[0];
    for (const kind of ['unit-cost', 'utilization-low']) {
      const f = b?.findings.find((x) => x.kind === kind);
      expect(f?.cause?.primary, kind).toBe('idle-capacity');
      expect(f?.cause?.summary, kind).toMatch(/the endpoints run at 40% utilisation: idle capacity\.$/);
    }
  });

  it('is traffic when measured utilisation is above the floor and invocations were counted', () => {
    const b = evaluate(
      snap(steady, '2026-10-10', metrics(60)),
      file([budget({ costPer1kInferences: 0.0001, utilization: { min: 0.3 } })]),
    ).budgets[0];
    const f = b?.findings.find((x) => x.kind === 'unit-cost');
    expect(f?.cause?.primary).toBe('traffic');
    expect(f?.cause?.summary).toMatch(/follows the traffic served, at 60% utilisation\.$/);
  });
});
