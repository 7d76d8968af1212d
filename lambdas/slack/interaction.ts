/**
 * A click on an alert's Approve or Reject button, as Slack sends it to the interactivity request URL (here a Lambda
 * Function URL): the signed parts of the request, and what the click asks for.
 *
 * A Function URL hands the handler its headers (lower-cased by AWS, but read here in any case) and its body as a
 * string, base64-encoded when `isBase64Encoded` says so; the signature covers the body's bytes as sent, so the body
 * is verified as those bytes and parsed only after. The body is form-encoded with one field, `payload`, a JSON
 * `block_actions` interaction. Nothing in it is trusted before the signature is checked; after, only our own two
 * action ids with an action id as their value ask for a decision, and the `response_url` is kept only when it is
 * Slack's (https, hooks.slack.com or hooks.slack-gov.com), so that no request can make us post elsewhere.
 */
import * as z from 'zod';
import type { Decision } from '../core/plan/approval.ts';
import { APPROVAL_ACTIONS, SLACK_LIMITS, SLACK_USER_ID } from './blocks.ts';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, type SlackSignedRequest } from './signature.ts';
import { SLACK_HOSTS } from './webhook-url.ts';

/** The parts of a Lambda Function URL event (payload format 2.0) that an interaction needs. */
export interface HttpRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** A header's value whatever the case of its name; undefined when absent, or given twice with two values. */
export function header(request: HttpRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [k, v] of Object.entries(request.headers ?? {})) {
    if (k.toLowerCase() === wanted && v !== undefined) values.add(v);
  }
  return values.size === 1 ? [...values][0] : undefined;
}

/** The body as the bytes Slack sent (and signed). */
export function rawBody(request: HttpRequest): Buffer {
  const body = request.body ?? '';
  return Buffer.from(body, request.isBase64Encoded ? 'base64' : 'utf8');
}

/** What the signature check reads: the two headers and the raw body. */
export function signedRequest(request: HttpRequest): SlackSignedRequest & { readonly body: Buffer } {
  return {
    timestamp: header(request, SLACK_TIMESTAMP_HEADER),
    signature: header(request, SLACK_SIGNATURE_HEADER),
    body: rawBody(request),
  };
}

/**
 * What identifies one Slack request: its timestamp and signature. The audit record of its decision is keyed by it,
 * so the same request sent again is known as a replay.
 */
export function requestKey(signed: Pick<SlackSignedRequest, 'timestamp' | 'signature'>): string {
  return `slack|${signed.timestamp ?? ''}|${signed.signature ?? ''}`;
}

/**
 * Why `url` is not a response_url to post to, or undefined when it is: Slack's own https hosts only, as Slack
 * issues them (no port, no user info). The reason never quotes the URL: it is a credential for five replies.
 */
export function responseUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'the response_url is not a URL';
  }
  if (u.protocol !== 'https:' || !SLACK_HOSTS.has(u.hostname) || u.port || u.username || u.password)
    return 'the response_url is not an https://hooks.slack.com/ or https://hooks.slack-gov.com/ URL';
  return undefined;
}

/** The action ids the planner writes (`act-` and 16 hex digits): the only value a button of ours carries. */
export const ACTION_ID = /^act-[0-9a-f]{16}$/;
/**
 * Past this size, or past Slack's 50 blocks, the clicked message's blocks are not passed on (an asynchronous invoke
 * carries at most 256 KB).
 */
export const MAX_BLOCKS_BYTES = 200_000;

// a Map, not an object: an action id such as "constructor" must find nothing
const DECISIONS: ReadonlyMap<string, Decision> = new Map([
  [APPROVAL_ACTIONS.approve, 'approve'],
  [APPROVAL_ACTIONS.reject, 'reject'],
]);

/** A block of the clicked message as Slack gives it back: only its type and ids are read. */
const ReceivedBlock = z.looseObject({ type: z.string(), block_id: z.string().optional() });
export type ReceivedBlock = z.infer<typeof ReceivedBlock>;

