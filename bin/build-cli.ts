/**
 * Builds the command line the bin runs into dist/cli/, with esbuild (BENCHMARKS.md, bench:cli, says what each part
 * saves at a start):
 *
 * - lambdas/cli/main.ts bundled as ES modules, split at the commands' dynamic imports, so that a start reads a few
 *   files instead of the hundreds tsc writes;
 * - `validate` (lambdas/cli/validate.ts with zod, yaml and the budget schema) bundled apart as one CommonJS file named
 *   by its hash, which main.ts's import of it loads through V8's code cache (lambdas/cli/code-cache.ts); the build
 *   validates the demo's budget file once with the built CLI, which checks it and writes the cache the package
 *   ships.
 *
 * Run by `npm run build` after tsc, which still writes the library, the handlers and their declarations.
 *
 *   tsx bin/build-cli.ts [OUTDIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const CLI_ENTRY = resolve(ROOT, 'lambdas/cli/main.ts');
const VALIDATE_ENTRY = resolve(ROOT, 'lambdas/cli/validate.ts');
const CODE_CACHE = resolve(ROOT, 'lambdas/cli/code-cache.ts');
const CLI_OUTDIR = resolve(ROOT, 'dist/cli');
const DEMO_BUDGETS = resolve(ROOT, 'examples/demo/budgets.yaml');

/**
 * The packages bundled: the ones `--help` and `validate` load, all plain JavaScript. Every other package (the AWS
 * SDK, Vega, better-sqlite3 with its native binary, ...) stays external, loaded from node_modules by the command
 * that uses it, as the sources do.
 */
const BUNDLED_PACKAGES: readonly string[] = ['commander', 'zod', 'yaml', 'croner'];

const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Leaves every package outside BUNDLED_PACKAGES to node_modules. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.includes(packageOf(args.path)) ? undefined : { path: args.path, external: true },
    );
  },
};

/** main.ts's import of validate.ts, built: the CommonJS bundle `cjsName` (beside the importing chunk), code-cached. */
const cachedValidate = (cjsName: string): Plugin => ({
  name: 'cached-validate',
  setup(b) {
    b.onResolve({ filter: /^\.\/validate\.ts$/ }, (args) =>
      args.importer === CLI_ENTRY ? { path: cjsName, namespace: 'cached-validate' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'cached-validate' }, () => ({
      resolveDir: ROOT,
      contents: [
        `import { fileURLToPath } from 'node:url';`,
        `import { requireCached } from ${JSON.stringify(CODE_CACHE)};`,
        `export const { validate } = requireCached(fileURLToPath(new URL(${JSON.stringify(`./${cjsName}`)}, import.meta.url)));`,
      ].join('\n'),
    }));
  },
});

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  plugins: [externalPackages],
  metafile: true,
  logLevel: 'warning',
} as const satisfies BuildOptions;

export interface BuiltCli {
  /** esbuild's metafile of the ES modules (what each output holds and imports). */
  readonly meta: Metafile;
  /** validate's CommonJS bundle: its path and metafile. */
  readonly validate: { readonly file: string; readonly meta: Metafile };
}

/** Builds the CLI into `outdir` (emptied first) and writes validate's code cache there. */
export async function buildCli(outdir: string = CLI_OUTDIR): Promise<BuiltCli> {
  rmSync(outdir, { recursive: true, force: true });
  const chunks = join(outdir, 'chunks');
  const cjs = await build({
    ...COMMON,
    entryPoints: { validate: VALIDATE_ENTRY },
    outdir: chunks,
    entryNames: '[name]-[hash]',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
  });
  const validate = basename(Object.keys(cjs.metafile.outputs)[0] as string);
  const esm = await build({
    ...COMMON,
    entryPoints: { main: CLI_ENTRY },
    outdir,
    splitting: true,
    format: 'esm',
    // commander is CommonJS: its `require` of Node's modules needs one in an ES module
    banner: {
      js: "import { createRequire as __cliCreateRequire } from 'node:module'; const require = __cliCreateRequire(import.meta.url);",
    },
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [externalPackages, cachedValidate(validate)],
  });
  warmValidate(outdir);
  return { meta: esm.metafile, validate: { file: join(chunks, validate), meta: cjs.metafile } };
}

/**
 * Validates the demo's budget file with the built CLI: it must pass, and the run leaves validate's code cache. A plain
 * `node FILE`, as the bin starts: the cache is kept per V8 flags and Node options (code-cache.ts).
 */
function warmValidate(outdir: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'perf-budgets-build-'));
  try {
    const runner = join(dir, 'validate.mjs');
    const main = pathToFileURL(join(outdir, 'main.js')).href;
    writeFileSync(
      runner,
      `const { main } = await import(${JSON.stringify(main)});\nprocess.exitCode = await main(['validate', ${JSON.stringify(DEMO_BUDGETS)}]);\n`,
    );
    const { NODE_OPTIONS: _, ...env } = process.env;
    const r = spawnSync(process.execPath, [runner], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`the built CLI failed to validate ${DEMO_BUDGETS}: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await buildCli(process.argv[2] === undefined ? CLI_OUTDIR : resolve(process.argv[2]));
}
