/**
 * The commands besides `run` and `validate`: their names, options and help, registered without loading the code that
 * does the work. Each action imports its module when it runs, so `--help` and `validate` start without the AWS SDK,
 * Vega, SQLite or the report code.
 */
import { type Command, Option } from 'commander';
import type { Decision } from '../core/plan/approval.ts';
import { ACTION_STATUSES } from '../core/plan/types.ts';
import type { ActionsFlags, PlanFlags, RollbackFlags } from './actions.ts';
import type { DecisionFlags } from './approvals.ts';
import type { CheckFlags } from './check.ts';
import type { InitFlags } from './init.ts';
import type { PricesFlags } from './prices.ts';
import type { ReportFlags } from './report.ts';
import type { ReviewFlags } from './review.ts';

type SetExit = (code: number) => void;

/** Adds `plan`, `actions` and `rollback` to the CLI. */
function registerActions(cli: Command, setExit: SetExit): void {
  cli
    .command('plan')
    .description(
      'print the scaling changes a cycle would make and why each is applied or held; changes nothing, writes nothing',
    )
    .option('--budgets <file>', 'budget file (YAML or JSON)')
    .option('--costs <files...>', 'cost files, as for run')
    .option('--metrics <file>', 'metrics CSV, as for run')
    .option('--as-of <day>', 'the day to judge (as for run)')
    .option('--state <dir>', 'ledger directory, read for cooldowns and earlier actions', '.perf-budgets')
    .option('--no-state', 'plan without the ledger (no cooldown is known)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--demo', 'plan on the bundled demo account')
    .option('--aws', 'plan on a live account (reads its scaling; writes nothing)')
    .option('--region <region>', 'with --aws: region of the endpoints')
    .option('--profile <profile>', 'with --aws: a named profile')
    .action(async (flags: PlanFlags) => {
      const { plan } = await import('./actions.ts');
      setExit(await plan(flags));
    });

  cli
    .command('actions')
    .description("list the ledger's scaling actions, newest first, with their status and reason")
    .option('--state <dir>', 'ledger directory (default .perf-budgets)')
    .option('--status <status...>', `only these statuses (${ACTION_STATUSES.join(', ')})`)
    .option('--endpoint <name>', 'only the actions of this endpoint')
    .option('--pending', 'only actions waiting for approval')
    .option(
      '--table <name>',
      "a deployment's ledger table (the stack's LedgerTableName output) instead of --state",
    )
    .option('--region <region>', 'with --table: its region (default AWS_REGION)')
    .option('--profile <profile>', 'with --table: a named profile of the shared config files')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: ActionsFlags) => {
      const { listActions } = await import('./actions.ts');
      setExit(await listActions(flags));
    });

  cli
    .command('rollback')
    .description(
      'put the resource of an applied change back to exactly the state recorded before it (live account)',
    )
    .argument('<id>', 'the action id (see `perf-budgets actions`)')
    .option('--state <dir>', 'ledger directory (default .perf-budgets)')
    .option('--reason <text>', 'why, recorded with the rollback', 'rolled back by hand')
    .option(
      '--budgets <file>',
      "budget file: the member accounts' roles, for a change made in a member account",
    )
    .option('--region <region>', 'region of the endpoint (default AWS_REGION)')
    .option('--profile <profile>', 'a named profile of the shared config files')
    .action(async (id: string, flags: RollbackFlags) => {
      const { rollback } = await import('./actions.ts');
      setExit(await rollback(id, flags));
    });
}

/** Adds `approve` or `reject` to the CLI. */
function registerDecision(cli: Command, decision: Decision, setExit: SetExit): void {
  const verb = decision === 'approve' ? 'approve' : 'reject';
  const cmd = cli
    .command(verb)
    .description(
      decision === 'approve'
        ? 'approve a change waiting for approval (approve mode) and apply it through the live account'
        : 'reject a change waiting for approval (approve mode); nothing is changed',
    )
    .argument('<id>', 'the action id (see `perf-budgets actions --pending`)')
    .requiredOption('--as <approver>', "who decides: an email or Slack member id from the budget's approvers")
    .requiredOption('--budgets <file>', 'the budget file whose approvers are checked')
    .option('--state <dir>', 'ledger directory (default .perf-budgets)')
    .option(
      '--table <name>',
      "a deployment's ledger table (the stack's LedgerTableName output) instead of --state",
    )
    .option('--region <region>', 'region of the table and the endpoints (default AWS_REGION)')
    .option('--profile <profile>', 'a named profile of the shared config files');
  if (decision === 'approve')
    cmd.option('--no-apply', 'record the approval only; the next live cycle applies the change');
  cmd.action(async (id: string, flags: DecisionFlags) => {
    const { decide } = await import('./approvals.ts');
    setExit(await decide(decision, id, flags));
  });
}

/** Adds the `report` command to the CLI. */
function registerReport(cli: Command, setExit: SetExit): void {
  cli
    .command('report')
    .description(
      'write the billing-cycle report (HTML with charts, Markdown, JSON) for the period containing --as-of',
    )
    .option('--budgets <file>', 'budget file (YAML or JSON)')
    .option(
      '--costs <files...>',
      'cost files: FOCUS 1.0 CSV, legacy CUR CSV or a saved Cost Explorer response',
    )
    .option('--metrics <file>', 'metrics CSV: timestamp,endpoint,variant,metric,stat,value')
    .option('--as-of <day>', 'the day to report, YYYY-MM-DD inclusive (default: last day of the cost data)')
    .requiredOption(
      '--out <dir>',
      'write report.html, report.md and report.json here, as one set; a new or empty directory, or one an earlier run wrote holding nothing else',
    )
    .option('--demo', 'report on the bundled demo account (examples/demo)')
    .action(async (flags: ReportFlags) => {
      const [{ report }, { demoInputs }] = await Promise.all([import('./report.ts'), import('./demo.ts')]);
      setExit(await report(flags, demoInputs));
    });
}

