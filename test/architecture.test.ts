import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.ts';

const LAMBDAS = join(ROOT, 'lambdas');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports: a folder of lambdas/ for relative imports ("core", "ports.ts"), else the package. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'([^']+)'/g)].map(
    (m) => m[1] as string,
  );
  specs.push(...[...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] as string));
  return specs.map((s) =>
    s.startsWith('.') ? (relative(LAMBDAS, resolve(dirname(file), s)).split('/')[0] ?? s) : s,
  );
}

function violations(folder: string, allowed: (target: string) => boolean): string[] {
  return files(join(LAMBDAS, folder)).flatMap((f) =>
    imports(f)
      .filter((t) => !allowed(t))
      .map((t) => `${relative(LAMBDAS, f)} imports ${t}`),
  );
}

// croner: cron fire times, always given the instant (never its own clock or timers: its jobs are created paused)
const pure = ['zod', 'croner'];

describe('the dependencies point inward', () => {
  it('core imports nothing outside core: no SDK, no file system, no other folder', () => {
    expect(violations('core', (t) => t === 'core' || pure.includes(t))).toEqual([]);
  });

  it('the cycle steps reach adapters through the ports only: no SDK client, file or handler', () => {
    const inward = ['core', 'cycle', 'ports.ts', 'report', 'slack', ...pure];
    expect(violations('cycle', (t) => inward.includes(t))).toEqual([]);
  });

  it('adapters and formats do not reach up into the steps, the handlers or the command line', () => {
    const up = ['cycle', 'handlers', 'cli'];
    for (const folder of ['aws', 'formats', 'fs', 'report', 'slack']) {
      expect(
        violations(folder, (t) => !up.includes(t)),
        folder,
      ).toEqual([]);
    }
  });

  it('the handlers and the command line do not import each other', () => {
    expect(violations('handlers', (t) => t !== 'cli')).toEqual([]);
    expect(violations('cli', (t) => t !== 'handlers')).toEqual([]);
  });
});
