/**
 * Benchmark of one governance cycle on a large account (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:cycle [-- --runs 3] [-- --regen]
 *
 * Generates the account of generate-account.ts once (cached in the OS temp dir under its version), then runs each
 * scenario N times, alternating, each in a fresh Node process so that peak RSS is the scenario's own:
 *
 *   parse   budget file + loadCostFiles + loadMetricsCsv, nothing else
 *   full    runCycle: the same parsing, then evaluate, cycle.json + summary.md to a temp dir, a fresh SQLite ledger
 *
 * and prints median wall and CPU time of the work (module loading excluded, shown apart), peak RSS, the ratio
 * full/parse and PASS/MISS against the goals: full cycle within 1.5x of parsing alone, peak RSS under 512 MiB.
 * The process exits 0 on a MISS; only a crash of a scenario is an error.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildReport, Scenario } from './cycle-child.ts';
import { ACCOUNT_VERSION, type AccountManifest, accountPaths, generateAccount } from './generate-account.ts';

const GOAL_RATIO = 1.5;
const GOAL_RSS_MIB = 512;

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const child = join(here, 'cycle-child.ts');

interface Run extends ChildReport {
  /** Wall time of the whole child process as the parent sees it (start-up, module loading, work, exit). */
  readonly processMs: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (kib: number): string => `${Math.round(kib / 1024)} MiB`;
const pad = (s: string, n: number): string => s.padEnd(n);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const lpad = (s: string, n: number): string => s.padStart(n);

function ensureAccount(regen: boolean): { dir: string; manifest: AccountManifest } {
  const dir = join(tmpdir(), `perf-budgets-${ACCOUNT_VERSION}`);
  const manifestPath = join(dir, 'manifest.json');
  if (!regen && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as AccountManifest;
    if (manifest.version === ACCOUNT_VERSION) {
      console.log(`account: ${dir} (cached)`);
      return { dir, manifest };
    }
  }
  process.stdout.write(`account: generating into ${dir} ... `);
  const started = performance.now();
  const manifest = generateAccount(dir);
  console.log(`done in ${seconds(performance.now() - started)}`);
  return { dir, manifest };
}

/** Reads a file once so that every scenario starts with it in the page cache. */
function warm(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createReadStream(file, { highWaterMark: 1 << 22 });
    s.on('data', () => {});
    s.on('end', resolve);
    s.on('error', reject);
  });
}

function runChild(scenario: Scenario, manifestPath: string): Promise<Run> {
  const scratch = mkdtempSync(join(tmpdir(), `perf-budgets-bench-${scenario}-`));
  const args = ['--import', 'tsx', child, scenario, manifestPath];
  if (scenario === 'full') args.push(join(scratch, 'out'), join(scratch, 'state'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      const processMs = performance.now() - started;
      rmSync(scratch, { recursive: true, force: true });
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${scenario} run failed (exit ${code}):\n${stderr || stdout}`));
        return;
      }
      const report = JSON.parse(line) as ChildReport;
      resolve({ ...report, processMs });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' }, regen: { type: 'boolean' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs: expected a positive integer, got ${values.runs}`);

  const { dir, manifest } = ensureAccount(values.regen === true);
  const paths = accountPaths(dir);
  const c = manifest.counts;
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}, ${process.platform}`,
  );
  console.log(
    `inputs: ${c.endpoints} endpoints, ${c.teams} teams, ${c.environments} environments, ${c.costRows} cost rows ` +
      `(${mib(manifest.bytes.costs / 1024)}), ${c.metricRows} metric rows in ${c.metricSeries} series ` +
      `(${mib(manifest.bytes.metrics / 1024)}), ${c.budgets} budgets, as-of ${manifest.asOf}`,
  );
  for (const f of [paths.budgets, paths.costs, paths.metrics]) await warm(f);
  console.log(`load average before: ${load()} (other processes on the machine skew wall times; see cpu)`);

  const manifestPath = join(dir, 'manifest.json');
  const results: Record<Scenario, Run[]> = { parse: [], full: [] };
  for (let i = 0; i < runs; i++) {
    for (const scenario of ['parse', 'full'] as const) {
      const r = await runChild(scenario, manifestPath);
      results[scenario].push(r);
      console.log(
        `  run ${i + 1}/${runs} ${pad(scenario, 5)} work ${seconds(r.workMs)} (cpu ${seconds(r.cpuMs)}), ` +
          `process ${seconds(r.processMs)}, peak RSS ${mib(r.maxRssKiB)}`,
      );
    }
  }

  const summary = (scenario: Scenario) => {
    const rs = results[scenario];
    return {
      work: median(rs.map((r) => r.workMs)),
      workMin: Math.min(...rs.map((r) => r.workMs)),
      workMax: Math.max(...rs.map((r) => r.workMs)),
      cpu: median(rs.map((r) => r.cpuMs)),
      imports: median(rs.map((r) => r.importMs)),
      process: median(rs.map((r) => r.processMs)),
      rss: median(rs.map((r) => r.maxRssKiB)),
      rssMax: Math.max(...rs.map((r) => r.maxRssKiB)),
    };
  };
  const parse = summary('parse');
  const full = summary('full');

  console.log('');
  console.log(
    `scenario (median of ${runs})   work      range              cpu       imports   process   peak RSS (max)`,
  );
  for (const [label, s] of [
    ['parse inputs', parse],
    ['full runCycle cycle', full],
  ] as const) {
    console.log(
      `${pad(label, 27)} ${lpad(seconds(s.work), 8)}  ${pad(`${seconds(s.workMin)}..${seconds(s.workMax)}`, 17)}  ` +
        `${lpad(seconds(s.cpu), 8)}  ${lpad(seconds(s.imports), 8)}  ${lpad(seconds(s.process), 8)}  ` +
        `${mib(s.rss)} (${mib(s.rssMax)})`,
    );
  }
  const ratio = full.work / parse.work;
  const cpuRatio = full.cpu / parse.cpu;
  const rssMib = full.rssMax / 1024;
  console.log(`load average after: ${load()}`);
  console.log('');
  console.log(`ratio full/parse (median work wall): ${ratio.toFixed(2)}x   (cpu: ${cpuRatio.toFixed(2)}x)`);
  console.log(
    `goal full cycle within ${GOAL_RATIO}x of parsing alone: ${ratio <= GOAL_RATIO ? 'PASS' : 'MISS'} (${ratio.toFixed(2)}x)`,
  );
  console.log(
    `goal full cycle peak RSS under ${GOAL_RSS_MIB} MiB:     ${rssMib < GOAL_RSS_MIB ? 'PASS' : 'MISS'} (${Math.round(rssMib)} MiB, worst of ${runs})`,
  );

  const p = results.parse[0]?.counts ?? {};
  const f = results.full[0]?.counts ?? {};
  console.log('');
  console.log(
    `counts: endpoints ${c.endpoints} (${f.endpoints} in results), cost rows ${c.costRows} (${p.costRecords} records), ` +
      `metric rows ${c.metricRows} (${p.metricPoints} points, ${p.metricSeries} series), budgets ${c.budgets}, ` +
      `findings ${f.findings}`,
  );
  console.log(
    `status: ${f.breached} breached, ${f.atRisk} at-risk, ${f.ok} ok; findings by kind: ` +
      Object.entries(f)
        .filter(([k]) => k.startsWith('finding:'))
        .map(([k, n]) => `${k.slice(8)} ${n}`)
        .join(', '),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
