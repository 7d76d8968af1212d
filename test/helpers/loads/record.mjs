// Preloaded with `node --import` in a child: records the URL of every module the process loads, one a line, into
// the file named by PERF_BUDGETS_LOADS (what a test of the start reads back).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { file: process.env.PERF_BUDGETS_LOADS } });
