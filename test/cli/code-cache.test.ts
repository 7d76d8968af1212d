import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const CODE_CACHE = pathToFileURL(resolve(ROOT, 'lambdas/cli/code-cache.ts')).href;

const BUNDLE = `const { sep } = require('node:path');
const { twice } = require('./helper.cjs');
exports.answer = () => twice(21);
exports.where = () => [__filename, __dirname, sep];
`;

describe('requireCached: a CommonJS bundle through V8 code cache', () => {
  let dir: string;
  let bundle: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-code-cache-'));
    bundle = join(dir, 'bundle.cjs');
    writeFileSync(bundle, BUNDLE);
    writeFileSync(join(dir, 'helper.cjs'), 'exports.twice = (n) => 2 * n;\n');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Loads the bundle in a fresh process, as a start does; returns what its exports answered and the cache's name. */
  function load() {
    const script = `import { cacheFileOf, requireCached } from ${JSON.stringify(CODE_CACHE)};
const m = requireCached(${JSON.stringify(bundle)});
console.log(JSON.stringify({ answer: m.answer(), where: m.where(), cache: cacheFileOf(${JSON.stringify(bundle)}) }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(r.stdout) as { answer: number; where: string[]; cache: string };
  }

  const caches = () => readdirSync(dir).filter((f) => f.endsWith('.cache'));

  it('runs the bundle as require would, then keeps its cache, named by the V8 version, and reads it', () => {
    const first = load();
    expect(first.answer).toBe(42);
    expect(first.where).toEqual([bundle, dir, '/']);
    expect(first.cache.startsWith(`${bundle}.v8-${process.versions.v8}-${process.arch}`)).toBe(true);
    expect(caches()).toEqual([first.cache.slice(dir.length + 1)]);

    // a cache V8 takes is read, not written again
    const written = statSync(first.cache).mtimeMs;
    const bytes = readFileSync(first.cache);
    expect(load().answer).toBe(42);
    expect(statSync(first.cache).mtimeMs).toBe(written);
    expect(readFileSync(first.cache)).toEqual(bytes);
  });

  it('replaces a cache V8 refuses, and runs the bundle all the same', () => {
    const { cache } = load();
    writeFileSync(cache, 'not a code cache');
    expect(load().answer).toBe(42);
    expect(readFileSync(cache).length).toBeGreaterThan(100);
    expect(readFileSync(cache, 'latin1')).not.toBe('not a code cache');
  });

  it('runs without a cache where none can be written', () => {
    const { cache } = load();
    rmSync(cache);
    mkdirSync(cache);
    expect(load().answer).toBe(42);
    expect(statSync(cache).isDirectory()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
