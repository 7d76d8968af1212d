import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

const HEADER = '{"format":"json","version":1}';

/** One (sub)segment document as the X-Ray daemon receives it, and the raw datagram it came in. */
export interface ReceivedSegment {
  readonly raw: string;
  readonly doc: Record<string, unknown>;
}

export interface FakeXRayDaemon {
  /** `127.0.0.1:<port>`, the form AWS_XRAY_DAEMON_ADDRESS takes. */
  readonly address: string;
  readonly segments: ReceivedSegment[];
  /** Resolves once a received segment satisfies `test`, or rejects after `timeoutMs`. */
  waitFor(test: (doc: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<ReceivedSegment>;
  close(): Promise<void>;
}

/**
 * A loopback UDP socket that reads what aws-xray-sdk-core sends to the X-Ray daemon: each datagram is the protocol
 * header line `{"format":"json","version":1}`, a newline, then one segment or subsegment as JSON. A datagram in
 * any other form fails the wait, so a change of the wire format is seen.
 */
export async function startFakeXRayDaemon(): Promise<FakeXRayDaemon> {
  const segments: ReceivedSegment[] = [];
  const malformed: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg) => {
    const raw = msg.toString('utf8');
    const newline = raw.indexOf('\n');
    if (newline < 0 || raw.slice(0, newline) !== HEADER) {
      malformed.push(raw);
      return;
    }
    segments.push({ raw, doc: JSON.parse(raw.slice(newline + 1)) as Record<string, unknown> });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    segments,
    async waitFor(test, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (malformed.length > 0) throw new Error(`not an X-Ray daemon datagram: ${malformed[0]}`);
        const found = segments.find((s) => test(s.doc));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such segment in ${segments.length} received`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
