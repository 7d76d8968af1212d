/**
 * Benchmark of the Lambda bundles (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:bundle [-- --runs 5] [-- --top 8]
 *
 * Bundles each handler of the stack with esbuild's JS API and the house bundling options (`BUNDLING` in
 * lib/house-function.ts, the same object the NodejsFunction gets) into a temp dir, then for each bundle prints its
 * minified size and its module-load time in a fresh Node process (median of N runs), loaded the way the Lambda
 * runtime loads it: `require` for a CommonJS bundle, `import()` for an ESM one. Every process runs with
 * `--enable-source-maps`, as HouseFunction sets it in NODE_OPTIONS, and with the environment the handlers read at
 * load. Nothing in the handlers is deferred to the first invocation, so the load is the whole cold-start cost of
 * their code.
 *
 * Yardstick: the bare `@aws-sdk/client-cost-explorer`, loaded in a fresh process the same way the bundle loads its
 * externals (`require` from a CommonJS bundle, `import` from an ESM one); the other way is shown too. Beside each
 * bundle, "SDK alone" loads just the `@aws-sdk/*` packages that bundle imports, to split the load between the
 * runtime's SDK and the bundle's own code. Runs are interleaved (yardsticks, then each bundle, N times) so that
 * load on a shared machine hits them alike. CPU time (user + system) is shown beside wall time: it moves less
 * with other work on the machine.
 *
 * Goals: every bundle under 500 KB minified and its wall load within 2x of the yardstick (PASS/MISS). The largest
 * inputs of each bundle (from esbuild's metafile) are listed, to show what to trim. The process exits 0 on a MISS;
 * only a crash is an error.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';
import { BUNDLING } from '../../lib/house-function.ts';
import { esbuildOptions, outputOf } from './bundling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HANDLERS = ['collect', 'evaluate', 'act', 'notify', 'report'] as const;
const SIZE_GOAL_BYTES = 500 * 1024;
const LOAD_GOAL_RATIO = 2;
/** What HouseFunction puts in NODE_OPTIONS. */
const NODE_FLAGS = ['--enable-source-maps'];

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

const bundling: BundlingOptions = BUNDLING;
const cjs = bundling.format === 'cjs';
/** How the runtime loads the bundle, and how the bundle loads its externals. */
type Loader = 'require' | 'import';
const houseLoader: Loader = cjs ? 'require' : 'import';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

