/**
 * The AWS services one deployed cycle talks to, on loopback: S3 (s3rver), DynamoDB (dynalite, with transactions
 * emulated in front of it), SNS (a Query-protocol
 * fake), and one JSON-protocol server (test/helpers/aws-server.ts) answering Cost Explorer, CloudWatch, SageMaker and
 * Application Auto Scaling from the synthetic account (what act writes, SSM and the training jobs too: actuation.ts),
 * and Secrets Manager with the Slack secret, whose webhook is a loopback Slack (test/helpers/slack-server.ts) and
 * whose signing secret verifies the approvals handler's requests, and Lambda's Invoke API (lambda-api.ts). The
 * bucket, its budget file and the ledger table are created as the stack would create them, from the template; a
 * test may deploy another budget file in place of the template's (the stack does not depend on its tiers or
 * budgets, only the uploaded object does).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { type AwsTestServer, type Handler, startAwsServer } from '../../helpers/aws-server.ts';
import { type SlackTestServer, startSlackServer } from '../../helpers/slack-server.ts';
import { type Actuation, SCALING_WRITES } from './actuation.ts';
import { type Assembly, REGION } from './assembly.ts';
import { DynamoTransactions } from './dynamo-transactions.ts';
import { LambdaApi } from './lambda-api.ts';
import { type SnsTestServer, startSnsServer } from './sns-server.ts';

/** s3rver accepts only its own key pair; the other services take any. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** The webhook path is the secret of a Slack webhook: this one must never show in logs or outputs. */
export const SLACK_WEBHOOK_PATH = '/services/T0PIPELINE/B0PIPELINE/pipelinewebhooksecret00';

/** An AWS error the JSON server answers an operation with instead of its result. */
export interface Fault {
  readonly awsError: string;
  readonly status: number;
  readonly message?: string;
}

export class Loopback {
  /** What any SDK client (a bundle, the CLI) needs to reach these services and nothing else. */
  readonly env: Readonly<Record<string, string>>;
  readonly s3: S3Client;
  /** Operations (x-amz-target) answered with an error until `heal`. */
  private readonly faults = new Map<string, Fault>();
  /** The Slack app's signing secret in the Slack secret: a test signs its requests with it, and never prints it. */
  readonly #signingSecret: string;

