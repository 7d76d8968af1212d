/**
 * Benchmark of the Lambda bundles (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:bundle [-- --runs 5] [-- --top 8]
 *
 * Bundles each handler of the stack with esbuild's JS API and the house bundling options (`BUNDLING` in
 * lib/house-function.ts, the same object the NodejsFunction gets) into a temp dir, then for each bundle prints its
 * minified size and its module-load time in a fresh Node process (median of N runs): the time of
 * `await import('file://…/index.mjs')`, with the environment the handlers read at load. The bare
 * `@aws-sdk/client-cost-explorer` import is measured the same way, as the yardstick. Goals: every bundle under
 * 500 KB minified and its load within 2x of the bare client (PASS/MISS). The largest inputs of each bundle (from
 * esbuild's metafile) are listed, to show what to trim. The process exits 0 on a MISS; only a crash is an error.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { BUNDLING } from '../../lib/house-function.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HANDLERS = ['collect', 'evaluate', 'act', 'notify', 'report'] as const;
const SIZE_GOAL_BYTES = 500 * 1024;
const LOAD_GOAL_RATIO = 2;

/** What the handlers read at load (baseDeps, the topic of notify), with Powertools quiet. */
const LOAD_ENV: Record<string, string> = {
  DATA_BUCKET: 'bench-data-bucket',
  BUDGETS_KEY: 'config/budgets.json',
  LEDGER_TABLE: 'bench-ledger',
  AWS_REGION: 'us-east-1',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:bench-topic',
  POWERTOOLS_SERVICE_NAME: 'perf-budgets-bench',
  POWERTOOLS_METRICS_NAMESPACE: 'PerfBudgetsBench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_DEV: 'false',
};

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, top: { type: 'string', default: '8' } },
});
const runs = Math.max(1, Number(values.runs));
const top = Math.max(0, Number(values.top));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** Module-load time of one file in a fresh Node process, in ms. */
function loadMs(file: string): number {
  const url = pathToFileURL(file).href;
  const code = `const t=performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now()-t)`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...LOAD_ENV },
    encoding: 'utf8',
    // the SDK's Node-version notice goes to stderr; a failed import still throws with it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Number(out.trim().split('\n').at(-1));
  if (!Number.isFinite(ms)) throw new Error(`no load time from ${file}: ${out}`);
  return ms;
}

/** esbuild options equal to what NodejsFunction passes for BUNDLING. */
function esbuildOptions(entry: string, outfile: string) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: BUNDLING.format,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    external: [...BUNDLING.externalModules],
    metafile: true,
    logLevel: 'warning' as const,
  };
}

function biggestInputs(meta: Metafile, outfile: string, n: number): [string, number][] {
  const output = Object.entries(meta.outputs).find(([k]) => k.endsWith(outfile))?.[1];
  if (!output) return [];
  // group node_modules inputs by package, the way one decides what to trim
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? (m[1] as string) : path;
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, n);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-budgets-bundle-'));
  // the bundles leave @aws-sdk/* out, as the Lambda runtime provides it: resolve it from the project
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  try {
    console.log(
      `bench:bundle  node ${process.version}  runs ${runs}  (load = median of ${runs} fresh processes)`,
    );
    console.log(
      `options: format ${BUNDLING.format}, target ${BUNDLING.target}, minify ${BUNDLING.minify}, external ${BUNDLING.externalModules.join(' ')}`,
    );

    const bareDir = join(dir, 'bare-client-cost-explorer');
    mkdirSync(bareDir);
    const bareFile = join(bareDir, 'index.mjs');
    writeFileSync(bareFile, "import '@aws-sdk/client-cost-explorer';\n");
    const bare = median(Array.from({ length: runs }, () => loadMs(bareFile)));
    console.log(`\nbare @aws-sdk/client-cost-explorer import: ${bare.toFixed(1)} ms\n`);

    const rows: { name: string; bytes: number; load: number; inputs: [string, number][] }[] = [];
    for (const name of HANDLERS) {
      const outDir = join(dir, name);
      mkdirSync(outDir);
      const outfile = join(outDir, 'index.mjs');
      const result = await build(esbuildOptions(join(ROOT, 'lambdas', 'handlers', `${name}.ts`), outfile));
      if (!result.metafile) throw new Error(`esbuild returned no metafile for ${name}`);
      const bytes = statSync(outfile).size;
      const load = median(Array.from({ length: runs }, () => loadMs(outfile)));
      rows.push({ name, bytes, load, inputs: biggestInputs(result.metafile, `${name}/index.mjs`, top) });
    }

    const pad = (s: string, n: number) => s.padEnd(n);
    const padl = (s: string, n: number) => s.padStart(n);
    console.log(
      `${pad('handler', 10)}${padl('bytes', 10)}${padl('size', 11)}  ${pad('< 500 KB', 9)}${padl('load ms', 9)}${padl('x bare', 8)}  < 2x`,
    );
    let allPass = true;
    for (const r of rows) {
      const sizeOk = r.bytes < SIZE_GOAL_BYTES;
      const ratio = r.load / bare;
      const loadOk = ratio <= LOAD_GOAL_RATIO;
      allPass &&= sizeOk && loadOk;
      console.log(
        `${pad(r.name, 10)}${padl(String(r.bytes), 10)}${padl(kb(r.bytes), 11)}  ${pad(sizeOk ? 'PASS' : 'MISS', 9)}${padl(r.load.toFixed(1), 9)}${padl(ratio.toFixed(2), 8)}  ${loadOk ? 'PASS' : 'MISS'}`,
      );
    }
    if (top > 0) {
      for (const r of rows) {
        console.log(`\n${r.name}: biggest inputs (bytes in the minified output)`);
        for (const [input, bytes] of r.inputs) console.log(`  ${padl(kb(bytes), 10)}  ${input}`);
      }
    }
    console.log(`\noverall: ${allPass ? 'PASS' : 'MISS'} (the benchmark reports and never gates)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
