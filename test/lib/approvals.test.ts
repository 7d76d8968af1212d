import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS_KEY } from '../../lambdas/cycle/contract.ts';
import { ApprovalsEnv, BaseEnv } from '../../lambdas/handlers/env.ts';
import { AlertTargets } from '../../lib/alert-targets.ts';
import { Approvals } from '../../lib/approvals.ts';
import type { HouseFunction } from '../../lib/house-function.ts';
import { PerfBudgetsStack } from '../../lib/stack.ts';
import { DEMO_BUDGETS, synthStack, testApp, withoutSlack } from './helpers.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

let template: Template;
let stack: PerfBudgetsStack;
const idOf = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);

beforeAll(() => {
  ({ template, stack } = synthStack());
});

function approvalsOf(s: PerfBudgetsStack): Approvals {
  const a = s.perfBudgets.approvals;
  if (!a) throw new Error('expected the approvals functions: the demo budget file alerts on Slack');
  return a;
}
const fn = (t: Template, id: string) => t.toJSON().Resources[id] as Resource;
const envOf = (t: Template, id: string) =>
  (fn(t, id).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('the approvals Function URL', () => {
  it('is open (auth NONE) on the handler, the one URL of the stack, with no CORS', () => {
    const urls = template.findResources('AWS::Lambda::Url');
    expect(Object.values(urls).map((u) => u.Properties)).toEqual([
      {
        AuthType: 'NONE',
        TargetFunctionArn: { 'Fn::GetAtt': [idOf(approvalsOf(stack).handler.function), 'Arn'] },
      },
    ]);
  });

  it('lets anyone call the handler through the URL only: no other permission on any function', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => p.Properties,
    );
    const handlerArn = { 'Fn::GetAtt': [idOf(approvalsOf(stack).handler.function), 'Arn'] };
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: handlerArn,
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: handlerArn,
        InvokedViaFunctionUrl: true,
        Principal: '*',
      },
    ]);
  });

  it('is an output, with the worker role that member accounts pinning their trust must list', () => {
    const a = approvalsOf(stack);
    expect(template.findOutputs('ApprovalsUrl').ApprovalsUrl?.Value).toEqual({
      'Fn::GetAtt': [idOf(a.url), 'FunctionUrl'],
    });
    expect(template.findOutputs('ApprovalApplyRoleArn').ApprovalApplyRoleArn?.Value).toEqual({
      'Fn::GetAtt': [idOf(a.worker.role), 'Arn'],
    });
  });
});

describe('the approvals functions', () => {
  it('bound the handler to 5 requests at once and the worker to one apply at a time', () => {
    const a = approvalsOf(stack);
    expect(fn(template, idOf(a.handler.function)).Properties.ReservedConcurrentExecutions).toBe(5);
    expect(fn(template, idOf(a.worker.function)).Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('give both the bucket, the budget file key and the ledger, and the handler the Slack secret and the worker', () => {
    const a = approvalsOf(stack);
    const shared = {
      NODE_OPTIONS: '--enable-source-maps',
      DATA_BUCKET: { Ref: idOf(stack.perfBudgets.dataBucket) },
      BUDGETS_KEY,
      LEDGER_TABLE: { Ref: idOf(stack.perfBudgets.table) },
    };
    expect(envOf(template, idOf(a.handler.function))).toEqual({
      ...shared,
      SLACK_SECRET_ARN: { Ref: idOf(stack.perfBudgets.slackSecret) },
      APPROVAL_WORKER: { Ref: idOf(a.worker.function) },
    });
    expect(envOf(template, idOf(a.worker.function))).toEqual(shared);
  });

  it('set every variable the two handlers read at cold start (Lambda sets AWS_REGION)', () => {
    const a = approvalsOf(stack);
    const needs = (schema: { shape: Record<string, unknown> }) =>
      Object.keys(schema.shape).filter((k) => k !== 'AWS_REGION');
    const has = (f: HouseFunction) => Object.keys(envOf(template, idOf(f.function)));
    expect(has(a.handler)).toEqual(expect.arrayContaining([...needs(BaseEnv), ...needs(ApprovalsEnv)]));
    expect(has(a.worker)).toEqual(expect.arrayContaining(needs(BaseEnv)));
  });

  it('keep every secret value out of the template: the secret is created empty and named by ARN only', () => {
    const secret = fn(template, idOf(stack.perfBudgets.slackSecret)).Properties;
    expect(secret).not.toHaveProperty('SecretString');
    expect(secret).not.toHaveProperty('GenerateSecretString');
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/hooks\.slack(-gov)?\.com\/services|xox[abp]-|"signingSecret":\s*"[^"]/);
  });

  it('answer Slack from a quick-starting handler and give the worker the act step’s minute', () => {
    const a = approvalsOf(stack);
    expect(fn(template, idOf(a.handler.function)).Properties).toMatchObject({ MemorySize: 512, Timeout: 10 });
    expect(fn(template, idOf(a.worker.function)).Properties).toMatchObject({ MemorySize: 256, Timeout: 60 });
  });

  it('alarm to the topic on handler errors, handler throttles (a flood) and worker errors', () => {
    const a = approvalsOf(stack);
    const alarmed = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmActions: [{ Ref: idOf(stack.perfBudgets.topic) }] },
      }),
    ).map((r) => `${r.Properties.MetricName} ${JSON.stringify(r.Properties.Dimensions)}`);
    const of = (f: IConstruct) => JSON.stringify([{ Name: 'FunctionName', Value: { Ref: idOf(f) } }]);
    expect(alarmed).toEqual(
      expect.arrayContaining([
        `Errors ${of(a.handler.function)}`,
        `Throttles ${of(a.handler.function)}`,
        `Errors ${of(a.worker.function)}`,
      ]),
    );
  });
});

