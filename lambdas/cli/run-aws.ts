import { join } from 'node:path';
import { buildClients } from '../aws/clients.ts';
import { collectAws } from '../aws/collect.ts';
import type { AlertLinks } from '../core/alert-text.ts';
import { ApiUsage } from '../core/api-usage.ts';
import { InputError } from '../core/errors.ts';
import { formatMoney } from '../core/money.ts';
import { addDays, DayClock, parseDay } from '../core/period.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import type { Notifier } from '../ports.ts';
import { finishCycle, type LocalRunOutput } from './run-files.ts';

export interface AwsRunOptions {
  readonly budgets: string;
  readonly region?: string;
  readonly profile?: string;
  /** Day judged; default yesterday in the billing time zone (today's costs are still arriving). */
  readonly asOf?: string;
  readonly out?: string;
  readonly state?: string | false;
  readonly now: Date;
  readonly focusExportName?: string;
  /** Where the cycle's new alerts go; none by default. */
  readonly notifiers?: readonly Notifier[];
  readonly links?: AlertLinks;
}

/** One cycle against a live account (or anything that speaks the AWS APIs, through AWS_ENDPOINT_URL). */
export async function runAws(opts: AwsRunOptions): Promise<LocalRunOutput> {
  const file = await loadBudgetFile(opts.budgets);
  const tz = file.billingPeriod.timezone;
  const asOf = opts.asOf ?? addDays(new DayClock(tz).dayOf(opts.now.getTime()), -1);
  try {
    parseDay(asOf, tz);
  } catch (err) {
    throw new InputError(`--as-of: ${(err as Error).message}`, undefined, { cause: err });
  }
  const clients = buildClients({ region: opts.region, profile: opts.profile });
  const usage = new ApiUsage();
  const cache =
    opts.state === false ? undefined : new SqliteLedger(join(opts.state ?? '.perf-budgets', 'ledger.db'));
  let collection: Awaited<ReturnType<typeof collectAws>>;
  try {
    collection = await collectAws({
      file,
      asOf,
      clients,
      usage,
      cache,
      now: () => opts.now.getTime(),
      focusExportName: opts.focusExportName,
    });
  } finally {
    await cache?.close();
  }
  const cross = collection.crossCheck;
  return finishCycle(file, collection.snapshot, {
    out: opts.out,
    state: opts.state,
    now: opts.now,
    notifiers: opts.notifiers,
    links: opts.links,
    extra: {
      apiUsage: usage.report(),
      ...(cross
        ? {
            costExplorerForecast: cross.ok
              ? {
                  from: cross.range.start,
                  to: cross.range.end,
                  metric: cross.metric,
                  mean: Number(formatMoney(cross.mean, 2)),
                }
              : { from: cross.range.start, to: cross.range.end, error: cross.gap.message },
          }
        : {}),
    },
  });
}
