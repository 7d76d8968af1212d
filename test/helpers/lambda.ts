import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context } from 'aws-lambda';

/** The Lambda context a handler test invokes with: a function in `account` with `remainingMs` left. */
export function lambdaContext(name: string, account = '111122223333', remainingMs = 60_000): Context {
  return {
    functionName: name,
    awsRequestId: 'req-1',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:${name}`,
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
}

/** A GetObject body holding `value` as JSON, streamed as the SDK returns it. */
export function jsonBody(value: unknown) {
  return sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(value))]));
}