interface Load {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Wall and CPU time of loading one file in a fresh Node process, in ms. */
function loadOnce(file: string, loader: Loader): Load {
  const load =
    loader === 'require'
      ? `createRequire(import.meta.url)(${JSON.stringify(file)});`
      : `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  const code =
    "import { createRequire } from 'node:module';" +
    `const t = performance.now(); const c = process.cpuUsage(); ${load}` +
    'const d = process.cpuUsage(c); console.log(performance.now() - t, (d.user + d.system) / 1000);';
  const out = execFileSync(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...LOAD_ENV },
    encoding: 'utf8',
    // the SDK's Node-version notice goes to stderr; a failed load still throws with it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [wallMs, cpuMs] = (out.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(wallMs) || !Number.isFinite(cpuMs))
    throw new Error(`no load time from ${file}: ${out}`);
  return { wallMs: wallMs as number, cpuMs: cpuMs as number };
}

/** Collects the loads of one subject over the interleaved runs. */
class Samples {
  private readonly loads: Load[] = [];
  constructor(
    readonly file: string,
    readonly loader: Loader,
  ) {}
  measure(): void {
    this.loads.push(loadOnce(this.file, this.loader));
  }
  get wall(): number {
    return median(this.loads.map((l) => l.wallMs));
  }
  get cpu(): number {
    return median(this.loads.map((l) => l.cpuMs));
  }
}

function biggestInputs(meta: Metafile, outfile: string, n: number): [string, number][] {
  const output = outputOf(meta, outfile);
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

/**
 * The packages a bundle loads from the runtime at module load: its static external imports other than Node's own
 * modules. A dynamic import (vega-canvas's optional `canvas`, tried and caught) is not loaded unless present.
 */
function externalPackages(meta: Metafile, outfile: string): string[] {
  const imports = outputOf(meta, outfile)?.imports ?? [];
  return [
    ...new Set(
      imports
        .filter((i) => i.external && i.kind !== 'dynamic-import' && !isBuiltin(i.path))
        .map((i) => i.path),
    ),
  ].sort();
}

/** A module that loads `packages` and nothing else, the way the bundle loads them. */
function writeLoader(file: string, packages: readonly string[], loader: Loader): void {
  const line = (p: string) =>
    loader === 'require' ? `require(${JSON.stringify(p)});` : `import ${JSON.stringify(p)};`;
  writeFileSync(file, `${packages.map(line).join('\n')}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-budgets-bundle-'));
  // the bundles leave @aws-sdk/* out, as the Lambda runtime provides it: resolve it from the project
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  try {
    console.log(
      `bench:bundle  node ${process.version}  runs ${runs}  (load = median of ${runs} fresh processes, ${NODE_FLAGS.join(' ')})`,
    );
    console.log(
      `options: format ${bundling.format}, target ${bundling.target}, minify ${bundling.minify}, sourcesContent ${bundling.sourcesContent ?? true}, external ${bundling.externalModules?.join(' ')}`,
    );

    const bareDir = join(dir, 'bare-client-cost-explorer');
    mkdirSync(bareDir);
    const bare: Record<Loader, Samples> = {
      require: new Samples(join(bareDir, 'require.cjs'), 'require'),
      import: new Samples(join(bareDir, 'import.mjs'), 'import'),
    };
    writeLoader(bare.require.file, ['@aws-sdk/client-cost-explorer'], 'require');
    writeLoader(bare.import.file, ['@aws-sdk/client-cost-explorer'], 'import');

    const rows: {
      name: string;
      bytes: number;
      bundle: Samples;
      sdk: Samples;
      externals: string[];
      inputs: [string, number][];
    }[] = [];
    for (const name of HANDLERS) {
      const outDir = join(dir, name);
      mkdirSync(outDir);
      // NodejsFunction's file names: index.js for CommonJS, index.mjs for ESM
      const outName = cjs ? 'index.js' : 'index.mjs';
      const outfile = join(outDir, outName);
      const result = await build(esbuildOptions(join(ROOT, 'lambdas', 'handlers', `${name}.ts`), outfile));
      if (!result.metafile) throw new Error(`esbuild returned no metafile for ${name}`);
      const externals = externalPackages(result.metafile, `${name}/${outName}`);
      const sdkFile = join(outDir, cjs ? 'sdk-alone.cjs' : 'sdk-alone.mjs');
      writeLoader(sdkFile, externals, houseLoader);
      rows.push({
        name,
        bytes: statSync(outfile).size,
        bundle: new Samples(outfile, houseLoader),
        sdk: new Samples(sdkFile, houseLoader),
        externals,
        inputs: biggestInputs(result.metafile, `${name}/${outName}`, top),
      });
    }

    for (let i = 0; i < runs; i++) {
      bare.require.measure();
      bare.import.measure();
      for (const r of rows) {
        r.sdk.measure();
        r.bundle.measure();
      }
    }

    const yard = bare[houseLoader];
    const other = bare[houseLoader === 'require' ? 'import' : 'require'];
    console.log(
      `\nyardstick, bare @aws-sdk/client-cost-explorer by ${houseLoader}: ${yard.wall.toFixed(1)} ms (cpu ${yard.cpu.toFixed(1)} ms)`,
    );
    console.log(
      `  (by ${other.loader}: ${other.wall.toFixed(1)} ms, cpu ${other.cpu.toFixed(1)} ms; not the yardstick)\n`,
    );

    const pad = (s: string, n: number) => s.padEnd(n);
    const padl = (s: string, n: number) => s.padStart(n);
    console.log(
      `${pad('handler', 10)}${padl('bytes', 9)}${padl('size', 10)}  ${pad('< 500 KB', 9)}${padl('load ms', 9)}${padl('x bare', 8)}  ${pad('< 2x', 5)}${padl('cpu ms', 8)}${padl('x bare', 8)}${padl('SDK alone', 11)}${padl('cpu', 7)}`,
    );
    let allPass = true;
    for (const r of rows) {
      const sizeOk = r.bytes < SIZE_GOAL_BYTES;
      const ratio = r.bundle.wall / yard.wall;
      const loadOk = ratio <= LOAD_GOAL_RATIO;
      allPass &&= sizeOk && loadOk;
      console.log(
        `${pad(r.name, 10)}${padl(String(r.bytes), 9)}${padl(kb(r.bytes), 10)}  ${pad(sizeOk ? 'PASS' : 'MISS', 9)}${padl(r.bundle.wall.toFixed(1), 9)}${padl(ratio.toFixed(2), 8)}  ${pad(loadOk ? 'PASS' : 'MISS', 5)}${padl(r.bundle.cpu.toFixed(1), 8)}${padl((r.bundle.cpu / yard.cpu).toFixed(2), 8)}${padl(r.sdk.wall.toFixed(1), 11)}${padl(r.sdk.cpu.toFixed(1), 7)}`,
      );
    }
    console.log('\nSDK alone: the @aws-sdk/* packages each bundle imports, loaded by themselves:');
    for (const r of rows) console.log(`  ${pad(r.name, 10)}${r.externals.join(' ')}`);
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
