import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS_KEY } from '../../lambdas/cycle/contract.ts';
import type { PerfBudgetsStack } from '../../lib/stack.ts';
import { editedBudgets, synthStack } from './helpers.ts';
import {
  ACCOUNT,
  arn,
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
  { action: 'dynamodb:Query', resource: arns.table },
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

  it('cannot assume a member role', async () => {
    expect(await run([{ action: 'sts:AssumeRole', resource: MEMBER }])).toMatch(/^ImplicitlyDenied/);
  });

  it.each(NEITHER)('cannot %s', async (_, request) => {
    expect(await run([request()])).toMatch(/^ImplicitlyDenied/);
  });
});

describe('the approval worker role, simulated', () => {
  const run = (requests: readonly Request[]) => evaluate(worker.policies, worker.principal, requests);

  it('reads the Slack secret and the budget file, and moves the action in the ledger', async () => {
    expect(await run(decide())).toBe('Allowed');
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
