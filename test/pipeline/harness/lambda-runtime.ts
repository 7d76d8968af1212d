/**
 * The Lambda runtime's part of one execution environment: a child process (run by Node 24, the functions'
 * runtime, which strips these types itself: this file imports nothing of the project and uses no TypeScript-only
 * syntax that emits code). `node lambda-runtime.ts <bundle> <export>` loads the bundle once, as Lambda's init
 * phase does, then answers each invocation the parent sends over the IPC channel with the handler's result, or its
 * error as Lambda reports one (`errorType`, `errorMessage`, `trace`).
 */
import { pathToFileURL } from 'node:url';

interface Invocation {
  readonly event: unknown;
  readonly context: {
    readonly functionName: string;
    readonly functionVersion: string;
    readonly invokedFunctionArn: string;
    readonly memoryLimitInMB: string;
    readonly awsRequestId: string;
    readonly logGroupName: string;
    readonly logStreamName: string;
    readonly deadlineMs: number;
  };
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const [file, exportName] = process.argv.slice(2) as [string, string];
// init: an error here fails every invocation of this environment, as a failed init does in Lambda
const handler: Promise<Handler> = import(pathToFileURL(file).href).then((m: Record<string, unknown>) => {
  const h = m[exportName];
  if (typeof h !== 'function') throw new Error(`${file} exports no function ${exportName}`);
  return h as Handler;
});
handler.catch(() => undefined);

process.on('message', async (m: Invocation) => {
  const { deadlineMs, ...fields } = m.context;
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const result = await (await handler)(m.event, context);
    process.send?.({ ok: true, result: result === undefined ? null : result });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.send?.({
      ok: false,
      errorType: e.name,
      errorMessage: e.message,
      trace: (e.stack ?? '').split('\n'),
    });
  }
});
