import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../lambdas/slack/signature.ts';

// The worked example in Slack's "Verifying requests from Slack".
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const DOC_TIME = new Date(Number(DOC_TIMESTAMP) * 1000);

const SECRET = 'perf-budgets-signing-secret';
const NOW = new Date('2026-11-29T06:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
/** Signed independently of the module under test, so the scheme is checked, not echoed. */
const sign = (timestamp: number | string, body = BODY, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
const request = (timestamp: number | string, signature = sign(timestamp), body = BODY) => ({
  timestamp: String(timestamp),
  signature,
  body,
});

describe('Slack request signatures', () => {
  it("computes Slack's documented example signature", () => {
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, Buffer.from(DOC_BODY))).toBe(DOC_SIGNATURE);
  });

  it("accepts Slack's documented example a minute after it was sent", () => {
    const at = new Date(DOC_TIME.getTime() + 60_000);
    const check = verifySlackSignature(
      { timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, body: DOC_BODY },
      DOC_SECRET,
      at,
    );
    expect(check).toEqual({ ok: true });
  });

  it('rejects a body changed by one character', () => {
    const check = verifySlackSignature(
      { timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, body: DOC_BODY.replace('foobar', 'foobaz') },
      DOC_SECRET,
      DOC_TIME,
    );
    expect(check).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a signature made with another secret, a flipped digit, or a truncated one', () => {
    const ts = nowSeconds - 10;
    const good = sign(ts);
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    for (const signature of [
      sign(ts, BODY, 'another-secret'),
      flipped,
      good.slice(0, -2),
      `v1=${good.slice(3)}`,
    ]) {
      expect(verifySlackSignature(request(ts, signature), SECRET, NOW)).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
    expect(verifySlackSignature(request(ts, good), SECRET, NOW)).toEqual({ ok: true });
  });

  it('accepts a timestamp up to five minutes old and rejects an older or a future one', () => {
    expect(verifySlackSignature(request(nowSeconds - 300), SECRET, NOW)).toEqual({ ok: true });
    expect(verifySlackSignature(request(nowSeconds - 301), SECRET, NOW)).toEqual({
      ok: false,
      reason: 'stale-timestamp',
    });
    expect(verifySlackSignature(request(nowSeconds + 301), SECRET, NOW)).toEqual({
      ok: false,
      reason: 'stale-timestamp',
    });
    // a replay of Slack's 2018 example today
    expect(
      verifySlackSignature(
        { timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, body: DOC_BODY },
        DOC_SECRET,
        NOW,
      ),
    ).toEqual({ ok: false, reason: 'stale-timestamp' });
  });

  it('rejects missing headers, a timestamp that is not a number, and an empty signing secret', () => {
    const ts = nowSeconds;
    expect(
      verifySlackSignature({ timestamp: undefined, signature: sign(ts), body: BODY }, SECRET, NOW),
    ).toEqual({
      ok: false,
      reason: 'missing-headers',
    });
    expect(
      verifySlackSignature({ timestamp: String(ts), signature: undefined, body: BODY }, SECRET, NOW),
    ).toEqual({ ok: false, reason: 'missing-headers' });
    expect(verifySlackSignature(request(`${ts}.5`, sign(`${ts}.5`)), SECRET, NOW)).toEqual({
      ok: false,
      reason: 'bad-timestamp',
    });
    expect(verifySlackSignature(request(ts, sign(ts, BODY, '')), '', NOW)).toEqual({
      ok: false,
      reason: 'no-signing-secret',
    });
  });
});
