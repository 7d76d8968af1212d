import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import type { ActionRecord } from '../../lambdas/core/plan/types.ts';
import { applyApproved, decideApproval, refuseRequest } from '../../lambdas/cycle/approve.ts';
import { BUDGETS_KEY } from '../../lambdas/cycle/contract.ts';
import type { Scaler } from '../../lambdas/ports.ts';
import { readBudgetFile } from '../../lib/budget-config.ts';
import type { PerfBudgetsStack } from '../../lib/stack.ts';
import { action } from '../helpers/ledger.ts';
import { loopbackLedgerTable } from '../helpers/loopback-dynamodb.ts';
import { DEMO_BUDGETS, editedBudgets, synthStack } from './helpers.ts';
import {
  ACCOUNT,
  arn,
  type Context,
  deployedArns,
  evaluate,
  type NamedPolicy,
  onTarget,
  policiesOf,
  REGION,
  type Request,
  registerNew,
  tagged,
  targetTracking,
} from './iam-simulation.ts';

/**
 * The approvals handler's role (behind a public Function URL) and the worker's role, simulated against the calls
 * they make and the ones they must never be able to make.
 */

const MEMBER = 'arn:aws:iam::123456789012:role/perf-budgets-member';

interface Role {
  readonly policies: NamedPolicy[];
  readonly principal: string;
}
let handler: Role;
let worker: Role;
/** Deployed ARNs of the stack's resources, by what they are. */
let arns: {
  table: string;
  bucket: string;
  secret: string;
  topic: string;
  workerFunction: string;
  handlerFunction: string;
  act: string;
};

function roleOf(template: Template, stack: PerfBudgetsStack, role: IConstruct, name: string): Role {
  return {
    policies: policiesOf(template, stack.getLogicalId(role.node.defaultChild as never)),
    principal: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  };
}

beforeAll(() => {
  // a member account in the budget file: the worker applies changes there too
  const path = editedBudgets((t) =>
    t.replace('budgets:\n', `accounts:\n  - { id: "123456789012", roleArn: ${MEMBER} }\nbudgets:\n`),
  );
  const { stack, template } = synthStack({ budgetsFile: path });
  const p = stack.perfBudgets;
  const approvals = p.approvals;
  if (!approvals)
    throw new Error('the demo budget file alerts on Slack: the approvals functions are expected');
  handler = roleOf(template, stack, approvals.handler.role, 'ApprovalsHandler-1');
  worker = roleOf(template, stack, approvals.worker.role, 'perf-budgets/ApprovalsApply-1');
  const deployed = deployedArns(template);
  const arnOf = (c: IConstruct) => deployed[stack.getLogicalId(c.node.defaultChild as never)]?.arn ?? '';
  arns = {
    table: arnOf(p.table),
    bucket: arnOf(p.dataBucket),
    secret: arnOf(p.slackSecret),
    topic: arnOf(p.topic),
    workerFunction: arnOf(approvals.worker.function),
    handlerFunction: arnOf(approvals.handler.function),
    act: arnOf(p.functions.act.function),
  };
});

const transaction = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };

/** What deciding a click does: the secret, the budget file, the audit record and the action's conditional move. */
const decide = (): Request[] => [
  { action: 'secretsmanager:GetSecretValue', resource: arns.secret },
  { action: 's3:GetObject', resource: `${arns.bucket}/${BUDGETS_KEY}` },
  { action: 'dynamodb:GetItem', resource: arns.table },
  { action: 'dynamodb:PutItem', resource: arns.table },
  { action: 'dynamodb:PutItem', resource: arns.table, context: transaction },
  { action: 'dynamodb:DeleteItem', resource: arns.table, context: transaction },
];

/** What neither may do: other secrets, other objects, the table beyond the ledger's own writes, alerts, spend. */
const NEITHER: readonly [string, () => Request][] = [
  [
    'read another secret',
    () => ({
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-password-AbCdEf`,
    }),
  ],
  [
    'read a snapshot',
    () => ({ action: 's3:GetObject', resource: `${arns.bucket}/snapshots/2026-10-15/r.json` }),
  ],
  ['write the budget file', () => ({ action: 's3:PutObject', resource: `${arns.bucket}/${BUDGETS_KEY}` })],
  ['delete an item outside a transaction', () => ({ action: 'dynamodb:DeleteItem', resource: arns.table })],
  ['update an item', () => ({ action: 'dynamodb:UpdateItem', resource: arns.table })],
  ['batch-write the table', () => ({ action: 'dynamodb:BatchWriteItem', resource: arns.table })],
  ['scan the table', () => ({ action: 'dynamodb:Scan', resource: arns.table })],
  [
    'write another table',
    () => ({ action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` }),
  ],
  ['publish to the alert topic', () => ({ action: 'sns:Publish', resource: arns.topic })],
  ['read Cost Explorer', () => ({ action: 'ce:GetCostAndUsage', resource: '*' })],
  [
    'write an SSM parameter',
    () => ({
      action: 'ssm:PutParameter',
      resource: arn('ssm', ACCOUNT, 'parameter/perf-budgets/prod/status'),
    }),
  ],
  ['invoke the act step', () => ({ action: 'lambda:InvokeFunction', resource: arns.act })],
];

