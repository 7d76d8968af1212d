import { inspect } from 'node:util';
import { vi } from 'vitest';

/**
 * Catches everything a test's code prints, where a reader of its logs would see it: the console methods and
 * stdout and stderr (where the Powertools Logger writes). Undone by `vi.restoreAllMocks()`.
 */
export function capturePrinted(): string[] {
  const printed: string[] = [];
  const keep = (...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
    return true;
  };
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, m).mockImplementation(keep);
  vi.spyOn(process.stdout, 'write').mockImplementation(keep as never);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep as never);
  return printed;
}
