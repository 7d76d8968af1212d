#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/, bundled by `prepare`: bin/build-cli.ts) when it is there, with no transpiler at
// start. In a clone before the build, or with PERF_BUDGETS_FROM_SOURCE=1 (the tests: the sources they test, never a
// stale build), it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.PERF_BUDGETS_FROM_SOURCE !== '1' && existsSync(compiled)) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./perf-budgets.ts');
}
