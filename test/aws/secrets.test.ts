import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { getSlackCredentials, SecretError, SlackCredentials } from '../../lambdas/aws/secrets.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:perf-budgets/slack-AbCdEf';
// Slack's documented example shape; the path is what must never be printed.
const WEBHOOK = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const SIGNING = '8f742231b10e8888abcd99yyyzzz85a5';
const VALUES = ['T00000000', 'XXXXXXXXXXXXXXXXXXXXXXXX', SIGNING];

const sm = mockClient(SecretsManagerClient);

/** Everything that could reach a log: console methods and stdout/stderr, where the Powertools Logger writes. */
let printed: string[];
let spies: MockInstance[];
const captureOutput = () => {
  printed = [];
  const keep =
    (_name: string) =>
    (...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
      return true;
    };
  spies = [
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(keep(m)),
    ),
    vi.spyOn(process.stdout, 'write').mockImplementation(keep('stdout') as never),
    vi.spyOn(process.stderr, 'write').mockImplementation(keep('stderr') as never),
  ];
};
const leaked = (texts: string[]) => texts.filter((t) => VALUES.some((v) => t.includes(v)));

/** The whole error chain as a reader of a log would see it. */
const everythingIn = (err: unknown): string => inspect(err, { depth: 10 }) + JSON.stringify(err);

const secretJson = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ webhookUrl: WEBHOOK, signingSecret: SIGNING, ...over });

beforeEach(() => {
  sm.reset();
  clearCaches();
  captureOutput();
});

