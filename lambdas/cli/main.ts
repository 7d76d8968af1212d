import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import * as z from 'zod';
import { alertTag } from '../core/alert-text.ts';
import { EXIT, exitCodeOf, InputError } from '../core/errors.ts';
import type { Status } from '../core/types.ts';
import { checkBudgetFile, formatProblem } from '../formats/budget-file.ts';
import { renderActions } from '../report/actions.ts';
import { renderText } from '../report/summary.ts';
import { type PlanFlags, registerActions } from './actions.ts';
import { registerApprovals } from './approvals.ts';
import { registerCheck } from './check.ts';
import { registerInit } from './init.ts';
import { localNotifiers } from './notifiers.ts';
import { registerPrices } from './prices.ts';
import { registerReport } from './report.ts';
import { registerReview } from './review.ts';
import { type RunOutput, runCycle } from './run.ts';
import { jsonForTerminal, print, printError } from './terminal.ts';

// the package root: this file is lambdas/cli/main.ts in a clone, dist/lambdas/cli/main.js once built
const ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.endsWith('.ts') ? '../..' : '../../..',
);
const DEMO_MANIFEST = resolve(ROOT, 'examples/demo/demo.json');

interface RunFlags {
  budgets?: string;
  costs?: string[];
  metrics?: string;
  asOf?: string;
  out?: string;
  state?: string | false;
  format: 'text' | 'json';
  failOn?: 'breach' | 'at-risk';
  demo?: boolean;
  aws?: boolean;
  region?: string;
  profile?: string;
  dryRun?: boolean;
}

/** examples/demo/demo.json: the demo's inputs, relative to it, and the day it judges. */
const DemoManifest = z.object({
  asOf: z.iso.date(),
  budgets: z.string(),
  costs: z.array(z.string()).min(1),
  metrics: z.string().optional(),
});

async function demoInputs(): Promise<{ budgets: string; costs: string[]; metrics?: string; asOf: string }> {
  const manifest = DemoManifest.parse(JSON.parse(await readFile(DEMO_MANIFEST, 'utf8')));
  const at = (p: string) => resolve(dirname(DEMO_MANIFEST), p);
  return {
    asOf: manifest.asOf,
    budgets: at(manifest.budgets),
    costs: manifest.costs.map(at),
    metrics: manifest.metrics === undefined ? undefined : at(manifest.metrics),
  };
}

/** The budget file and cost files of `plan`: the demo's, or the flags'. */
async function planInputs(flags: PlanFlags) {
  const demo = flags.demo ? await demoInputs() : undefined;
  const budgets = flags.budgets ?? demo?.budgets;
  const costs = flags.costs ?? demo?.costs;
  if (!budgets) throw new InputError('plan: --budgets FILE is required (or --demo)');
  if (!flags.aws && (!costs || costs.length === 0)) {
    throw new InputError('plan: --costs FILE is required (or --demo, or --aws for a live account)');
  }
  const metrics = flags.metrics ?? demo?.metrics;
  const asOf = flags.asOf ?? demo?.asOf;
  return {
    budgets,
    ...(costs ? { files: { costs, ...(metrics ? { metrics } : {}) } } : {}),
    ...(asOf ? { asOf } : {}),
  };
}

async function run(flags: RunFlags): Promise<number> {
  if (flags.aws && (flags.demo || flags.costs || flags.metrics)) {
    throw new InputError(
      'run: --aws reads costs and metrics from the account; drop --demo, --costs and --metrics',
    );
  }
  const demo = flags.demo ? await demoInputs() : undefined;
  const budgets = flags.budgets ?? demo?.budgets;
  const costs = flags.costs ?? demo?.costs;
  if (!budgets) throw new InputError('run: --budgets FILE is required (or --demo)');
  if (!flags.aws && (!costs || costs.length === 0)) {
    throw new InputError('run: --costs FILE is required (or --demo, or --aws for a live account)');
  }
  // read before anything runs: a malformed webhook URL is bad input, and nothing gets written
  const notifiers = localNotifiers(process.env);
  const links = flags.out ? { report: resolve(flags.out, 'report.html') } : {};
  const out = await runCycle({
    budgets,
    ...(flags.aws
      ? { live: { region: flags.region, profile: flags.profile } }
      : { files: { costs: costs ?? [], metrics: flags.metrics ?? demo?.metrics } }),
    asOf: flags.asOf ?? demo?.asOf,
    out: flags.out,
    state: flags.state,
    now: new Date(),
    notifiers,
    links,
    dryRun: flags.dryRun === true,
  });
  if (flags.format === 'json') {
    process.stdout.write(`${jsonForTerminal(JSON.stringify(out.result, null, 2))}\n`);
  } else {
    print(renderText(out.result));
    print(`\nScaling changes:\n${renderActions(out.acted.actions, undefined, out.acted.problems)}`);
    print(`\n${alertSummary(out)}`);
  }
  return failsGate(flags.failOn, out.result.budgets) ? EXIT.breach : EXIT.ok;
}

