/**
 * dynalite, the loopback DynamoDB, has no TransactWriteItems. This proxy in front of it forwards every request and
 * answers TransactWriteItems itself, as DynamoDB does for the transactions the ledger writes (Puts and Deletes, each
 * with an optional condition, which dynalite evaluates): every item is written, or none is and the answer is
 * TransactionCanceledException with the reason on the item whose condition failed. Updates and condition checks in
 * a transaction are refused, so that a new use of transactions fails here instead of being half emulated.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = 'DynamoDB_20120810.';

/** A Put or a Delete of a transaction, as the wire carries it (forwarded to dynalite as it is). */
interface Write {
  readonly TableName: string;
  readonly Item?: Record<string, unknown>;
  readonly Key?: Record<string, unknown>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class DynamoTransactions {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(dynaliteUrl: string): Promise<DynamoTransactions> {
    const target = new URL(dynaliteUrl);
    /** One operation against dynalite; a signed-looking header is all it checks. */
    const call = (op: string, input: unknown, headers: IncomingMessage['headers'] = {}) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            method: 'POST',
            path: '/',
            headers: {
              ...headers,
              host: target.host,
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': `${PREFIX}${op}`,
            },
          },
          async (res) => resolve({ status: res.statusCode ?? 500, text: (await body(res)).toString('utf8') }),
        );
        req.on('error', reject);
        req.end(JSON.stringify(input));
      });

    /**
     * Applies the writes one by one with their own conditions, so that dynalite evaluates every condition; a
     * failed one puts back what the earlier writes replaced. Transactions run one at a time, so to each other
     * they are atomic (not to a plain write landing between two of their steps, which the ledger never relies on).
     */
    const transact = async (
      input: { TransactItems?: { Put?: Write; Delete?: Write }[] },
      headers: IncomingMessage['headers'],
    ) => {
      const writes = (input.TransactItems ?? []).map((t) =>
        t.Put ? { op: 'PutItem', w: t.Put } : t.Delete ? { op: 'DeleteItem', w: t.Delete } : undefined,
      );
      if (writes.some((w) => w === undefined)) {
        return {
          status: 400,
          text: JSON.stringify({
            __type: `com.amazon.coral.validate#ValidationException`,
            message: 'the loopback DynamoDB emulates only Puts and Deletes in a transaction',
          }),
        };
      }
      const done: { TableName: string; Key: Record<string, unknown>; old?: unknown }[] = [];
      const reasons: { Code: string; Message?: string }[] = writes.map(() => ({ Code: 'None' }));
      for (const [i, { op, w }] of (writes as { op: string; w: Write }[]).entries()) {
        const Key = w.Key ?? { pk: w.Item?.pk, sk: w.Item?.sk };
        const old = JSON.parse((await call('GetItem', { TableName: w.TableName, Key }, headers)).text).Item;
        const out = await call(op, w, headers);
        if (out.status === 200) {
          done.push({ TableName: w.TableName, Key, old });
          continue;
        }
        if (!out.text.includes('ConditionalCheckFailedException')) return out;
        reasons[i] = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
        for (const d of done.reverse()) {
          await (d.old
            ? call('PutItem', { TableName: d.TableName, Item: d.old }, headers)
            : call('DeleteItem', { TableName: d.TableName, Key: d.Key }, headers));
        }
        return {
          status: 400,
          text: JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
            message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
            CancellationReasons: reasons,
          }),
        };
      }
      return { status: 200, text: '{}' };
    };

    let queue: Promise<unknown> = Promise.resolve();
    const serialised = (run: () => Promise<{ status: number; text: string }>) => {
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    };

    const server = createServer(async (req, res) => {
      const raw = await body(req);
      const op = String(req.headers['x-amz-target'] ?? '');
      const headers = { authorization: req.headers.authorization, 'x-amz-date': req.headers['x-amz-date'] };
      const out =
        op === `${PREFIX}TransactWriteItems`
          ? await serialised(() => transact(JSON.parse(raw.toString('utf8')), headers))
          : await call(op.slice(PREFIX.length), JSON.parse(raw.toString('utf8') || '{}'), headers);
      res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(out.text);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new DynamoTransactions(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((e) => (e ? reject(e) : resolve()));
    });
  }
}
