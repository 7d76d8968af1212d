/**
 * The Lambda runtime's part, in the child process that plays one invocation of a bundle (run by Node 24, the
 * functions' runtime, which strips these types itself: this file imports nothing and uses no TypeScript-only
 * syntax that emits code). The parent sends one message with the bundle, the event and the context's fields over
 * the IPC channel; this answers with the handler's result, or its error as Lambda reports one
 * (`errorType`, `errorMessage`, `trace`).
 */
import { pathToFileURL } from 'node:url';

interface Invocation {
  readonly file: string;
  readonly exportName: string;
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

process.once('message', async (m: Invocation) => {
  const { deadlineMs, ...fields } = m.context;
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const module = (await import(pathToFileURL(m.file).href)) as Record<string, Handler>;
    const handler = module[m.exportName];
    if (typeof handler !== 'function') throw new Error(`${m.file} exports no function ${m.exportName}`);
    const result = await handler(m.event, context);
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
