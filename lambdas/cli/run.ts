/**
 * `perf-budgets run`: one governance cycle in one process, through the same steps the deployed pipeline runs
 * (collect, evaluate, report, notify), on files or on a live account. The parts a live run collects are those of the
 * deployed cycle (spend once, then inventory and metrics per account and region), so that one account gives the
 * same result on both paths.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as AwsClientsModule from '../aws/clients.ts';
import type { AwsClients } from '../aws/clients.ts';
import type * as AwsSourcesModule from '../aws/sources.ts';
import type { AwsSourcesOptions } from '../aws/sources.ts';
import type { AlertLinks, AlertMessage } from '../core/alert-text.ts';
import { ApiUsage } from '../core/api-usage.ts';
import { type BudgetFile, collectionTargets } from '../core/budget.ts';
import { InputError } from '../core/errors.ts';
import type { CycleResult } from '../core/evaluate/types.ts';
import { DayClock } from '../core/period.ts';
import { withActionFindings } from '../core/plan/action-findings.ts';
import type { ScalableResource } from '../core/plan/types.ts';
import type { Snapshot } from '../core/types.ts';
import { type ActOutcome, actStep } from '../cycle/act.ts';
import { resolveAsOf } from '../cycle/as-of.ts';
import { collectResources, collectSpend } from '../cycle/collect.ts';
import type { SnapshotPart } from '../cycle/contract.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { alertStep } from '../cycle/notify.ts';
import { mergeSnapshotParts } from '../cycle/parts.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { loadCostFiles } from '../formats/cost-files.ts';
import { loadMetricsCsv } from '../formats/metrics-csv.ts';
import { checkOutDir, writeOutputSet } from '../fs/dir-sink.ts';
import { openLedger } from '../fs/ledger-sqlite.ts';
import type { Delivery, Notifier, ParameterPublisher, Scaler, TrainingJobSource } from '../ports.ts';

export interface FileInputs {
  /** Cost files: FOCUS 1.0 CSV, legacy CUR CSV, saved Cost Explorer responses. */
  readonly costs: readonly string[];
  /** Metrics CSV: timestamp,endpoint,variant,metric,stat,value. */
  readonly metrics?: string;
}

export interface LiveInputs {
  readonly region?: string;
  readonly profile?: string;
  readonly focusExportName?: string;
}

export interface RunOptions {
  readonly budgets: string;
  /** Files to read; a live account when absent. */
  readonly files?: FileInputs;
  readonly live?: LiveInputs;
  /** Day judged (inclusive, billing time zone); default: the last day of the files' data, or yesterday live. */
  readonly asOf?: string;
  /** Directory for cycle.json, summary.md and the report (report.html, .md, .json); nothing is written when absent. */
  readonly out?: string;
  /** Ledger directory; `false` runs without one (every finding counts as new, no day is cached). */
  readonly state?: string | false;
  /** The wall clock, read once at the edge: alert timestamps and a live run's default day, never "to date". */
  readonly now: Date;
  /** Where the cycle's new alerts go (Slack when SLACK_WEBHOOK_URL is set); none by default. */
  readonly notifiers?: readonly Notifier[];
  /** Links the alerts carry (report, dashboard, runbook). */
  readonly links?: AlertLinks;
  /** Change nothing in the account whatever the modes allow (`--dry-run`). */
  readonly dryRun?: boolean;
}

export interface RunOutput {
  readonly result: CycleResult;
  readonly file: BudgetFile;
  /** The alerts this cycle opened, escalated or resolved (with --no-state: every open one), with their words. */
  readonly alerts: readonly AlertMessage[];
  /** Alerts still open in the same state as already sent this period: not sent again. */
  readonly unchanged: number;
  /** What became of each alert on each notifier. */
  readonly deliveries: readonly Delivery[];
  /** Alerts no channel delivered: forgotten by the ledger, so the next run sends them again. */
  readonly undelivered: number;
  readonly written: readonly string[];
  /** What the act step planned, applied, verified and rolled back. */
  readonly acted: ActOutcome;
}

const ledgerAt = (state: string | undefined) => openLedger(join(state ?? '.perf-budgets', 'ledger.db'));