describe('the approvals handler role, simulated', () => {
  const run = (requests: readonly Request[]) => evaluate(handler.policies, handler.principal, requests);

  it('reads the Slack secret and the budget file, and moves an action and records the decision in the ledger', async () => {
    expect(await run(decide())).toBe('Allowed');
  });

  it('invokes the worker, and no other function', async () => {
    expect(await run([{ action: 'lambda:InvokeFunction', resource: arns.workerFunction }])).toBe('Allowed');
    expect(await run([{ action: 'lambda:InvokeFunction', resource: `${arns.workerFunction}:7` }])).toMatch(
      /^ImplicitlyDenied/,
    );
    expect(await run([{ action: 'lambda:InvokeFunction', resource: arns.handlerFunction }])).toMatch(
      /^ImplicitlyDenied/,
    );
  });

  it('cannot change scaling, even on a tagged endpoint', async () => {
    expect(await run(onTarget('RegisterScalableTarget', tagged))).toMatch(
      /^ImplicitlyDenied: application-autoscaling:RegisterScalableTarget/,
    );
    expect(await run(targetTracking(tagged, 'PutScalingPolicy'))).toMatch(/^ImplicitlyDenied/);
    expect(await run(registerNew(tagged))).toMatch(/^ImplicitlyDenied/);
    expect(await run([{ action: 'application-autoscaling:DescribeScalableTargets', resource: '*' }])).toMatch(
      /^ImplicitlyDenied/,
    );
  });

  it('cannot list the ledger: it reads items by key only', async () => {
    expect(await run([{ action: 'dynamodb:Query', resource: arns.table }])).toMatch(/^ImplicitlyDenied/);
  });

  it('cannot assume a member role', async () => {
    expect(await run([{ action: 'sts:AssumeRole', resource: MEMBER }])).toMatch(/^ImplicitlyDenied/);
  });

  it.each(NEITHER)('cannot %s', async (_, request) => {
    expect(await run([request()])).toMatch(/^ImplicitlyDenied/);
  });
});

describe('the approval worker role, simulated', () => {
  const run = (requests: readonly Request[]) => evaluate(worker.policies, worker.principal, requests);

  it('reads the Slack secret and the budget file, lists an endpoint’s actions and moves the action', async () => {
    expect(await run([...decide(), { action: 'dynamodb:Query', resource: arns.table }])).toBe('Allowed');
  });

  it('writes a tagged scaling target, and assumes the listed member role to reach one elsewhere', async () => {
    expect(await run(onTarget('RegisterScalableTarget', tagged))).toBe('Allowed');
    expect(await run(targetTracking(tagged, 'PutScalingPolicy'))).toBe('Allowed');
    expect(await run([{ action: 'sts:AssumeRole', resource: MEMBER }])).toBe('Allowed');
  });

  it('invokes no function: not itself, not the handler, not the act step', async () => {
    for (const resource of [arns.workerFunction, arns.handlerFunction, arns.act]) {
      expect(await run([{ action: 'lambda:InvokeFunction', resource }])).toMatch(/^ImplicitlyDenied/);
    }
  });

  it('assumes no role but the listed member roles', async () => {
    expect(
      await run([{ action: 'sts:AssumeRole', resource: 'arn:aws:iam::123456789012:role/admin' }]),
    ).toMatch(/^ImplicitlyDenied/);
  });

  it.each(NEITHER)('cannot %s', async (_, request) => {
    expect(await run([request()])).toMatch(/^ImplicitlyDenied/);
  });
});

// --- what the application layer asks of the ledger ------------------------------------------------------------

/**
 * The IAM requests a DynamoDB call makes: one per operation, and one per item of a transaction (authorized as the
 * item's own operation, with `dynamodb:EnclosingOperation`).
 */
function iamRequestsOf(
  command: string,
  input: Record<string, unknown>,
): { action: string; context?: Context }[] {
  const operation = command.replace(/Command$/, '');
  if (operation !== 'TransactWriteItems' && operation !== 'TransactGetItems')
    return [{ action: `dynamodb:${operation}` }];
  const items = (input.TransactItems ?? []) as Record<string, unknown>[];
  const itemAction: Record<string, string> = {
    Put: 'PutItem',
    Delete: 'DeleteItem',
    Update: 'UpdateItem',
    ConditionCheck: 'ConditionCheckItem',
    Get: 'GetItem',
  };
  return items.flatMap((item) =>
    Object.keys(item).map((k) => ({
      action: `dynamodb:${itemAction[k] ?? k}`,
      context: { 'dynamodb:EnclosingOperation': operation },
    })),
  );
}

