import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { SecretError } from '../../lambdas/aws/secrets.ts';
import type { SlackMessage } from '../../lambdas/slack/blocks.ts';
import { SlackNotifier, type SlackNotifierOptions } from '../../lambdas/slack/notifier.ts';
import { type SlackTestServer, startSlackServer } from '../helpers/slack-server.ts';
import { alertMessage } from './fixtures.ts';

const SECRET_PATH = '/services/T0PERFBUDG/B0PERFBUDG/s3cr3tWebhookToken0000000';

let server: SlackTestServer;
let url: string;
let sleeps: number[];
let printed: string[];
let spies: MockInstance[];

const notifier = (over: SlackNotifierOptions = {}, getUrl: () => string | Promise<string> = () => url) =>
  new SlackNotifier(getUrl, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    ...over,
  });
const posted = () => server.requests.map((r) => r.json as SlackMessage);

beforeEach(async () => {
  server = await startSlackServer();
  url = `${server.url}${SECRET_PATH}`;
  sleeps = [];
  printed = [];
  const keep = (...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
    return true;
  };
  spies = [
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(keep),
    ),
    vi.spyOn(process.stdout, 'write').mockImplementation(keep as never),
    vi.spyOn(process.stderr, 'write').mockImplementation(keep as never),
  ];
});

afterEach(async () => {
  for (const s of spies) s.mockRestore();
  await server.close();
  // whatever a test did, nothing it printed may carry the webhook's secret path
  expect(printed.filter((p) => p.includes('s3cr3tWebhookToken'))).toEqual([]);
});

