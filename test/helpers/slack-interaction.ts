import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { alertBlocks } from '../../lambdas/slack/blocks.ts';
import { slackSignature } from '../../lambdas/slack/signature.ts';
import { alertText } from '../slack/fixtures.ts';

/** The signing secret of the app in these tests (a secret: it must show in no log). */
export const SIGNING_SECRET = 'f3e1c0ffee5ec7e75161ab1e0a11ce00';
/** A response_url as Slack issues them (a credential for five replies: it must show in no log). */
export const RESPONSE_URL = 'https://hooks.slack.com/actions/T0PERFBUDG/6098765432/r3sp0nseUrlToken00000000';
export const ACTION_ID = 'act-00112233445566ff';
export const APPROVER = 'U012ABCDEF';

/** The alert a button was clicked in, as Slack gives its blocks back. */
export const clickedBlocks = () =>
  alertBlocks(
    alertText({
      approval: { actionId: ACTION_ID, expiresAt: '2026-11-21T06:00:00.000Z', approvers: [APPROVER] },
    }),
  ).blocks;

/** A `block_actions` payload as Slack sends it for a click on one of an alert's buttons. */
export function clickPayload(
  o: {
    readonly actionId?: string;
    readonly value?: string;
    readonly user?: string;
    readonly responseUrl?: string | null;
    readonly blocks?: readonly object[];
  } = {},
) {
  return {
    type: 'block_actions',
    user: { id: o.user ?? APPROVER, username: 'ana', name: 'ana', team_id: 'T0PERFBUDG' },
    api_app_id: 'A0PERFBUDG',
    token: 'verification-token-not-used',
    container: {
      type: 'message',
      message_ts: '1794566400.000100',
      channel_id: 'C0ALERTS',
      is_ephemeral: false,
    },
    trigger_id: '6098765432.1234567890.abcdef',
    team: { id: 'T0PERFBUDG', domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: 'C0ALERTS', name: 'perf-budgets' },
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: '[critical] search-prod: forecast spend passes the cap',
      ts: '1794566400.000100',
      bot_id: 'B0PERFBUDG',
      blocks: o.blocks ?? clickedBlocks(),
    },
    state: { values: {} },
    ...(o.responseUrl === null ? {} : { response_url: o.responseUrl ?? RESPONSE_URL }),
    actions: [
      {
        action_id: o.actionId ?? 'perf-budgets-approve',
        block_id: 'perf-budgets-approval',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        value: o.value ?? ACTION_ID,
        style: 'primary',
        type: 'button',
        action_ts: '1794566460.123456',
      },
    ],
  };
}

/** The form-encoded body Slack posts: one field, `payload`, holding the JSON. */
export const formBody = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

/**
 * A Function URL event (payload format 2.0) carrying `body` as Slack sends it at `timestamp` (Unix seconds), signed
 * with `secret`: header names lower-cased as AWS passes them, or in Slack's own case; the body plain or base64.
 */
export function slackEvent(
  body: string,
  o: {
    readonly timestamp: number;
    readonly secret?: string;
    readonly base64?: boolean;
    readonly headerCase?: 'lower' | 'mixed';
    /** Replaces the headers Slack sends (after signing). */
    readonly headers?: Record<string, string>;
  },
): LambdaFunctionURLEvent {
  const ts = String(o.timestamp);
  const signature = slackSignature(o.secret ?? SIGNING_SECRET, ts, body);
  const signed =
    o.headerCase === 'mixed'
      ? { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': signature }
      : { 'x-slack-request-timestamp': ts, 'x-slack-signature': signature };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abcdefghij0123456789.lambda-url.us-east-1.on.aws',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
      'x-forwarded-for': '44.192.0.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(o.headers ?? signed),
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghij0123456789',
      domainName: 'abcdefghij0123456789.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij0123456789',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '44.192.0.1',
        userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      requestId: '5d1b2c3a-0000-4000-8000-00000000cafe',
      routeKey: '$default',
      stage: '$default',
      time: '20/Nov/2026:06:01:00 +0000',
      timeEpoch: o.timestamp * 1000,
    },
    body: o.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: o.base64 ?? false,
  };
}
