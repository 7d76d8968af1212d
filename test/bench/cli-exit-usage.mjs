// Preloaded into every process bench:cli starts: at exit, writes its peak RSS (KB) and CPU time (user + system, ms)
// to the file named by PERF_BUDGETS_BENCH_USAGE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const cpu = process.cpuUsage();
  const usage = `${process.resourceUsage().maxRSS} ${(cpu.user + cpu.system) / 1000}\n`;
  writeFileSync(process.env.PERF_BUDGETS_BENCH_USAGE ?? '', usage);
});
