import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
