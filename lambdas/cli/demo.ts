/** The bundled demo account (examples/demo): its inputs, read from its manifest. */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { InputError } from '../core/errors.ts';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// compiled, this module sits one level deeper (dist/lambdas/cli by tsc, dist/cli/chunks in the CLI's bundle) than
// the examples' root
const ROOT = basename(HERE) === 'dist' ? dirname(HERE) : HERE;
const DEMO_MANIFEST = resolve(ROOT, 'examples/demo/demo.json');

export interface DemoInputs {
  readonly budgets: string;
  readonly costs: string[];
  readonly metrics?: string;
  readonly asOf: string;
}

/** examples/demo/demo.json: the demo's inputs, relative to it, and the day it judges. */
const DemoManifest = z.object({
  asOf: z.iso.date(),
  budgets: z.string(),
  costs: z.array(z.string()).min(1),
  metrics: z.string().optional(),
});

export async function demoInputs(): Promise<DemoInputs> {
  const manifest = DemoManifest.parse(JSON.parse(await readFile(DEMO_MANIFEST, 'utf8')));
  const at = (p: string) => resolve(dirname(DEMO_MANIFEST), p);
  return {
    asOf: manifest.asOf,
    budgets: at(manifest.budgets),
    costs: manifest.costs.map(at),
    ...(manifest.metrics === undefined ? {} : { metrics: at(manifest.metrics) }),
  };
}

export interface CycleInputFlags {
  readonly budgets?: string;
  readonly costs?: string[];
  readonly metrics?: string;
  readonly asOf?: string;
  readonly demo?: boolean;
  readonly aws?: boolean;
}

/** The inputs of a cycle (`run`, `plan`): the flags', else the demo's; files are required unless --aws. */
export async function cycleInputs(
  command: string,
  flags: CycleInputFlags,
): Promise<{ budgets: string; costs?: string[]; metrics?: string; asOf?: string }> {
  const demo = flags.demo ? await demoInputs() : undefined;
  const budgets = flags.budgets ?? demo?.budgets;
  const costs = flags.costs ?? demo?.costs;
  if (!budgets) throw new InputError(`${command}: --budgets FILE is required (or --demo)`);
  if (!flags.aws && (!costs || costs.length === 0)) {
    throw new InputError(`${command}: --costs FILE is required (or --demo, or --aws for a live account)`);
  }
  const metrics = flags.metrics ?? demo?.metrics;
  const asOf = flags.asOf ?? demo?.asOf;
  return { budgets, ...(costs ? { costs } : {}), ...(metrics ? { metrics } : {}), ...(asOf ? { asOf } : {}) };
}
