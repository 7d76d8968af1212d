/**
 * The stack as a test gets it: synthesized (global-setup.ts), "deployed" onto fresh loopback services serving the
 * test account at its as-of, and ready to run executions; with the ledger table and Application Auto Scaling read
 * as the functions read them.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AutoScalingWriter } from '../../../lambdas/aws/autoscaling-writer.ts';
import { DynamoDbLedger } from '../../../lambdas/aws/ledger-dynamodb.ts';
import { ApiUsage } from '../../../lambdas/core/api-usage.ts';
import { cycleTime } from '../../bench/api-account.ts';
import { AS_OF, pipelineAccount } from './account.ts';
import { Actuation } from './actuation.ts';
import { Assembly } from './assembly.ts';
import { Loopback } from './loopback.ts';
import { type Execution, Pipeline } from './pipeline.ts';

export interface Deployed {
  readonly loopback: Loopback;
  readonly pipeline: Pipeline;
  /** The ledger table, read and written as the functions do. */
  readonly ledger: DynamoDbLedger;
  /** Application Auto Scaling read (and written) as act does. */
  scaler(): AutoScalingWriter;
  close(): Promise<void>;
}

/** Deploys the stack of `assemblyDir`, with `budgets` in place of its budget file when given. */
export async function deploy(assemblyDir: string, budgets?: Record<string, unknown>): Promise<Deployed> {
  const assembly = new Assembly(assemblyDir);
  const account = pipelineAccount();
  // the services answer as on the morning after as-of, when the daily cycle runs
  account.setNow(cycleTime(AS_OF));
  const loopback = await Loopback.start(assembly, new Actuation(account, cycleTime(AS_OF)), budgets);
  const pipeline = new Pipeline(assembly, loopback);
  const { env } = loopback;
  const common = {
    region: env.AWS_REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  };
  const dynamo = new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
  const ledger = new DynamoDbLedger(assembly.table().name, { client: DynamoDBDocumentClient.from(dynamo) });
  return {
    loopback,
    pipeline,
    ledger,
    scaler: () =>
      new AutoScalingWriter({
        autoscaling: new ApplicationAutoScalingClient({
          ...common,
          endpoint: env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING,
        }),
        cloudwatch: new CloudWatchClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH }),
        usage: new ApiUsage(),
      }),
    close: async () => {
      // what a function queued for another runs to its end before the environments go
      await loopback.lambda.settled();
      pipeline.close();
      dynamo.destroy();
      await loopback.close();
    },
  };
}

/** What a failed expectation about an execution shows: each Task's outcome and the logs of a failed invocation. */
export function explain(e: Execution | undefined): string {
  if (!e) return 'the execution did not run';
  const tasks = e.tasks.map((t) => `  ${t.state}: ${t.status}${t.cause ? ` ${t.cause.slice(0, 600)}` : ''}`);
  const failed = e.invocations
    .filter((i) => !i.ok)
    .map((i) => `--- ${i.function} (${i.coldStart ? 'cold' : 'warm'}, ${i.ms} ms)\n${i.output.slice(-3000)}`);
  return [`execution ${e.name} ${e.status}`, ...tasks, ...failed].join('\n');
}
