/**
 * Approve mode, deployed: team-04's budget is in an approve tier with two approvers (Slack member ids) and two
 * managed endpoints (harness/actuation.ts). A cycle of the synthesized state machine records each planned change as
 * `pending-approval` and posts it to Slack with Approve and Reject buttons. Then clicks reach the approvals handler
 * the stack serves at its `ApprovalsUrl` output, as a Function URL hands them over (lower-cased headers, the body
 * form-encoded, plain or base64), signed with the Slack secret's signing secret; the handler invokes its worker
 * through the loopback Lambda API. Forged, stale, replayed, unknown, expired and unauthorised clicks change nothing
 * and leave an audit record each; two approvals at once apply the change once, after the handler has answered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ActionRecord, ApprovalRecord } from '../../lambdas/core/plan/types.ts';
import { clickPayload, formBody, RESPONSE_URL, slackEvent } from '../helpers/slack-interaction.ts';
import { APPROVERS, AS_OF, approveBudgetFile, pipelineAccount } from './harness/account.ts';
import { MANAGED_ENDPOINTS } from './harness/actuation.ts';
import { Assembly, type FunctionSpec } from './harness/assembly.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import type { Invocation } from './harness/lambda.ts';
import { SLACK_WEBHOOK_PATH } from './harness/loopback.ts';
import type { Execution } from './harness/pipeline.ts';

const APPROVE = 'perf-budgets-approve';
const REJECT = 'perf-budgets-reject';
const OUTSIDER = 'U0PIPEOUTSIDER';
const HOUR = 3_600_000;

/** A Slack message as posted to the webhook, and the buttons in it. */
interface Posted {
  readonly blocks?: readonly { type: string; elements?: unknown[] }[];
}
interface Button {
  readonly type: string;
  readonly action_id: string;
  readonly value?: string;
}
const buttonsOf = (m: Posted | undefined): Button[] =>
  (m?.blocks ?? []).flatMap((b) =>
    b.type === 'actions' ? (b.elements as Button[]).filter((e) => e.type === 'button') : [],
  );

interface Answer {
  readonly statusCode: number;
  readonly body: string;
}

/** What one request to the Function URL did. */
interface Sent {
  readonly answer: Answer;
  readonly invocation: Invocation;
  /** Application Auto Scaling writes seen when the handler had answered. */
  readonly writesAtAnswer: number;
}

let deployed: Deployed;
let assembly: Assembly;
let cycle: Execution;
/** The approvals handler, as the ApprovalsUrl output names it, and that URL. */
let handler: FunctionSpec;
let url: string;
/** The change the test approves, and the alert that asked for it. */
let pending: ActionRecord;
let alert: Posted;

async function send(event: unknown): Promise<Sent> {
  const { result, invocation } = await deployed.pipeline.invoke(handler, event);
  const writesAtAnswer = deployed.loopback.scalingWrites().length;
  return { answer: result as Answer, invocation, writesAtAnswer };
}

/**
 * A click on `alert`'s Approve button (on `value`, by default the pending action), signed at `at` (Unix seconds,
 * by default now) with the stack's signing secret, as the Function URL hands it over; its response_url is Slack's,
 * which this offline test cannot reach.
 */
function click(c: { user: string; value?: string }, o: { base64?: boolean; at?: number } = {}) {
  const payload = clickPayload({ user: c.user, value: c.value ?? pending.id, blocks: alert.blocks });
  return slackEvent(formBody(payload), {
    timestamp: o.at ?? Math.floor(Date.now() / 1000),
    secret: deployed.loopback.signingSecret,
    ...(o.base64 ? { base64: true } : {}),
  });
}

/** What `run` adds to the audit trail. */
async function audited(run: () => Promise<unknown>): Promise<ApprovalRecord[]> {
  const before = new Set((await deployed.ledger.approvals()).map((r) => r.id));
  await run();
  return (await deployed.ledger.approvals()).filter((r) => !before.has(r.id));
}

async function statusOf(id: string): Promise<string | undefined> {
  return (await deployed.ledger.actions({ id }))[0]?.status;
}

/** The worker's runs queued since the `from`th, once ended. */
async function workerRuns(from: number) {
  await deployed.loopback.lambda.settled();
  return Promise.all(
    deployed.loopback.lambda.queued.slice(from).map(async (q) => ({ ...q, ...(await q.done) })),
  );
}

beforeAll(async () => {
  const dir = inject('pipeline').assembly;
  assembly = new Assembly(dir);
  url = assembly.output('ApprovalsUrl');
  handler = assembly.urlFunction(url).fn;
  deployed = await deploy(dir, approveBudgetFile(pipelineAccount()));
  cycle = await deployed.pipeline.run('approve-cycle', { asOf: AS_OF });
  const waiting = await deployed.ledger.actions({ statuses: ['pending-approval'] });
  const posted = deployed.loopback.slack.requests.map((r) => r.json as Posted);
  for (const a of waiting) {
    const message = posted.find((m) => buttonsOf(m).some((b) => b.value === a.id));
    if (message) {
      pending = a;
      alert = message;
      break;
    }
  }
}, 400_000);