/** The parts of a cycle read from files: their spend, and their metrics (files hold no inventory). */
export async function collectFiles(
  file: BudgetFile,
  inputs: FileInputs,
  o: { readonly asOf?: string; readonly now: Date },
): Promise<SnapshotPart[]> {
  const costs = await loadCostFiles([...inputs.costs], { costMetric: file.costMetric });
  let last = Number.NEGATIVE_INFINITY;
  for (const r of costs.records) if (r.start > last) last = r.start;
  if (o.asOf === undefined && !Number.isFinite(last))
    throw new InputError(`${inputs.costs.join(', ')}: no cost rows; give --as-of or a file with data`);
  const timezone = file.billingPeriod.timezone;
  const asOf = resolveAsOf({
    given: o.asOf,
    now: o.now.getTime(),
    timezone,
    live: false,
    ...(Number.isFinite(last) ? { dataEnd: new DayClock(timezone).dayOf(last) } : {}),
    label: '--as-of',
  });
  const metrics = inputs.metrics === undefined ? undefined : await loadMetricsCsv(inputs.metrics);
  return [
    await collectSpend({ file, asOf, sources: { spend: { load: async () => costs } } }),
    await collectResources({
      file,
      asOf,
      sources: metrics ? { metrics: { load: async () => metrics } } : {},
    }),
  ];
}

/** The snapshot of files, merged: what `perf-budgets report` and the tests judge. */
export async function snapshotOfFiles(
  file: BudgetFile,
  inputs: FileInputs,
  o: { readonly asOf?: string; readonly now: Date },
): Promise<Snapshot> {
  return mergeSnapshotParts(await collectFiles(file, inputs, o), file);
}

/** What a live collection has open: the day, the home account's clients and what every source is built with. */
interface Live {
  readonly file: BudgetFile;
  readonly asOf: string;
  readonly home: AwsClients;
  readonly common: Omit<AwsSourcesOptions, 'clients' | 'usage'>;
  readonly aws: { readonly clients: typeof AwsClientsModule; readonly sources: typeof AwsSourcesModule };
}

const liveSpend = (live: Live): Promise<SnapshotPart> =>
  collectSpend({
    file: live.file,
    asOf: live.asOf,
    sources: live.aws.sources.awsSpendSources({ ...live.common, clients: live.home, usage: new ApiUsage() }),
  });

interface LiveOptions {
  readonly asOf?: string;
  readonly now: Date;
  readonly state?: string | false;
}

/**
 * Opens what a live collection needs: the as-of day, the home account's clients and the cache of closed days, closed
 * again once `use` is done.
 */
async function withLive<T>(
  file: BudgetFile,
  inputs: LiveInputs,
  o: LiveOptions,
  use: (live: Live) => Promise<T>,
): Promise<T> {
  const timezone = file.billingPeriod.timezone;
  const asOf = resolveAsOf({ given: o.asOf, now: o.now.getTime(), timezone, live: true, label: '--as-of' });
  // the SDK is loaded only for live runs: a file run does not pay for it
  const aws = { clients: await import('../aws/clients.ts'), sources: await import('../aws/sources.ts') };
  const home = aws.clients.buildClients({ region: inputs.region, profile: inputs.profile });
  const cache = o.state === false ? undefined : ledgerAt(o.state);
  const common = {
    file,
    asOf,
    cache,
    history: cache,
    now: () => o.now.getTime(),
    focusExportName: inputs.focusExportName,
  };
  try {
    return await use({ file, asOf, home, common, aws });
  } finally {
    await cache?.close();
  }
}

/** The spend part of a live cycle alone: what `init` asks again once it knows the tags its budgets select. */
export async function collectLiveSpend(
  file: BudgetFile,
  inputs: LiveInputs,
  o: LiveOptions,
): Promise<SnapshotPart> {
  return withLive(file, inputs, o, liveSpend);
}

/** The parts of a live cycle, as the deployed pipeline collects them: spend once, then each account and region. */
export async function collectLive(
  file: BudgetFile,
  inputs: LiveInputs,
  o: LiveOptions,
): Promise<SnapshotPart[]> {
  return withLive(file, inputs, o, async (live) => {
    const { asOf, home, common, aws } = live;
    const parts: SnapshotPart[] = [await liveSpend(live)];
    const targets = file.accounts ? collectionTargets(file.accounts, home.region) : [];
    const members = new aws.clients.TargetClients({
      homeRegion: home.region,
      sessionName: 'perf-budgets-cli',
    });
    for (const target of targets.length > 0 ? targets : [undefined]) {
      const clients =
        target === undefined || (target.roleArn === undefined && target.region === home.region)
          ? home
          : members.for(target);
      const resourceSources = aws.sources.awsResourceSources({ ...common, clients, usage: new ApiUsage() });
      parts.push(await collectResources({ file, asOf, sources: resourceSources }, target));
    }
    return parts;
  });
}

/**
 * One full governance cycle: check where it writes, collect, evaluate, open the ledger, write the outputs, then
 * alert and remember in the ledger. Everything that can refuse (inputs, --out, the ledger) does so before the first
 * output is written, and the outputs are written as one set.
 */
