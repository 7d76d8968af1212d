/**
 * URLs carry secrets: a Slack incoming webhook's path is its credential, a presigned S3 link's query is a
 * signature, an S3 request's path names an object. X-Ray records the URL of every outgoing request (aws-xray-sdk-core
 * for http and https, which the AWS SDK uses; Powertools for fetch), and an error or a log line may quote one. So
 * every http(s) URL in a trace, a log line or an error leaving a Lambda is cut to its scheme and host: which service
 * was called, with what method, status and timing stays in the trace; user info, path, query and fragment never
 * leave the process.
 */
import xray from 'aws-xray-sdk-core';

export const REDACTED = '[redacted]';

// scheme, optional user info (dropped), host[:port], then anything that starts a path, query or fragment (WHATWG
// URLs read a backslash as a slash) up to whitespace or a delimiter that cannot be part of a URL in text
const URL_IN_TEXT = /\b(https?:\/\/)(?:[^\s/\\?#@"'<>`]*@)?([^\s/\\?#@"'<>`]+)((?:[/\\?#][^\s"<>`]*)?)/gi;

/** Every http(s) URL in `text` as `scheme://host`, or `scheme://host/[redacted]` when it had more. */
export function redactUrls(text: string): string {
  return text.replace(
    URL_IN_TEXT,
    (_url, scheme: string, host: string, rest: string) =>
      `${scheme}${host}${rest === '' || rest === '/' ? rest : `/${REDACTED}`}`,
  );
}

/** A JSON.stringify replacer that passes every string through `redactUrls`. */
export function redactingReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? redactUrls(value) : value;
}

/**
 * An error on its way out of a Lambda, to the runtime's log and the Step Functions history: the URLs in its message
 * and stack, and in those of its causes, redacted in place (its class and name, which retries match on, kept).
 */
export function redactError(err: unknown): unknown {
  if (typeof err === 'string') return redactUrls(err);
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    e.message = redactUrls(e.message);
    if (typeof e.stack === 'string') e.stack = redactUrls(e.stack);
    e = e.cause;
  }
  return err;
}

type Replacer = (key: string, value: unknown) => unknown;
const segmentUtils = xray.SegmentUtils as unknown as { getJsonStringifyReplacer: () => Replacer };
const INSTALLED = Symbol.for('perf-budgets.redacted-traces');

/**
 * Makes aws-xray-sdk-core serialize every segment and subsegment through `redactingReplacer` after its own
 * replacer: what goes to the daemon (request URLs, error messages, metadata) and what its debug log prints. The
 * request and response attributes stay as the SDK and Powertools record them; only their serialized form changes.
 *
 * Returns whether a probe subsegment came out redacted: false means this SDK serializes another way, and the
 * caller must not trace.
 */
export function redactTraces(): boolean {
  if (!Object.hasOwn(segmentUtils, INSTALLED)) {
    const sdkReplacer = segmentUtils.getJsonStringifyReplacer;
    segmentUtils.getJsonStringifyReplacer = () => {
      const replace = sdkReplacer();
      return (key, value) => redactingReplacer(key, replace(key, value));
    };
    Object.defineProperty(segmentUtils, INSTALLED, { value: true });
  }
  const probe = new xray.Subsegment('redaction-probe');
  probe.addMetadata('url', 'https://example.com/probe-path');
  return !probe.serialize().includes('probe-path');
}
