import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { dayStartMs, periodContaining } from '../core/period.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { writeAtomically } from '../fs/dir-sink.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import { renderReview } from '../report/review.ts';
import { print } from './terminal.ts';

export interface ReviewFlags {
  readonly budget: string;
  readonly state?: string;
  readonly budgets?: string;
  readonly period?: string;
  readonly out?: string;
}

/** `perf-budgets review --budget NAME`: the post-incident review skeleton, from the local ledger. */
export async function review(flags: ReviewFlags, now: Date): Promise<number> {
  const dir = flags.state ?? '.perf-budgets';
  const path = join(dir, 'ledger.db');
  if (!existsSync(path)) {
    throw new InputError(`review: no ledger at ${path}; run a cycle first, or give --state DIR`);
  }
  if (flags.period !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.period)) {
    throw new InputError(
      `review: --period: expected the first day of a billing period (YYYY-MM-DD), got ${flags.period}`,
    );
  }
  const file = flags.budgets ? await loadBudgetFile(flags.budgets) : undefined;
  const budget = file?.budgets.find((b) => b.name === flags.budget);
  if (file && !budget) {
    throw new InputError(
      `review: --budget: ${flags.budget} is not in ${flags.budgets} (budgets: ${file.budgets.map((b) => b.name).join(', ')})`,
    );
  }
  const ledger = new SqliteLedger(path);
  let markdown: string;
  try {
    const all = await ledger.budgetAlerts(flags.budget);
    if (all.length === 0 && !budget) {
      throw new InputError(`review: --budget: the ledger at ${path} holds no alert of ${flags.budget}`);
    }
    // the period reviewed: the one asked for, else the latest with alerts
    const period =
      flags.period ??
      all
        .map((a) => a.period)
        .sort()
        .at(-1) ??
      '';
    if (!period)
      throw new InputError(`review: --period: ${flags.budget} has no alert; give the period to review`);
    // the period's end: the budget file's billing period, else a month from its first day
    const cfg = file?.billingPeriod ?? { startDay: Number(period.slice(8, 10)), timezone: 'UTC' };
    const { end } = periodContaining(period, cfg);
    const actions = (await ledger.actions()).filter(
      (a) =>
        a.budget === flags.budget &&
        a.asOf >= period &&
        a.asOf < end &&
        a.status !== 'recommended' &&
        a.status !== 'skipped',
    );
    const approvals = (
      await ledger.approvals({
        from: new Date(dayStartMs(period, cfg.timezone)).toISOString(),
        to: new Date(dayStartMs(end, cfg.timezone)).toISOString(),
      })
    ).filter((r) => r.budget === flags.budget);
    markdown = renderReview({
      budget: flags.budget,
      period,
      alerts: all.filter((a) => a.period === period),
      exceptions: await ledger.budgetExceptions(flags.budget),
      actions,
      approvals,
      ...(budget ? { owner: budget.owner, tier: budget.tier, mode: file?.tiers[budget.tier]?.mode } : {}),
      generatedAt: now.toISOString(),
      source: `the ledger at ${path}`,
    });
  } finally {
    await ledger.close();
  }
  if (flags.out) {
    const [written] = await writeAtomically(dirOf(flags.out), { [baseOf(flags.out)]: markdown });
    print(`Wrote ${written}.\n`);
  } else print(markdown);
  return 0;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
