import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synthStack } from './helpers.ts';

let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

describe('PerfBudgets dashboard and alarms', () => {
  it('charts, per budget, spend to date against cap and forecast, unit cost and p99 latency', () => {
    const [dash] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.parse(flatten(dash?.Properties.DashboardBody).replaceAll('TOKEN', 'x'));
    const titles: string[] = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);
    expect(titles).toContain('chat-prod: spend to date, cap and forecast (USD)');
    expect(titles).toContain('chat-prod: cost per 1k inferences');
    expect(titles).toContain('chat-prod: ModelLatency p99 (microseconds)');
    const spend = body.widgets.find((w: { properties: { title: string } }) =>
      w.properties.title.startsWith('chat-prod: spend'),
    );
    const names = spend.properties.metrics.map((m: unknown[]) => m.slice(0, 2).join('/'));
    expect(names).toEqual(['PerfBudgets/SpendToDate', 'PerfBudgets/Cap', 'PerfBudgets/ForecastExpected']);
    expect(JSON.stringify(spend.properties.metrics)).toContain('"budget","chat-prod"');
    expect(JSON.stringify(body)).toContain('MetricName=\\"CostPer1kInferences\\" budget=\\"chat-prod\\"');
  });

  it('alarms to the topic on failed and timed-out cycles', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
      });
    }
  });

  it('alarms to the topic on errors of each of the five steps and the two approval functions', () => {
    const errors = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { Namespace: 'AWS/Lambda', MetricName: 'Errors', AlarmActions: [Match.anyValue()] },
    });
    expect(Object.keys(errors)).toHaveLength(7);
  });

  it('alarms to the topic when anything waits in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alerts') }],
    });
  });
});