afterEach(() => {
  for (const s of spies) s.mockRestore();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('Slack credentials from Secrets Manager', () => {
  it('reads the webhook URL and signing secret from the secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: 'perf-budgets/slack', SecretString: secretJson() });
    const creds = await getSlackCredentials({ secretId: SECRET });
    expect(creds.webhookUrl).toBe(WEBHOOK);
    expect(creds.signingSecret).toBe(SIGNING);
    expect(sm).toReceiveCommandWith(GetSecretValueCommand, { SecretId: SECRET });
  });

  it('reads a secret that is a bare webhook URL as the URL alone', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `${WEBHOOK}\n` });
    const creds = await getSlackCredentials({ secretId: SECRET });
    expect(creds.webhookUrl).toBe(WEBHOOK);
    expect(creds.signingSecret).toBeUndefined();
  });

  it('reads a binary secret as UTF-8 text', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(secretJson()) });
    expect((await getSlackCredentials({ secretId: SECRET })).webhookUrl).toBe(WEBHOOK);
  });

  it('asks Secrets Manager once while the cached value is fresh, and again after maxAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-10-10T06:00:00Z'));
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretJson() });
    await getSlackCredentials({ secretId: SECRET, maxAgeSeconds: 60 });
    vi.setSystemTime(new Date('2026-10-10T06:00:59Z'));
    await getSlackCredentials({ secretId: SECRET, maxAgeSeconds: 60 });
    expect(sm).toReceiveCommandTimes(GetSecretValueCommand, 1);
    vi.setSystemTime(new Date('2026-10-10T06:01:01Z'));
    await getSlackCredentials({ secretId: SECRET, maxAgeSeconds: 60 });
    expect(sm).toReceiveCommandTimes(GetSecretValueCommand, 2);
  });

  it('uses a provider it is given, with its own client', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretJson() });
    const provider = new SecretsProvider({
      awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }),
    });
    const get = vi.spyOn(provider, 'get');
    await getSlackCredentials({ secretId: SECRET, provider, maxAgeSeconds: 30 });
    expect(get).toHaveBeenCalledWith(SECRET, { maxAge: 30 });
  });

  it('puts neither value in any log, even when the credentials object itself is logged', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const logger = new Logger({ serviceName: 'perf-budgets', logLevel: 'DEBUG' });
    const debug = vi.spyOn(logger, 'debug');
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretJson() });

    const creds = await getSlackCredentials({ secretId: SECRET, logger });
    logger.info('notifier ready', { creds });
    console.log(creds);
    console.log(`${creds}`);

    expect(debug).toHaveBeenCalledWith('Slack credentials read from Secrets Manager', {
      secret: SECRET,
      signingSecret: true,
    });
    expect(printed.join('\n')).toContain(SECRET);
    expect(printed.join('\n')).toContain('[redacted]');
    expect(leaked(printed)).toEqual([]);
    expect(leaked([JSON.stringify(creds), inspect(creds), String(creds)])).toEqual([]);
  });

  it('names only the secret when it does not exist', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const err = await getSlackCredentials({ secretId: SECRET }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).message).toBe(`secret ${SECRET} was not found in Secrets Manager`);
    expect((err as SecretError).secret).toBe(SECRET);
  });

  it('names the permission to grant when reading is denied', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), {
        name: 'AccessDeniedException',
      }),
    );
    await expect(getSlackCredentials({ secretId: SECRET })).rejects.toThrow(
      /grant secretsmanager:GetSecretValue on it \(and kms:Decrypt on its key\)/,
    );
  });

  it("refuses a webhook URL that is not https on Slack's webhook host, without echoing it", async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: secretJson({
        webhookUrl: 'http://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      }),
    });
    const err = await getSlackCredentials({ secretId: SECRET }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as Error).message).toBe(
      `the Slack webhook URL in secret ${SECRET} is not an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL`,
    );
    expect(leaked([everythingIn(err)])).toEqual([]);
  });

  it("reads a GovSlack webhook, and a loopback one (a rehearsal's local server)", async () => {
    for (const url of [
      'https://hooks.slack-gov.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'http://127.0.0.1:8080/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    ]) {
      clearCaches();
      sm.on(GetSecretValueCommand).resolves({ SecretString: secretJson({ webhookUrl: url }) });
      expect((await getSlackCredentials({ secretId: SECRET })).webhookUrl).toBe(url);
    }
  });

  it('refuses a secret that is broken JSON without quoting any of it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretJson().slice(0, -2) });
    const err = await getSlackCredentials({ secretId: SECRET }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`secret ${SECRET} is neither a URL nor valid JSON`);
    expect(leaked([everythingIn(err)])).toEqual([]);
  });

  it('refuses a secret without a webhookUrl', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ signingSecret: SIGNING }) });
    await expect(getSlackCredentials({ secretId: SECRET })).rejects.toThrow(
      `secret ${SECRET} has no "webhookUrl" string`,
    );
  });
});

describe('Slack credentials from the environment (local runs)', () => {
  it('reads SLACK_WEBHOOK_URL and SLACK_SIGNING_SECRET without calling AWS', async () => {
    const creds = await getSlackCredentials({
      env: { SLACK_WEBHOOK_URL: WEBHOOK, SLACK_SIGNING_SECRET: SIGNING },
    });
    expect(creds).toBeInstanceOf(SlackCredentials);
    expect([creds.webhookUrl, creds.signingSecret]).toEqual([WEBHOOK, SIGNING]);
    expect(sm).not.toReceiveAnyCommand();
  });

  it('names the variable to set when Slack is not configured', async () => {
    await expect(getSlackCredentials({ env: {} })).rejects.toThrow(/set SLACK_WEBHOOK_URL/);
  });

  it('refuses a malformed SLACK_WEBHOOK_URL naming the variable, not the value', async () => {
    const bad = 'https://example.com/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
    const err = await getSlackCredentials({ env: { SLACK_WEBHOOK_URL: bad } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'the Slack webhook URL in SLACK_WEBHOOK_URL is not an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL',
    );
    expect(leaked([everythingIn(err)])).toEqual([]);
  });

  it('refuses text that is not a URL at all without echoing it', async () => {
    const err = await getSlackCredentials({
      env: { SLACK_WEBHOOK_URL: 'T00000000 XXXXXXXXXXXXXXXXXXXXXXXX' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(leaked([everythingIn(err)])).toEqual([]);
  });
});
