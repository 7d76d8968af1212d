import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionStatus, ApprovalRecord } from '../../lambdas/core/plan/types.ts';
import type { ApprovalWork } from '../../lambdas/cycle/contract.ts';
import { approvalFile, PENDING_AT, pendingAction, scalerAt } from '../helpers/approval-fixtures.ts';
import { MemoryApprovalLedger } from '../helpers/memory-approvals.ts';
import { capturePrinted } from '../helpers/printed.ts';
import {
  ACTION_ID,
  APPROVER,
  clickPayload,
  formBody,
  RESPONSE_URL,
  SIGNING_SECRET,
  slackEvent,
} from '../helpers/slack-interaction.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:perf-budgets/slack-AbCdEf';
const WEBHOOK = 'https://hooks.slack.com/services/T0PERFBUDG/B0PERFBUDG/w3bh00kT0ken000000000000';
const WORKER = 'perf-budgets-approval-worker';
/** Two hours into the day's wait for approval. */
const NOW = Date.parse(PENDING_AT) + 2 * 3_600_000;
const NOW_S = NOW / 1000;
/** What must never be printed: the signing secret, the webhook's and the response_url's tokens. */
const SECRETS = [SIGNING_SECRET, 'w3bh00kT0ken', 'r3sp0nseUrlToken', '/actions/T0PERFBUDG'];

const lambdaMock = mockClient(LambdaClient);
const secretsMock = mockClient(SecretsManagerClient);

let flow: typeof import('../../lambdas/handlers/approval-flow.ts');
let ledger: MemoryApprovalLedger;
let printed: string[];
let now: number;

/** The signed secret as Secrets Manager returns it. */
const secretValue = (value: Record<string, string>) => ({
  $metadata: { httpStatusCode: 200, requestId: 'f0e1d2c3-0000-4000-8000-000000000001', attempts: 1 },
  ARN: SECRET_ARN,
  Name: 'perf-budgets/slack',
  VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  SecretString: JSON.stringify(value),
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-10-01T00:00:00Z'),
});

const deps = (over: Partial<import('../../lambdas/handlers/approval-flow.ts').ClickDeps> = {}) => ({
  ledger,
  budgets: async () => approvalFile(),
  signingSecret: flow.signingSecretOf(
    SECRET_ARN,
    new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'us-east-1' }) }),
  ),
  worker: flow.invokeWorker(new LambdaClient({ region: 'us-east-1' }), WORKER),
  now: () => now,
  ...over,
});

/** A click as Slack sends it now: a body signed at `at` (Unix seconds). */
const click = (
  payload: object = clickPayload(),
  o: Parameters<typeof slackEvent>[1] = { timestamp: NOW_S },
) => slackEvent(formBody(payload), o);
const answer = (event: ReturnType<typeof click>, over = {}) => flow.answerClick(event, deps(over));

const statusOf = async (id = ACTION_ID): Promise<ActionStatus | undefined> =>
  (await ledger.actions({ id }))[0]?.status;
const audit = async (): Promise<readonly ApprovalRecord[]> => ledger.approvals();
const invoked = (): ApprovalWork[] =>
  lambdaMock
    .commandCalls(InvokeCommand)
    .map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)) as ApprovalWork);

beforeAll(async () => {
  // the logger reads its level when it is built: before the module loads
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  flow = await import('../../lambdas/handlers/approval-flow.ts');
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  now = NOW;
  lambdaMock.reset();
  secretsMock.reset();
  lambdaMock.on(InvokeCommand).resolves({ $metadata: { httpStatusCode: 202 }, StatusCode: 202 });
  secretsMock
    .on(GetSecretValueCommand)
    .resolves(secretValue({ webhookUrl: WEBHOOK, signingSecret: SIGNING_SECRET }));
  ledger = new MemoryApprovalLedger();
  await ledger.putAction(pendingAction(), 'absent');
  printed = capturePrinted();
});

afterEach(() => {
  vi.restoreAllMocks();
  // whatever a test did, nothing printed may carry the signing secret, a webhook or a response_url
  expect(printed.filter((p) => SECRETS.some((s) => p.includes(s)))).toEqual([]);
});

