/**
 * The Lambda service's Invoke API on loopback, for functions that invoke other functions (the approvals handler
 * hands a decided click to its worker): the REST-JSON operation the SDK's InvokeCommand sends,
 * `POST /2015-03-31/functions/{FunctionName}/invocations`, the function named by its name or ARN. As in Lambda, an
 * `Event` invocation is queued and answered 202 with no body at once, and runs later, at most as many at a time as
 * the function's reserved concurrency allows (the others wait in the queue); `RequestResponse` answers with the
 * function's result (200, or its error with `X-Amz-Function-Error: Unhandled`); `DryRun` answers 204. An unknown
 * function is ResourceNotFoundException. Lambda retries a failed asynchronous invocation; this queue does not: a
 * failure is kept for the test to see. Each queued run is kept, so that a test can wait for them to end.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionSpec } from './assembly.ts';
import type { Invocation } from './lambda.ts';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Runs one invocation of a function's bundle (the harness's LambdaService), logging it in `log`. */
export type Runner = (fn: FunctionSpec, event: unknown, log: Invocation[]) => Promise<unknown>;

/** One Invoke request as the API received it. */
export interface InvokeRequest {
  readonly functionName: string;
  readonly invocationType: string;
  readonly payload: unknown;
}

/** One `Event` invocation: queued at `queuedAt`, its run's outcome once it has run. */
export interface QueuedRun {
  readonly function: string;
  readonly event: unknown;
  readonly queuedAt: number;
  /** Resolves when the run ends, to its result or its error (never rejects). */
  readonly done: Promise<{ ok: true; result: unknown } | { ok: false; error: Error }>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A function's place in the asynchronous queue: how many of its runs are going, and those waiting. */
class Queue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export class LambdaApi {
  /** Every Invoke request, in order. */
  readonly requests: InvokeRequest[] = [];
  /** Every `Event` invocation, in the order queued. */
  readonly queued: QueuedRun[] = [];
  /** The invocations the queue ran, as they ended (the logs of a failed one show why). */
  readonly invocations: Invocation[] = [];
  private functions: readonly FunctionSpec[] = [];
  private runner: Runner | undefined;
  private readonly queues = new Map<string, Queue>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<LambdaApi> {
    let api: LambdaApi | undefined;
    const server = createServer((req, res) => {
      void api?.answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = new LambdaApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return api;
  }

  /** The functions this API invokes, and how: set by the pipeline once it has its Lambda service. */
  serve(functions: Iterable<FunctionSpec>, runner: Runner): void {
    this.functions = [...functions];
    this.runner = runner;
  }

  /** Waits until every queued run has ended, including those queued meanwhile. */
  async settled(): Promise<void> {
    for (let seen = -1; seen !== this.queued.length; ) {
      seen = this.queued.length;
      await Promise.all(this.queued.map((q) => q.done));
    }
  }

  private find(name: string): FunctionSpec | undefined {
    return this.functions.find((f) => f.logicalId === name || f.arn === name);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const text = await readBody(req);
    const requestId = randomUUID();
    const reply = (status: number, headers: Record<string, string>, body = '') => {
      res.writeHead(status, { 'x-amzn-requestid': requestId, ...headers });
      res.end(body);
    };
    const error = (status: number, type: string, message: string) =>
      reply(
        status,
        { 'content-type': 'application/json', 'x-amzn-errortype': type },
        JSON.stringify({ Type: 'User', message }),
      );
    const m = INVOKE_PATH.exec(path);
    if (req.method !== 'POST' || !m)
      return error(404, 'UnknownOperationException', `no operation at ${path}`);
    const name = decodeURIComponent(m[1] as string);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let payload: unknown;
    try {
      payload = text === '' ? {} : JSON.parse(text);
    } catch {
      return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    this.requests.push({ functionName: name, invocationType: type, payload });
    const fn = this.find(name);
    const runner = this.runner;
    if (!fn || !runner) return error(404, 'ResourceNotFoundException', `Function not found: ${name}`);
    if (type === 'DryRun') return reply(204, {});
    if (type === 'Event') {
      this.enqueue(fn, payload, runner);
      return reply(202, {});
    }
    if (type !== 'RequestResponse')
      return error(400, 'InvalidParameterValueException', `Unsupported invocation type ${type}`);
    const log: Invocation[] = [];
    try {
      const result = await runner(fn, payload, log);
      reply(
        200,
        { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' },
        JSON.stringify(result),
      );
    } catch (err) {
      const e = err as Error;
      reply(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }, e.message);
    } finally {
      this.invocations.push(...log);
    }
  }

  private enqueue(fn: FunctionSpec, event: unknown, runner: Runner): void {
    let queue = this.queues.get(fn.logicalId);
    if (!queue) {
      queue = new Queue(fn.reservedConcurrency ?? Number.POSITIVE_INFINITY);
      this.queues.set(fn.logicalId, queue);
    }
    const q = queue;
    const done = q
      .run(() => runner(fn, event, this.invocations))
      .then(
        (result) => ({ ok: true as const, result }),
        (error: Error) => ({ ok: false as const, error }),
      );
    this.queued.push({ function: fn.name, event, queuedAt: Date.now(), done });
  }

  /** Stops answering; what is queued still runs (wait for it with `settled` before the Lambda service ends). */
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((e) => (e ? reject(e) : resolve()));
    });
  }
}
