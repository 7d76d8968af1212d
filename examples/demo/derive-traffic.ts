/**
 * Derives `traffic-servegen.csv` (hourly request rates of a few real production clients) from the ServeGen traces.
 * Run by hand, not by tests: it needs a checkout of github.com/alibaba/ServeGen (or the copy in /work/shared/data).
 *
 *   npx tsx examples/demo/derive-traffic.ts [traceDir] [outFile]
 *
 * Each trace is a headerless CSV of 10-minute windows over 14 days:
 * `window_start_s,rate_req_per_s,iat_cv,iat_dist,p1,p2`. An hour's rate is the mean of its six windows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const TRACE_WINDOW_S = 600;
export const TRACE_HOURS = 14 * 24;

/**
 * Clients of `language/m-large`, picked for a clear daily cycle, no empty hours and steady days (the coefficient
 * of variation of their daily means is below 0.5). Trace days 4-5 and 11-12 are the weekend dips of the office-hours clients.
 */
export const CLIENTS: readonly { readonly id: string; readonly shape: string }[] = [
  { id: 'chunk-48', shape: 'office hours, peak/trough 33x' },
  { id: 'chunk-100', shape: 'daytime plateau, peak/trough 3x' },
  { id: 'chunk-21', shape: 'late morning and evening peaks, 3.6x' },
  { id: 'chunk-56', shape: 'office hours, 16x' },
  { id: 'chunk-41', shape: 'afternoon peak, 10x' },
  { id: 'chunk-112', shape: 'evening peak at 21h, 3.3x' },
  { id: 'chunk-15', shape: 'office hours with a lunch dip, 43x' },
];

/** Hourly mean rates (req/s) of one trace; throws when a window is missing or malformed. */
export function hourlyRates(csv: string, file: string): number[] {
  const sums = new Array<number>(TRACE_HOURS).fill(0);
  const counts = new Array<number>(TRACE_HOURS).fill(0);
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    const [start, rate] = line.split(',');
    const s = Number(start);
    const r = Number(rate);
    if (!Number.isInteger(s) || s % TRACE_WINDOW_S !== 0 || !Number.isFinite(r) || r < 0) {
      throw new Error(`${file} line ${i + 1}: expected "window_start_s,rate_req_per_s,...", got "${line}"`);
    }
    const hour = Math.floor(s / 3600);
    if (hour >= TRACE_HOURS) throw new Error(`${file} line ${i + 1}: window ${s}s is beyond 14 days`);
    sums[hour] = (sums[hour] ?? 0) + r;
    counts[hour] = (counts[hour] ?? 0) + 1;
  });
  return sums.map((sum, h) => {
    if (counts[h] !== 3600 / TRACE_WINDOW_S) {
      throw new Error(`${file}: hour ${h} has ${counts[h]} windows, expected ${3600 / TRACE_WINDOW_S}`);
    }
    return sum / (counts[h] ?? 1);
  });
}

export function deriveTraffic(traceDir: string): string {
  const out = ['client,hour,rate_req_per_s'];
  for (const { id } of CLIENTS) {
    const file = join(traceDir, `${id}-trace.csv`);
    hourlyRates(readFileSync(file, 'utf8'), file).forEach((rate, hour) => {
      out.push(`${id},${hour},${rate.toFixed(6)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const traceDir = process.argv[2] ?? '/work/shared/data/servegen_alibaba/language/m-large';
  const outFile = process.argv[3] ?? join(here, 'traffic-servegen.csv');
  writeFileSync(outFile, deriveTraffic(traceDir));
  console.log(`wrote ${outFile}`);
}
