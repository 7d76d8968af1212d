import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { FindingsSchema } from '../../lambdas/cycle/contract.ts';
import { evaluateStep } from '../../lambdas/cycle/evaluate.ts';
import { demoParts, storedParts } from '../helpers/demo.ts';
import { fakeLedgerTable, type Item } from '../helpers/dynamodb-table.ts';
import { jsonBody, lambdaContext } from '../helpers/lambda.ts';

const RESULT_KEY = 'findings/2026-10-15/run-1.json';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:perf-budgets-alerts';
const event = { runId: 'run-1', asOf: '2026-10-15', resultKey: RESULT_KEY };
const context = lambdaContext('perf-budgets-notify-test');
const body = jsonBody;

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const doc = mockClient(DynamoDBDocumentClient);

/** The demo's alerts at 2026-10-15, as planned on an empty ledger. */
const DEMO_ALERTS = 11;

let stored: unknown;
let budgets: unknown;
/** The ledger table: items by pk|sk; a conditional put of a key already there fails as in DynamoDB. */
let table: Map<string, Item>;

beforeAll(async () => {
  const { file, parts } = await demoParts();
  budgets = file;
  const { result, records } = evaluateStep(file, parts);
  const inputs = { partKeys: storedParts(parts, 'run-1').partKeys };
  // through the contract and JSON, as the evaluate step stores it
  stored = JSON.parse(JSON.stringify(z.encode(FindingsSchema, { result, records, inputs })));
});

const published = () =>
  sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
/** Writes of an alert record: a put, or a transaction with its pending deliveries. */
const alertWrites = () => [
  ...doc.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.sk).startsWith('ALERT#')),
  ...doc.commandCalls(TransactWriteCommand),
];
const ledgerItems = () => [...table.values()].filter((i) => String(i.sk).startsWith('ALERT#'));
/** Alert records, without the deliveries still pending (state `<state>><channel>><transition>`). */
const recordedAlerts = () => ledgerItems().filter((i) => !String(i.state).includes('>'));
const pendingDeliveries = () => ledgerItems().filter((i) => String(i.state).includes('>'));

/** SNS accepting every entry except those whose Id is listed. */
const snsAnswers = (refuse: readonly string[] = []) =>
  sns.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => {
    const entries = input.PublishBatchRequestEntries ?? [];
    return {
      Successful: entries
        .filter((e) => !refuse.includes(e.Id as string))
        .map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
      Failed: entries
        .filter((e) => refuse.includes(e.Id as string))
        .map((e) => ({ Id: e.Id, Code: 'KMSDisabled', Message: 'The key is disabled', SenderFault: false })),
    };
  });