/** Adds the `review` command to the CLI. */
function registerReview(cli: Command, setExit: SetExit): void {
  cli
    .command('review')
    .description(
      "write a post-incident review skeleton (Markdown) from the ledger: a budget's alerts, its decided and applied changes, and their approvals",
    )
    .requiredOption('--budget <name>', 'the budget to review')
    .option('--state <dir>', 'ledger directory (default .perf-budgets)')
    .option('--budgets <file>', 'budget file, for the owner, tier and mode')
    .option('--period <day>', 'first day of the billing period to review (default: the latest with alerts)')
    .option('--out <file>', 'write the Markdown here instead of to stdout')
    .action(async (flags: ReviewFlags) => {
      const { review } = await import('./review.ts');
      setExit(await review(flags, new Date()));
    });
}

/** Adds the `init` command to the CLI. */
function registerInit(cli: Command, setExit: SetExit): void {
  cli
    .command('init')
    .description(
      'write a first budget file from a measured baseline: one budget per tag group (team, owner or project, and env), caps at the baseline plus a headroom, each with the numbers behind it',
    )
    .option(
      '--aws',
      'measure a live account with the default credential chain (AWS_ENDPOINT_URL is honoured)',
    )
    .option('--region <region>', 'with --aws: region of the endpoints (default AWS_REGION)')
    .option('--profile <profile>', 'with --aws: a named profile of the shared config files')
    .option(
      '--costs <files...>',
      'cost files: FOCUS 1.0 CSV, legacy CUR CSV or a saved Cost Explorer response (JSON); directories too',
    )
    .option('--metrics <file>', 'with --costs: metrics CSV: timestamp,endpoint,variant,metric,stat,value')
    .option('--demo', 'measure the bundled demo account (examples/demo)')
    .option('--days <n>', 'days measured, ending on the last closed day up to --as-of', '30')
    .option(
      '--as-of <day>',
      'the last day measured, YYYY-MM-DD (default: the last day of the cost data, or yesterday live)',
    )
    .option('--headroom <percent>', 'percent added to each measured value for its cap', '20')
    .option('--out <file>', 'write the budget file here (default: print it)')
    .option('--force', 'replace --out when it exists')
    .action(async (flags: InitFlags) => {
      const [{ init }, { demoInputs }] = await Promise.all([import('./init.ts'), import('./demo.ts')]);
      setExit(await init(flags, demoInputs, new Date()));
    });
}

/** Adds the `prices` command to the CLI. */
function registerPrices(cli: Command, setExit: SetExit): void {
  cli
    .command('prices')
    .description(
      'print the SageMaker list prices the pre-deploy check charges (date, source, per instance type), or --refresh them from the AWS Price List API into a table file for check --prices',
    )
    .option('--region <regions...>', 'only these regions (with --refresh: the regions to read)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--prices <file>', 'print this table file instead of the shipped table')
    .option(
      '--refresh',
      'read on-demand hosting prices from the AWS Price List API (needs --region and --out)',
    )
    .option('--out <file>', 'with --refresh: the table file to write (JSON, replaced whole)')
    .option('--profile <profile>', 'with --refresh: a named profile of the shared config files')
    .action(async (flags: PricesFlags) => {
      const { refresh, show } = await import('./prices.ts');
      setExit(flags.refresh ? await refresh(flags, { now: new Date() }) : await show(flags));
    });
}

/** Adds the `check` command to the CLI. */
function registerCheck(cli: Command, setExit: SetExit): void {
  cli
    .command('check')
    .description(
      'price the SageMaker endpoints of a CloudFormation template or cdk.out before deploy, and judge each budget they touch (exit 1 when one is over or cannot be priced)',
    )
    .argument(
      '<template>',
      'a CloudFormation template (JSON or YAML) or a cloud assembly directory (cdk.out)',
    )
    .option('--budgets <file>', 'budget file (YAML or JSON)')
    .option(
      '--base <template>',
      'the deployed version (a template or cdk.out): price only what the change adds',
    )
    .option('--costs <files...>', 'spend history: cost files (FOCUS, CUR, saved Cost Explorer responses)')
    .option('--metrics <file>', 'with --costs: metrics CSV')
    .option('--aws', 'spend history from the live account (default credential chain)')
    .option('--state <dir>', 'spend history from a ledger directory (closed days and inventory)')
    .option('--region <region>', 'region of env-agnostic stacks; with --aws, region of the account')
    .option('--profile <profile>', 'with --aws: a named profile')
    .option(
      '--prices <file>',
      'a price table written by `perf-budgets prices --refresh` (default: the shipped table)',
    )
    .option(
      '--as-of <day>',
      'the last day spent, YYYY-MM-DD (default: the history’s last day, else yesterday)',
    )
    .option('--parameter <key=value...>', 'template parameter values (repeatable)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(async (target: string, flags: CheckFlags) => {
      const { check } = await import('./check.ts');
      setExit(await check(target, flags, new Date()));
    });
}

/** Adds every command but `run` and `validate` to the CLI, in the order the help lists them. */
export function registerCommands(cli: Command, setExit: SetExit): void {
  registerReport(cli, setExit);
  registerReview(cli, setExit);
  registerActions(cli, setExit);
  registerDecision(cli, 'approve', setExit);
  registerDecision(cli, 'reject', setExit);
  registerInit(cli, setExit);
  registerPrices(cli, setExit);
  registerCheck(cli, setExit);
}
