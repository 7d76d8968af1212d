import type { FetchFunction } from '@slack/webhook';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalWork } from '../../lambdas/cycle/contract.ts';
import { postMessage } from '../../lambdas/slack/webhook.ts';
import { approvalFile, PENDING_AT, pendingAction, scalerAt } from '../helpers/approval-fixtures.ts';
import { lambdaContext } from '../helpers/lambda.ts';
import { MemoryApprovalLedger } from '../helpers/memory-approvals.ts';
import type { MemoryScaler } from '../helpers/memory-scaler.ts';
import { capturePrinted } from '../helpers/printed.ts';
import { ACTION_ID, APPROVER, clickedBlocks, RESPONSE_URL } from '../helpers/slack-interaction.ts';
import { type SlackTestServer, startSlackServer } from '../helpers/slack-server.ts';

const NOW = Date.parse(PENDING_AT) + 3 * 3_600_000;
const RESPONSE_PATH = new URL(RESPONSE_URL).pathname;

let flow: typeof import('../../lambdas/handlers/approval-flow.ts');
let worker: typeof import('../../lambdas/handlers/approval-apply.ts');
let server: SlackTestServer;
let ledger: MemoryApprovalLedger;
let scaler: MemoryScaler;
/** Every URL the transport was asked for. */
let asked: string[];
let printed: string[];

/** Slack's hosts reach the loopback server; any other URL goes where it says. */
const toLoopback: FetchFunction = (input, init) => {
  asked.push(String(input));
  return fetch(String(input).replace(/^https:\/\/hooks\.slack(-gov)?\.com/, server.url), init);
};

const deps = (over: Partial<import('../../lambdas/handlers/approval-flow.ts').WorkerDeps> = {}) => ({
  ledger,
  budgets: async () => approvalFile(),
  scaler: () => scaler,
  post: (url: string, m: Parameters<typeof postMessage>[1]) =>
    postMessage(url, m, { fetch: toLoopback, sleep: async () => {}, random: () => 0 }),
  now: () => NOW,
  ...over,
});

/** What the handler hands the worker after deciding a click. */
const work = (over: Partial<ApprovalWork> = {}): ApprovalWork => ({
  actionId: ACTION_ID,
  outcome: 'approved',
  by: APPROVER,
  detail: `Approved by ${APPROVER}: scaling change ${ACTION_ID} of search-prod/primary.`,
  responseUrl: RESPONSE_URL,
  blocks: JSON.parse(JSON.stringify(clickedBlocks())),
  ...over,
});

/** The action as approved by the handler. */
async function approve(): Promise<void> {
  const pending = pendingAction();
  const at = new Date(NOW - 60_000).toISOString();
  await ledger.putAction(
    {
      ...pending,
      status: 'approved',
      history: [...pending.history, { status: 'approved', at, reason: 'Approved.', by: APPROVER }],
    },
    'absent',
  );
}

const reply = () => server.requests.map((r) => r.json as Record<string, unknown>);
const lastLine = () => {
  const blocks = reply()[0]?.blocks as { type: string; elements?: { text?: string }[] }[];
  return blocks.at(-1)?.elements?.[0]?.text;
};
const statusOf = async () => (await ledger.actions({ id: ACTION_ID }))[0]?.status;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
  vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
  vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
  flow = await import('../../lambdas/handlers/approval-flow.ts');
  worker = await import('../../lambdas/handlers/approval-apply.ts');
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  server = await startSlackServer();
  ledger = new MemoryApprovalLedger();
  scaler = scalerAt(pendingAction().before);
  asked = [];
  printed = capturePrinted();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await server.close();
  expect(printed.filter((p) => p.includes('r3sp0nseUrlToken') || p.includes(RESPONSE_PATH))).toEqual([]);
});