/**
 * Whether `--fail-on` fails the run: a budget at the status or worse. Unknown spend fails either gate: a gate that
 * cannot read the spend cannot say it is within its cap.
 */
export function failsGate(
  failOn: RunFlags['failOn'],
  budgets: readonly { readonly status: Status }[],
): boolean {
  if (failOn === undefined) return false;
  const failing: readonly Status[] =
    failOn === 'breach' ? ['breached', 'unknown'] : ['breached', 'unknown', 'at-risk'];
  return budgets.some((b) => failing.includes(b.status));
}

/** The cycle's alerts, one headline each, what the channels did with them, and the files written. */
export function alertSummary(out: RunOutput): string {
  const count = (t: string) => out.alerts.filter((m) => m.alert.transition === t).length;
  const lines = [
    `Alerts: ${count('opened')} opened, ${count('escalated')} escalated, ${count('resolved')} resolved; ${out.unchanged} unchanged since last sent.`,
    ...out.alerts.map((m) => `  [${alertTag(m.text)}] ${m.text.headline}`),
  ];
  const channels = [...new Set(out.deliveries.map((d) => d.channel))];
  for (const c of channels) {
    const ds = out.deliveries.filter((d) => d.channel === c);
    const failed = ds.filter((d) => d.status === 'failed');
    lines.push(
      `${c}: ${ds.length - failed.length} sent${failed.length ? `, ${failed.length} failed (${failed[0]?.detail ?? 'no reason given'})` : ''}.`,
    );
  }
  if (out.written.length) lines.push(`Wrote ${out.written.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

async function validate(file: string): Promise<number> {
  const r = await checkBudgetFile(file);
  if (r.ok) {
    print(`${file}: ok (${r.file.budgets.length} budgets, ${Object.keys(r.file.tiers).length} tiers)\n`);
    return EXIT.ok;
  }
  for (const p of r.problems) printError(`${formatProblem(file, p)}\n`);
  return EXIT.input;
}

export function program(setExit: (code: number) => void): Command {
  const cli = new Command('perf-budgets')
    .description(
      'Performance budgets for ML inference on AWS: spend, unit cost, latency and idle capacity of SageMaker endpoints.',
    )
    .exitOverride()
    .configureOutput({ writeOut: print, writeErr: printError, outputError: (s, write) => write(s) });

  cli
    .command('run')
    .description('run one governance cycle: collect, evaluate, report findings with their cause and actions')
    .option('--budgets <file>', 'budget file (YAML or JSON)')
    .option(
      '--costs <files...>',
      'cost files: FOCUS 1.0 CSV, legacy CUR CSV or a saved Cost Explorer response (JSON); directories too',
    )
    .option(
      '--metrics <file>',
      'metrics CSV: timestamp,endpoint,variant,metric,stat,value (CloudWatch names and units)',
    )
    .option(
      '--as-of <day>',
      'the day to judge, YYYY-MM-DD inclusive in the billing time zone (default: last day of the cost data)',
    )
    .option(
      '--out <dir>',
      'write cycle.json, summary.md and the report (report.html, report.md, report.json) here, as one set; a new or empty directory, or one an earlier run wrote holding nothing else',
    )
    .option('--state <dir>', 'ledger directory (alerts sent, closed days)', '.perf-budgets')
    .option('--no-state', 'run without a ledger: every finding counts as new')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(
      new Option(
        '--fail-on <status>',
        'exit 1 when a budget reaches this status or worse; a budget whose spend is unknown fails either',
      ).choices(['breach', 'at-risk']),
    )
    .option('--demo', 'run on the bundled demo account (examples/demo)')
    .option('--aws', 'run on a live account with the default credential chain (AWS_ENDPOINT_URL is honoured)')
    .option('--region <region>', 'with --aws: region of the endpoints (default AWS_REGION)')
    .option('--profile <profile>', 'with --aws: a named profile of the shared config files')
    .option(
      '--dry-run',
      'change nothing in the account whatever the tiers allow: what enforce would apply is shown as skipped (dry-run)',
    )
    .action(async (flags: RunFlags) => setExit(await run(flags)));

  cli
    .command('validate')
    .description('check a budget file; prints every problem with its path and line')
    .argument('<file>', 'budget file (YAML or JSON)')
    .action(async (file: string) => setExit(await validate(file)));

  registerReport(cli, { setExit, demoInputs });
  registerReview(cli, { setExit });
  registerActions(cli, { setExit, inputs: planInputs });
  registerApprovals(cli, { setExit });
  registerInit(cli, { setExit, demoInputs });
  registerPrices(cli, { setExit });
  registerCheck(cli, { setExit });

  return cli;
}

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => {
      code = c;
    }).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    const code = exitCodeOf(err);
    if (code === EXIT.internal) {
      printError(
        `perf-budgets: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    } else {
      // Errors of the family carry one line that says what to fix; their stack would only hide it.
      printError(`perf-budgets: ${(err as Error).message}\n`);
    }
    return code;
  }
  return code;
}
