import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lambdas/aws/ledger-dynamodb.ts';
import { decideApproval } from '../../lambdas/cycle/approve.ts';
import { type ApprovalWork, BUDGETS_KEY } from '../../lambdas/cycle/contract.ts';
import { answerClick, finishDecision } from '../../lambdas/handlers/approval-flow.ts';
import type { PerfBudgetsStack } from '../../lib/stack.ts';
import { approvalFile, PENDING_AT, pendingAction, scalerAt } from '../helpers/approval-fixtures.ts';
import { loopbackLedgerTable } from '../helpers/loopback-dynamodb.ts';
import {
  ACTION_ID,
  APPROVER,
  clickPayload,
  formBody,
  SIGNING_SECRET,
  slackEvent,
} from '../helpers/slack-interaction.ts';
import { editedBudgets, synthStack } from './helpers.ts';
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

/** What both do: read the budget file, write an audit record and move an action conditionally. */
const decide = (): Request[] => [
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
    expect(await run([{ action: 'secretsmanager:GetSecretValue', resource: arns.secret }, ...decide()])).toBe(
      'Allowed',
    );
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

  it('reads the budget file, lists an endpoint’s actions and moves the action', async () => {
    expect(await run([...decide(), { action: 'dynamodb:Query', resource: arns.table }])).toBe('Allowed');
  });

  it('cannot read the Slack secret: it answers through the click’s response_url', async () => {
    expect(await run([{ action: 'secretsmanager:GetSecretValue', resource: arns.secret }])).toMatch(
      /^ImplicitlyDenied/,
    );
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
/** Two hours into the change's wait for approval. */
const NOW = Date.parse(PENDING_AT) + 2 * 3_600_000;
const NOW_S = NOW / 1000;

describe('every ledger call of the approvals flows, simulated against their roles', () => {
  const asRequests = (calls: Call[]): Request[] =>
    calls.map((c) => ({
      action: c.action,
      resource: arns.table,
      ...(c.context ? { context: c.context } : {}),
    }));
  beforeEach(async () => {
    await new DynamoDbLedger(loopback.table(), { client: loopback.document() }).putAction(
      pendingAction(),
      'absent',
    );
  });

  it('lets the handler answer a click, its replay, a forged click, a second click, a link button and a bad request', async () => {
    const handed: ApprovalWork[] = [];
    const signed = (payload: object, timestamp = NOW_S, secret = SIGNING_SECRET) =>
      slackEvent(formBody(payload), { timestamp, secret });
    const { result, calls } = await recorded(async (ledger) => {
      const deps = {
        ledger,
        budgets: async () => approvalFile(),
        signingSecret: async () => SIGNING_SECRET,
        worker: async (w: ApprovalWork) => {
          handed.push(w);
        },
        now: () => NOW,
      };
      const answers = [];
      const approve = signed(clickPayload());
      for (const event of [
        approve,
        approve,
        signed(clickPayload(), NOW_S, 'not-the-signing-secret'),
        signed(clickPayload({ user: 'U0NOTLISTED' }), NOW_S + 1),
        signed(clickPayload({ actionId: 'perf-budgets-report' }), NOW_S + 2),
        slackEvent('payload=%7Bnot-json', { timestamp: NOW_S + 3 }),
      ])
        answers.push((await answerClick(event, deps)).statusCode);
      return answers;
    });
    expect(result).toEqual([200, 200, 401, 200, 200, 400]);
    expect(handed.map((w) => w.reason ?? w.outcome)).toEqual(['approved', 'replay', 'not-pending']);
    // reads by key, plain puts (the audit trail) and transactions that move an action and delete its old copy
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

  it('lets the worker apply an approved change and answer Slack', async () => {
    const seed = new DynamoDbLedger(loopback.table(), { client: loopback.document() });
    const file = approvalFile();
    await decideApproval({
      request: { actionId: ACTION_ID, decision: 'approve', by: APPROVER, via: 'slack', key: 'slack|1|v0=aa' },
      file,
      ledger: seed,
      now: NOW,
    });
    const work: ApprovalWork = {
      actionId: ACTION_ID,
      outcome: 'approved',
      by: APPROVER,
      detail: 'Approved.',
    };
    const { result, calls } = await recorded((ledger) =>
      finishDecision(work, {
        ledger,
        budgets: async () => file,
        scaler: () => scalerAt(pendingAction().before),
        post: async () => ({ ok: true, attempts: 1 }),
        now: () => NOW,
      }),
    );
    expect(result.state).toBe('applied');
    expect(calls.map((c) => c.action)).toContain('dynamodb:Query');
    expect(await evaluate(worker.policies, worker.principal, asRequests(calls))).toBe('Allowed');
  });
});
