import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: status, body (Slack answers webhooks in plain text: "ok", "invalid_blocks"), headers. */
export interface SlackReply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (the client's timeout must end the request). */
  readonly hang?: boolean;
}

export interface SlackRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as JSON (webhook posts are JSON). */
  readonly json: unknown;
}

export interface SlackTestServer {
  /** The base URL, `http://127.0.0.1:<port>`; append a webhook-like path. */
  readonly url: string;
  readonly requests: SlackRequest[];
  /** Answers for the next requests, in order; when they run out, every request gets 200 "ok". */
  reply(...replies: SlackReply[]): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that answers like a Slack incoming webhook, from a script of replies, and records every
 * request. The real @slack/webhook client and Node's fetch run against it.
 */
export async function startSlackServer(): Promise<SlackTestServer> {
  const requests: SlackRequest[] = [];
  const script: SlackReply[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json });
    const reply = script.shift() ?? { status: 200, body: 'ok' };
    if (reply.hang) return;
    res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers });
    res.end(reply.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => {
      script.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
