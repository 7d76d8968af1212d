import { constants } from 'node:fs';
import {
  access,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { InputError } from '../core/errors.ts';

/** Writes files so that a reader never sees half of one: each goes to a temporary name, then is renamed. */
export async function writeAtomically(dir: string, files: Record<string, string>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const staged: [string, string][] = [];
  try {
    for (const [name, content] of Object.entries(files)) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      await writeFile(tmp, content);
      staged.push([tmp, join(dir, name)]);
    }
    for (const [tmp, final] of staged) await rename(tmp, final);
  } catch (err) {
    await Promise.all(staged.map(([tmp]) => rm(tmp, { force: true })));
    throw err;
  }
  return staged.map(([, final]) => final);
}

/**
 * Writes one file through a temporary name beside it, so that a reader never sees half of it. Without `overwrite` an
 * existing file is refused (InputError), also one that appears while the text is written: the temporary file is
 * linked to the name, which fails when the name exists, where a rename would replace it.
 */
export async function writeFileAtomically(
  path: string,
  content: string,
  o: { readonly overwrite: boolean; readonly refusal: string },
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, content, { flag: 'wx' });
  try {
    if (o.overwrite) await rename(tmp, path);
    else await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(o.refusal);
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * The file the tool leaves in every output directory, listing what it wrote there: a directory is the tool's to
 * replace only when it holds nothing else.
 */
export const OUT_MARKER = '.perf-budgets-out.json';

/** What the tool writes into an output directory (directories written before the marker existed hold only these). */
const OUTPUT_NAMES: ReadonlySet<string> = new Set([
  'cycle.json',
  'summary.md',
  'report.html',
  'report.md',
  'report.json',
]);

function outError(dir: string, detail: string, cause?: unknown): InputError {
  return new InputError(`--out ${dir}: ${detail}`, { path: dir }, { cause });
}

/** The names a directory's marker says the tool wrote there; undefined without a readable marker. */
async function markedNames(dir: string): Promise<Set<string> | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dir, OUT_MARKER), 'utf8')) as { files?: unknown };
    if (!Array.isArray(marker.files)) return undefined;
    return new Set(marker.files.filter((f): f is string => typeof f === 'string'));
  } catch {
    return undefined;
  }
}

/** The nearest directory at or above `path` that exists. */
async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return p;
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

/**
 * Checks, before a cycle reads or writes anything, that `dir` can take a cycle's outputs: absent (its nearest
 * existing parent writable), empty, or a directory this tool wrote that holds nothing else. A file, the root, or a
 * directory holding other files (`--out /`, `--out ~`) is refused: replacing the output set would delete them.
 */
export async function checkOutDir(dir: string): Promise<void> {
  const abs = resolve(dir);
  if (parse(abs).root === abs)
    throw outError(dir, 'the root directory; expected a directory for the outputs alone');
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(abs)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw outError(dir, `cannot use: ${(err as Error).message}`, err);
    const parent = await nearestExisting(dirname(abs));
    await writable(dir, parent);
    return;
  }
  if (!isDirectory) throw outError(dir, 'a file exists there; expected a directory for the outputs');
  const entries = await readdir(abs);
  if (entries.length > 0) {
    const ours = (await markedNames(abs)) ?? OUTPUT_NAMES;
    const others = entries.filter((e) => e !== OUT_MARKER && !ours.has(e));
    if (others.length > 0) {
      const shown =
        others.slice(0, 3).join(', ') + (others.length > 3 ? `, ... (${others.length} in all)` : '');
      throw outError(
        dir,
        `holds files perf-budgets did not write (${shown}); expected a new or empty directory, or one an earlier run wrote`,
      );
    }
  }
  await writable(dir, dirname(abs));
  await writable(dir, abs);
}

async function writable(dir: string, path: string): Promise<void> {
  try {
    await access(path, constants.W_OK);
  } catch (err) {
    throw outError(dir, `cannot write in ${path} (${(err as NodeJS.ErrnoException).code ?? 'denied'})`, err);
  }
}

/**
 * Writes a cycle's whole output set into a new directory beside `dir`, then moves it into place, replacing the set
 * an earlier run left: a reader sees the old set or the new one, never files of two runs. Call `checkOutDir` first.
 */
export async function writeOutputSet(dir: string, files: Record<string, string>): Promise<string[]> {
  const abs = resolve(dir);
  const parent = dirname(abs);
  const names = Object.keys(files);
  let staging: string | undefined;
  try {
    await mkdir(parent, { recursive: true });
    staging = await mkdtemp(join(parent, `.${basename(abs)}.new-`));
    for (const [name, content] of Object.entries(files)) await writeFile(join(staging, name), content);
    await writeFile(
      join(staging, OUT_MARKER),
      `${JSON.stringify({ writtenBy: 'perf-budgets', files: names })}\n`,
    );
    const previous = await stat(abs).then(
      () => true,
      () => false,
    );
    if (!previous) {
      await rename(staging, abs);
    } else {
      const old = `${staging.replace(/\.new-([^/]*)$/, '.old-$1')}`;
      await rename(abs, old);
      try {
        await rename(staging, abs);
      } catch (err) {
        await rename(old, abs);
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    }
    staging = undefined;
  } catch (err) {
    throw outError(dir, `cannot write the outputs: ${(err as Error).message}`, err);
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
  return names.map((name) => join(dir, name));
}
