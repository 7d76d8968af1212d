import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CollectionTarget } from '../lambdas/core/budget.ts';
import type { HouseFunction } from './house-function.ts';
import { acknowledgeWildcards, arnRef } from './iam-statements.ts';
import type { Steps } from './pipeline.ts';

/** Collect parts running at once: bounds the API calls in flight against the accounts' throttling limits. */
const COLLECT_CONCURRENCY = 10;

export interface CycleStateMachineProps {
  readonly steps: Steps;
  /** Where a failed cycle is announced. */
  readonly topic: sns.ITopic;
  /** The topic's key. */
  readonly key: kms.IKey;
  /** Where each cycle reads inventory and metrics, in Map order. */
  readonly targets: readonly CollectionTarget[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * Adds the governance cycle to `scope` as the state machine `Cycle`: the day it judges, then collect (spend once,
 * inventory and metrics per target, in a Map), evaluate, act, notify, and the report when the input asks for it.
 * Notify and the report get act's actions beside the findings.
 * Any failure publishes a `pipeline-failure` alert to the topic and fails the execution.
 */
export function addCycleStateMachine(scope: Construct, props: CycleStateMachineProps): sfn.StateMachine {
  const { collect, evaluate, act, notify, report } = props.steps;
  // the states' ids are their names in the definition
  const states = new Construct(scope, 'States');
  const failure = new tasks.SnsPublish(states, 'PublishFailure', {
    topic: props.topic,
    subject: 'perf-budgets: governance cycle failed',
    message: sfn.TaskInput.fromObject({
      kind: 'pipeline-failure',
      execution: sfn.JsonPath.executionId,
      runId: sfn.JsonPath.executionName,
      error: sfn.JsonPath.stringAt('$.error.Error'),
      cause: sfn.JsonPath.stringAt('$.error.Cause'),
    }),
    messageAttributes: { kind: { value: 'pipeline-failure' } },
    resultPath: sfn.JsonPath.DISCARD,
  });
  failure.addRetry({
    errors: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'States.Timeout'],
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
  });
  failure.next(
    new sfn.Fail(states, 'CycleFailed', { error: 'PipelineFailed', cause: 'see the alert topic' }),
  );

  // Each task waits as long as its function may run (Step Functions has no default), and a task whose result
  // replaces its input leaves ResultPath out rather than writing "$": the two mean the same in AWS, and the
  // definition then runs the same under aws-local-stepfunctions (which times a task out after 60 s by default and
  // writes a "$" ResultPath to a key of that name).
  const step = (
    id: string,
    f: HouseFunction,
    payload: sfn.TaskInput | undefined,
    resultPath: string | undefined,
    catchFailure = true,
  ) => {
    const task = new tasks.LambdaInvoke(states, id, {
      lambdaFunction: f.function,
      payload,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(f.timeoutSeconds)),
    });
    task.addRetry({
      errors: [
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        'Lambda.ClientExecutionTimeoutException',
      ],
      interval: Duration.seconds(5),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });
    // inside the Map a failure is caught by the Map, whose state carries the execution's input
    if (catchFailure) task.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });
    return task;
  };
  const fromResult = sfn.TaskInput.fromObject({
    runId: sfn.JsonPath.stringAt('$.evaluated.runId'),
    asOf: sfn.JsonPath.stringAt('$.evaluated.asOf'),
    resultKey: sfn.JsonPath.stringAt('$.evaluated.resultKey'),
  });
  // what act did (actions/<asOf>/<runId>.json), for notify and the report
  const withActions = sfn.TaskInput.fromObject({
    runId: sfn.JsonPath.stringAt('$.evaluated.runId'),
    asOf: sfn.JsonPath.stringAt('$.evaluated.asOf'),
    resultKey: sfn.JsonPath.stringAt('$.evaluated.resultKey'),
    actionsKey: sfn.JsonPath.stringAt('$.acted.actionsKey'),
  });
  const done = new sfn.Succeed(states, 'CycleDone');

  // What the cycle judges, decided once for every part: a manual run's asOf, else the day before the schedule's
  // time (or, started by hand without asOf, the execution's start). The execution name is the run id: payload
  // keys are made of it, and a rerun of the same name is refused.
  const runId = sfn.JsonPath.executionName;
  const clock = (id: string, parameters: Record<string, unknown>) =>
    new sfn.Pass(states, id, { parameters: { runId, ...parameters }, resultPath: '$.cycle' });
  const when = new sfn.Choice(states, 'WhichDay')
    .when(sfn.Condition.isPresent('$.asOf'), clock('GivenDay', { asOf: sfn.JsonPath.stringAt('$.asOf') }))
    .when(sfn.Condition.isPresent('$.at'), clock('ScheduledTime', { at: sfn.JsonPath.stringAt('$.at') }))
    .otherwise(clock('StartTime', { at: sfn.JsonPath.stringAt('$$.Execution.StartTime') }));

  // The parts of the cycle, fixed at synth: spend once from this account, then inventory and metrics per target.
  const parts = new sfn.Pass(states, 'Parts', {
    result: sfn.Result.fromArray([
      { part: 'costs' },
      ...props.targets.map((target) => ({ part: 'resources', target })),
    ]),
    resultPath: '$.parts',
  });
  const collectParts = new sfn.Map(states, 'Collect', {
    itemsPath: '$.parts',
    itemSelector: {
      cycle: sfn.JsonPath.objectAt('$.cycle'),
      item: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
    },
    maxConcurrency: COLLECT_CONCURRENCY,
    // the keys of the parts in item order (a Map keeps it), for evaluate to merge
    resultSelector: {
      asOf: sfn.JsonPath.stringAt('$[0].asOf'),
      partKeys: sfn.JsonPath.listAt('$[*].snapshotKey'),
    },
    resultPath: '$.collected',
  });
  // one flat event per part: { runId, asOf | at } and { part, target? } merged
  const partEvent = new sfn.Pass(states, 'PartEvent', {
    parameters: {
      event: sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.cycle'), sfn.JsonPath.objectAt('$.item')),
    },
    outputPath: '$.event',
  });
  collectParts.itemProcessor(partEvent.next(step('CollectPart', collect, undefined, undefined, false)));
  collectParts.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });

  const definition = when
    .afterwards()
    .next(parts)
    .next(collectParts)
    .next(
      step(
        'Evaluate',
        evaluate,
        sfn.TaskInput.fromObject({
          runId: sfn.JsonPath.stringAt('$.cycle.runId'),
          asOf: sfn.JsonPath.stringAt('$.collected.asOf'),
          partKeys: sfn.JsonPath.listAt('$.collected.partKeys'),
        }),
        '$.evaluated',
      ),
    )
    .next(step('Act', act, fromResult, '$.acted'))
    // notify alerts on the changes act rolled back, once, beside the findings
    .next(step('Notify', notify, withActions, '$.notified'))
    .next(
      new sfn.Choice(states, 'ReportRequested')
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.report'),
            sfn.Condition.booleanEquals('$.report', true),
          ),
          step(
            'Report',
            report,
            sfn.TaskInput.fromObject({
              asOf: sfn.JsonPath.stringAt('$.evaluated.asOf'),
              resultKey: sfn.JsonPath.stringAt('$.evaluated.resultKey'),
              actionsKey: sfn.JsonPath.stringAt('$.acted.actionsKey'),
            }),
            '$.reported',
          ).next(done),
        )
        .otherwise(done),
    );

  const stateMachine = new sfn.StateMachine(scope, 'Cycle', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: Duration.hours(1),
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'CycleLogs', {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      level: sfn.LogLevel.ALL,
      // the payloads are S3 keys and counts by design: the data itself stays in the bucket
      includeExecutionData: true,
    },
  });
  stateMachine.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [props.key.keyArn],
    }),
  );
  acknowledgeWildcards(
    stateMachine.role,
    ['*'],
    'X-Ray tracing and CloudWatch Logs delivery of a state machine have no resource-level permissions.',
  );
  acknowledgeWildcards(
    stateMachine.role,
    [collect, evaluate, act, notify, report].map((f) => `${arnRef(f.function)}:*`),
    'lambda:InvokeFunction on the versions and aliases (:*) of the five functions of the cycle, nothing else.',
  );
  return stateMachine;
}
