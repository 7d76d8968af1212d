import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertBlocks } from '../../lambdas/slack/blocks.ts';
import { postMessage, retryAfterSeconds, scrub, type WebhookOptions } from '../../lambdas/slack/webhook.ts';
import { type SlackTestServer, startSlackServer } from '../helpers/slack-server.ts';
import { alertText } from './fixtures.ts';

// The path of a webhook URL is its credential: it must appear in no result.
const SECRET_PATH = '/services/T0PERFBUDG/B0PERFBUDG/s3cr3tWebhookToken0000000';

let server: SlackTestServer;
let sleeps: number[];
let url: string;
const options = (over: WebhookOptions = {}): WebhookOptions => ({
  sleep: async (ms) => {
    sleeps.push(ms);
  },
  random: () => 0,
  ...over,
});
const message = alertBlocks(alertText());

beforeEach(async () => {
  server = await startSlackServer();
  url = `${server.url}${SECRET_PATH}`;
  sleeps = [];
});

afterEach(async () => {
  await server.close();
});

describe('postMessage', () => {
  it('posts the message as JSON to the webhook, as built', async () => {
    const result = await postMessage(url, message, options());
    expect(result).toEqual({ ok: true, attempts: 1 });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(SECRET_PATH);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.json).toEqual({ text: message.text, blocks: message.blocks });
    expect(sleeps).toEqual([]);
  });

  it("posts a response_url reply's fields, and only Slack's fields of the object it is given", async () => {
    const reply = {
      text: 'Rejected',
      replace_original: true,
      response_type: 'in_channel' as const,
      alerts: [1],
    };
    expect(await postMessage(url, reply, options())).toEqual({ ok: true, attempts: 1 });
    expect(server.requests[0]?.json).toEqual({
      text: 'Rejected',
      replace_original: true,
      response_type: 'in_channel',
    });
  });

  it('posts through the transport it is given', async () => {
    const asked: string[] = [];
    const result = await postMessage(
      'https://hooks.slack.com/actions/T0/1/abc',
      message,
      options({
        fetch: (input, init) => {
          asked.push(String(input));
          return fetch(url, init);
        },
      }),
    );
    expect(result).toEqual({ ok: true, attempts: 1 });
    expect(asked).toEqual(['https://hooks.slack.com/actions/T0/1/abc']);
    expect(server.requests).toHaveLength(1);
  });

  it('on 429 waits the Retry-After seconds once, then succeeds', async () => {
    server.reply(
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } },
      { status: 200, body: 'ok' },
    );
    const result = await postMessage(url, message, options());
    expect(result).toEqual({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([7000]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
  });

  it('gives up at once when Retry-After is over the cap, rather than hold the Lambda', async () => {
    server.reply({ status: 429, body: 'rate_limited', headers: { 'retry-after': '120' } });
    const result = await postMessage(url, message, options({ maxRetryAfterSeconds: 30 }));
    expect(result).toEqual({
      ok: false,
      attempts: 1,
      status: 429,
      detail: 'HTTP 429 rate_limited (Retry-After 120 s is over the 30 s cap)',
    });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 5xx with exponential backoff, then fails with the status and the number of attempts', async () => {
    const err = { status: 500, body: 'internal_error' };
    server.reply(err, err, err, err, err);
    const result = await postMessage(url, message, options({ maxRetries: 3, backoffMs: 400 }));
    expect(result).toEqual({
      ok: false,
      attempts: 4,
      status: 500,
      detail: 'HTTP 500 internal_error after 4 attempts',
    });
    expect(server.requests).toHaveLength(4);
    // random() = 0 takes the lower half of each doubling step: 400/2, 800/2, 1600/2
    expect(sleeps).toEqual([200, 400, 800]);
  });

  it('recovers when a 503 is followed by success', async () => {
    server.reply({ status: 503, body: 'service_unavailable' });
    const result = await postMessage(url, message, options({ random: () => 0.5 }));
    expect(result).toEqual({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([375]);
  });

  it('does not retry a 400 invalid_blocks', async () => {
    server.reply({ status: 400, body: 'invalid_blocks' });
    const result = await postMessage(url, message, options());
    expect(result).toEqual({ ok: false, attempts: 1, status: 400, detail: 'HTTP 400 invalid_blocks' });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("passes on only the error code of a body, not a proxy's HTML page", async () => {
    server.reply({ status: 502, body: '<html><body>502 Bad Gateway</body></html>' });
    const result = await postMessage(url, message, options({ maxRetries: 0 }));
    expect(result).toEqual({ ok: false, attempts: 1, status: 502, detail: 'HTTP 502' });
  });

  it('does not retry a 404 no_service', async () => {
    server.reply({ status: 404, body: 'no_service' });
    const result = await postMessage(url, message, options());
    expect(result).toEqual({ ok: false, attempts: 1, status: 404, detail: 'HTTP 404 no_service' });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a refused connection, then names the error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await postMessage(
      `http://127.0.0.1:${port}${SECRET_PATH}`,
      message,
      options({ maxRetries: 2 }),
    );
    expect(result).toEqual({ ok: false, attempts: 3, detail: 'network error ECONNREFUSED after 3 attempts' });
    expect(sleeps).toHaveLength(2);
  });

  it('ends a request that gets no answer at the timeout', async () => {
    server.reply({ status: 200, hang: true }, { status: 200, hang: true });
    const result = await postMessage(url, message, options({ maxRetries: 1, timeoutMs: 150 }));
    expect(result).toEqual({ ok: false, attempts: 2, detail: 'timed out after 150 ms after 2 attempts' });
    expect(server.requests).toHaveLength(2);
  });

  it('never returns the webhook URL, even when the response echoes it', async () => {
    server.reply(
      { status: 400, body: `invalid_token for ${url}` },
      { status: 403, body: `action_prohibited ${SECRET_PATH}` },
      { status: 500, body: SECRET_PATH },
      { status: 500, body: SECRET_PATH },
    );
    const results = [
      await postMessage(url, message, options()),
      await postMessage(url, message, options()),
      await postMessage(url, message, options({ maxRetries: 1 })),
      await postMessage(`http://[::1${SECRET_PATH}`, message, options()),
      await postMessage(`not a url ${SECRET_PATH}`, message, options()),
    ];
    const details = results.map((r) => (r.ok ? '' : r.detail));
    expect(details[0]).toBe('HTTP 400 invalid_token');
    expect(details[1]).toBe('HTTP 403 action_prohibited');
    expect(details[2]).toBe('HTTP 500 after 2 attempts');
    expect(details[3]).toBe('the webhook URL is not a valid URL');
    expect(details[4]).toBe('the webhook URL is not a valid URL');
    for (const r of results) {
      expect(r.ok).toBe(false);
      const everything = JSON.stringify(r);
      expect(everything).not.toContain('s3cr3tWebhookToken');
      expect(everything).not.toContain('T0PERFBUDG');
    }
  });
});

describe('scrub', () => {
  it('removes the whole URL and its path on its own', () => {
    const hook = `https://hooks.slack.com${SECRET_PATH}`;
    expect(scrub(`failed posting to ${hook} (path ${SECRET_PATH})`, hook)).toBe(
      'failed posting to [redacted] (path [redacted])',
    );
  });
});

describe('retryAfterSeconds', () => {
  it('reads delta-seconds and HTTP dates, and falls back to one second', () => {
    expect(retryAfterSeconds('30')).toBe(30);
    expect(retryAfterSeconds('Sun, 29 Nov 2026 06:00:10 GMT', Date.parse('2026-11-29T06:00:00Z'))).toBe(10);
    expect(retryAfterSeconds(null)).toBe(1);
    expect(retryAfterSeconds('soon')).toBe(1);
  });
});
