/**
 * Backtest of the period-end spend forecast (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:forecast [-- --cases] [-- --events]
 *
 * Replays billing months at days 7, 14 and 21 on the series the project ships (forecast-backtest.ts) and prints,
 * per source and day and over all of them, the mean absolute error of the period total (as a share of the actual
 * total) of the forecast, of a run-rate and of the previous month's total, the medians of the first two and the
 * ratio of the means, and how often the actual total fell
 * inside the forecast's interval. PASS/MISS against the goals: no worse than run-rate at day 7, better at days 14
 * and 21, coverage within 10 points of the stated 80%. `--cases` lists every case, `--events` what happened in the
 * six-month account.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readForecastAccount } from './forecast-account.ts';
import {
  allCases,
  type Case,
  FORECAST_DAYS,
  STATED_COVERAGE,
  type Summary,
  summarise,
} from './forecast-backtest.ts';

const COVERAGE_TOLERANCE = 0.1;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: { cases: { type: 'boolean', default: false }, events: { type: 'boolean', default: false } },
});

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

function line(label: string, s: Summary): string {
  return row([
    label,
    String(s.cases),
    pct(s.ours),
    pct(s.runRate),
    `${pct(s.oursMedian)} / ${pct(s.runRateMedian)}`,
    (s.ours / s.runRate).toFixed(2),
    s.lastCases ? `${pct(s.lastPeriod)} (${s.lastCases})` : '-',
    pct(s.coverage),
    pct(s.halfWidth),
  ]);
}

const started = performance.now();
if (args.events) for (const e of readForecastAccount(repo).events) console.log(e);
const cases = await allCases(repo);
const seconds = ((performance.now() - started) / 1000).toFixed(1);

console.log(
  row([
    'source, day',
    'cases',
    'forecast',
    'run-rate',
    'median: forecast / run-rate',
    'forecast / run-rate',
    'last period',
    'coverage',
    'half-width',
  ]),
);
console.log(row(Array(9).fill('---')));
const sources = [...new Set(cases.map((c) => c.source))];
for (const source of sources) {
  for (const day of FORECAST_DAYS) {
    console.log(
      line(`${source}, day ${day}`, summarise(cases.filter((c) => c.source === source && c.day === day))),
    );
  }
}
const byDay = new Map(FORECAST_DAYS.map((d) => [d, summarise(cases.filter((c) => c.day === d))]));
for (const [day, s] of byDay) console.log(line(`**all, day ${day}**`, s));
const all = summarise(cases);
console.log(line('**all**', all));

if (args.cases) {
  console.log();
  const fmt = (x: number) => x.toFixed(2);
  for (const c of cases as Case[]) {
    const inside = c.low <= c.truth && c.truth <= c.high ? 'in ' : 'OUT';
    console.log(
      `${c.source} ${c.budget} ${c.month} d${c.day}: truth ${fmt(c.truth)} forecast ${fmt(c.expected)} [${fmt(c.low)}, ${fmt(c.high)}] ${inside} run-rate ${fmt(c.runRate)} last ${c.lastPeriod === undefined ? '-' : fmt(c.lastPeriod)}`,
    );
  }
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const d7 = byDay.get(7) as Summary;
const d14 = byDay.get(14) as Summary;
const d21 = byDay.get(21) as Summary;
console.log();
console.log(
  `- day 7: forecast ${pct(d7.ours)} vs run-rate ${pct(d7.runRate)}, no worse: **${verdict(d7.ours <= d7.runRate)}**`,
);
console.log(
  `- day 14: ${pct(d14.ours)} vs ${pct(d14.runRate)}, better: **${verdict(d14.ours < d14.runRate)}**`,
);
console.log(
  `- day 21: ${pct(d21.ours)} vs ${pct(d21.runRate)}, better: **${verdict(d21.ours < d21.runRate)}**`,
);
const near = Math.abs(all.coverage - STATED_COVERAGE) <= COVERAGE_TOLERANCE;
console.log(
  `- coverage ${pct(all.coverage)} of ${all.cases} cases, stated ${pct(STATED_COVERAGE)} (within ${pct(COVERAGE_TOLERANCE)}): **${verdict(near)}**`,
);
console.log(`(${seconds} s)`);
