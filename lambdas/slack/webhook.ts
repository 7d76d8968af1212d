/**
 * Posting to a Slack incoming webhook through @slack/webhook's IncomingWebhook, with one retry policy (ours; the
 * library's own p-retry is left at its default of no retries):
 *
 * - 429: wait Retry-After seconds and try again; if Slack asks for longer than `maxRetryAfterSeconds`, give up at
 *   once rather than hold a Lambda that long (the next cycle sends what is still new).
 * - 5xx, network errors and timeouts: retry with exponential backoff and jitter, `maxRetries` times.
 * - any other 4xx (400 invalid_blocks, 403 action_prohibited, 404 no_service, 410 channel_is_archived): final.
 *
 * It never throws. The webhook URL is a secret (its path is the credential): no result or error text carries it.
 * The library's errors are read for their status code and Slack's error text only; its messages are never passed
 * on, and every text is scrubbed of the URL as a last guard.
 */
import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
  type IncomingWebhookSendArguments,
} from '@slack/webhook';

/**
 * What is posted: a message's text and blocks, and for an interaction's response_url how it relates to the clicked
 * message (replace it, or add one that only the clicker sees). Every SlackMessage is one.
 */
export interface OutgoingMessage {
  readonly text: string;
  readonly blocks?: readonly object[];
  readonly replace_original?: boolean;
  readonly response_type?: 'ephemeral' | 'in_channel';
}

export interface WebhookOptions {
  /** Retries after the first attempt, for 429, 5xx and network errors (default 3). */
  readonly maxRetries?: number;
  /** Per attempt, in milliseconds (default 10,000). */
  readonly timeoutMs?: number;
  /** The longest Retry-After honoured; a longer one fails the post at once (default 30). */
  readonly maxRetryAfterSeconds?: number;
  /** First backoff after a 5xx or network error, doubled each retry (default 500 ms, at most 8 s). */
  readonly backoffMs?: number;
  /** Waits between attempts (tests record the waits instead of sleeping). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): jitter on the backoff (default Math.random; a test passes a constant). */
  readonly random?: () => number;
  /** The HTTP transport (default: the global fetch); a test routes Slack's host to a loopback server with it. */
  readonly fetch?: FetchFunction;
}

export type PostResult =
  | { readonly ok: true; readonly attempts: number }
  | {
      readonly ok: false;
      readonly attempts: number;
      /** The HTTP status of the last attempt, when there was a response. */
      readonly status?: number;
      /** Why, for people: status and Slack's error text, or the network error's code. Never the URL. */
      readonly detail: string;
    };

export const WEBHOOK_DEFAULTS = {
  maxRetries: 3,
  timeoutMs: 10_000,
  maxRetryAfterSeconds: 30,
  backoffMs: 500,
  maxBackoffMs: 8_000,
} as const;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds: delta-seconds, or an HTTP date; absent or unreadable counts as 1 s. */
export function retryAfterSeconds(value: string | null | undefined, nowMs: number = Date.now()): number {
  if (!value) return 1;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? 1 : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/**
 * Slack's error code from a response body ("invalid_blocks", "no_service"), or nothing: a body that is not one
 * code (an HTML error page from a proxy, an echo of the request) is not passed on.
 */
function slackError(body: string): string {
  const first = body.trim().split(/\s+/, 1)[0] ?? '';
  return /^[a-z][a-z0-9_]{1,80}$/.test(first) ? first : '';
}

/** A short name for a request failure: a timeout, or the system error code (ECONNREFUSED), never a message. */
function requestFailure(err: unknown, timeoutMs: number): string {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const { name, code, cause } = e as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return `network error ${code}`;
    e = cause;
  }
  const original = err instanceof IncomingWebhookRequestError ? err.original : err;
  const name = original instanceof Error ? original.name : typeof original;
  return `request failed (${name})`;
}

/** Removes the URL, and its path on its own, from a text, whatever else happened upstream. */
export function scrub(text: string, url: string): string {
  let out = text;
  const secrets = [url];
  try {
    const { pathname, search } = new URL(url);
    if (pathname.length > 1) secrets.push(pathname + search, pathname);
  } catch {
    // not a URL: the whole string is scrubbed
  }
  for (const s of secrets.filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('[redacted]');
  }
  return out;
}