export async function runCycle(opts: RunOptions): Promise<RunOutput> {
  const file = await loadBudgetFile(opts.budgets);
  if (opts.out) await checkOutDir(opts.out);
  const parts = opts.files
    ? await collectFiles(file, opts.files, opts)
    : await collectLive(file, opts.live ?? {}, opts);
  const { snapshot, evaluation, result: judged, records } = evaluateStep(file, parts);

  const ledger = opts.state === false ? undefined : ledgerAt(opts.state);
  try {
    const live = opts.files ? undefined : await liveActuators(opts.live ?? {}, file);
    const acted = await actStep({
      file,
      snapshot,
      result: judged,
      allocation: evaluation.allocation,
      ...(ledger ? { ledger } : {}),
      ...(live ? { ...live, writesTo: (r: ScalableResource) => live.scaler.reaches(r) } : {}),
      now: opts.now.getTime(),
      dryRun: opts.dryRun === true,
    });
    const result = withActionFindings(judged, acted.actions, file, ledger ? acted.approvals : undefined);
    // the report and its charts' Vega are loaded only by a run that writes them, and only once the steps before
    // (which never need them) are done
    let written: string[] = [];
    if (opts.out) {
      const { reportStep } = await import('../cycle/report.ts');
      written = await writeOutputSet(
        opts.out,
        (await reportStep({ evaluation, snapshot, file, result })).files,
      );
    }
    const step = await alertStep({
      result,
      records,
      ledger,
      notifiers: opts.notifiers ?? [],
      links: opts.links,
      now: opts.now,
    });
    return { result, file, ...step, written, acted };
  } finally {
    await ledger?.close();
  }
}

/**
 * Application Auto Scaling, SSM and the training jobs of the live account: what `run --aws` and `rollback` use. Each
 * resource is changed in its own account and region: the credentials' own, or a member account's through the role
 * the budget file lists for it.
 */
export async function liveActuators(
  inputs: LiveInputs,
  file: Pick<BudgetFile, 'accounts' | 'billingPeriod'>,
): Promise<{
  readonly scaler: Scaler & { reaches(r: ScalableResource): boolean };
  readonly parameters: ParameterPublisher;
  readonly training: TrainingJobSource;
}> {
  const { buildClients, TargetClients } = await import('../aws/clients.ts');
  const { AutoScalingWriter } = await import('../aws/autoscaling-writer.ts');
  const { RoutingScaler } = await import('../aws/routing-scaler.ts');
  const { SsmParameters } = await import('../aws/parameters.ts');
  const { SageMakerTrainingJobs } = await import('../aws/training-jobs.ts');
  const clients = buildClients({ region: inputs.region, profile: inputs.profile });
  const usage = new ApiUsage();
  const writer = (c: typeof clients) =>
    new AutoScalingWriter({ autoscaling: c.autoScaling, cloudwatch: c.cloudWatch, usage });
  const members = new TargetClients({ homeRegion: clients.region, sessionName: 'perf-budgets-cli' });
  return {
    scaler: new RoutingScaler({
      home: writer(clients),
      homeRegion: clients.region,
      accounts: file.accounts ?? [],
      member: (target) => writer(members.for(target)),
    }),
    parameters: new SsmParameters({ ssm: clients.ssm, usage }),
    training: new SageMakerTrainingJobs({
      sagemaker: clients.sageMaker,
      usage,
      timezone: file.billingPeriod.timezone,
    }),
  };
}

/** The cycle's plan without changing anything: collect, evaluate and plan, the ledger read but never written. */
export async function planCycle(opts: Omit<RunOptions, 'out' | 'notifiers' | 'links' | 'dryRun'>): Promise<{
  readonly result: CycleResult;
  readonly acted: ActOutcome;
}> {
  const file = await loadBudgetFile(opts.budgets);
  const parts = opts.files
    ? await collectFiles(file, opts.files, opts)
    : await collectLive(file, opts.live ?? {}, opts);
  const { snapshot, evaluation, result } = evaluateStep(file, parts);
  // the ledger is read when there is one, and never created: a plan writes nothing
  const path = opts.state === false ? undefined : join(opts.state ?? '.perf-budgets', 'ledger.db');
  const ledger = path !== undefined && existsSync(path) ? openLedger(path) : undefined;
  try {
    const readOnly = ledger && {
      actions: ledger.actions.bind(ledger),
      approvals: ledger.approvals.bind(ledger),
      putAction: async () => true,
      recordApproval: async () => true,
    };
    const acted = await actStep({
      file,
      snapshot,
      result,
      allocation: evaluation.allocation,
      ...(readOnly ? { ledger: readOnly } : {}),
      ...(opts.files ? {} : { scaler: (await liveActuators(opts.live ?? {}, file)).scaler }),
      now: opts.now.getTime(),
      dryRun: true,
    });
    return { result: { ...result, actions: acted.actions }, acted };
  } finally {
    await ledger?.close();
  }
}
