/**
 * Synthesizes the stack once for every pipeline test, as `cdk deploy` would (bin/app.ts with cdk-nag, the Lambdas
 * bundled by the local esbuild), into a temporary cloud assembly, for the budget file of the test account. Beside
 * the bundles, `node_modules/@aws-sdk` links to the project's SDK: the bundles leave it out because the Lambda
 * runtime ships one.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { pipelineAccount, pipelineBudgetFile } from './harness/account.ts';
import { environmentWithoutAws, runCommand } from './harness/command.ts';
import { ROOT } from './harness/lambda.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cloud assembly directory and the budget file it was synthesized for. */
    readonly pipeline: { readonly assembly: string; readonly budgets: string };
  }
}

async function synth(budgets: string, out: string): Promise<void> {
  const r = await runCommand('npx', ['cdk', 'synth', '--quiet', '-c', `budgets=${budgets}`, '-o', out], {
    cwd: ROOT,
    // no AWS settings of the caller's: the synth never asks an account what it is
    env: { ...environmentWithoutAws(), CDK_DISABLE_VERSION_CHECK: '1' },
  });
  if (r.code !== 0) throw new Error(`cdk synth exited ${r.code}:\n${r.output.slice(-4000)}`);
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-budgets-pipeline-'));
  const budgets = join(dir, 'budgets.json');
  writeFileSync(budgets, `${JSON.stringify(pipelineBudgetFile(pipelineAccount()), null, 2)}\n`);
  const assembly = join(dir, 'cdk.out');
  await synth(budgets, assembly);
  mkdirSync(join(assembly, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules/@aws-sdk'), join(assembly, 'node_modules/@aws-sdk'), 'dir');
  project.provide('pipeline', { assembly, budgets });
  return () => rmSync(dir, { recursive: true, force: true });
}