  private constructor(
    readonly bucket: string,
    readonly sns: SnsTestServer,
    readonly slack: SlackTestServer,
    readonly aws: AwsTestServer,
    /** Application Auto Scaling and SSM as act left them. */
    readonly actuation: Actuation,
    /** Lambda's Invoke API: the functions one function invokes run on the pipeline's Lambda service. */
    readonly lambda: LambdaApi,
    signingSecret: string,
    private readonly s3rver: S3rver,
    s3Url: string,
    private readonly dynamo: Server,
    private readonly transactions: DynamoTransactions,
    dynamoUrl: string,
    private readonly scratch: string,
  ) {
    this.#signingSecret = signingSecret;
    this.env = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      // a service with no fake fails at once instead of reaching AWS
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_S3: s3Url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      AWS_ENDPOINT_URL_SNS: sns.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_COST_EXPLORER: aws.url,
      AWS_ENDPOINT_URL_CLOUDWATCH: aws.url,
      AWS_ENDPOINT_URL_SAGEMAKER: aws.url,
      AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: aws.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: aws.url,
      AWS_ENDPOINT_URL_SSM: aws.url,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    };
    this.s3 = new S3Client({
      region: REGION,
      endpoint: s3Url,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
  }

  /**
   * Starts the services for the stack of `assembly`, serving `account` (through `actuation`), with the deploy-time
   * state in place: the template's budget file, or `budgets` in its place.
   */
  static async start(
    assembly: Assembly,
    actuation: Actuation,
    budgets?: Record<string, unknown>,
  ): Promise<Loopback> {
    const scratch = mkdtempSync(join(tmpdir(), 'perf-budgets-loopback-'));
    const template = assembly.budgetUpload();
    const upload = budgets ? { ...template, body: JSON.stringify(budgets) } : template;
    const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: scratch, silent: true });
    const { port: s3Port } = await s3rver.run();
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
    // dynalite has no transactions: a proxy in front answers TransactWriteItems over it
    const transactions = await DynamoTransactions.start(
      `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    );
    const dynamoUrl = transactions.url;
    const [topic] = assembly.ofType('AWS::SNS::Topic');
    const [secret] = assembly.ofType('AWS::SecretsManager::Secret');
    const sns = await startSnsServer([assembly.ref(topic as string)]);
    const slack = await startSlackServer();
    const secretArn = assembly.ref(secret as string);
    // as Slack shows an app's signing secret: 32 hex digits
    const signingSecret = randomBytes(16).toString('hex');
    const secretString = JSON.stringify({ webhookUrl: `${slack.url}${SLACK_WEBHOOK_PATH}`, signingSecret });
    let loopback: Loopback | undefined;
    const handlers = guarded(
      {
        ...actuation.handlers(),
        'secretsmanager.GetSecretValue': (input) =>
          input.SecretId === secretArn
            ? {
                ARN: secretArn,
                Name: secretArn.split(':').at(-1),
                VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
                SecretString: secretString,
                VersionStages: ['AWSCURRENT'],
                CreatedDate: 1_767_225_600,
              }
            : {
                awsError: 'ResourceNotFoundException',
                message: "Secrets Manager can't find the specified secret.",
              },
      },
      (target) => loopback?.faults.get(target),
    );
    const aws = await startAwsServer(handlers);
    const lambda = await LambdaApi.start();
    loopback = new Loopback(
      upload.bucket,
      sns,
      slack,
      aws,
      actuation,
      lambda,
      signingSecret,
      s3rver,
      `http://127.0.0.1:${s3Port}`,
      dynamo,
      transactions,
      dynamoUrl,
      scratch,
    );
    await loopback.deploy(assembly, upload);
    return loopback;
  }

  /** What `cdk deploy` leaves behind: the data bucket with the budget file in it, and the ledger table. */
  private async deploy(
    assembly: Assembly,
    upload: { bucket: string; key: string; body: string },
  ): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: upload.bucket }));
    await this.s3.send(
      new PutObjectCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        Body: upload.body,
        ContentType: 'application/json',
      }),
    );
    const table = assembly.table();
    const dynamo = new DynamoDBClient({
      region: REGION,
      endpoint: this.env.AWS_ENDPOINT_URL_DYNAMODB,
      credentials: CREDENTIALS,
    });
    await dynamo.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.keySchema as CreateTableCommandInput['KeySchema'],
        AttributeDefinitions: table.attributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      }),
    );
    dynamo.destroy();
  }

  /** The Slack secret's signing secret, to sign requests with (the secret itself is never a test's output). */
  get signingSecret(): string {
    return this.#signingSecret;
  }

  /** The requests that changed Application Auto Scaling or CloudWatch alarms, from the `from`th request on. */
  scalingWrites(from = 0): { target: string; input: Record<string, unknown> }[] {
    return this.aws.requests.slice(from).filter((r) => SCALING_WRITES.test(r.target));
  }

  /** Answers `target` (e.g. `AWSInsightsIndexService.GetCostAndUsage`) with `fault` until `heal`. */
  fail(target: string, fault: Fault): void {
    this.faults.set(target, fault);
  }

  heal(): void {
    this.faults.clear();
  }

  async getText(key: string): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await out.Body?.transformToString('utf-8')) ?? '';
  }

  async getJson<T = Record<string, unknown>>(key: string): Promise<T> {
    return JSON.parse(await this.getText(key)) as T;
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(value),
        ContentType: 'application/json',
      }),
    );
  }

  /** The keys under `prefix`, sorted. */
  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(out.Contents ?? []).map((o) => o.Key as string));
      token = out.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async close(): Promise<void> {
    this.s3.destroy();
    await Promise.all([
      this.sns.close(),
      this.slack.close(),
      this.aws.close(),
      this.lambda.close(),
      this.s3rver.close(),
      this.transactions.close(),
      new Promise<void>((resolve) => {
        this.dynamo.closeAllConnections?.();
        this.dynamo.close(() => resolve());
      }),
    ]);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** The handlers, each answering with the fault set for its operation instead, when there is one. */
function guarded(
  handlers: Readonly<Record<string, Handler>>,
  faultOf: (target: string) => Fault | undefined,
): Record<string, Handler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([target, handler]) => [
      target,
      (input: Record<string, unknown>) => faultOf(target) ?? handler(input),
    ]),
  );
}