type Call = { readonly action: string; readonly context?: Context };

/**
 * What `run` does with a ledger on the loopback table, and the IAM requests of every DynamoDB call it made. (The
 * loopback's clients share one middleware stack: the recorder is there only while `run` runs.)
 */
async function recorded<T>(
  run: (ledger: DynamoDbLedger) => Promise<T>,
): Promise<{ result: T; calls: Call[] }> {
  const calls: Call[] = [];
  const client: DynamoDBDocumentClient = loopback.document();
  const name = 'recordIamRequests';
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(...iamRequestsOf(context.commandName ?? '', args.input as Record<string, unknown>));
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await run(new DynamoDbLedger(loopback.table(), { client })), calls };
  } finally {
    client.middlewareStack.remove(name);
  }
}

const loopback = loopbackLedgerTable();
const NOW = Date.parse('2026-10-10T09:00:00.000Z');

/** The demo budget file: search-prod's tier is in approve mode, with this approver. */
const approveFile = (): BudgetFile => readBudgetFile(DEMO_BUDGETS);
const APPROVER = 'U0PLATFORM1';

const pending = (id: string): ActionRecord => {
  const { appliedAt: _, measured: __, ...planned } = action(id);
  return {
    ...planned,
    status: 'pending-approval',
    history: [{ status: 'pending-approval', at: '2026-10-10T06:00:00.000Z', reason: 'approve' }],
  };
};

/** A scaler that finds the recorded state and writes without an account. */
const scaler = (a: ActionRecord): Scaler => ({
  read: async () =>
    new Map([[a.resource.resourceId, { state: a.before, foreignPolicies: [], foreignSchedules: [] }]]),
  write: async () => ['RegisterScalableTarget'],
});

describe('every ledger call of the approvals, simulated against their roles', () => {
  let seed: DynamoDbLedger;
  beforeEach(() => {
    seed = new DynamoDbLedger(loopback.table(), { client: loopback.document() });
  });
  const asRequests = (calls: Call[]): Request[] =>
    calls.map((c) => ({
      action: c.action,
      resource: arns.table,
      ...(c.context ? { context: c.context } : {}),
    }));

  it('lets the handler decide an approval, a replay, a late click and a refusal', async () => {
    const file = approveFile();
    await seed.putAction(pending('act-0001'), 'absent');
    await seed.putAction(
      { ...pending('act-0002'), history: [{ status: 'pending-approval', at: '2026-10-01T00:00:00.000Z' }] },
      'absent',
    );
    const request = {
      decision: 'approve',
      by: APPROVER,
      via: 'slack',
      key: 'slack|1791622800|v0=aa',
    } as const;
    const { result, calls } = await recorded(async (ledger) => {
      const decide = (actionId: string, key: string = request.key) =>
        decideApproval({ request: { ...request, actionId, key }, file, ledger, now: NOW });
      const outcomes = [
        await decide('act-0001'),
        await decide('act-0001'),
        await decide('act-0002', 'slack|2|v0=bb'),
      ];
      await refuseRequest(ledger, {
        key: 'slack|3|v0=cc',
        reason: 'bad-signature',
        by: 'unverified:U0FORGED',
        via: 'slack',
        detail: 'The request signature does not match; nothing was changed.',
        now: NOW,
      });
      return outcomes.map((o) => o.reason ?? o.outcome);
    });
    expect(result).toEqual(['approved', 'replay', 'expired']);
    // reads, plain puts (the audit trail) and transactions that move an action and delete its old copy
    expect(new Set(calls.map((c) => `${c.action}${c.context ? ' in a transaction' : ''}`))).toEqual(
      new Set([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:PutItem in a transaction',
        'dynamodb:DeleteItem in a transaction',
      ]),
    );
    expect(await evaluate(handler.policies, handler.principal, asRequests(calls))).toBe('Allowed');
  });

  it('lets the worker apply an approved change', async () => {
    const file = approveFile();
    const approved: ActionRecord = {
      ...pending('act-0001'),
      status: 'approved',
      history: [
        ...pending('act-0001').history,
        { status: 'approved', at: '2026-10-10T08:00:00.000Z', by: APPROVER },
      ],
    };
    await seed.putAction(approved, 'absent');
    const { result, calls } = await recorded((ledger) =>
      applyApproved({ id: 'act-0001', file, ledger, scaler: scaler(approved), now: NOW }),
    );
    expect(result.status).toBe('applied');
    expect(calls.map((c) => c.action)).toContain('dynamodb:Query');
    expect(await evaluate(worker.policies, worker.principal, asRequests(calls))).toBe('Allowed');
  });
});
