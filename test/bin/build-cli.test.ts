import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltCli, buildCli } from '../../bin/build-cli.ts';
import { ROOT } from '../helpers/cli.ts';

const RECORDER = resolve(ROOT, 'test/helpers/loads/record.mjs');

/** The outputs `output` loads before it runs: itself and its static imports, transitively. */
function staticClosure(meta: Metafile, output: string): string[] {
  const seen = new Set<string>();
  const visit = (o: string) => {
    if (seen.has(o) || meta.outputs[o] === undefined) return;
    seen.add(o);
    for (const i of meta.outputs[o].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(output);
  return [...seen];
}

const inputsOf = (meta: Metafile, outputs: readonly string[]) =>
  outputs.flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {}));
const externalsOf = (meta: Metafile, outputs: readonly string[]) =>
  outputs.flatMap((o) => (meta.outputs[o]?.imports ?? []).filter((i) => i.external).map((i) => i.path));

describe('the CLI bundle (dist/cli)', () => {
  let dir: string;
  let built: BuiltCli;

  beforeAll(async () => {
    // the bin beside its build, as in the package: bin/perf-budgets.js runs dist/cli/main.js
    dir = mkdtempSync(join(tmpdir(), 'pb-cli-bundle-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'bin/perf-budgets.js'), join(dir, 'bin/perf-budgets.js'));
    built = await buildCli(join(dir, 'dist/cli'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the built CLI from `dir` with every module it loads recorded. */
  function runBuilt(args: readonly string[]) {
    const loads = join(dir, 'loads.txt');
    rmSync(loads, { force: true });
    const r = spawnSync(process.execPath, [join(dir, 'bin/perf-budgets.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        PERF_BUDGETS_FROM_SOURCE: '',
        NODE_OPTIONS: `--import ${RECORDER}`,
        PERF_BUDGETS_LOADS: loads,
      },
    });
    const urls = [...new Set(readFileSync(loads, 'utf8').split('\n').filter(Boolean))];
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, urls };
  }

  it('validates a budget file and prints --help from the bundle alone: no module of node_modules is read', () => {
    const inDir = pathToFileURL(dir).href;
    const foreign = (urls: readonly string[]) =>
      urls.filter(
        (u) => !u.startsWith('node:') && !u.startsWith(`${inDir}/`) && !u.includes('/test/helpers/'),
      );

    const ok = runBuilt(['validate', 'examples/demo/budgets.yaml']);
    expect({ code: ok.code, stdout: ok.stdout, stderr: ok.stderr }).toEqual({
      code: 0,
      stdout: 'examples/demo/budgets.yaml: ok (6 budgets, 2 tiers)\n',
      stderr: '',
    });
    expect(foreign(ok.urls)).toEqual([]);
    expect(ok.urls.some((u) => u.startsWith(`${inDir}/dist/cli/chunks/`))).toBe(true);

    const help = runBuilt(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: perf-budgets/);
    expect(foreign(help.urls)).toEqual([]);
  });

  it('keeps the AWS SDK, Vega, SQLite and the report, AWS and Slack code out of what --help and validate load', () => {
    const { meta, validate } = built;
    const outputs = Object.keys(meta.outputs);
    const main = outputs.find((o) => o.endsWith('/main.js')) as string;
    const loader = outputs.find((o) => meta.outputs[o]?.entryPoint?.startsWith('cached-validate:')) as string;
    expect(main).toBeDefined();
    expect(loader).toBeDefined();

    const start = staticClosure(meta, main);
    const heavy =
      /^(@aws-sdk|@smithy|vega|better-sqlite3)|\/(aws-sdk|smithy|vega[^/]*|better-sqlite3)\/|lambdas\/(report|aws|slack)\/|node_modules\/luxon\//;
    const validating = Object.keys(validate.meta.outputs);
    expect(validating).toHaveLength(1);
    const validateInputs = [
      ...inputsOf(meta, [...start, ...staticClosure(meta, loader)]),
      ...inputsOf(validate.meta, validating),
    ];
    expect(validateInputs).toEqual(
      expect.arrayContaining(['lambdas/formats/budget-file.ts', 'lambdas/core/budget.ts']),
    );
    expect(validateInputs.filter((i) => heavy.test(i))).toEqual([]);
    expect(externalsOf(validate.meta, validating).filter((e) => !isBuiltin(e))).toEqual([]);
    expect(externalsOf(meta, [...start, loader]).filter((e) => !isBuiltin(e))).toEqual([]);
    // --help needs commander and the commands' names, not the validation's zod and yaml
    expect(inputsOf(meta, start).filter((i) => /node_modules\/(zod|yaml)\//.test(i))).toEqual([]);
    // the commands that use the SDK still reach it, from node_modules
    const external = externalsOf(meta, outputs);
    expect(external).toContain('@aws-sdk/client-pricing');
    expect(external.filter((e) => e.startsWith('vega'))).not.toEqual([]);
  });

  it("ships validate's code cache, made by the build for a plain node of this version", () => {
    expect(built.validate.file).toMatch(/\/chunks\/validate-[A-Z0-9]+\.cjs$/);
    expect(existsSync(`${built.validate.file}.v8-${process.versions.v8}-${process.arch}.cache`)).toBe(true);
  });
});