const BlockActions = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().regex(SLACK_USER_ID) }),
  response_url: z.string().optional(),
  message: z.looseObject({ blocks: z.array(ReceivedBlock).optional() }).optional(),
  actions: z
    .array(z.looseObject({ action_id: z.string(), value: z.string().optional() }))
    .min(1)
    .max(1),
});

/** A click on Approve or Reject. */
export interface DecisionClick {
  readonly kind: 'decision';
  readonly decision: Decision;
  readonly actionId: string;
  /** The clicking person's Slack member id. */
  readonly userId: string;
  /** Where to say what became of it; absent when Slack gave none, or one that is not Slack's. */
  readonly responseUrl?: string;
  /** Why a response_url that was given is not used (for the log; never the URL itself). */
  readonly responseUrlRefused?: string;
  /** The clicked message's blocks, to replace it with once decided; absent when too large to pass on. */
  readonly blocks?: readonly ReceivedBlock[];
}

/** Any other button of our messages (a link to the report or the dashboard): Slack expects a 200, nothing else. */
export interface OtherClick {
  readonly kind: 'other';
  readonly userId: string;
}

export type Interaction =
  | { readonly ok: true; readonly click: DecisionClick | OtherClick }
  | {
      readonly ok: false;
      readonly detail: string;
      /** Who the request says clicked, and on what, when it says so in a readable form (for the audit). */
      readonly claimedUser?: string;
      readonly claimedAction?: string;
    };

/**
 * Reads a request body as an interaction. Call it on a verified body to act on it; on an unverified one only to
 * learn whom and what it claims (for the audit record of its refusal).
 */
export function parseInteraction(body: Buffer): Interaction {
  let json: unknown;
  try {
    const payload = new URLSearchParams(body.toString('utf8')).get('payload');
    if (payload === null) return { ok: false, detail: 'The request has no form field "payload".' };
    json = JSON.parse(payload);
  } catch {
    // JSON.parse quotes what it failed on: only the fact is kept
    return { ok: false, detail: 'The request payload is not JSON.' };
  }
  const claim = claimOf(json);
  const r = BlockActions.safeParse(json);
  if (!r.success) {
    const where = r.error.issues[0]?.path.join('.') || 'payload';
    return { ok: false, detail: `Not a block_actions interaction of this app (at ${where}).`, ...claim };
  }
  const p = r.data;
  const [action] = p.actions;
  const decision = action && DECISIONS.get(action.action_id);
  if (!action || !decision) return { ok: true, click: { kind: 'other', userId: p.user.id } };
  if (action.value === undefined || !ACTION_ID.test(action.value))
    return { ok: false, detail: `The ${action.action_id} button carries no action id.`, ...claim };
  const problem = p.response_url === undefined ? undefined : responseUrlProblem(p.response_url);
  const blocks = p.message?.blocks;
  const fits =
    blocks !== undefined &&
    blocks.length <= SLACK_LIMITS.blocks &&
    Buffer.byteLength(JSON.stringify(blocks)) <= MAX_BLOCKS_BYTES;
  return {
    ok: true,
    click: {
      kind: 'decision',
      decision,
      actionId: action.value,
      userId: p.user.id,
      ...(p.response_url !== undefined && !problem ? { responseUrl: p.response_url } : {}),
      ...(problem ? { responseUrlRefused: problem } : {}),
      ...(fits ? { blocks } : {}),
    },
  };
}

/** The user id and action id a payload claims, each only when it has the shape of one. */
function claimOf(json: unknown): { claimedUser?: string; claimedAction?: string } {
  const o = (json ?? {}) as { user?: { id?: unknown }; actions?: { value?: unknown }[] };
  const user = typeof o.user?.id === 'string' && SLACK_USER_ID.test(o.user.id) ? o.user.id : undefined;
  const first = Array.isArray(o.actions) ? o.actions[0]?.value : undefined;
  const action = typeof first === 'string' && ACTION_ID.test(first) ? first : undefined;
  return { ...(user ? { claimedUser: user } : {}), ...(action ? { claimedAction: action } : {}) };
}
