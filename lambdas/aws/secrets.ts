/**
 * The Slack webhook URL and signing secret. In AWS they come from one Secrets Manager secret, read through
 * Powertools Parameters (cached for `maxAgeSeconds`, so a warm Lambda does not call Secrets Manager each cycle);
 * in local runs from the environment variables SLACK_WEBHOOK_URL and SLACK_SIGNING_SECRET.
 *
 * The secret holds JSON: `{"webhookUrl": "https://hooks.slack.com/services/...", "signingSecret": "..."}` (the URL
 * may be GovSlack's, https://hooks.slack-gov.com/...); a secret that is a bare URL is read as the webhook URL alone.
 * The signing secret is needed only where Slack calls us back (approvals in `approve` mode).
 *
 * The values never reach a log or an error: errors name the secret (its name or ARN) or the variable only, and the
 * credentials object prints as "[redacted]" through JSON.stringify (which the Powertools Logger uses) and
 * util.inspect (console.log).
 */
import { inspect } from 'node:util';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '../core/errors.ts';
import { webhookUrlProblem } from '../slack/webhook-url.ts';

export const DEFAULT_SECRET_MAX_AGE_SECONDS = 300;

export interface SlackCredentialsOptions {
  /** Name or ARN of the Secrets Manager secret; without it, the environment is read (local runs). */
  readonly secretId?: string;
  /** The environment of a local run, read once by the caller (the composition root). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long a fetched secret is reused before Secrets Manager is asked again (default 300 s). */
  readonly maxAgeSeconds?: number;
  /** A provider with its own client (another region, a test); by default Powertools' shared one. */
  readonly provider?: Pick<SecretsProvider, 'get'>;
  /** Told where the credentials came from, never what they are. */
  readonly logger?: { debug(message: string, ...extra: Record<string, unknown>[]): void };
}

/** A secret that could not be read or is malformed. The message names the secret, never its value. */
export class SecretError extends ConfigurationError {
  override name = 'SecretError';
  constructor(
    readonly secret: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const REDACTED = '[redacted]';

/** The webhook URL and signing secret, which print as "[redacted]" wherever they are logged. */
export class SlackCredentials {
  readonly #webhookUrl: string;
  readonly #signingSecret: string | undefined;

  constructor(webhookUrl: string, signingSecret: string | undefined) {
    this.#webhookUrl = webhookUrl;
    this.#signingSecret = signingSecret;
  }

  get webhookUrl(): string {
    return this.#webhookUrl;
  }

  get signingSecret(): string | undefined {
    return this.#signingSecret;
  }

  toJSON(): Record<string, string | undefined> {
    return { webhookUrl: REDACTED, signingSecret: this.#signingSecret === undefined ? undefined : REDACTED };
  }

  toString(): string {
    return `SlackCredentials ${REDACTED}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Checks that a webhook URL is one to post to (`webhookUrlProblem`: Slack's or GovSlack's webhook host, or loopback)
 * without ever putting the URL (its path is the secret) into the error: `where` says which secret or variable held it.
 */
export function validateWebhookUrl(value: string, where: string): void {
  const problem = webhookUrlProblem(value, where);
  if (problem) throw new SecretError(where, problem);
}

function nameOf(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const name = (e as { name?: unknown }).name;
    if (
      typeof name === 'string' &&
      !['Error', 'GetParameterError', 'ParameterNotFoundError'].includes(name)
    ) {
      return name;
    }
  }
  return undefined;
}

function parseSecret(text: string, secretId: string): SlackCredentials {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    validateWebhookUrl(trimmed, `secret ${secretId}`);
    return new SlackCredentials(trimmed, undefined);
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    // JSON.parse's message quotes the text it failed on: it must not become the error's message or cause.
    throw new SecretError(secretId, `secret ${secretId} is neither a URL nor valid JSON`);
  }
  const { webhookUrl, signingSecret } = (value ?? {}) as { webhookUrl?: unknown; signingSecret?: unknown };
  if (typeof webhookUrl !== 'string') {
    throw new SecretError(secretId, `secret ${secretId} has no "webhookUrl" string`);
  }
  if (signingSecret !== undefined && (typeof signingSecret !== 'string' || signingSecret === '')) {
    throw new SecretError(
      secretId,
      `secret ${secretId} has a "signingSecret" that is not a non-empty string`,
    );
  }
  validateWebhookUrl(webhookUrl, `secret ${secretId}`);
  return new SlackCredentials(webhookUrl, signingSecret);
}

/** Reads the Slack credentials from Secrets Manager (when `secretId` is given) or from the environment. */
export async function getSlackCredentials(options: SlackCredentialsOptions): Promise<SlackCredentials> {
  const { secretId, logger } = options;
  if (!secretId) {
    const url = options.env?.SLACK_WEBHOOK_URL;
    if (!url) {
      throw new SecretError(
        'SLACK_WEBHOOK_URL',
        'Slack is not configured: set SLACK_WEBHOOK_URL (local runs) or give the Slack secret name or ARN',
      );
    }
    validateWebhookUrl(url, 'SLACK_WEBHOOK_URL');
    logger?.debug('Slack credentials read from the environment', { variable: 'SLACK_WEBHOOK_URL' });
    return new SlackCredentials(url, options.env?.SLACK_SIGNING_SECRET || undefined);
  }

  const maxAge = options.maxAgeSeconds ?? DEFAULT_SECRET_MAX_AGE_SECONDS;
  let raw: string | Uint8Array | undefined;
  try {
    raw = options.provider
      ? ((await options.provider.get(secretId, { maxAge })) as string | Uint8Array | undefined)
      : await getSecret(secretId, { maxAge });
  } catch (err) {
    const name = nameOf(err);
    if (name === 'ResourceNotFoundException') {
      throw new SecretError(secretId, `secret ${secretId} was not found in Secrets Manager`, { cause: err });
    }
    if (name === 'AccessDeniedException') {
      throw new SecretError(
        secretId,
        `reading secret ${secretId} was denied: grant secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
        { cause: err },
      );
    }
    throw new SecretError(secretId, `secret ${secretId} could not be read (${name ?? 'unknown error'})`, {
      cause: err,
    });
  }
  if (raw === undefined || raw.length === 0) {
    throw new SecretError(secretId, `secret ${secretId} has no value`);
  }
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const credentials = parseSecret(text, secretId);
  logger?.debug('Slack credentials read from Secrets Manager', {
    secret: secretId,
    signingSecret: credentials.signingSecret !== undefined,
  });
  return credentials;
}
