import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { SlackNotifier } from '../../lambdas/slack/notifier.ts';
import { lambdaContext } from '../helpers/lambda.ts';
import { type SlackTestServer, startSlackServer } from '../helpers/slack-server.ts';
import { type FakeXRayDaemon, startFakeXRayDaemon } from '../helpers/xray-daemon.ts';

// The middleware runs as in Lambda with active tracing: aws-xray-sdk-core in Lambda mode (LAMBDA_TASK_ROOT),
// the trace header the runtime sets, and subsegments streamed over UDP to a daemon that this test opens.
const WEBHOOK_PATH = '/services/T0123ABCD/B0456EFGH/xoxSecretToken123';
const SECRETS = [WEBHOOK_PATH, 'xoxSecretToken123', 'B0456EFGH', 'X-Amz-Signature', 'X-Amz-Credential'];
const BUCKET = 'perf-budgets-data';
const KEY = 'reports/2026-10-01/2026-10-15/report.html';
const HANDLER = 'index.handler';

let daemon: FakeXRayDaemon;
let slack: SlackTestServer;
let s3Server: Server;
let s3Endpoint: string;
/** Everything written to stdout and stderr (the Powertools Logger) and to the console (the X-Ray SDK's logger). */
const logged: string[] = [];
let middleware: typeof import('../../lambdas/handlers/middleware.ts');
let traceCount = 0;
let traceId: string;

beforeAll(async () => {
  daemon = await startFakeXRayDaemon();
  slack = await startSlackServer();
  // S3 for PutObject and for a GET of the presigned link: accepts anything
  s3Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { etag: '"0123"', 'content-type': 'text/html' });
      res.end(req.method === 'GET' ? '<html></html>' : '');
    });
  });
  await new Promise<void>((resolve) => s3Server.listen(0, '127.0.0.1', resolve));
  s3Endpoint = `http://127.0.0.1:${(s3Server.address() as AddressInfo).port}`;

  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
  vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
  vi.stubEnv('_HANDLER', HANDLER);
  vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', daemon.address);
  vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
  // the X-Ray SDK's own log at its most verbose: it prints every segment it sends
  vi.stubEnv('AWS_XRAY_LOG_LEVEL', 'debug');
  // before the SDK loads: its logger keeps the console methods it finds then
  for (const level of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  }
  const write = (chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(write);
  vi.spyOn(process.stderr, 'write').mockImplementation(write);
  middleware = await import('../../lambdas/handlers/middleware.ts');
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await Promise.all([daemon.close(), slack.close(), new Promise((resolve) => s3Server.close(resolve))]);
});

