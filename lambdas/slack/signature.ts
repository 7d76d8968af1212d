/**
 * Verifies that a request comes from Slack (interactive approvals): `X-Slack-Signature` must be
 * `v0=` + hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}` keyed with the app's signing secret, and
 * `X-Slack-Request-Timestamp` within five minutes of now, so a captured request cannot be replayed later.
 * The body must be the raw bytes as received (before any form or JSON parsing).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** Slack's documented replay window. */
export const SLACK_SIGNATURE_MAX_AGE_SECONDS = 300;

export interface SlackSignedRequest {
  /** The X-Slack-Request-Timestamp header: Unix seconds. */
  readonly timestamp: string | undefined;
  /** The X-Slack-Signature header: `v0=<hex>`. */
  readonly signature: string | undefined;
  /** The raw request body. */
  readonly body: string | Uint8Array;
}

export type SignatureCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason:
        | 'no-signing-secret'
        | 'missing-headers'
        | 'bad-timestamp'
        | 'stale-timestamp'
        | 'bad-signature';
    };

/** The signature Slack sends for a body at a timestamp: `v0=` and 64 hex digits. */
export function slackSignature(signingSecret: string, timestamp: string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Checks a request's signature and timestamp against the signing secret at `now`. A timestamp more than
 * `maxAgeSeconds` from `now`, in either direction, is rejected before any HMAC is computed.
 */
export function verifySlackSignature(
  request: SlackSignedRequest,
  signingSecret: string,
  now: Date,
  maxAgeSeconds: number = SLACK_SIGNATURE_MAX_AGE_SECONDS,
): SignatureCheck {
  // An empty key would make every forger's HMAC the expected one.
  if (!signingSecret) return { ok: false, reason: 'no-signing-secret' };
  const { timestamp, signature } = request;
  if (!timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > maxAgeSeconds) {
    return { ok: false, reason: 'stale-timestamp' };
  }
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, request.body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a length mismatch says nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  return { ok: true };
}
