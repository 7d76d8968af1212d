/**
 * Approve mode without Slack: `approve ID` and `reject ID`, each naming the approver with `--as`, decided by the
 * same application layer as a Slack button (checked against the budget file's approvers, moved exactly once,
 * recorded in the audit trail), against the local ledger or a deployment's DynamoDB ledger (`--table`). An
 * approved change is applied right away through the live account unless `--no-apply` leaves it to the next cycle.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import type { Decision } from '../core/plan/approval.ts';
import { type ApprovalLedger, applyApproved, decideApproval } from '../cycle/approve.ts';
import { loadBudgetFile } from '../formats/budget-file.ts';
import { SqliteLedger } from '../fs/ledger-sqlite.ts';
import type { Ledger } from '../ports.ts';
import { renderActions } from '../report/actions.ts';
import { liveActuators } from './run.ts';
import { print } from './terminal.ts';

export const ACTION_ID = /^act-[0-9a-f]{16}$/;

interface LedgerFlags {
  state?: string;
  table?: string;
  region?: string;
  profile?: string;
}

export interface DecisionFlags extends LedgerFlags {
  as: string;
  budgets: string;
  apply: boolean;
}

/**
 * The ledger an approval is decided in: the SQLite ledger under --state (it must exist: a cycle made the action),
 * or a deployment's DynamoDB table (--table, the stack's LedgerTableName output).
 */
export async function openApprovalLedger(
  flags: LedgerFlags,
  command: string,
): Promise<ApprovalLedger & Pick<Ledger, 'close'>> {
  if (flags.table !== undefined) {
    if (flags.state !== undefined) throw new InputError(`${command}: give --state or --table, not both`);
    const { DynamoDbLedger } = await import('../aws/ledger-dynamodb.ts');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const { fromIni } = await import('@aws-sdk/credential-providers');
    const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region)
      throw new InputError(`${command}: no AWS region for --table: pass --region or set AWS_REGION`);
    const client = new DynamoDBClient({
      region,
      ...(flags.profile ? { credentials: fromIni({ profile: flags.profile }) } : {}),
    });
    return new DynamoDbLedger(flags.table, {
      client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    });
  }
  const path = join(flags.state ?? '.perf-budgets', 'ledger.db');
  if (!existsSync(path))
    throw new InputError(
      `${command}: no ledger at ${path}; run a cycle first, or give --state DIR or --table NAME`,
    );
  return new SqliteLedger(path);
}

/**
 * `perf-budgets approve ID` / `reject ID`: the decision, checked and recorded as a Slack button's is; an approved
 * change is applied through the live account unless --no-apply. Exit 1 when applying it failed.
 */
export async function decide(decision: Decision, id: string, flags: DecisionFlags): Promise<number> {
  const verb = decision === 'approve' ? 'approve' : 'reject';
  if (!ACTION_ID.test(id))
    throw new InputError(`${verb}: expected an action id like act-0123456789abcdef, got ${id}`);
  const by = flags.as.trim();
  if (by === '') throw new InputError(`${verb}: --as: expected an approver's email or Slack member id`);
  const file = await loadBudgetFile(flags.budgets);
  const ledger = await openApprovalLedger(flags, verb);
  try {
    const now = Date.now();
    const key = `cli|${id}|${by}|${new Date(now).toISOString()}`;
    const r = await decideApproval({
      request: { actionId: id, decision, by, via: 'cli', key },
      file,
      ledger,
      now,
    });
    if (r.outcome === 'refused') throw new InputError(`${verb}: refused (${r.reason}): ${r.detail}`);
    print(`${r.detail}\n`);
    if (r.outcome === 'approved' && flags.apply !== false) {
      const { scaler } = await liveActuators(
        {
          ...(flags.region ? { region: flags.region } : {}),
          ...(flags.profile ? { profile: flags.profile } : {}),
        },
        file,
      );
      const applied = await applyApproved({ id, file, ledger, scaler, now: Date.now() });
      print(`${applied.detail}\n`);
      if (applied.action) print(renderActions([applied.action]));
      return applied.status === 'failed' ? 1 : 0;
    }
    if (r.action) print(renderActions([r.action]));
  } finally {
    await ledger.close();
  }
  return 0;
}
