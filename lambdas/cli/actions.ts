/**
 * The actuation commands: `plan` (what a cycle would change, changing nothing), `actions` (the ledger's actions)
 * and `rollback ID` (put a change back to the state recorded before it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { InputError } from '../core/errors.ts';
import { ACTION_STATUSES, type ActionStatus } from '../core/plan/types.ts';
import { rollbackAction } from '../cycle/act.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import { renderActions } from '../report/actions.ts';
import { openApprovalLedger } from './approvals.ts';
import { type LiveInputs, liveActuators, planCycle } from './run.ts';
import { jsonForTerminal, print } from './terminal.ts';

interface Inputs {
  budgets: string;
  files?: { costs: string[]; metrics?: string };
  asOf?: string;
}

export interface ActionsDeps {
  readonly setExit: (code: number) => void;
  readonly inputs: (flags: PlanFlags) => Promise<Inputs>;
}

export interface PlanFlags {
  budgets?: string;
  costs?: string[];
  metrics?: string;
  asOf?: string;
  state?: string | false;
  format: 'text' | 'json';
  demo?: boolean;
  aws?: boolean;
  region?: string;
  profile?: string;
}

const stateDir = (state: string | false | undefined) =>
  state === false ? false : (state ?? '.perf-budgets');

function openExisting(state: string | undefined, command: string): SqliteLedger {
  const path = join(state ?? '.perf-budgets', 'ledger.db');
  if (!existsSync(path))
    throw new InputError(`${command}: no ledger at ${path}; run a cycle first, or give --state DIR`);
  return new SqliteLedger(path);
}

const live = (flags: { region?: string; profile?: string }): LiveInputs => ({
  ...(flags.region ? { region: flags.region } : {}),
  ...(flags.profile ? { profile: flags.profile } : {}),
});

/** Adds `plan`, `actions` and `rollback` to the CLI. */
export function registerActions(cli: Command, deps: ActionsDeps): void {
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
      if (flags.aws && (flags.demo || flags.costs || flags.metrics)) {
        throw new InputError('plan: --aws reads the account; drop --demo, --costs and --metrics');
      }
      const inputs = await deps.inputs(flags);
      const { acted } = await planCycle({
        budgets: inputs.budgets,
        ...(flags.aws ? { live: live(flags) } : { files: inputs.files ?? { costs: [] } }),
        ...(inputs.asOf ? { asOf: inputs.asOf } : {}),
        state: stateDir(flags.state),
        now: new Date(),
      });
      if (flags.format === 'json') print(`${jsonForTerminal(JSON.stringify(acted.actions, null, 2))}\n`);
      else print(renderActions(acted.actions));
      deps.setExit(0);
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
    .action(
      async (flags: {
        state?: string;
        table?: string;
        region?: string;
        profile?: string;
        status?: string[];
        endpoint?: string;
        pending?: boolean;
        format: 'text' | 'json';
      }) => {
        const bad = flags.status?.find((s) => !(ACTION_STATUSES as readonly string[]).includes(s));
        if (bad !== undefined) {
          throw new InputError(
            `actions: --status: expected one of ${ACTION_STATUSES.join(', ')}, got ${bad}`,
          );
        }
        const statuses = [
          ...((flags.status ?? []) as ActionStatus[]),
          ...(flags.pending ? (['pending-approval'] as const) : []),
        ];
        const ledger = await openApprovalLedger(flags, 'actions');
        try {
          const list = await ledger.actions({
            ...(statuses.length > 0 ? { statuses } : {}),
            ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
          });
          if (flags.format === 'json') print(`${jsonForTerminal(JSON.stringify(list, null, 2))}\n`);
          else print(renderActions(list, 'No actions in the ledger.'));
        } finally {
          await ledger.close();
        }
        deps.setExit(0);
      },
    );

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
    .action(
      async (
        id: string,
        flags: { state?: string; reason: string; budgets?: string; region?: string; profile?: string },
      ) => {
        if (!/^act-[0-9a-f]{16}$/.test(id)) {
          throw new InputError(`rollback: expected an action id like act-0123456789abcdef, got ${id}`);
        }
        const file = flags.budgets ? await loadBudgetFile(flags.budgets) : undefined;
        const ledger = openExisting(flags.state, 'rollback');
        try {
          const { scaler } = await liveActuators(live(flags), {
            accounts: file?.accounts,
            billingPeriod: file?.billingPeriod ?? { startDay: 1, timezone: 'UTC' },
          });
          const rec = await rollbackAction({ id, ledger, scaler, now: Date.now(), reason: flags.reason });
          print(renderActions([rec]));
        } finally {
          await ledger.close();
        }
        deps.setExit(0);
      },
    );
}