describe('the approval worker', () => {
  it('applies an approved change through the scaler, then replaces the alert with who approved and the result', async () => {
    await approve();
    const out = await flow.finishDecision(work(), deps());
    expect(out).toEqual({ actionId: ACTION_ID, outcome: 'approved', state: 'applied', reply: 'sent' });
    const before = pendingAction().before;
    const after = pendingAction().after;
    expect(scaler.writes).toEqual([
      { resourceId: 'endpoint/search-prod/variant/primary', from: before, to: after },
    ]);
    expect(await statusOf()).toBe('applied');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe(RESPONSE_PATH);
    expect(reply()[0]).toMatchObject({ replace_original: true });
    expect(reply()[0]).not.toHaveProperty('response_type');
    expect(lastLine()).toBe(
      ':white_check_mark: Approved by <@U012ABCDEF>. Applied: search-prod/primary is now min 2, max 6 (was min 4, max 8).',
    );
    expect(JSON.stringify(reply()[0])).not.toContain('perf-budgets-approve');
    expect(JSON.stringify(reply()[0])).toContain('search-prod: forecast spend');
  });

  it('holds an approved change in a dry run: nothing written, still approved, and says so', async () => {
    await approve();
    const out = await flow.finishDecision(
      work(),
      deps({ budgets: async () => approvalFile({ dryRun: true }) }),
    );
    expect(out.state).toBe('held');
    expect(scaler.writes).toEqual([]);
    expect(await statusOf()).toBe('approved');
    expect(lastLine()).toMatch(/^:double_vertical_bar: Approved by <@U012ABCDEF>\. Dry run: /);
  });

  it('fails, writing nothing, when the scaling changed since the change was planned', async () => {
    await approve();
    scaler = scalerAt({ ...pendingAction().before, target: { min: 5, max: 8 } });
    const out = await flow.finishDecision(work(), deps());
    expect(out.state).toBe('failed');
    expect(scaler.writes).toEqual([]);
    expect(await statusOf()).toBe('failed');
    expect(lastLine()).toMatch(
      /^:x: Approved by <@U012ABCDEF>\. The scaling of search-prod\/primary changed/,
    );
  });

  it('applies nothing for an event that says approved when the ledger does not', async () => {
    await ledger.putAction(pendingAction(), 'absent');
    const out = await flow.finishDecision(work(), deps());
    expect(out.state).toBe('not-approved');
    expect(scaler.writes).toEqual([]);
    expect(await statusOf()).toBe('pending-approval');
  });

  it('applies an approved change once, however many times the worker runs at once', async () => {
    await approve();
    const outs = await Promise.all([1, 2, 3].map(() => flow.finishDecision(work(), deps())));
    expect(outs.map((o) => o.state).sort()).toEqual(['applied', 'not-approved', 'not-approved']);
    expect(scaler.writes).toHaveLength(1);
  });

  it('replaces the alert with the rejection, applying nothing', async () => {
    await ledger.putAction({ ...pendingAction(), status: 'rejected' }, 'absent');
    const out = await flow.finishDecision(work({ outcome: 'rejected' }), deps());
    expect(out).toEqual({ actionId: ACTION_ID, outcome: 'rejected', state: 'rejected', reply: 'sent' });
    expect(scaler.writes).toEqual([]);
    expect(lastLine()).toBe(`:no_entry_sign: Rejected by <@U012ABCDEF>. ${ACTION_ID} is not applied.`);
  });

  it('tells only the clicker why a click was refused, leaving the alert', async () => {
    await approve();
    const detail =
      'U0NOTALLOWED is not an approver of budget search-prod; act-00112233445566ff stays pending.';
    const out = await flow.finishDecision(
      work({ outcome: 'refused', reason: 'not-approver', by: 'U0NOTALLOWED', detail }),
      deps(),
    );
    expect(out).toEqual({ actionId: ACTION_ID, outcome: 'refused', reply: 'sent' });
    expect(reply()).toEqual([
      { text: `:warning: Not done: ${detail}`, replace_original: false, response_type: 'ephemeral' },
    ]);
    expect(scaler.writes).toEqual([]);
  });

  it.each([
    ['on loopback', () => `${server.url}${RESPONSE_PATH}`],
    ['on another host', () => `https://hooks.example.com${RESPONSE_PATH}`],
    ['over http', () => `http://hooks.slack.com${RESPONSE_PATH}`],
  ])('never calls a response_url %s', async (_, url) => {
    await approve();
    const out = await flow.finishDecision(work({ responseUrl: url() }), deps());
    expect(out).toEqual({ actionId: ACTION_ID, outcome: 'approved', state: 'applied', reply: 'none' });
    expect(asked).toEqual([]);
    expect(server.requests).toEqual([]);
  });

  it('posts to a GovSlack response_url', async () => {
    await approve();
    const out = await flow.finishDecision(
      work({ responseUrl: `https://hooks.slack-gov.com${RESPONSE_PATH}` }),
      deps(),
    );
    expect(out.reply).toBe('sent');
    expect(asked).toEqual([`https://hooks.slack-gov.com${RESPONSE_PATH}`]);
  });

  it('applies without a response_url, and says there was no reply', async () => {
    await approve();
    const { responseUrl: _, ...silent } = work();
    expect(await flow.finishDecision(silent, deps())).toMatchObject({ state: 'applied', reply: 'none' });
    expect(scaler.writes).toHaveLength(1);
  });

  it('reports a reply Slack refused, logging why but not the URL', async () => {
    await approve();
    server.reply({ status: 404, body: 'expired_url' });
    const out = await flow.finishDecision(work(), deps());
    expect(out).toMatchObject({ state: 'applied', reply: 'failed' });
    expect(printed.join('\n')).toContain('HTTP 404 expired_url');
  });

  it('answers with the original alert beside it when the blocks were too large to pass on', async () => {
    await approve();
    const { blocks: _, ...bare } = work();
    await flow.finishDecision(bare, deps());
    expect(reply()[0]).toMatchObject({ replace_original: false, response_type: 'in_channel' });
    expect(reply()[0]?.text).toMatch(/^:white_check_mark: Approved by <@U012ABCDEF>\. Applied: /);
  });

  it('refuses an event that is not a decided click, naming the field', async () => {
    await expect(
      worker.handler({ outcome: 'approved' }, lambdaContext('perf-budgets-approval-worker')),
    ).rejects.toThrow(/actionId: /);
    await expect(
      worker.handler({ ...work(), outcome: 'applied' }, lambdaContext('perf-budgets-approval-worker')),
    ).rejects.toThrow(/outcome: /);
  });

  it('keeps who approved in the history when it applies', async () => {
    await approve();
    await flow.finishDecision(work(), deps());
    const [stored] = await ledger.actions({ id: ACTION_ID });
    expect(stored?.history.map((h) => [h.status, h.by])).toEqual([
      ['recommended', undefined],
      ['pending-approval', undefined],
      ['approved', APPROVER],
      ['applied', undefined],
    ]);
    expect(stored?.appliedAt).toBe(new Date(NOW).toISOString());
  });
});
