/**
 * The actuation commands: `plan` (what a cycle would change, changing nothing), `actions` (the ledger's actions)
 * and `rollback ID` (put a change back to the state recorded before it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { ACTION_STATUSES, type ActionStatus } from '../core/plan/types.ts';
import { rollbackAction } from '../cycle/act.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import { renderActions } from '../report/actions.ts';
import { openApprovalLedger } from './approvals.ts';
import { cycleInputs } from './demo.ts';
import { type LiveInputs, liveActuators, planCycle } from './run.ts';
import { jsonForTerminal, print } from './terminal.ts';

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

/** `perf-budgets plan`: the changes a cycle would make, changing and writing nothing. */
export async function plan(flags: PlanFlags): Promise<number> {
  if (flags.aws && (flags.demo || flags.costs || flags.metrics)) {
    throw new InputError('plan: --aws reads the account; drop --demo, --costs and --metrics');
  }
  const inputs = await cycleInputs('plan', flags);
  const files = { costs: inputs.costs ?? [], ...(inputs.metrics ? { metrics: inputs.metrics } : {}) };
  const { acted } = await planCycle({
    budgets: inputs.budgets,
    ...(flags.aws ? { live: live(flags) } : { files }),
    ...(inputs.asOf ? { asOf: inputs.asOf } : {}),
    state: stateDir(flags.state),
    now: new Date(),
  });
  if (flags.format === 'json') print(`${jsonForTerminal(JSON.stringify(acted.actions, null, 2))}\n`);
  else print(renderActions(acted.actions));
  return 0;
}

export interface ActionsFlags {
  state?: string;
  table?: string;
  region?: string;
  profile?: string;
  status?: string[];
  endpoint?: string;
  pending?: boolean;
  format: 'text' | 'json';
}

/** `perf-budgets actions`: the ledger's actions, newest first. */
export async function listActions(flags: ActionsFlags): Promise<number> {
  const bad = flags.status?.find((s) => !(ACTION_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) {
    throw new InputError(`actions: --status: expected one of ${ACTION_STATUSES.join(', ')}, got ${bad}`);
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
  return 0;
}

export interface RollbackFlags {
  state?: string;
  reason: string;
  budgets?: string;
  region?: string;
  profile?: string;
}

/** `perf-budgets rollback ID`: the resource of an applied change put back to the state recorded before it. */
export async function rollback(id: string, flags: RollbackFlags): Promise<number> {
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
  return 0;
}
