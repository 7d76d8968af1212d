import type { BudgetResult, CycleResult } from '../core/evaluate/types.ts';
import { isLimitFinding } from '../core/limits/index.ts';
import { displayMoney, moneyFromNumber } from '../core/money.ts';
import { addDays } from '../core/period.ts';
import type { Action, Finding } from '../core/types.ts';
import { costExplorerForecastText, mdText, STATUS_LABEL, statusCounts } from './format.ts';

function money(x: number | null, currency: string): string {
  return x === null ? 'unknown' : displayMoney(moneyFromNumber(x), currency);
}

/** The findings a person should read first for a budget: its limits' (gaps and expired exceptions are said apart). */
function headline(b: BudgetResult): Finding[] {
  return b.findings.filter((f) => isLimitFinding(f.kind));
}

function bestAction(f: Finding): Action | undefined {
  return [...f.actions].sort((a, b) => b.estimatedSavings - a.estimatedSavings)[0];
}

function actionText(a: Action, currency: string): string {
  const saving =
    a.estimatedSavings > 0
      ? `saves ~${money(a.estimatedSavings, currency)} this period`
      : a.estimatedSavings < 0
        ? `costs ~${money(-a.estimatedSavings, currency)} this period`
        : 'no direct saving';
  return `${a.description} (${saving}; latency risk ${a.risk})`;
}

function budgetLine(b: BudgetResult, currency: string): string {
  if (b.spendToDate === null) {
    return `spend unknown (no cost data)${b.cap === null ? '' : `, cap ${money(b.cap, currency)}`}`;
  }
  const cap = b.cap === null ? 'no spend cap' : `of ${money(b.cap, currency)}`;
  return `${money(b.spendToDate, currency)} ${cap} · forecast ${money(b.forecast.expected, currency)} (${money(b.forecast.low, currency)}–${money(b.forecast.high, currency)})`;
}

/** What a person reads first thing in the morning: worst budget first, the cause in one sentence, the action. */
export function renderText(r: CycleResult): string {
  const out: string[] = [];
  const last = addDays(r.period.end, -1);
  const counts = { breached: 0, unknown: 0, 'at-risk': 0, ok: 0 };
  for (const b of r.budgets) counts[b.status]++;
  out.push(
    `perf-budgets · as of ${r.asOf} · period ${r.period.start}..${last} (${r.currency}) · ${statusCounts(counts)}`,
  );
  const ce = r.costExplorerForecast;
  if (ce) out.push(costExplorerForecastText(ce, r.currency));
  out.push('');
  const width = Math.max(...r.budgets.map((b) => b.name.length), 8);
  for (const b of r.budgets) {
    out.push(
      `${STATUS_LABEL[b.status].padEnd(9)} ${b.name.padEnd(width)}  ${budgetLine(b, r.currency)}  [${b.tier}, ${b.mode}]`,
    );
    const said = new Set<string>();
    for (const f of headline(b)) {
      out.push(`  ${f.severity === 'critical' ? '✖' : f.severity === 'warning' ? '!' : '·'} ${f.message}`);
      // one budget's findings often share their cause: explain it once, at the first (broadest) finding
      if (f.cause && !said.has(f.cause.primary)) out.push(`    why: ${f.cause.summary}`);
      if (f.cause) said.add(f.cause.primary);
      const a = bestAction(f);
      if (a && !said.has(a.description)) out.push(`    do:  ${actionText(a, r.currency)}`);
      if (a) said.add(a.description);
    }
    const gaps = b.findings.filter((f) => f.kind === 'incomplete-data');
    if (gaps.length > 0) out.push(`  ? incomplete data: ${gaps.map((g) => g.message).join(' | ')}`);
    for (const x of b.exceptions) {
      const state = x.inForce ? `in force until ${x.expires}` : `expired ${x.expires}`;
      out.push(`  ~ exception ${state}: ${x.reason} (approved by ${x.approvedBy})`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A short Markdown summary for a PR, a wiki page or a chat message. */
export function renderMarkdown(r: CycleResult): string {
  const out: string[] = [];
  out.push(`# Inference budgets as of ${r.asOf}`);
  out.push('');
  out.push(`Billing period ${r.period.start} to ${addDays(r.period.end, -1)}, ${r.currency}.`);
  out.push('');
  out.push('| Budget | Status | Spend to date | Cap | Forecast (range) | Tier |');
  out.push('|---|---|---:|---:|---:|---|');
  for (const b of r.budgets) {
    out.push(
      `| ${mdText(b.name)} | ${STATUS_LABEL[b.status]} | ${money(b.spendToDate, r.currency)} | ${b.cap === null ? '–' : money(b.cap, r.currency)} | ${money(b.forecast.expected, r.currency)} (${money(b.forecast.low, r.currency)}–${money(b.forecast.high, r.currency)}) | ${mdText(b.tier)} (${b.mode}) |`,
    );
  }
  for (const b of r.budgets) {
    const fs = b.findings;
    if (fs.length === 0) continue;
    out.push('');
    out.push(`## ${mdText(b.name)}: ${STATUS_LABEL[b.status]}`);
    out.push('');
    for (const f of fs) {
      out.push(`- **${f.kind}**${f.endpoint ? ` (${mdText(f.endpoint)})` : ''}: ${mdText(f.message)}`);
      if (f.cause) out.push(`  - Why: ${mdText(f.cause.summary)}`);
      for (const a of f.actions.slice(0, 3)) out.push(`  - Do: ${mdText(actionText(a, r.currency))}`);
    }
    const ex = b.exceptions;
    if (ex.length > 0) {
      out.push('');
      for (const x of ex) {
        out.push(
          `- Exception ${x.inForce ? 'in force' : 'expired'} (${x.expires}): ${mdText(x.reason)}, approved by ${mdText(x.approvedBy)}`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}