afterAll(async () => {
  await deployed?.close();
});

describe('a cycle with an approve tier', () => {
  it('records each planned change of the managed endpoints as pending-approval and changes nothing', async () => {
    expect(cycle.status, explain(cycle)).toBe('SUCCEEDED');
    const waiting = await deployed.ledger.actions({ statuses: ['pending-approval'] });
    expect(waiting.length).toBeGreaterThan(0);
    for (const a of waiting) expect(MANAGED_ENDPOINTS).toContain(a.resource.endpoint);
    expect(await deployed.ledger.actions({ statuses: ['applied'] })).toEqual([]);
    expect(deployed.loopback.scalingWrites()).toEqual([]);
  });

  it('posts each pending change to Slack once, with Approve and Reject buttons whose value is its id', async () => {
    expect(alert, 'no Slack message carries a pending action id').toBeDefined();
    const posted = deployed.loopback.slack.requests.map((r) => r.json as Posted);
    for (const a of await deployed.ledger.actions({ statuses: ['pending-approval'] })) {
      const asking = posted.filter((m) => buttonsOf(m).some((b) => b.value === a.id));
      expect(asking, a.id).toHaveLength(1);
      const decisions = buttonsOf(asking[0]).filter((b) => b.value === a.id);
      expect(decisions.map((b) => b.action_id)).toEqual([APPROVE, REJECT]);
    }
    expect(deployed.loopback.slack.requests.every((r) => r.path === SLACK_WEBHOOK_PATH)).toBe(true);
  });
});

