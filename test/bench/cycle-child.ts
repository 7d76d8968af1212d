/**
 * One measured scenario of the cycle benchmark, run in a fresh Node process by cycle.bench.ts so that its peak RSS
 * is its own:
 *
 *   node --import tsx test/bench/cycle-child.ts parse <manifest.json>
 *   node --import tsx test/bench/cycle-child.ts full <manifest.json> <outDir> <stateDir>
 *
 * Prints one JSON line (a `ChildReport`) on stdout. Wall time covers the work only, not Node's start-up or module
 * loading (reported apart as `importMs`).
 */
import { dirname } from 'node:path';
import { accountPaths } from './generate-account.ts';

export type Scenario = 'parse' | 'full';

export interface ChildReport {
  readonly scenario: Scenario;
  readonly importMs: number;
  readonly workMs: number;
  /** User + system CPU time of the work, ms (both cores count: GC and I/O threads run beside the main thread). */
  readonly cpuMs: number;
  /** process.resourceUsage().maxRSS, KiB: the peak resident set of the whole process. */
  readonly maxRssKiB: number;
  readonly heapUsedMiB: number;
  readonly counts: Readonly<Record<string, number | string>>;
}

/** A fixed wall clock: only alert timestamps read it, and the benchmark must not depend on the day it runs. */
const NOW = new Date('2026-09-29T06:00:00Z');

async function main(): Promise<void> {
  const [scenario, manifestPath, outDir, stateDir] = process.argv.slice(2);
  if ((scenario !== 'parse' && scenario !== 'full') || !manifestPath) {
    throw new Error('usage: cycle-child.ts parse|full <manifest.json> [outDir stateDir]');
  }
  const { budgets, costs, metrics } = accountPaths(dirname(manifestPath));
  let counts: Record<string, number | string>;
  let importMs: number;
  let workMs: number;
  let cpu0: NodeJS.CpuUsage;
  let cpuWork: NodeJS.CpuUsage;

  if (scenario === 'parse') {
    const t0 = performance.now();
    const [{ loadBudgetFile }, { loadCostFiles }, { loadMetricsCsv }] = await Promise.all([
      import('../../lambdas/formats/budget-file.ts'),
      import('../../lambdas/formats/cost-files.ts'),
      import('../../lambdas/formats/metrics-csv.ts'),
    ]);
    const t1 = performance.now();
    cpu0 = process.cpuUsage();
    const file = await loadBudgetFile(budgets);
    const costLoad = await loadCostFiles([costs], { costMetric: file.costMetric });
    const metricLoad = await loadMetricsCsv(metrics);
    const t2 = performance.now();
    cpuWork = process.cpuUsage(cpu0);
    importMs = t1 - t0;
    workMs = t2 - t1;
    let points = 0;
    for (const s of metricLoad.series) points += s.t.length;
    counts = {
      budgets: file.budgets.length,
      costRecords: costLoad.records.length,
      metricSeries: metricLoad.series.length,
      metricPoints: points,
      gaps: costLoad.gaps.length + metricLoad.gaps.length,
    };
  } else {
    if (!outDir || !stateDir) throw new Error('full needs <outDir> <stateDir>');
    const t0 = performance.now();
    const { runCycle } = await import('../../lambdas/cli/run.ts');
    const t1 = performance.now();
    cpu0 = process.cpuUsage();
    const run = await runCycle({
      budgets,
      files: { costs: [costs], metrics },
      out: outDir,
      state: stateDir,
      now: NOW,
    });
    const t2 = performance.now();
    cpuWork = process.cpuUsage(cpu0);
    importMs = t1 - t0;
    workMs = t2 - t1;
    const { result } = run;
    const findings = result.budgets.flatMap((b) => b.findings);
    const status = (s: string) => result.budgets.filter((b) => b.status === s).length;
    const byKind = new Map<string, number>();
    for (const f of findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
    counts = {
      asOf: result.asOf,
      budgets: result.budgets.length,
      endpoints: result.budgets.reduce((n, b) => n + b.endpoints.length, 0),
      findings: findings.length,
      breached: status('breached'),
      atRisk: status('at-risk'),
      ok: status('ok'),
      alerts: run.alerts.length,
      written: run.written.length,
      ...Object.fromEntries([...byKind].sort().map(([k, n]) => [`finding:${k}`, n])),
    };
  }

  const report: ChildReport = {
    scenario,
    importMs: Math.round(importMs),
    workMs: Math.round(workMs),
    cpuMs: Math.round((cpuWork.user + cpuWork.system) / 1000),
    maxRssKiB: process.resourceUsage().maxRSS,
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    counts,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
