/**
 * The command line: `run` and `validate` here, the other commands in commands.ts. Every action imports the code
 * that does its work when it runs: the start parses the arguments with commander alone.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, exitCodeOf } from '../core/errors.ts';
import { registerCommands } from './commands.ts';
import type { RunFlags } from './run-command.ts';
import { print, printError } from './terminal.ts';

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
    .action(async (flags: RunFlags) => {
      const { run } = await import('./run-command.ts');
      setExit(await run(flags));
    });

  cli
    .command('validate')
    .description('check a budget file; prints every problem with its path and line')
    .argument('<file>', 'budget file (YAML or JSON)')
    .action(async (file: string) => {
      // built, this import loads a CommonJS bundle through V8's code cache (bin/build-cli.ts)
      const { validate } = await import('./validate.ts');
      setExit(await validate(file));
    });

  registerCommands(cli, setExit);

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
