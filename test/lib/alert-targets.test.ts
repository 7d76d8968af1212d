import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { AlertTargets } from '../../lib/alert-targets.ts';
import { PerfBudgetsStack } from '../../lib/stack.ts';
import { actionsOf, DEMO_BUDGETS, editedBudgets, synthStack, testApp } from './helpers.ts';

type Env = Record<string, unknown>;

/** The environment of the function whose description mentions `what`. */
function envOf(template: Template, what: string): Env {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
    String(f.Properties.Description).includes(what),
  );
  expect(fns).toHaveLength(1);
  return fns[0]?.Properties.Environment.Variables as Env;
}
const notifyEnv = (t: Template) => envOf(t, 'new alerts');
const reportEnv = (t: Template) => envOf(t, 'billing-cycle report');

/** The statements that grant `action`, with the roles they are attached to (by logical id). */
function grants(template: Template, action: string): { roles: string[]; resource: unknown }[] {
  const out: { roles: string[]; resource: unknown }[] = [];
  for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const s of p.Properties.PolicyDocument.Statement) {
      if (actionsOf(s).includes(action)) {
        out.push({ roles: p.Properties.Roles.map((r: { Ref: string }) => r.Ref), resource: s.Resource });
      }
    }
  }
  return out;
}

const withoutNotifications = () => editedBudgets((t) => t.replace(/notifications:\n( {2}.*\n)+/, ''));
const roleIds = (stack: PerfBudgetsStack, names: ('notify' | 'report')[]) =>
  names.map((n) => stack.getLogicalId(stack.perfBudgets.functions[n].role.node.defaultChild as never)).sort();
/** Notify, report and, with Slack, the approvals handler: every role that reads the Slack secret. */
const slackReaders = (stack: PerfBudgetsStack) => {
  const approvals = stack.perfBudgets.approvals;
  expect(approvals).toBeDefined();
  const more = approvals ? [approvals.handler.role] : [];
  return [
    ...roleIds(stack, ['notify', 'report']),
    ...more.map((r) => stack.getLogicalId(r.node.defaultChild as never)),
  ].sort();
};

describe('alert targets', () => {
  it('default to the channels the budget file names: SNS and Slack for the demo file', () => {
    const { template, stack } = synthStack();
    for (const env of [notifyEnv(template), reportEnv(template)]) {
      expect(env).toMatchObject({
        ALERT_CHANNELS: 'sns,slack',
        TOPIC_ARN: { Ref: expect.stringMatching(/Alerts/) },
        SLACK_SECRET_ARN: { Ref: expect.stringMatching(/SlackSecret/) },
      });
    }
    const reads = grants(template, 'secretsmanager:GetSecretValue');
    expect(reads.flatMap((g) => g.roles).sort()).toEqual(slackReaders(stack));
    for (const g of reads) expect(g.resource).toEqual({ Ref: expect.stringMatching(/SlackSecret/) });
  });

  it('default to the topic alone when the budget file has no notifications block', () => {
    const { template } = synthStack({ budgetsFile: withoutNotifications() });
    for (const env of [notifyEnv(template), reportEnv(template)]) {
      expect(env.ALERT_CHANNELS).toBe('sns');
      expect(env).not.toHaveProperty('SLACK_SECRET_ARN');
    }
    expect(grants(template, 'secretsmanager:GetSecretValue')).toEqual([]);
  });

  it('send to Slack only when that is the one target, reading the Slack secret', () => {
    const { template, stack } = synthStack({ alertTargets: [AlertTargets.slack()] });
    expect(notifyEnv(template)).toMatchObject({
      ALERT_CHANNELS: 'slack',
      SLACK_SECRET_ARN: { Ref: expect.stringMatching(/SlackSecret/) },
    });
    expect(reportEnv(template).ALERT_CHANNELS).toBe('slack');
    expect(
      grants(template, 'secretsmanager:GetSecretValue')
        .flatMap((g) => g.roles)
        .sort(),
    ).toEqual(slackReaders(stack));
  });

  it('read a Slack secret of the operator when one is given, and only that one', () => {
    const app = testApp();
    const stack = new PerfBudgetsStack(app, 'Own', {
      budgetsFile: DEMO_BUDGETS,
      alertTargets: [
        AlertTargets.sns(),
        AlertTargets.slack(
          secretsmanager.Secret.fromSecretCompleteArn(
            new Stack(app, 'Elsewhere'),
            'Slack',
            'arn:aws:secretsmanager:us-east-1:111122223333:secret:team-slack-AbCdEf',
          ),
        ),
      ],
    });
    const template = Template.fromStack(stack);
    expect(notifyEnv(template)).toMatchObject({
      ALERT_CHANNELS: 'sns,slack',
      SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:team-slack-AbCdEf',
    });
    const reads = grants(template, 'secretsmanager:GetSecretValue');
    expect(reads.flatMap((g) => g.roles).sort()).toEqual(slackReaders(stack));
    for (const g of reads) {
      expect(g.resource).toBe('arn:aws:secretsmanager:us-east-1:111122223333:secret:team-slack-AbCdEf');
    }
  });

  it('can be none: no channel, no Slack secret, and pipeline failures still go to the topic', () => {
    const { template, stack } = synthStack({ alertTargets: [] });
    for (const env of [notifyEnv(template), reportEnv(template)]) {
      expect(env.ALERT_CHANNELS).toBe('');
      expect(env.TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/Alerts/) });
      expect(env).not.toHaveProperty('SLACK_SECRET_ARN');
    }
    expect(grants(template, 'secretsmanager:GetSecretValue')).toEqual([]);
    const publish = grants(template, 'sns:Publish').filter((g) =>
      JSON.stringify(g.resource).includes('Alerts'),
    );
    expect(publish.flatMap((g) => g.roles).sort()).toEqual(
      expect.arrayContaining(roleIds(stack, ['notify', 'report'])),
    );
  });

  it('refuses the same channel twice', () => {
    expect(() => synthStack({ alertTargets: [AlertTargets.sns(), AlertTargets.sns()] })).toThrow(
      /alertTargets: the sns channel is given twice/,
    );
  });
});