describe('SlackNotifier.notify', () => {
  it('posts one message per alert and returns one sent delivery per alert, with its key and state', async () => {
    const messages = [alertMessage(1), alertMessage(2, { severity: 'warning' })];
    const deliveries = await notifier().notify(messages);
    expect(deliveries).toEqual([
      { channel: 'slack', key: 'budget-1/spend/forecast', state: 'critical@1#1', status: 'sent' },
      { channel: 'slack', key: 'budget-2/spend/forecast', state: 'warning@1#1', status: 'sent' },
    ]);
    expect(posted().map((m) => m.text)).toEqual([
      '[critical] budget-1: forecast spend passes the cap',
      '[warning] budget-2: forecast spend passes the cap',
    ]);
  });

  it('sends nothing for no alerts', async () => {
    expect(await notifier().notify([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it("fails only the alert Slack rejected, with the status and Slack's error text", async () => {
    server.reply(
      { status: 200, body: 'ok' },
      { status: 400, body: 'invalid_blocks' },
      { status: 200, body: 'ok' },
    );
    const deliveries = await notifier().notify([alertMessage(1), alertMessage(2), alertMessage(3)]);
    expect(deliveries.map((d) => [d.key, d.status, d.detail])).toEqual([
      ['budget-1/spend/forecast', 'sent', undefined],
      ['budget-2/spend/forecast', 'failed', 'HTTP 400 invalid_blocks'],
      ['budget-3/spend/forecast', 'sent', undefined],
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it('waits out a 429 and delivers', async () => {
    server.reply({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } });
    const deliveries = await notifier().notify([alertMessage(1)]);
    expect(deliveries.map((d) => d.status)).toEqual(['sent']);
    expect(sleeps).toEqual([2000]);
  });

  it('fails after retries when Slack keeps answering 500', async () => {
    const err = { status: 500, body: 'internal_error' };
    server.reply(err, err, err);
    const deliveries = await notifier({ maxRetries: 2 }).notify([alertMessage(1)]);
    expect(deliveries).toEqual([
      {
        channel: 'slack',
        key: 'budget-1/spend/forecast',
        state: 'critical@1#1',
        status: 'failed',
        detail: 'HTTP 500 internal_error after 3 attempts',
      },
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it('sends many alerts as one digest and marks each delivered', async () => {
    const messages = Array.from({ length: 12 }, (_, i) => alertMessage(i));
    const deliveries = await notifier().notify(messages);
    expect(server.requests).toHaveLength(1);
    expect(deliveries.map((d) => d.key)).toEqual(messages.map((m) => m.alert.key));
    expect(new Set(deliveries.map((d) => `${d.status}: ${d.detail}`))).toEqual(
      new Set(['sent: in a digest of 12 alerts']),
    );
    expect(posted()[0]?.blocks[0]).toMatchObject({ type: 'header', text: { text: '12 budget alerts' } });
  });

  it('posts an alert with a change waiting for approval on its own, with its buttons, beside the digest', async () => {
    const approval = {
      actionId: 'act-00112233445566ff',
      expiresAt: '2026-11-21T06:00:00.000Z',
      approvers: [],
    };
    const messages = Array.from({ length: 12 }, (_, i) => alertMessage(i, i === 5 ? { approval } : {}));
    const deliveries = await notifier().notify(messages);
    expect(server.requests).toHaveLength(2);
    expect(deliveries[5]).toEqual({
      channel: 'slack',
      key: 'budget-5/spend/forecast',
      state: 'critical@1#1',
      status: 'sent',
    });
    expect(deliveries.filter((d) => d.detail === 'in a digest of 11 alerts')).toHaveLength(11);
    const alone = posted().find((m) => m.text === '[critical] budget-5: forecast spend passes the cap');
    expect(JSON.stringify(alone?.blocks)).toContain('"action_id":"perf-budgets-approve"');
  });

  it('stops posting once the webhook is gone (404 no_service) and fails the rest without trying', async () => {
    server.reply({ status: 404, body: 'no_service' });
    const deliveries = await notifier().notify([alertMessage(1), alertMessage(2)]);
    expect(server.requests).toHaveLength(1);
    expect(deliveries.map((d) => [d.status, d.detail])).toEqual([
      ['failed', 'HTTP 404 no_service'],
      ['failed', 'not sent: HTTP 404 no_service'],
    ]);
  });

  it('returns the alerts it had no time left for as failed, without posting them', async () => {
    let clock = 0;
    server.reply({ status: 429, body: 'rate_limited', headers: { 'retry-after': '5' } });
    const deliveries = await notifier({
      timeBudgetMs: 4000,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    }).notify([alertMessage(1), alertMessage(2), alertMessage(3)]);
    expect(deliveries.map((d) => [d.status, d.detail])).toEqual([
      ['sent', undefined],
      ['failed', 'not sent: the 4000 ms time budget for Slack was spent'],
      ['failed', 'not sent: the 4000 ms time budget for Slack was spent'],
    ]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails every alert, without throwing, when the URL cannot be read', async () => {
    const secretError = new SecretError('perf-budgets/slack', 'secret perf-budgets/slack was not found');
    const leaky = new Error(`cannot reach ${url}`);
    const a = await notifier({}, () => Promise.reject(secretError)).notify([
      alertMessage(1),
      alertMessage(2),
    ]);
    const b = await notifier({}, () => {
      throw leaky;
    }).notify([alertMessage(1)]);
    expect(a.map((d) => [d.status, d.detail])).toEqual([
      ['failed', 'secret perf-budgets/slack was not found'],
      ['failed', 'secret perf-budgets/slack was not found'],
    ]);
    expect(b.map((d) => [d.status, d.detail])).toEqual([
      ['failed', 'the Slack webhook URL could not be read (Error)'],
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a webhook URL on a host that is neither Slack's nor loopback", async () => {
    const other = await notifier({}, () => `https://example.com${SECRET_PATH}`).notify([alertMessage(1)]);
    const lan = await notifier({}, () => `http://10.0.0.7:8080${SECRET_PATH}`).notify([alertMessage(1)]);
    const expected =
      'the Slack webhook URL is not an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL';
    expect(other.map((d) => [d.status, d.detail])).toEqual([['failed', expected]]);
    expect(lan.map((d) => [d.status, d.detail])).toEqual([['failed', expected]]);
    expect(server.requests).toHaveLength(0);
  });

  it('returns a failed delivery instead of throwing when a wait fails', async () => {
    server.reply({ status: 503, body: 'service_unavailable' });
    const deliveries = await notifier({
      sleep: () => Promise.reject(new Error(`interrupted ${url}`)),
    }).notify([alertMessage(1)]);
    expect(deliveries.map((d) => [d.status, d.detail])).toEqual([['failed', 'post failed (Error)']]);
  });

  it('never puts the webhook URL in a delivery', async () => {
    server.reply(
      { status: 400, body: `invalid_payload ${url}` },
      { status: 500, body: SECRET_PATH },
      { status: 500, body: SECRET_PATH },
    );
    const deliveries = await notifier({ maxRetries: 1 }).notify([alertMessage(1), alertMessage(2)]);
    expect(deliveries.map((d) => d.status)).toEqual(['failed', 'failed']);
    const everything = JSON.stringify(deliveries) + inspect(deliveries, { depth: 10 });
    expect(everything).not.toContain('s3cr3tWebhookToken');
    expect(everything).not.toContain(server.url);
  });
});

describe('SlackNotifier.postReport', () => {
  it('posts the report summary with a button to the report', async () => {
    const report = 'https://perf-budgets-reports.s3.amazonaws.com/2026-11/report.html?X-Amz-Signature=abc';
    const outcome = await notifier().postReport({
      title: 'November 2026',
      period: '2026-11-01 to 2026-11-30',
      lines: ['search-prod: $11,200.00 of $12,000.00'],
      url: report,
    });
    expect(outcome).toEqual({ channel: 'slack', status: 'sent' });
    const blocks = posted()[0]?.blocks ?? [];
    expect(blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ url: report, style: 'primary' }] });
  });

  it('reports a failed post as failed', async () => {
    server.reply({ status: 410, body: 'channel_is_archived' });
    const outcome = await notifier().postReport({ title: 't', period: 'p', lines: [] });
    expect(outcome).toEqual({ channel: 'slack', status: 'failed', detail: 'HTTP 410 channel_is_archived' });
  });
});
