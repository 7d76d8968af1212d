import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  definition,
  identityStatements,
  refDefinition,
  type States,
  synthStack,
} from './helpers.ts';

const LAMBDA_TASKS = ['CollectPart', 'Evaluate', 'Act', 'Notify', 'Report'] as const;

/** Every state of the definition, those inside the Map's item processor included, by name. */
function allStates(states: States): States {
  const out: States = {};
  for (const [name, state] of Object.entries(states)) {
    out[name] = state;
    const inner = (state.ItemProcessor as { States?: States } | undefined)?.States;
    if (inner) Object.assign(out, allStates(inner));
  }
  return out;
}

let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

describe('PerfBudgets state machine', () => {
  it('is a Standard state machine with tracing and full logging', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it('runs collect -> evaluate -> act -> notify, then the report when asked', () => {
    const d = definition(template);
    expect(d.StartAt).toBe('WhichDay');
    for (const s of ['GivenDay', 'ScheduledTime', 'StartTime']) expect(d.States[s]?.Next).toBe('Parts');
    expect(d.States.Parts?.Next).toBe('Collect');
    expect(d.States.Collect?.Type).toBe('Map');
    expect(d.States.Collect?.Next).toBe('Evaluate');
    expect(d.States.Evaluate?.Next).toBe('Act');
    expect(d.States.Act?.Next).toBe('Notify');
    expect(d.States.Notify?.Next).toBe('ReportRequested');
    expect(d.States.ReportRequested).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.report', IsPresent: true },
            { Variable: '$.report', BooleanEquals: true },
          ],
          Next: 'Report',
        },
      ],
      Default: 'CycleDone',
    });
  });

  it('passes the execution name as the run id and large data as S3 keys', () => {
    const d = definition(template);
    expect(d.States.Collect?.ResultPath).toBe('$.collected');
    expect(d.States.Collect?.ResultSelector).toEqual({
      'asOf.$': '$[0].asOf',
      'partKeys.$': '$[*].snapshotKey',
    });
    expect(d.States.Evaluate?.Parameters).toEqual({
      'runId.$': '$.cycle.runId',
      'asOf.$': '$.collected.asOf',
      'partKeys.$': '$.collected.partKeys',
    });
    expect(d.States.Act?.Parameters).toEqual({
      'runId.$': '$.evaluated.runId',
      'asOf.$': '$.evaluated.asOf',
      'resultKey.$': '$.evaluated.resultKey',
    });
    // notify and the report read what act did (its rollbacks are alerted) beside the findings
    expect(d.States.Notify?.Parameters).toEqual({
      'runId.$': '$.evaluated.runId',
      'asOf.$': '$.evaluated.asOf',
      'resultKey.$': '$.evaluated.resultKey',
      'actionsKey.$': '$.acted.actionsKey',
    });
    expect(d.States.Report?.Parameters).toEqual({
      'asOf.$': '$.evaluated.asOf',
      'resultKey.$': '$.evaluated.resultKey',
      'actionsKey.$': '$.acted.actionsKey',
    });
  });

  it.each(['CollectPart', 'Evaluate', 'Act', 'Notify', 'Report'])(
    '%s retries Lambda service errors and throttling with backoff, and catches everything else',
    (state) => {
      const d = definition(template);
      const processor = d.States.Collect?.ItemProcessor as
        | { States: Record<string, Record<string, unknown>> }
        | undefined;
      const s = d.States[state] ?? processor?.States[state];
      expect(s?.Retry).toEqual([
        {
          ErrorEquals: [
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.TooManyRequestsException',
            'Lambda.ClientExecutionTimeoutException',
          ],
          IntervalSeconds: 5,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 120,
          JitterStrategy: 'FULL',
        },
      ]);
      // a part's failure is caught by the Map around it, which holds the execution's input
      const catcher = state === 'CollectPart' ? d.States.Collect : s;
      expect(catcher?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PublishFailure' },
      ]);
    },
  );

  it('publishes a pipeline-failure alert to the topic, then fails the execution', () => {
    const failure = definition(template).States.PublishFailure;
    expect(failure?.Resource).toContain(':states:::sns:publish');
    expect(failure?.Parameters).toMatchObject({
      Message: {
        kind: 'pipeline-failure',
        'execution.$': '$$.Execution.Id',
        'runId.$': '$$.Execution.Name',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
      },
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'pipeline-failure' } },
    });
    expect(failure?.Next).toBe('CycleFailed');
    expect(definition(template).States.CycleFailed?.Type).toBe('Fail');
  });

  it('can publish to the encrypted topic', () => {
    const statements = identityStatements(template);
    expect(
      statements.some(
        (s) => actionsOf(s).includes('sns:Publish') && JSON.stringify(s.Resource).includes('Alerts'),
      ),
    ).toBe(true);
    expect(
      statements.filter((s) => actionsOf(s).includes('kms:GenerateDataKey')).map((s) => s.Resource),
    ).toContainEqual({ 'Fn::GetAtt': [expect.stringContaining('Key'), 'Arn'] });
  });

  it.each(LAMBDA_TASKS)('%s waits as long as its function may run, and no longer', (name) => {
    const state = allStates(refDefinition(template).States)[name];
    // the task invokes the function by its ARN: "<logical id>.Arn"
    const [fn] = String(state?.Resource).split('.');
    const timeout = template.toJSON().Resources[fn ?? '']?.Properties.Timeout;
    expect(timeout).toEqual(expect.any(Number));
    expect(state?.TimeoutSeconds).toBe(timeout);
  });

  it('never writes ResultPath "$" (the default, which a local runner would write to a key named "$")', () => {
    const states = allStates(definition(template).States);
    const written = Object.entries(states).flatMap(([name, state]) => [
      ...('ResultPath' in state ? [[name, state.ResultPath]] : []),
      ...((state.Catch as { ResultPath?: string }[] | undefined) ?? []).map((c) => [
        `${name} catch`,
        c.ResultPath,
      ]),
    ]);
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter(([, path]) => path === '$')).toEqual([]);
    // a collect part's result is the part's whole output: the default ResultPath, left out
    expect(states.CollectPart).not.toHaveProperty('ResultPath');
  });
});
