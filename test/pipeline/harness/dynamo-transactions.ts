/**
 * dynalite, the loopback DynamoDB, has no TransactWriteItems. This proxy in front of it forwards every request and
 * answers TransactWriteItems itself, as DynamoDB does for the transactions the ledger writes (Puts, each with an
 * optional `attribute_not_exists(pk)` condition): every condition is checked first, and then every item is put, or
 * none is and the answer is TransactionCanceledException with a reason per item. Anything else in a transaction is
 * refused, so that a new use of transactions fails here instead of being half emulated.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = 'DynamoDB_20120810.';

interface Put {
  readonly TableName: string;
  readonly Item: Record<string, unknown>;
  readonly ConditionExpression?: string;
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

    const transact = async (
      input: { TransactItems?: { Put?: Put }[] },
      headers: IncomingMessage['headers'],
    ) => {
      const items = input.TransactItems ?? [];
      const puts = items.map((t) => t.Put);
      if (
        puts.some(
          (p) =>
            p === undefined ||
            (p.ConditionExpression ?? 'attribute_not_exists(pk)') !== 'attribute_not_exists(pk)',
        )
      ) {
        return {
          status: 400,
          text: JSON.stringify({
            __type: `com.amazon.coral.validate#ValidationException`,
            message:
              'the loopback DynamoDB emulates only Puts conditioned on attribute_not_exists(pk) in a transaction',
          }),
        };
      }
      const reasons: { Code: string; Message?: string }[] = [];
      for (const p of puts as Put[]) {
        const key = { pk: p.Item.pk, sk: p.Item.sk };
        const got = p.ConditionExpression
          ? JSON.parse((await call('GetItem', { TableName: p.TableName, Key: key }, headers)).text)
          : {};
        reasons.push(
          got.Item
            ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
            : { Code: 'None' },
        );
      }
      if (reasons.some((r) => r.Code !== 'None')) {
        return {
          status: 400,
          text: JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
            message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
            CancellationReasons: reasons,
          }),
        };
      }
      for (const p of puts as Put[]) await call('PutItem', { TableName: p.TableName, Item: p.Item }, headers);
      return { status: 200, text: '{}' };
    };

    const server = createServer(async (req, res) => {
      const raw = await body(req);
      const op = String(req.headers['x-amz-target'] ?? '');
      const headers = { authorization: req.headers.authorization, 'x-amz-date': req.headers['x-amz-date'] };
      const out =
        op === `${PREFIX}TransactWriteItems`
          ? await transact(JSON.parse(raw.toString('utf8')), headers)
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