/**
 * Posts one message to the webhook at `url`, retrying as described above. Resolves to the outcome; never rejects.
 */
export async function postMessage(
  url: string,
  message: OutgoingMessage,
  options: WebhookOptions = {},
): Promise<PostResult> {
  const maxRetries = Math.max(0, options.maxRetries ?? WEBHOOK_DEFAULTS.maxRetries);
  const timeoutMs = options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? WEBHOOK_DEFAULTS.maxRetryAfterSeconds;
  const backoffMs = options.backoffMs ?? WEBHOOK_DEFAULTS.backoffMs;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  // The library's HTTP error carries the status and body but not the headers: keep the last Retry-After here.
  let retryAfter: string | null = null;
  const transport = options.fetch ?? fetch;
  const recordingFetch: FetchFunction = async (input, init) => {
    const response = await transport(input, init);
    retryAfter = response.headers.get('retry-after');
    return response;
  };
  let webhook: IncomingWebhook;
  try {
    webhook = new IncomingWebhook(url, {
      fetch: recordingFetch,
      timeout: timeoutMs,
      retryConfig: { retries: 0 },
    });
  } catch {
    return { ok: false, attempts: 0, detail: 'no webhook URL' };
  }
  // the fields Slack reads, and nothing else a caller's object may hold
  const { text, blocks, replace_original, response_type } = message;
  const payload = {
    text,
    ...(blocks ? { blocks } : {}),
    ...(replace_original === undefined ? {} : { replace_original }),
    ...(response_type ? { response_type } : {}),
  } as IncomingWebhookSendArguments;

  let attempts = 0;
  for (;;) {
    attempts++;
    retryAfter = null;
    let failure: { status?: number; detail: string; waitMs?: number };
    try {
      await webhook.send(payload);
      return { ok: true, attempts };
    } catch (err) {
      failure = classify(err, retryAfter, { timeoutMs, maxRetryAfter, backoffMs, attempt: attempts, random });
    }
    const final = failure.waitMs === undefined || attempts > maxRetries;
    if (final) {
      const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
      const retryable = failure.waitMs !== undefined;
      return {
        ok: false,
        attempts,
        ...(failure.status === undefined ? {} : { status: failure.status }),
        detail: scrub(`${failure.detail}${retryable ? tries : ''}`, url),
      };
    }
    await sleep(failure.waitMs as number);
  }
}

function classify(
  err: unknown,
  retryAfter: string | null,
  ctx: { timeoutMs: number; maxRetryAfter: number; backoffMs: number; attempt: number; random: () => number },
): { status?: number; detail: string; waitMs?: number } {
  const backoff = () => {
    const base = Math.min(WEBHOOK_DEFAULTS.maxBackoffMs, ctx.backoffMs * 2 ** (ctx.attempt - 1));
    return Math.round(base / 2 + (base / 2) * ctx.random());
  };
  if (err instanceof IncomingWebhookHTTPError) {
    const status = err.statusCode;
    const text = slackError(err.body);
    const detail = `HTTP ${status}${text ? ` ${text}` : ''}`;
    if (status === 429) {
      const seconds = retryAfterSeconds(retryAfter);
      if (seconds > ctx.maxRetryAfter) {
        return {
          status,
          detail: `${detail} (Retry-After ${seconds} s is over the ${ctx.maxRetryAfter} s cap)`,
        };
      }
      return { status, detail, waitMs: seconds * 1000 };
    }
    if (status >= 500) return { status, detail, waitMs: backoff() };
    return { status, detail };
  }
  if (err instanceof IncomingWebhookRequestError) {
    const detail = requestFailure(err, ctx.timeoutMs);
    // fetch rejects a URL it cannot parse; its error quotes the URL, so only the code is kept, and it is final.
    if (detail === 'network error ERR_INVALID_URL') return { detail: 'the webhook URL is not a valid URL' };
    return { detail, waitMs: backoff() };
  }
  // Not the library's error (a bug, or an unexpected rejection): not retried, named by class only.
  return { detail: `post failed (${err instanceof Error ? err.name : typeof err})` };
}