beforeEach(() => {
  vi.resetModules();
  for (const m of [s3, sns, doc]) m.reset();
  vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
  vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
  vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
  vi.stubEnv('TOPIC_ARN', TOPIC);

  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (input.Key === 'config/budgets.json') return { Body: body(budgets) };
    if (input.Key !== RESULT_KEY) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return { Body: body(stored) };
  });
  table = fakeLedgerTable(doc, 'perf-budgets-ledger');
  // no report written yet, unless a test says otherwise
  s3.on(HeadObjectCommand).rejects(Object.assign(new Error('NotFound'), { name: 'NotFound' }));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('notify', () => {
  it('sends every alert of a first cycle to SNS, and records each in the ledger', async () => {
    snsAnswers();
    vi.stubEnv(
      'DASHBOARD_URL',
      'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=perf-budgets',
    );
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const out = await handler(event, context);
    expect(out).toEqual({
      runId: 'run-1',
      asOf: '2026-10-15',
      alerts: DEMO_ALERTS,
      sent: DEMO_ALERTS,
      failed: 0,
    });

    expect(sns).toReceiveCommandTimes(PublishBatchCommand, 2);
    expect(sns).toReceiveCommandWith(PublishBatchCommand, { TopicArn: TOPIC });
    const entries = published();
    expect(entries).toHaveLength(DEMO_ALERTS);
    // the headline is the subject: short enough for email, with the crossing day
    expect(entries[0]?.Subject).toBe(
      '[CRITICAL] chat-prod: forecast $4,083.03 vs $3,000.00 cap (136%), crosses 2026-10-24',
    );
    expect(entries.map((e) => e.MessageAttributes?.severity?.StringValue)).toEqual([
      ...Array(4).fill('critical'),
      ...Array(3).fill('warning'),
      ...Array(4).fill('info'),
    ]);
    // the links come from the environment: the dashboard, and the endpoint in the console of the region
    const latency = entries.find((e) => e.MessageAttributes?.kind?.StringValue === 'latency');
    const email = (JSON.parse(latency?.Message ?? '{}') as { email: string }).email;
    expect(email).toContain(
      '\nDashboard: https://console.aws.amazon.com/cloudwatch/home#dashboards:name=perf-budgets\n',
    );
    expect(email).toContain(
      '\nEndpoint in SageMaker: https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/embed-prod\n',
    );

    const recorded = recordedAlerts();
    expect(recorded).toHaveLength(DEMO_ALERTS);
    expect(recorded.every((i) => i.pk === 'PERIOD#2026-10-01')).toBe(true);
    // each record keeps the day judged and the alert's sentence, for reviews
    for (const i of recorded) {
      expect(i.asOf).toBe('2026-10-15');
      expect(i.summary).toMatch(/^\S.*\.$/);
    }
    expect(recorded.map((i) => `${i.key} ${i.state}`).sort()).toEqual(
      entries
        .map((e) => {
          const { alert } = JSON.parse((JSON.parse(e.Message ?? '{}') as { default: string }).default) as {
            alert: { key: string; state: string };
          };
          return `${alert.key} ${alert.state}`;
        })
        .sort(),
    );
  });

  it('links each alert to the newest report when there is one, by a presigned URL', async () => {
    snsAnswers();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    vi.stubEnv('REPORT_LINK_SECONDS', '86400');
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1000 });
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    await handler(event, context);
    expect(s3).toReceiveCommandWith(HeadObjectCommand, {
      Bucket: 'perf-budgets-data',
      Key: 'reports/latest/report.html',
    });
    for (const e of published()) {
      const { email, default: machine } = JSON.parse(e.Message ?? '{}') as { email: string; default: string };
      const link = /\nReport: (\S+)\n/.exec(email)?.[1] ?? '';
      const url = new URL(link);
      expect(url.pathname).toBe('/reports/latest/report.html');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      const links = (JSON.parse(machine) as { text: { links: { label: string; url: string }[] } }).text.links;
      expect(links[0]).toEqual({ label: 'Report', url: link });
    }
  });

  it('sends the alerts without a report link while no report was written', async () => {
    snsAnswers();
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    await handler(event, context);
    for (const e of published()) {
      expect((JSON.parse(e.Message ?? '{}') as { email: string }).email).not.toMatch(/\nReport: /);
    }
  });

  it('sends nothing on a rerun of the same cycle', async () => {
    snsAnswers();
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    await handler(event, context);
    sns.resetHistory();
    const again = await handler(event, context);
    expect(again).toEqual({ runId: 'run-1', asOf: '2026-10-15', alerts: 0, sent: 0, failed: 0 });
    expect(sns).not.toReceiveCommand(PublishBatchCommand);
    // the rerun planned nothing new, so it wrote no alert
    expect(alertWrites()).toHaveLength(DEMO_ALERTS);
  });

  it('lets only one of two concurrent runs send each alert', async () => {
    snsAnswers();
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const [a, b] = await Promise.all([handler(event, context), handler(event, context)]);
    expect(a.alerts + b.alerts).toBe(DEMO_ALERTS);
    expect(a.sent + b.sent).toBe(DEMO_ALERTS);
    const subjects = published().map((e) => e.Subject);
    expect(new Set(subjects).size).toBe(DEMO_ALERTS);
    expect(subjects).toHaveLength(DEMO_ALERTS);
    // both tried to record every alert; the conditional puts let one of them win each
    expect(alertWrites()).toHaveLength(2 * DEMO_ALERTS);
  });

  it('loses no alert when a run dies between recording and delivering: the next run delivers each once', async () => {
    // the first run records the alerts, then hangs in SNS until the Lambda's time is up: nothing was delivered
    sns.on(PublishBatchCommand).callsFake(() => new Promise(() => {}));
    const first = (await import('../../lambdas/handlers/notify.ts')).handler(event, context);
    await vi.waitFor(() => expect(sns).toReceiveCommand(PublishBatchCommand));
    void first;
    expect(recordedAlerts()).toHaveLength(DEMO_ALERTS);
    expect(pendingDeliveries().map((i) => String(i.state).split('>')[1])).toEqual(
      Array(DEMO_ALERTS).fill('sns'),
    );

    // a new container runs the cycle again
    sns.reset();
    snsAnswers();
    vi.resetModules();
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const again = await handler(event, context);
    expect(again).toMatchObject({ alerts: 0, sent: DEMO_ALERTS, failed: 0 });
    const subjects = published().map((e) => e.Subject);
    expect(new Set(subjects).size).toBe(DEMO_ALERTS);
    expect(subjects).toHaveLength(DEMO_ALERTS);
    expect(pendingDeliveries()).toEqual([]);

    sns.resetHistory();
    await handler(event, context);
    expect(sns).not.toReceiveCommand(PublishBatchCommand);
  });

  it('counts an entry SNS refused as failed, without throwing', async () => {
    snsAnswers(['m3']);
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const out = await handler(event, context);
    expect(out).toEqual({
      runId: 'run-1',
      asOf: '2026-10-15',
      alerts: DEMO_ALERTS,
      sent: DEMO_ALERTS - 1,
      failed: 1,
    });
    // the alert no channel delivered is forgotten, for the next cycle to plan again; nothing stays pending
    expect(recordedAlerts()).toHaveLength(DEMO_ALERTS - 1);
    expect(pendingDeliveries()).toEqual([]);
  });

  it('counts every alert as failed when SNS is unreachable, without throwing', async () => {
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const out = await handler(event, context);
    expect(out).toMatchObject({ alerts: DEMO_ALERTS, sent: 0, failed: DEMO_ALERTS });
  });

  it("sends to no channel with ALERT_CHANNELS='', but still records the alerts", async () => {
    vi.stubEnv('ALERT_CHANNELS', '');
    snsAnswers();
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    const out = await handler(event, context);
    expect(out).toEqual({ runId: 'run-1', asOf: '2026-10-15', alerts: DEMO_ALERTS, sent: 0, failed: 0 });
    expect(sns).not.toReceiveAnyCommand();
    expect(recordedAlerts()).toHaveLength(DEMO_ALERTS);
  });

  it('fails at cold start on an unknown channel, naming the variable', async () => {
    vi.stubEnv('ALERT_CHANNELS', 'sns,email');
    await expect(import('../../lambdas/handlers/notify.ts')).rejects.toThrow(/ALERT_CHANNELS/);
    vi.stubEnv('ALERT_CHANNELS', 'email');
    vi.resetModules();
    await expect(import('../../lambdas/handlers/notify.ts')).rejects.toThrow(/^environment: ALERT_CHANNELS/);
  });

  it('rejects an event without the result key, naming the field', async () => {
    const { handler } = await import('../../lambdas/handlers/notify.ts');
    await expect(handler({ runId: 'run-1', asOf: '2026-10-15' }, context)).rejects.toThrow(/resultKey: /);
    expect(sns).not.toReceiveAnyCommand();
  });
});
