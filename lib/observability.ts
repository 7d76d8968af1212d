import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { BudgetFile } from '../lambdas/core/budget.ts';
import { METRICS_NAMESPACE, SERVICE } from '../lambdas/cycle/contract.ts';
import type { Steps } from './pipeline.ts';

export interface ObservabilityProps {
  readonly budgetFile: BudgetFile;
  readonly steps: Steps;
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetterQueue: sqs.IQueue;
  /** Where the alarms go. */
  readonly topic: sns.ITopic;
}

/**
 * Adds the dashboard (per budget: spend against cap and forecast, unit cost, p99 latency) and the alarms on the
 * pipeline's health to `scope`; notify and report link their messages to the dashboard.
 */
export function addObservability(scope: Construct, props: ObservabilityProps): cloudwatch.Dashboard {
  const dashboard = addDashboard(scope, props.budgetFile);
  const dashboardUrl = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboard.dashboardName}`;
  for (const f of [props.steps.notify, props.steps.report])
    f.function.addEnvironment('DASHBOARD_URL', dashboardUrl);
  addAlarms(scope, props);
  return dashboard;
}

function addDashboard(scope: Construct, file: BudgetFile): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(35),
  });
  const metric = (name: string, budget: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: SERVICE, budget },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.days(1),
      label,
    });
  for (const b of file.budgets) {
    const spend = new cloudwatch.GraphWidget({
      title: `${b.name}: spend to date, cap and forecast (${file.currency})`,
      left: [
        metric('SpendToDate', b.name, 'spend to date'),
        metric('Cap', b.name, 'cap'),
        metric('ForecastExpected', b.name, 'forecast (expected)'),
      ],
      width: 8,
    });
    const unitCost = new cloudwatch.GraphWidget({
      title: `${b.name}: cost per 1k inferences`,
      left: [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},budget,endpoint,service} MetricName="CostPer1kInferences" budget="${b.name}"', 'Maximum', 86400)`,
          label: '',
          period: Duration.days(1),
        }),
      ],
      leftAnnotations:
        b.limits.costPer1kInferences !== undefined
          ? [{ value: b.limits.costPer1kInferences, label: 'limit', color: cloudwatch.Color.RED }]
          : undefined,
      width: 8,
    });
    const globs = b.selector.endpoints ?? [];
    const terms = globs.map((g) => `EndpointName="${g.replace(/\*.*$/, '')}"`);
    const latency = new cloudwatch.GraphWidget({
      title: `${b.name}: ModelLatency p99 (microseconds)`,
      left: [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{AWS/SageMaker,EndpointName,VariantName} MetricName="ModelLatency"${terms.length > 0 ? ` (${terms.join(' OR ')})` : ''}', 'p99', 3600)`,
          label: '',
          period: Duration.hours(1),
        }),
      ],
      leftAnnotations:
        b.limits.latencyP99Ms !== undefined
          ? [{ value: b.limits.latencyP99Ms * 1000, label: 'ceiling', color: cloudwatch.Color.RED }]
          : undefined,
      width: 8,
    });
    dashboard.addWidgets(spend, unitCost, latency);
  }
  return dashboard;
}

/** The sum over five minutes: what every alarm of the stack watches. */
export const FIVE_MINUTES = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM } as const;

/** An alarm that fires on one bad event in a period of `metric` and tells `topic`. */
export function addAlarm(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  description: string,
  topic: sns.ITopic,
): cloudwatch.Alarm {
  const a = new cloudwatch.Alarm(scope, id, {
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
  a.addAlarmAction(new SnsAction(topic));
  return a;
}

function addAlarms(scope: Construct, props: ObservabilityProps): void {
  const alarm = (id: string, m: cloudwatch.IMetric, description: string) =>
    addAlarm(scope, id, m, description, props.topic);
  const fiveMinutes = FIVE_MINUTES;
  alarm(
    'CycleFailedAlarm',
    props.stateMachine.metricFailed(fiveMinutes),
    'A governance cycle failed: see the state machine execution.',
  );
  alarm(
    'CycleTimedOutAlarm',
    props.stateMachine.metricTimedOut(fiveMinutes),
    'A governance cycle ran past its one-hour timeout.',
  );
  for (const [name, f] of Object.entries(props.steps)) {
    alarm(
      `${name[0]?.toUpperCase()}${name.slice(1)}ErrorsAlarm`,
      f.function.metricErrors(fiveMinutes),
      `The ${name} Lambda reported errors.`,
    );
  }
  alarm(
    'DeadLetterQueueAlarm',
    props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    'Failed invocations or schedule deliveries are waiting in the dead-letter queue.',
  );
}