describe('notify and report links', () => {
  it("link the dashboard's console page in the deployment region", () => {
    const { template } = synthStack();
    for (const env of [notifyEnv(template), reportEnv(template)]) {
      expect(env.DASHBOARD_URL).toEqual({
        'Fn::Join': [
          '',
          [
            'https://console.aws.amazon.com/cloudwatch/home?region=',
            { Ref: 'AWS::Region' },
            '#dashboards/dashboard/',
            { Ref: expect.stringMatching(/Dashboard/) },
          ],
        ],
      });
    }
  });

  it('give the report link seven days by default, or the lifetime asked for', () => {
    expect(reportEnv(synthStack().template).REPORT_LINK_SECONDS).toBe('604800');
    const { template } = synthStack({ reportLinkSeconds: 86_400 });
    expect(reportEnv(template).REPORT_LINK_SECONDS).toBe('86400');
    expect(notifyEnv(template).REPORT_LINK_SECONDS).toBe('86400');
  });

  it('refuse a report link lifetime S3 would not honour', () => {
    expect(() => synthStack({ reportLinkSeconds: 700_000 })).toThrow(
      /reportLinkSeconds 700000 is out of range/,
    );
    expect(() => synthStack({ reportLinkSeconds: 1.5 })).toThrow(/reportLinkSeconds 1.5 is out of range/);
  });

  it("let notify read only the budget file (approvers), the findings, the cycle's actions and the newest report", () => {
    const { template, stack } = synthStack();
    const notify = roleIds(stack, ['notify']);
    const reads = grants(template, 's3:GetObject').filter((g) => g.roles.join() === notify.join());
    const prefixes = JSON.stringify(reads.map((g) => g.resource))
      .match(/\/[a-z/]+\/\*/g)
      ?.sort();
    expect(prefixes).toEqual(['/actions/*', '/config/*', '/findings/*', '/reports/latest/*']);
    expect(grants(template, 's3:PutObject').filter((g) => g.roles.join() === notify.join())).toEqual([]);
  });

  it('let the report read back its own reports (for the presigned link) and the cycle and actions it reports on', () => {
    const { template, stack } = synthStack();
    const report = roleIds(stack, ['report']);
    const reads = grants(template, 's3:GetObject').filter((g) => g.roles.join() === report.join());
    const prefixes = JSON.stringify(reads.map((g) => g.resource))
      .match(/\/[a-z]+\/\*/g)
      ?.sort();
    expect(prefixes).toEqual(['/actions/*', '/config/*', '/findings/*', '/reports/*', '/snapshots/*']);
    const writes = grants(template, 's3:PutObject').filter((g) => g.roles.join() === report.join());
    expect(JSON.stringify(writes.map((g) => g.resource)).match(/\/[a-z]+\/\*/g)).toEqual(['/reports/*']);
  });
});