describe('when the approvals functions are deployed', () => {
  it('leaves them out when Slack is not an alert target: no URL, no outputs', () => {
    const { template: t, stack: s } = synthStack({ budgetsFile: withoutSlack() });
    expect(s.perfBudgets.approvals).toBeUndefined();
    expect(t.findResources('AWS::Lambda::Url')).toEqual({});
    expect(Object.keys(t.findOutputs('*'))).not.toContain('ApprovalsUrl');
    const descriptions = Object.values(t.findResources('AWS::Lambda::Function')).map((f) =>
      String(f.Properties.Description),
    );
    expect(descriptions.filter((d) => /approv/i.test(d))).toEqual([]);
    expect(descriptions.filter((d) => /planned actions/.test(d))).toHaveLength(1);
  });

  it('leaves them out with no alert targets at all', () => {
    expect(synthStack({ alertTargets: [] }).stack.perfBudgets.approvals).toBeUndefined();
  });

  it("read the operator's own Slack secret when the Slack target is given one", () => {
    const app = testApp();
    const own = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:team-slack-AbCdEf';
    const s = new PerfBudgetsStack(app, 'Own', {
      budgetsFile: DEMO_BUDGETS,
      alertTargets: [
        AlertTargets.slack(
          secretsmanager.Secret.fromSecretCompleteArn(new Stack(app, 'Elsewhere'), 'S', own),
        ),
      ],
    });
    const t = Template.fromStack(s);
    const a = approvalsOf(s);
    const id = (c: IConstruct) => s.getLogicalId(c.node.defaultChild as never);
    expect(envOf(t, id(a.handler.function)).SLACK_SECRET_ARN).toBe(own);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: id(a.handler.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: own },
        ]),
      },
    });
  });
});

describe('Approvals props', () => {
  function build(handlerConcurrency?: number): Template {
    const s = new Stack(testApp(), 'Plain');
    new Approvals(s, 'Approvals', {
      dataBucket: new s3.Bucket(s, 'Data'),
      table: new dynamodb.Table(s, 'Ledger', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      }),
      slackSecret: new secretsmanager.Secret(s, 'Slack'),
      deadLetterQueue: new sqs.Queue(s, 'Dlq'),
      topic: new sns.Topic(s, 'Alerts'),
      logRetention: logs.RetentionDays.ONE_MONTH,
      ...(handlerConcurrency === undefined ? {} : { handlerConcurrency }),
    });
    return Template.fromStack(s);
  }

  it('take the handler’s concurrency from handlerConcurrency', () => {
    build(12).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Slack approval requests'),
      ReservedConcurrentExecutions: 12,
    });
  });

  it.each([0, 51, 2.5])('refuse handlerConcurrency %s with the range to use', (n) => {
    expect(() => build(n)).toThrow(
      new RegExp(
        `Approvals Approvals: handlerConcurrency ${n} is out of range; use a whole number from 1 to 50`,
      ),
    );
  });
});