describe('the approvals Function URL', () => {
  it('is the ApprovalsUrl output: the approvals handler, open to Slack (auth NONE)', () => {
    expect(assembly.urlFunction(url).authType).toBe('NONE');
    expect(handler.name).toBe('Approvals/Handler');
    expect(handler.timeoutSeconds).toBeLessThanOrEqual(10);
  });

  /** Requests that fail verification: answered 401, the worker never invoked, the claim audited as unverified. */
  const unverified: [string, () => unknown, string][] = [
    [
      'a forged signature (an outsider signed it, the body then claims an approver)',
      () => {
        const e = click({ user: OUTSIDER });
        return { ...e, body: e.body?.replaceAll(OUTSIDER, APPROVERS[0] as string) };
      },
      'bad-signature',
    ],
    [
      'a stale timestamp (signed six minutes ago)',
      () => click({ user: APPROVERS[0] as string }, { at: Math.floor(Date.now() / 1000) - 6 * 60 }),
      'stale-timestamp',
    ],
  ];
  it.each(unverified)('refuses %s with 401, and audits it', async (_, event, reason) => {
    const invokes = deployed.loopback.lambda.requests.length;
    let sent: Sent | undefined;
    const records = await audited(async () => {
      sent = await send(event());
    });
    expect(sent?.answer.statusCode).toBe(401);
    expect(records).toMatchObject([
      { outcome: 'refused', reason, actionId: pending.id, by: `unverified:${APPROVERS[0]}`, via: 'slack' },
    ]);
    // nothing in an unverified request is acted on: no worker, no change
    expect(deployed.loopback.lambda.requests.length).toBe(invokes);
    expect(await statusOf(pending.id)).toBe('pending-approval');
    expect(deployed.loopback.scalingWrites()).toEqual([]);
  });

  /** Verified requests that the approval step refuses: answered 200, audited, the clicker told by the worker. */
  it.each([
    ['an unknown action', { user: APPROVERS[0] as string, value: 'act-0000000000000000' }, 'unknown-action'],
    ['a user who is not an approver', { user: OUTSIDER }, 'not-approver'],
  ] as const)('refuses %s, and audits it', async (_, c, reason) => {
    const from = deployed.loopback.lambda.queued.length;
    let sent: Sent | undefined;
    // base64 bodies verify as their bytes: this one is decided, not refused for its signature
    const records = await audited(async () => {
      sent = await send(click(c, { base64: true }));
    });
    expect(sent?.answer).toMatchObject({ statusCode: 200, body: '' });
    expect(records).toMatchObject([{ outcome: 'refused', reason, by: c.user, via: 'slack' }]);
    const runs = await workerRuns(from);
    expect(runs.map((r) => [r.ok, (r.event as { outcome: string }).outcome])).toEqual([[true, 'refused']]);
    expect(await statusOf(pending.id)).toBe('pending-approval');
    expect(deployed.loopback.scalingWrites()).toEqual([]);
  });

  it('refuses an approval past its time, and moves the waiting change to expired', async () => {
    // a change that has waited 25 hours (approvalHours 24), as if a cycle of yesterday had asked for it
    const since = new Date(Date.now() - 25 * HOUR).toISOString();
    const stale: ActionRecord = {
      ...pending,
      id: 'act-0e0e0e0e0e0e0e0e',
      createdAt: since,
      history: [
        { status: 'recommended', at: since },
        { status: 'pending-approval', at: since, reason: 'waits for an approver' },
      ],
    };
    expect(await deployed.ledger.putAction(stale, 'absent')).toBe(true);
    const from = deployed.loopback.lambda.queued.length;
    let sent: Sent | undefined;
    const records = await audited(async () => {
      sent = await send(click({ user: APPROVERS[0] as string, value: stale.id }));
    });
    expect(sent?.answer.statusCode).toBe(200);
    expect(records).toMatchObject([{ outcome: 'refused', reason: 'expired', actionId: stale.id }]);
    expect(await statusOf(stale.id)).toBe('expired');
    const runs = await workerRuns(from);
    expect(runs.map((r) => (r.event as { outcome: string }).outcome)).toEqual(['refused']);
    expect(deployed.loopback.scalingWrites()).toEqual([]);
  });

  describe('two approvers approving at once', () => {
    /** The two requests, the first by APPROVERS[0] (plain body), the second by APPROVERS[1] (base64). */
    let sent: Sent[];
    let records: ApprovalRecord[];
    let runs: Awaited<ReturnType<typeof workerRuns>>;
    const winner = () => sent[APPROVERS.indexOf(records.find((r) => r.outcome === 'approved')?.by ?? '')];
    const applies = () => runs.filter((r) => (r.event as { outcome: string }).outcome === 'approved');

    beforeAll(async () => {
      const from = deployed.loopback.lambda.queued.length;
      records = await audited(async () => {
        sent = await Promise.all([
          send(click({ user: APPROVERS[0] as string })),
          send(click({ user: APPROVERS[1] as string }, { base64: true })),
        ]);
      });
      runs = await workerRuns(from);
    }, 120_000);

    it('approves the change once and refuses the other click as no longer pending', () => {
      expect(sent.map((s) => s.answer.statusCode)).toEqual([200, 200]);
      // both verified (the base64 one too): each was decided on the action, not refused for its signature
      expect(records.map((r) => [r.outcome, r.reason]).sort()).toEqual([
        ['approved', undefined],
        ['refused', 'not-pending'],
      ]);
      expect(records.every((r) => r.actionId === pending.id && APPROVERS.includes(r.by))).toBe(true);
    });

    it('applies it exactly once, through one worker run, to the state the cycle planned', async () => {
      expect(applies()).toHaveLength(1);
      expect(runs.every((r) => r.ok)).toBe(true);
      const [applied] = await deployed.ledger.actions({ id: pending.id });
      expect(applied?.status).toBe('applied');
      expect(applied?.history.filter((h) => h.status === 'applied')).toHaveLength(1);
      const writes = deployed.loopback.scalingWrites();
      expect(writes.length).toBeGreaterThan(0);
      for (const w of writes) expect(w.input.ResourceId).toBe(pending.resource.resourceId);
      // no request twice: a second apply would send the same ones again
      expect(new Set(writes.map((w) => JSON.stringify(w))).size).toBe(writes.length);
      const now = (await deployed.scaler().read([pending.resource])).get(pending.resource.resourceId);
      expect(now?.state.target).toEqual(pending.after.target);
    });

    it('answers well within Slack 3 s, and the apply comes after the answer', () => {
      const warm = sent.filter((s) => !s.invocation.coldStart);
      expect(warm.length).toBeGreaterThan(0);
      for (const s of warm) expect(s.invocation.ms).toBeLessThan(3000);
      const w = winner() as Sent;
      expect(w.writesAtAnswer).toBe(0);
      const apply = deployed.loopback.lambda.invocations.find(
        (i) => i.function === 'Approvals/Apply' && (i.event as { outcome: string }).outcome === 'approved',
      ) as Invocation;
      expect(apply.startedAt + apply.ms).toBeGreaterThan(w.invocation.startedAt + w.invocation.ms);
    });

    it('ends the worker well though the response_url cannot be reached from here', () => {
      const [apply] = applies();
      expect(apply?.ok && apply.result).toMatchObject({
        actionId: pending.id,
        outcome: 'approved',
        state: 'applied',
        reply: 'failed',
      });
    });

    it('refuses the approved request sent again as a replay, and applies nothing twice', async () => {
      const writes = deployed.loopback.scalingWrites().length;
      let again: Sent | undefined;
      const records = await audited(async () => {
        again = await send((winner() as Sent).invocation.event);
      });
      expect(again?.answer.statusCode).toBe(200);
      expect(records).toMatchObject([{ outcome: 'refused', reason: 'replay', actionId: pending.id }]);
      await deployed.loopback.lambda.settled();
      expect(deployed.loopback.scalingWrites()).toHaveLength(writes);
      expect(await statusOf(pending.id)).toBe('applied');
    });
  });

  it('never writes the signing secret, the webhook or the response_url to a function log', () => {
    const logs = [...cycle.invocations, ...deployed.loopback.lambda.invocations]
      .map((i) => i.output)
      .join('\n');
    expect(logs).not.toContain(deployed.loopback.signingSecret);
    expect(logs).not.toContain(SLACK_WEBHOOK_PATH);
    expect(logs).not.toContain(new URL(RESPONSE_URL).pathname);
  });
});