beforeEach(() => {
  // one trace per test, as the runtime sets one per invocation
  traceCount++;
  traceId = `1-6a1b2c3d-${String(traceCount).padStart(24, '0')}`;
  vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`);
  logged.length = 0;
});

/**
 * A Lambda that does what the report step does with Slack as a channel: writes the report to S3, presigns a link
 * to it (with a client that Tracer instruments, as captureAWSv3Client would), checks the link, and posts it to the
 * webhook. `fail` throws an error that quotes both URLs, as a library error might.
 */
function reportLambda(options: { fail?: boolean } = {}) {
  const { lambda, logger, tracer } = middleware;
  const client = { endpoint: s3Endpoint, forcePathStyle: true, region: 'us-east-1' };
  const s3 = new S3Client(client);
  const tracedS3 = tracer.captureAWSv3Client(new S3Client(client));
  const webhook = `${slack.url}${WEBHOOK_PATH}`;
  const notifier = new SlackNotifier(() => webhook, { maxRetries: 0 });
  return lambda(z.object({ key: z.string() }), async (event) => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: event.key, Body: '<html></html>' }));
    const link = await getSignedUrl(tracedS3, new GetObjectCommand({ Bucket: BUCKET, Key: event.key }), {
      expiresIn: 3600,
    });
    if (!(await fetch(link)).ok) throw new Error('the link does not work');
    const posted = await notifier.postReport({
      title: 'Report',
      period: 'October',
      lines: ['ok'],
      url: link,
    });
    if (posted.status === 'failed')
      logger.warn('report summary not posted to Slack', { reason: posted.detail });
    if (options.fail) {
      const err = new TypeError(`Failed to parse URL from ${link}`, {
        cause: new Error(`POST ${webhook} answered ${posted.status}`),
      });
      logger.error('report step failed', err);
      throw err;
    }
    return { slack: posted.status };
  });
}

/** The documents of this test's trace, once the handler's own subsegment has arrived. */
async function trace() {
  await daemon.waitFor((d) => d.trace_id === traceId && d.name === `## ${HANDLER}`);
  return daemon.segments.filter((s) => s.doc.trace_id === traceId);
}

interface HttpDoc {
  name: string;
  namespace: string;
  start_time: number;
  fault?: boolean;
  http?: { request?: { url?: string; method?: string }; response?: { status?: number } };
  aws?: Record<string, unknown>;
}

/** Outgoing requests in the trace, in order: host, method, recorded URL, status. */
function requests(docs: { doc: Record<string, unknown> }[]) {
  return docs
    .map((s) => s.doc as unknown as HttpDoc)
    .filter((d) => d.namespace === 'remote')
    .sort((a, b) => a.start_time - b.start_time)
    .map((d) => ({
      host: d.name,
      method: d.http?.request?.method,
      url: d.http?.request?.url,
      status: d.http?.response?.status,
    }));
}

function expectNoSecret(texts: readonly string[]) {
  const all = texts.join('\n');
  for (const secret of SECRETS) expect(all).not.toContain(secret);
}

describe('tracing with a Slack webhook and presigned links', () => {
  it('records each request with its host, method and status, and no path, query or secret', async () => {
    const out = await reportLambda()({ key: KEY }, lambdaContext('perf-budgets-report'));
    expect(out).toEqual({ slack: 'sent' });
    // the secrets were on the wire: the webhook's path, and the signed link in the message
    expect(slack.requests.map((r) => r.path)).toEqual([WEBHOOK_PATH]);
    expect(slack.requests[0]?.body).toContain('X-Amz-Signature=');

    const docs = await trace();
    expect(requests(docs)).toEqual([
      { host: '127.0.0.1', method: 'PUT', url: 'http://127.0.0.1/[redacted]', status: 200 },
      { host: '127.0.0.1', method: 'GET', url: 'http://127.0.0.1/[redacted]', status: 200 },
      { host: '127.0.0.1', method: 'POST', url: 'http://127.0.0.1/[redacted]', status: 200 },
    ]);
    // the AWS SDK's own subsegment for the presigning (captureAWSv3Client): the operation and the parameters the
    // X-Ray SDK lists (bucket and key, names rather than credentials), not the link
    const aws = docs.map((s) => s.doc as unknown as HttpDoc).filter((d) => d.namespace === 'aws');
    expect(aws).toMatchObject([
      {
        name: 'S3',
        aws: { operation: 'GetObject', bucket_name: BUCKET, key: KEY },
        http: { response: { status: 200 } },
      },
    ]);
    expectNoSecret(docs.map((s) => s.raw));

    // the X-Ray SDK logged every segment it sent; none with a secret
    await vi.waitFor(() =>
      expect(logged.filter((l) => l.includes('UDP message sent')).length).toBe(docs.length),
    );
    expectNoSecret(logged);
  });

  it('keeps the secrets out of the trace and the log when the webhook answers 500', async () => {
    slack.reply({ status: 500, body: 'internal_error' });
    const out = await reportLambda()({ key: KEY }, lambdaContext('perf-budgets-report'));
    expect(out).toEqual({ slack: 'failed' });
    expect(slack.requests.at(-1)?.path).toBe(WEBHOOK_PATH);

    const docs = await trace();
    const post = docs.map((s) => s.doc as unknown as HttpDoc).find((d) => d.http?.request?.method === 'POST');
    expect(post).toMatchObject({
      name: '127.0.0.1',
      fault: true,
      http: { request: { url: 'http://127.0.0.1/[redacted]' }, response: { status: 500 } },
    });
    expectNoSecret(docs.map((s) => s.raw));

    const warning = logged.find((l) => l.includes('report summary not posted to Slack'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 'WARN', reason: 'HTTP 500 internal_error' });
    expectNoSecret(logged);
  });

  it('keeps the secrets out of an error thrown through the middleware, its trace and its log', async () => {
    const handler = reportLambda({ fail: true });
    const err = await handler({ key: KEY }, lambdaContext('perf-budgets-report')).catch((e: unknown) => e);

    // the caller (the runtime, then Step Functions) gets the error's class and the hosts, not the URLs
    expect(err).toBeInstanceOf(TypeError);
    const { message, stack, cause } = err as TypeError & { cause: Error };
    expect(message).toBe(`Failed to parse URL from ${s3Endpoint}/[redacted]`);
    expect(cause.message).toBe(`POST ${slack.url}/[redacted] answered sent`);
    expectNoSecret([message, stack ?? '', cause.message, cause.stack ?? '']);

    const docs = await trace();
    const handlerDoc = docs.find((s) => s.doc.name === `## ${HANDLER}`)?.doc as {
      fault?: boolean;
      cause?: { exceptions?: { type?: string; message?: string }[] };
    };
    expect(handlerDoc.fault).toBe(true);
    expect(handlerDoc.cause?.exceptions?.[0]).toMatchObject({ type: 'TypeError', message });
    expectNoSecret(docs.map((s) => s.raw));

    const logLine = logged.find((l) => l.includes('report step failed'));
    expect(JSON.parse(logLine ?? '{}')).toMatchObject({
      level: 'ERROR',
      error: { name: 'TypeError', message },
    });
    expectNoSecret(logged);
  });
});
