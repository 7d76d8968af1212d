import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  header,
  MAX_BLOCKS_BYTES,
  parseInteraction,
  rawBody,
  requestKey,
  responseUrlProblem,
  signedRequest,
} from '../../lambdas/slack/interaction.ts';
import { verifySlackSignature } from '../../lambdas/slack/signature.ts';
import {
  ACTION_ID,
  APPROVER,
  clickedBlocks,
  clickPayload,
  formBody,
  RESPONSE_URL,
  SIGNING_SECRET,
  slackEvent,
} from '../helpers/slack-interaction.ts';

const NOW = new Date('2026-11-20T06:01:00Z');
const ts = NOW.getTime() / 1000 - 10;
/** A body with characters outside ASCII: a check over decoded text instead of the bytes would show. */
const body = formBody(
  clickPayload({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Zoë ✓ 😀' } }] }),
);
const parse = (payload: unknown) => parseInteraction(Buffer.from(formBody(payload)));

describe('a Function URL request from Slack', () => {
  it.each([
    ['lower-cased header names, as AWS passes them', { headerCase: 'lower' as const }],
    ['header names in any case', { headerCase: 'mixed' as const }],
    ['a base64 body', { base64: true }],
    ['a base64 body and mixed-case names', { base64: true, headerCase: 'mixed' as const }],
  ])('verifies with %s', (_, o) => {
    const event = slackEvent(body, { timestamp: ts, ...o });
    const signed = signedRequest(event);
    expect(signed.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(verifySlackSignature(signed, SIGNING_SECRET, NOW)).toEqual({ ok: true });
  });

  it('verifies over the bytes as sent, computed independently of the signing helper', () => {
    const event = slackEvent(body, { timestamp: ts, base64: true });
    const expected = `v0=${createHmac('sha256', SIGNING_SECRET)
      .update(Buffer.concat([Buffer.from(`v0:${ts}:`), Buffer.from(body)]))
      .digest('hex')}`;
    expect(signedRequest(event).signature).toBe(expected);
  });

  it('fails a base64 body read as text, and a text body read as base64', () => {
    const b64 = slackEvent(body, { timestamp: ts, base64: true });
    expect(
      verifySlackSignature(signedRequest({ ...b64, isBase64Encoded: false }), SIGNING_SECRET, NOW),
    ).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const text = slackEvent(body, { timestamp: ts });
    expect(
      verifySlackSignature(signedRequest({ ...text, isBase64Encoded: true }), SIGNING_SECRET, NOW),
    ).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('reads a header whatever its case, and not at all when it is given twice with two values', () => {
    const headers = { 'X-Slack-Signature': 'v0=aa', 'x-slack-request-timestamp': '1' };
    expect(header({ headers }, 'x-slack-signature')).toBe('v0=aa');
    expect(header({ headers }, 'X-SLACK-REQUEST-TIMESTAMP')).toBe('1');
    expect(
      header({ headers: { ...headers, 'x-slack-signature': 'v0=bb' } }, 'x-slack-signature'),
    ).toBeUndefined();
    expect(header({ headers: { ...headers, 'x-slack-signature': 'v0=aa' } }, 'x-slack-signature')).toBe(
      'v0=aa',
    );
    expect(header({}, 'x-slack-signature')).toBeUndefined();
  });

  it('reads an absent body as empty, and names a request by its timestamp and signature', () => {
    expect(rawBody({ isBase64Encoded: true }).length).toBe(0);
    expect(requestKey({ timestamp: '1794566460', signature: 'v0=ab' })).toBe('slack|1794566460|v0=ab');
    expect(requestKey({ timestamp: undefined, signature: undefined })).toBe('slack||');
  });
});

describe('parseInteraction', () => {
  it('reads a click on Approve: the decision, the action id, the clicking member, the reply URL and the blocks', () => {
    expect(parse(clickPayload())).toEqual({
      ok: true,
      click: {
        kind: 'decision',
        decision: 'approve',
        actionId: ACTION_ID,
        userId: APPROVER,
        responseUrl: RESPONSE_URL,
        blocks: JSON.parse(JSON.stringify(clickedBlocks())),
      },
    });
  });

  it('reads a click on Reject', () => {
    const r = parse(clickPayload({ actionId: 'perf-budgets-reject' }));
    expect(r.ok && r.click.kind === 'decision' && r.click.decision).toBe('reject');
  });

  it('reads a click on a link button of an alert as no decision at all', () => {
    expect(parse(clickPayload({ actionId: 'link-0', value: undefined }))).toEqual({
      ok: true,
      click: { kind: 'other', userId: APPROVER },
    });
  });

  it('reads a button named like an object property as no decision', () => {
    expect(parse(clickPayload({ actionId: 'constructor' }))).toEqual({
      ok: true,
      click: { kind: 'other', userId: APPROVER },
    });
  });

  it.each([
    ['a payload that is not block_actions', { ...clickPayload(), type: 'view_submission' }, /at type/],
    ['a user id that is not a Slack member id', clickPayload({ user: 'admin' }), /at user\.id/],
    [
      'an approve button whose value is not an action id',
      clickPayload({ value: 'act-1; drop' }),
      /no action id/,
    ],
    [
      'two actions at once',
      { ...clickPayload(), actions: [...clickPayload().actions, ...clickPayload().actions] },
      /at actions/,
    ],
  ])('refuses %s', (_, payload, detail) => {
    const r = parse(payload);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.detail).toMatch(detail);
  });

  it('says whom and what a refused payload claims, only where they have the shape of ids', () => {
    expect(parse({ ...clickPayload(), type: 'other' })).toMatchObject({
      claimedUser: APPROVER,
      claimedAction: ACTION_ID,
    });
    const odd = parse({ ...clickPayload({ user: '<!channel>', value: 'x'.repeat(500) }), type: 'other' });
    expect(odd).not.toHaveProperty('claimedUser');
    expect(odd).not.toHaveProperty('claimedAction');
  });

  it('refuses a body without a payload field, or with one that is not JSON, without quoting it', () => {
    expect(parseInteraction(Buffer.from('token=x&user_id=U1'))).toEqual({
      ok: false,
      detail: 'The request has no form field "payload".',
    });
    expect(parseInteraction(Buffer.from('payload=%7Bsecret-ish'))).toEqual({
      ok: false,
      detail: 'The request payload is not JSON.',
    });
  });

  it.each([
    ['http', 'http://hooks.slack.com/actions/T0/1/abc'],
    ['another host', 'https://hooks.example.com/actions/T0/1/abc'],
    ['a host that only starts like Slack', 'https://hooks.slack.com.example.net/actions/T0/1/abc'],
    ['a port', 'https://hooks.slack.com:8443/actions/T0/1/abc'],
    ['user info', 'https://user@hooks.slack.com/actions/T0/1/abc'],
    ['loopback', 'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next'],
    ['not a URL', 'hooks.slack.com/actions'],
  ])('keeps no response_url with %s, and says why without quoting it', (_, url) => {
    const r = parse(clickPayload({ responseUrl: url }));
    if (!r.ok || r.click.kind !== 'decision') throw new Error('expected a decision');
    expect(r.click.responseUrl).toBeUndefined();
    expect(r.click.responseUrlRefused).toMatch(/^the response_url is not /);
    expect(r.click.responseUrlRefused).not.toContain(url);
    expect(responseUrlProblem(url)).toBe(r.click.responseUrlRefused);
  });

  it("keeps Slack's and GovSlack's response_urls", () => {
    expect(responseUrlProblem(RESPONSE_URL)).toBeUndefined();
    expect(responseUrlProblem('https://hooks.slack-gov.com/actions/T0/1/abc')).toBeUndefined();
  });

  it('passes on no more blocks than a message holds', () => {
    const many = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const r = parse(clickPayload({ blocks: many }));
    if (!r.ok || r.click.kind !== 'decision') throw new Error('expected a decision');
    expect(r.click).not.toHaveProperty('blocks');
  });

  it('passes on no blocks too large for the worker, and no response_url when Slack gave none', () => {
    const big = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(MAX_BLOCKS_BYTES) } }];
    const r = parse(clickPayload({ blocks: big, responseUrl: null }));
    if (!r.ok || r.click.kind !== 'decision') throw new Error('expected a decision');
    expect(r.click).not.toHaveProperty('blocks');
    expect(r.click).not.toHaveProperty('responseUrl');
    expect(r.click).not.toHaveProperty('responseUrlRefused');
  });
});