describe('the approvals handler refuses, changing nothing and recording who tried', () => {
  it.each([
    [
      'a forged signature',
      click(clickPayload(), { timestamp: NOW_S, secret: 'not-the-signing-secret' }),
      'bad-signature',
    ],
    [
      'a stale timestamp, however well signed',
      click(clickPayload(), { timestamp: NOW_S - 301 }),
      'stale-timestamp',
    ],
    ['a timestamp from the future', click(clickPayload(), { timestamp: NOW_S + 301 }), 'stale-timestamp'],
    [
      'missing signature headers',
      click(clickPayload(), { timestamp: NOW_S, headers: {} }),
      'missing-headers',
    ],
    [
      'a timestamp that is not Unix seconds',
      click(clickPayload(), {
        timestamp: NOW_S,
        headers: { 'x-slack-request-timestamp': 'yesterday', 'x-slack-signature': 'v0=00' },
      }),
      'missing-headers',
    ],
  ])('%s: 401, an audit record, no worker', async (_, event, reason) => {
    const r = await answer(event);
    expect(r).toEqual({
      statusCode: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `refused: ${reason}`,
    });
    expect(await statusOf()).toBe('pending-approval');
    expect(await audit()).toEqual([
      expect.objectContaining({
        outcome: 'refused',
        reason,
        actionId: ACTION_ID,
        by: `unverified:${APPROVER}`,
        via: 'slack',
        at: new Date(NOW).toISOString(),
      }),
    ]);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('a secret without a signing secret: every request is refused', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretValue({ webhookUrl: WEBHOOK }));
    expect((await answer(click())).statusCode).toBe(401);
    expect(await audit()).toMatchObject([{ reason: 'no-signing-secret', by: `unverified:${APPROVER}` }]);
    expect(await statusOf()).toBe('pending-approval');
  });

  it('an unverified request claiming no readable user is recorded as unknown', async () => {
    const event = slackEvent('payload=not-json', { timestamp: NOW_S, secret: 'forged' });
    expect((await answer(event)).statusCode).toBe(401);
    expect(await audit()).toMatchObject([{ reason: 'bad-signature', by: 'unverified:unknown' }]);
    expect((await audit())[0]).not.toHaveProperty('actionId');
  });

  it('a signed request that is not a click of ours: 400 bad-request', async () => {
    const r = await answer(click({ ...clickPayload(), type: 'view_submission' }));
    expect(r.statusCode).toBe(400);
    expect(await audit()).toMatchObject([{ outcome: 'refused', reason: 'bad-request', by: APPROVER }]);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it.each([
    [
      'an unknown action',
      clickPayload({ value: 'act-ffffffffffffffff' }),
      'unknown-action',
      'pending-approval',
    ],
    [
      'a person who is not an approver',
      clickPayload({ user: 'U0NOTALLOWED' }),
      'not-approver',
      'pending-approval',
    ],
  ])(
    '%s: 200, refused in the audit, the clicker told through the worker',
    async (_, payload, reason, status) => {
      const r = await answer(click(payload));
      expect(r.statusCode).toBe(200);
      expect(await statusOf()).toBe(status);
      expect(await audit()).toMatchObject([{ outcome: 'refused', reason }]);
      expect(invoked()).toMatchObject([{ outcome: 'refused', reason, responseUrl: RESPONSE_URL }]);
    },
  );

  it('an approval past its time: refused as expired, and the action moved to expired, not applied', async () => {
    now = Date.parse(PENDING_AT) + 25 * 3_600_000;
    expect((await answer(click(clickPayload(), { timestamp: now / 1000 }))).statusCode).toBe(200);
    expect(await statusOf()).toBe('expired');
    expect(await audit()).toMatchObject([{ outcome: 'refused', reason: 'expired' }]);
    expect(invoked()).toMatchObject([{ outcome: 'refused', reason: 'expired' }]);
  });

  it('a replayed body: the second is refused as a replay, and the action moves once', async () => {
    const event = click();
    await answer(event);
    now += 30_000;
    await answer(event);
    expect((await audit()).map((r) => [r.outcome, r.reason])).toEqual([
      ['approved', undefined],
      ['refused', 'replay'],
    ]);
    const [stored] = await ledger.actions({ id: ACTION_ID });
    expect(stored?.history.filter((h) => h.status === 'approved')).toHaveLength(1);
  });

  it('a click on a link button of an alert: 200 and nothing recorded or invoked', async () => {
    const r = await answer(click(clickPayload({ actionId: 'link-0' })));
    expect(r.statusCode).toBe(200);
    expect(await audit()).toEqual([]);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('the approvals handler decides a valid click once', () => {
  it.each([
    ['lower-cased headers', { timestamp: NOW_S }],
    ['mixed-case headers', { timestamp: NOW_S, headerCase: 'mixed' as const }],
    ['a base64 body', { timestamp: NOW_S, base64: true }],
  ])('approves with %s, and hands the apply to the worker by an asynchronous invoke', async (_, o) => {
    const r = await answer(click(clickPayload(), o));
    expect(r).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '',
    });
    expect(await statusOf()).toBe('approved');
    expect(await audit()).toMatchObject([
      { outcome: 'approved', actionId: ACTION_ID, by: APPROVER, via: 'slack' },
    ]);
    expect(lambdaMock).toReceiveCommandWith(InvokeCommand, { FunctionName: WORKER, InvocationType: 'Event' });
    expect(invoked()).toEqual([
      {
        actionId: ACTION_ID,
        outcome: 'approved',
        by: APPROVER,
        detail: expect.stringMatching(/^Approved by U012ABCDEF: /),
        responseUrl: RESPONSE_URL,
        blocks: expect.any(Array),
      },
    ]);
  });

  it('rejects, and the worker is asked to say so', async () => {
    await answer(click(clickPayload({ actionId: 'perf-budgets-reject' })));
    expect(await statusOf()).toBe('rejected');
    expect(invoked()).toMatchObject([{ outcome: 'rejected', by: APPROVER }]);
  });

  it('answers before anything is applied: the action is approved, not applied, and no scaler is involved', async () => {
    const started = performance.now();
    const r = await answer(click());
    const elapsed = performance.now() - started;
    expect(r.statusCode).toBe(200);
    expect(elapsed).toBeLessThan(3000);
    expect(await statusOf()).toBe('approved');
    // the apply happens afterwards, in the worker, with the event the handler queued
    const scaler = scalerAt(pendingAction().before);
    const done = await flow.finishDecision(invoked()[0] as ApprovalWork, {
      ledger,
      budgets: async () => approvalFile(),
      scaler: () => scaler,
      post: async () => ({ ok: true, attempts: 1 }),
      now: () => now + 1000,
    });
    expect(done.state).toBe('applied');
    expect(scaler.writes).toHaveLength(1);
    expect(await statusOf()).toBe('applied');
  });

  it('moves the action once when two approvals arrive at once, and the worker applies it once', async () => {
    const first = click();
    const second = click(clickPayload({ user: 'U0SECONDONE' }), { timestamp: NOW_S + 1 });
    const file = approvalFile({ approvers: [APPROVER, 'U0SECONDONE'] });
    const answers = await Promise.all([first, second].map((e) => answer(e, { budgets: async () => file })));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    const outcomes = (await audit()).map((r) => `${r.outcome}:${r.reason ?? ''}`).sort();
    expect(outcomes).toEqual(['approved:', 'refused:not-pending']);
    const [stored] = await ledger.actions({ id: ACTION_ID });
    expect(stored?.history.filter((h) => h.status === 'approved')).toHaveLength(1);
    // both invocations reach the worker; only the approved one applies, once, even when run at once
    const scaler = scalerAt(pendingAction().before);
    const workerDeps = {
      ledger,
      budgets: async () => file,
      scaler: () => scaler,
      post: async () => ({ ok: true as const, attempts: 1 }),
      now: () => now + 1000,
    };
    const work = invoked();
    const done = await Promise.all([...work, ...work].map((w) => flow.finishDecision(w, workerDeps)));
    expect(done.filter((d) => d.state === 'applied')).toHaveLength(1);
    expect(scaler.writes).toHaveLength(1);
  });

  it('the same request twice at once: one decision, the other refused', async () => {
    const event = click();
    await Promise.all([answer(event), answer(event)]);
    expect((await audit()).map((r) => r.outcome).sort()).toEqual(['approved', 'refused']);
    const [stored] = await ledger.actions({ id: ACTION_ID });
    expect(stored?.history.filter((h) => h.status === 'approved')).toHaveLength(1);
  });

  it('keeps the decision when the worker cannot be invoked: 200, and the next cycle applies it', async () => {
    lambdaMock.on(InvokeCommand).rejects(
      new TooManyRequestsException({
        $metadata: { httpStatusCode: 429 },
        message: 'Rate Exceeded.',
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      }),
    );
    expect((await answer(click())).statusCode).toBe(200);
    expect(await statusOf()).toBe('approved');
    expect(printed.join('\n')).toContain('approval worker not invoked');
  });

  it('passes on no response_url that is not Slack, and invokes no worker for a refusal with nowhere to answer', async () => {
    const payload = clickPayload({
      user: 'U0NOTALLOWED',
      responseUrl: 'https://attacker.example.com/collect',
    });
    expect((await answer(click(payload))).statusCode).toBe(200);
    expect(await audit()).toMatchObject([{ reason: 'not-approver' }]);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(printed.join('\n')).toContain('"responseUrl":"refused"');
  });

  it('logs each decision without the signing secret or the response_url', async () => {
    await answer(click());
    await answer(click(clickPayload(), { timestamp: NOW_S, secret: 'forged' }));
    const lines = printed.join('\n');
    expect(lines).toContain('"message":"approval request"');
    expect(lines).toContain('"outcome":"approved"');
    expect(lines).toContain('"reason":"bad-signature"');
  });
});

describe('the approvals handler module', () => {
  it('fails at cold start naming the missing variables', async () => {
    vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
    vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
    vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
    vi.stubEnv('SLACK_SECRET_ARN', '');
    vi.stubEnv('APPROVAL_WORKER', '');
    await expect(import('../../lambdas/handlers/approvals.ts')).rejects.toThrow(
      /SLACK_SECRET_ARN: .*; APPROVAL_WORKER: /,
    );
  });
});
