import { existsSync } from 'node:fs';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * ESM bundles need a `require` for the CommonJS code they inline (the X-Ray SDK under Powertools Tracer crashes at
 * load without it).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild options of every house bundle: ESM for Node.js 24 (with the `require` banner for the CommonJS code it
 * inlines), minified, with source maps, the runtime's AWS SDK left out. `npm run bench:bundle` builds with these
 * same options.
 *
 * - The dependencies' ESM builds are the ones bundled (`mainFields`), so tree shaking drops what a handler does not
 *   use.
 * - Source maps without `sourcesContent`: stack traces still map to file and line, and a map a third the size is
 *   less for `--enable-source-maps` to read at load.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: ['@aws-sdk/*'],
} as const satisfies BundlingOptions;

export interface HouseFunctionProps {
  /** Path of the handler's TypeScript or JavaScript file; it must export `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. @default - none */
  readonly description?: string;
  /** Memory in MiB, 128 to 10240; CPU grows with it. @default 512 */
  readonly memorySizeMiB?: number;
  /** Timeout in seconds, 1 to 900. @default 60 */
  readonly timeoutSeconds?: number;
  /** Retention of the function's log group; one day is refused (the evidence of a bad cycle is gone by morning). @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserved concurrency, for a step where two runs at once would hurt (act changes scaling). Counts against the
   * account's unreserved concurrency. @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /** Environment variables of the handler. @default - none beyond the house ones */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Where failed asynchronous invocations go (dead-letter queue and on-failure destination).
   * @default - a queue of its own, KMS-encrypted by SQS, SSL only, kept 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * IAM path of the function's role, for a trust policy elsewhere that names the roles by path (a member account's
   * role trusts the central collect and act roles this way). @default '/'
   */
  readonly rolePath?: string;
}

/**
 * The house Lambda: Node.js 24 on arm64, an ESM bundle (minified, with source maps, the runtime's AWS SDK left
 * out), explicit memory and timeout, active tracing, a log group with retention, and failed asynchronous
 * invocations kept in a dead-letter queue. Every function of the stack is one of these.
 */
export class HouseFunction extends Construct {
  readonly function: NodejsFunction;
  /** The function's own role: log delivery to its log group only, no managed policies; grant it what it needs. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.IQueue;
  /** The function's timeout: a caller that waits for it (a Step Functions task) waits as long. */
  readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id);
    const memorySizeMiB = props.memorySizeMiB ?? 512;
    const timeoutSeconds = props.timeoutSeconds ?? 60;
    validate(id, props, memorySizeMiB, timeoutSeconds);
    this.timeoutSeconds = timeoutSeconds;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
      path: props.rolePath,
    });
    this.logGroup.grantWrite(this.role);

    if (props.deadLetterQueue) {
      this.deadLetterQueue = props.deadLetterQueue;
    } else {
      const dlq = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledgeDeadLetterQueue(dlq);
      this.deadLetterQueue = dlq;
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: memorySizeMiB,
      timeout: Duration.seconds(timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: this.deadLetterQueue,
      onFailure: new SqsDestination(this.deadLetterQueue),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        ...BUNDLING,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
    });
  }
}

/** The queue only keeps what failed; a dead-letter queue of its own would have nothing to catch. */
export function acknowledgeDeadLetterQueue(queue: Construct): void {
  Validations.of(queue).acknowledge(
    {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the Lambda functions.',
    },
    {
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself a dead-letter queue; nothing redrives it.',
    },
  );
}

function validate(
  id: string,
  props: HouseFunctionProps,
  memorySizeMiB: number,
  timeoutSeconds: number,
): void {
  const fail = (message: string) => {
    throw new Error(`HouseFunction ${id}: ${message}`);
  };
  if (!existsSync(props.entry)) {
    fail(
      `entry ${JSON.stringify(props.entry)} does not exist; give the path of the handler's .ts or .js file`,
    );
  }
  if (!Number.isInteger(memorySizeMiB) || memorySizeMiB < 128 || memorySizeMiB > 10_240) {
    fail(`memorySizeMiB ${memorySizeMiB} is out of range; use a whole number of MiB from 128 to 10240`);
  }
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
    fail(`timeoutSeconds ${timeoutSeconds} is out of range; use a whole number of seconds from 1 to 900`);
  }
  if (props.logRetention === logs.RetentionDays.ONE_DAY) {
    fail('logRetention ONE_DAY keeps too little to investigate a failed cycle; use ONE_WEEK or longer');
  }
  if (props.logRetention === logs.RetentionDays.INFINITE) {
    fail('logRetention INFINITE keeps logs forever at a cost; choose a period such as ONE_MONTH or ONE_YEAR');
  }
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    fail(
      `reservedConcurrentExecutions ${reserved} is not a positive whole number; use 1 or more, or leave it unset (0 would stop the function)`,
    );
  }
}
