#!/usr/bin/env node
// In a clone, runs the TypeScript CLI directly, so `npx perf-budgets` works right after `npm ci`; the installed
// package ships no sources and runs the compiled CLI in dist/.
import { existsSync } from 'node:fs';

const source = new URL('./perf-budgets.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/bin/perf-budgets.js', import.meta.url).href);
}
