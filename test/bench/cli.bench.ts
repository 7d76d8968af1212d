/**
 * Benchmark of the CLI's start (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:cli [-- --runs 15] [-- --before DIR]
 *
 * Starts `perf-budgets --help` and `perf-budgets validate examples/demo/budgets.yaml` as a user does (`node
 * bin/perf-budgets.js ...`), beside `node -e 0`, each in a fresh process, N times, interleaved so that other work
 * on a shared machine hits them alike. Both ways the bin starts are measured: the compiled CLI in dist/ (what the
 * bin runs when it is built, and what an installed package runs) and the TypeScript sources through tsx (a clone
 * before the build; PERF_BUDGETS_FROM_SOURCE=1). Without dist/ only the sources are measured, and said so.
 *
 * For each: the median wall time from spawn to exit, seen by this process; the median CPU time (user + system) and
 * peak RSS of the child, which it writes at exit (cli-exit-usage.mjs, preloaded into every process alike, `node -e
 * 0` too); and the ratios of wall and CPU time to `node -e 0`. Goal: `--help` and `validate` under 300 ms wall, from
 * the compiled CLI (PASS/MISS). The CLI has no --version. The process exits 0 on a MISS; only a crash is an error.
 *
 * `--before DIR` adds the same two commands started from another checkout of the project (an earlier commit, in a
 * git worktree with its node_modules), in the same interleaved runs: a before and after measured alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const USAGE_HOOK = join(ROOT, 'test/bench/cli-exit-usage.mjs');
const COMPILED = join(ROOT, 'dist/cli/main.js');
const GOAL_MS = 300;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, before: { type: 'string' } },
});
const runs = Math.max(1, Number(values.runs));
const before = values.before === undefined ? undefined : resolve(values.before);

interface Subject {
  readonly label: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether the 300 ms goal applies. */
  readonly goal: boolean;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssKb: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function subjects(compiled: boolean): Subject[] {
  const cli = (how: string, env: Record<string, string>, goal: boolean, cwd = ROOT): Subject[] => {
    const bin = join(cwd, 'bin/perf-budgets.js');
    return [
      { label: `perf-budgets --help (${how})`, args: [bin, '--help'], cwd, env, goal },
      {
        label: `perf-budgets validate examples/demo/budgets.yaml (${how})`,
        args: [bin, 'validate', 'examples/demo/budgets.yaml'],
        cwd,
        env,
        goal,
      },
    ];
  };
  return [
    { label: 'node -e 0', args: ['-e', '0'], cwd: ROOT, env: {}, goal: false },
    ...(compiled ? cli('compiled', {}, true) : []),
    ...cli('sources, tsx', { PERF_BUDGETS_FROM_SOURCE: '1' }, !compiled),
    ...(before ? cli(`before: ${before}`, { PERF_BUDGETS_FROM_SOURCE: '1' }, false, before) : []),
  ];
}

function runOnce(s: Subject, usageFile: string): Sample {
  rmSync(usageFile, { force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', USAGE_HOOK, ...s.args], {
    cwd: s.cwd,
    env: { ...process.env, ...s.env, PERF_BUDGETS_BENCH_USAGE: usageFile },
    encoding: 'utf8',
  });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${s.label} exited ${r.status}: ${r.stderr}`);
  const [rssKb, cpuMs] = readFileSync(usageFile, 'utf8').trim().split(' ').map(Number);
  if (!Number.isFinite(rssKb) || !Number.isFinite(cpuMs)) throw new Error(`${s.label}: no usage written`);
  return { wallMs, cpuMs: cpuMs as number, rssKb: rssKb as number };
}

function table(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n');
}

function main(): void {
  const compiled = existsSync(COMPILED);
  const list = subjects(compiled);
  const dir = mkdtempSync(join(tmpdir(), 'perf-budgets-cli-bench-'));
  const usageFile = join(dir, 'usage.txt');
  const samples = new Map<Subject, Sample[]>(list.map((s) => [s, []]));
  try {
    console.log(`bench:cli  node ${process.version}  runs ${runs}  (medians of ${runs} fresh processes)`);
    if (!compiled) console.log('dist/ is not built: only the sources (tsx) are measured');
    // one run of each first, unmeasured: tsx's transform cache, the file cache and validate's code cache (kept per
    // Node options: this preload is one) are warm for every subject alike
    for (const s of list) runOnce(s, usageFile);
    for (let i = 0; i < runs; i++) for (const s of list) samples.get(s)?.push(runOnce(s, usageFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const of = (s: Subject, k: keyof Sample) => median((samples.get(s) ?? []).map((x) => x[k]));
  const base = list[0] as Subject;
  const rows = [
    ['command', 'wall (ms)', 'x node', 'cpu (ms)', 'x node', 'peak RSS (MB)', `< ${GOAL_MS} ms`],
    ...list.map((s) => [
      s.label,
      of(s, 'wallMs').toFixed(0),
      (of(s, 'wallMs') / of(base, 'wallMs')).toFixed(2),
      of(s, 'cpuMs').toFixed(0),
      (of(s, 'cpuMs') / of(base, 'cpuMs')).toFixed(2),
      (of(s, 'rssKb') / 1024).toFixed(1),
      s.goal ? (of(s, 'wallMs') < GOAL_MS ? 'PASS' : 'MISS') : '',
    ]),
  ];
  console.log(table(rows));
}

main();
