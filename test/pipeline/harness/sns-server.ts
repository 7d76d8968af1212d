import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One message as SNS took it in: what a subscriber would receive, with its attributes. */
export interface SnsMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly messageStructure?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface SnsTestServer {
  readonly url: string;
  /** Every message published, in order (a PublishBatch adds one per entry). */
  readonly messages: SnsMessage[];
  close(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `<prefix>MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue}` as name -> value. */
function attributes(params: URLSearchParams, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; params.has(`${prefix}MessageAttributes.entry.${n}.Name`); n++) {
    const at = `${prefix}MessageAttributes.entry.${n}`;
    out[params.get(`${at}.Name`) as string] = params.get(`${at}.Value.StringValue`) ?? '';
  }
  return out;
}

function message(params: URLSearchParams, topicArn: string, prefix = ''): SnsMessage {
  const subject = params.get(`${prefix}Subject`);
  const structure = params.get(`${prefix}MessageStructure`);
  return {
    topicArn,
    message: params.get(`${prefix}Message`) ?? '',
    ...(subject !== null ? { subject } : {}),
    ...(structure !== null ? { messageStructure: structure } : {}),
    attributes: attributes(params, prefix),
  };
}

function xmlError(code: string, text: string): string {
  return `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${text}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

/**
 * A loopback SNS speaking the AWS Query protocol the SDK uses for SNS (form-encoded `Action=Publish`, XML
 * answers): Publish and PublishBatch to the topics it is given; any other topic is NotFound, any other action
 * InvalidAction. Every message is kept with its attributes, as a subscriber with no filter policy would get it.
 */
export async function startSnsServer(topicArns: readonly string[]): Promise<SnsTestServer> {
  const messages: SnsMessage[] = [];
  const server: Server = createServer(async (req, res) => {
    const params = new URLSearchParams(await body(req));
    const action = params.get('Action');
    const topicArn = params.get('TopicArn') ?? '';
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(xml);
    };
    const meta = `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`;
    if (action !== 'Publish' && action !== 'PublishBatch') {
      reply(400, xmlError('InvalidAction', `The action ${action} is not valid for this endpoint.`));
      return;
    }
    if (!topicArns.includes(topicArn)) {
      reply(404, xmlError('NotFound', 'Topic does not exist'));
      return;
    }
    if (action === 'Publish') {
      messages.push(message(params, topicArn));
      reply(
        200,
        `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>${meta}</PublishResponse>`,
      );
      return;
    }
    const ok: string[] = [];
    for (let n = 1; params.has(`PublishBatchRequestEntries.member.${n}.Id`); n++) {
      const prefix = `PublishBatchRequestEntries.member.${n}.`;
      messages.push(message(params, topicArn, prefix));
      ok.push(`<member><Id>${params.get(`${prefix}Id`)}</Id><MessageId>${randomUUID()}</MessageId></member>`);
    }
    reply(
      200,
      `<PublishBatchResponse xmlns="${XMLNS}"><PublishBatchResult><Successful>${ok.join('')}</Successful><Failed/></PublishBatchResult>${meta}</PublishBatchResponse>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
