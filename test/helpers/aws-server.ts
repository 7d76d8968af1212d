import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A handler answers one AWS JSON-protocol operation: a response body, or an AWS error. */
export type Handler = (
  input: Record<string, unknown>,
) => unknown | { readonly awsError: string; readonly status?: number; readonly message?: string };

export interface AwsTestServer {
  readonly url: string;
  /** Every request received, in order: the x-amz-target operation and its JSON input. */
  readonly requests: { readonly target: string; readonly input: Record<string, unknown> }[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A loopback HTTP server that speaks the AWS JSON protocols (1.0 and 1.1) the way the services do, dispatching on
 * the `x-amz-target` header (e.g. `AWSInsightsIndexService.GetCostAndUsage`). Point the SDK at it with
 * AWS_ENDPOINT_URL: the real serialisation, signing and retry code then runs, only the service is ours.
 */
export async function startAwsServer(handlers: Readonly<Record<string, Handler>>): Promise<AwsTestServer> {
  const requests: { target: string; input: Record<string, unknown> }[] = [];
  const server: Server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const text = await body(req);
    const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    requests.push({ target, input });
    const handler = handlers[target];
    const json = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
    if (!handler) {
      res.writeHead(400, { 'content-type': json });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `no handler for ${target}` }));
      return;
    }
    try {
      const out = handler(input) as { awsError?: string; status?: number; message?: string };
      if (out && typeof out === 'object' && typeof out.awsError === 'string') {
        res.writeHead(out.status ?? 400, { 'content-type': json, 'x-amzn-errortype': out.awsError });
        res.end(JSON.stringify({ __type: out.awsError, message: out.message ?? out.awsError }));
        return;
      }
      res.writeHead(200, { 'content-type': json });
      res.end(JSON.stringify(out ?? {}));
    } catch (err) {
      res.writeHead(500, { 'content-type': json });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
