/**
 * Loads a CommonJS bundle through V8's code cache: the bytecode V8 compiled for the bundle in an earlier run, kept
 * beside it, so that a start skips parsing and compiling what it ran before. Node 20 keeps no such cache for ES
 * modules (Node 22's `module.enableCompileCache` does), hence a CommonJS bundle run as a `vm.Script`.
 *
 * The cache is V8's own format, valid for one V8 version and one text of the bundle. V8 checks the version and flags
 * itself but knows the text only by its length, so the bundle's name must change with its content (the build names
 * it by its hash) and the cache's name carries the V8 version and the process's options. A cache that is missing or
 * that V8 refuses is written anew as the process exits, with what the run compiled; where it cannot be written (a
 * read-only install), the bundle is compiled at each start, as any module is. The cache lives beside the bundle and
 * nowhere shared such as the temporary directory: V8 runs what a cache holds, so only who may change the bundle may
 * write it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

type CommonJsWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

/**
 * The cache of `file` for this V8 and this process's options: V8 refuses a cache made under other V8 flags, so runs
 * with other options (`node --max-old-space-size ...`, NODE_OPTIONS) keep a cache of their own instead of each
 * writing over the other's.
 */
export function cacheFileOf(file: string): string {
  const options = `${process.execArgv.join(' ')}\n${process.env.NODE_OPTIONS ?? ''}`.trim();
  return `${file}.v8-${process.versions.v8}-${process.arch}${options === '' ? '' : `-${fnv1a(options)}`}.cache`;
}

/** A short hash of a short string (FNV-1a, 32 bits): names a file, guards nothing. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** Runs the CommonJS file `file` as `require` would and returns its exports, compiled from its code cache if any. */
export function requireCached(file: string): Record<string, unknown> {
  const cacheFile = cacheFileOf(file);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(file, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    process.once('exit', () => writeCache(script, cacheFile));
  }
  const module = { exports: {} };
  (script.runInThisContext() as CommonJsWrapper)(
    module.exports,
    createRequire(file),
    module,
    file,
    dirname(file),
  );
  return module.exports as Record<string, unknown>;
}

/** Writes the cache whole or not at all: a start that reads it meanwhile sees the old file or the new one. */
function writeCache(script: Script, cacheFile: string): void {
  const partial = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    // a cache is an optimisation: where it cannot be written, the next start compiles the bundle again
    rmSync(partial, { force: true });
  }
}
