/**
 * The account of paths-account.ts as a loopback AWS account for `run --aws` (served by aws-server.ts): SageMaker's
 * inventory, Application Auto Scaling's targets, policies and activities, CloudWatch's GetMetricData, CloudTrail's
 * LookupEvents (CreateEndpoint / UpdateEndpoint) and Cost Explorer's GetCostAndUsage, which answers any GroupBy and
 * Filter over the account's line items as Cost Explorer does (cost-explorer-engine.ts). Everything answers as of
 * NOW_MS, the morning after as-of.
 */
import { join } from 'node:path';
import { formatMoney, type Money } from '../../lambdas/core/money.ts';
import type { Handler } from './aws-server.ts';
import { ROOT } from './cli.ts';
import { type LineItem as CeItem, costAndUsageResponse, days } from './cost-explorer-engine.ts';
import { hourlyDatapoint, metricDataResponse } from './metric-data.ts';
import {
  ACCOUNT,
  ENDPOINTS,
  type EndpointModel,
  hourOfEndpoint,
  lineItems,
  metricsOf,
  NOW_MS,
  REGION,
  T0,
  VARIANT,
} from './paths-account.ts';
import { describeEndpointResponse } from './sagemaker-shapes.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NAMESPACE = 'sagemaker';
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
/** Application Auto Scaling keeps six weeks of activities, CloudTrail's event history 90 days. */
const ACTIVITY_RETENTION_MS = 42 * DAY_MS;
const TRAIL_RETENTION_MS = 90 * DAY_MS;
const NOW_HOUR = Math.floor((NOW_MS - T0) / HOUR_MS);
/** Cost Explorer marks every day of the month still being billed as an estimate. */
const OPEN_MONTH = `${new Date(NOW_MS).toISOString().slice(0, 7)}-01`;

const sec = (ms: number): number => ms / 1000;
const validation = (message: string) => ({ awsError: 'ValidationException', message });
const byName = new Map(ENDPOINTS.map((e) => [e.name, e]));
const current = (e: EndpointModel) => e.configs[e.configs.length - 1] as EndpointModel['configs'][number];
const resourceId = (e: EndpointModel) => `endpoint/${e.name}/variant/${VARIANT}`;

/** One per change of an autoscaled variant's count, newest first, within six weeks of now. */
function scalingActivities() {
  const out: { e: EndpointModel; h: number; to: number; min: boolean }[] = [];
  for (const e of ENDPOINTS) {
    if (!e.scaling) continue;
    for (let h = 1; h <= NOW_HOUR; h++) {
      const before = hourOfEndpoint(e, h - 1);
      const now = hourOfEndpoint(e, h);
      if (!before || !now || before.count === now.count) continue;
      const raised = e.scaling.raisedMin;
      out.push({
        e,
        h,
        to: now.count,
        min: raised !== undefined && Math.ceil((raised.fromMs - T0) / HOUR_MS) === h,
      });
    }
  }
  return out
    .filter((a) => T0 + a.h * HOUR_MS > NOW_MS - ACTIVITY_RETENTION_MS)
    .sort((a, b) => b.h - a.h)
    .map((a, n) => {
      // the change took effect at the hour; the alarm fired a few minutes before it
      const end = T0 + a.h * HOUR_MS;
      const id = resourceId(a.e);
      const cause = a.min
        ? `minimum capacity was set to ${a.to}`
        : `monitor alarm TargetTracking-${id}-${a.to > 1 ? 'AlarmHigh' : 'AlarmLow'} in state ALARM triggered policy ${a.e.name}-invocations`;
      return {
        ActivityId: `activity-${n}`,
        ServiceNamespace: NAMESPACE,
        ResourceId: id,
        ScalableDimension: DIMENSION,
        Description: `Setting desired instance count to ${a.to}.`,
        Cause: cause,
        StartTime: sec(end - 7 * 60_000),
        EndTime: sec(end),
        StatusCode: 'Successful',
        StatusMessage: `Successfully set desired instance count to ${a.to}. Change successfully fulfilled by sagemaker.`,
      };
    });
}

/** CreateEndpoint and UpdateEndpoint events of the last 90 days, newest first, as CloudTrail's event history has them. */
function trailEvents() {
  const events = ENDPOINTS.flatMap((e) =>
    e.configs.map((c, n) => ({
      EventId: `${e.name}-${n}`,
      EventName: c.event,
      ReadOnly: 'false',
      AccessKeyId: 'ASIAEXAMPLE',
      EventTime: sec(c.fromMs),
      EventSource: 'sagemaker.amazonaws.com',
      Username: 'deployer',
      Resources: [{ ResourceType: 'AWS::SageMaker::Endpoint', ResourceName: e.name }],
      CloudTrailEvent: JSON.stringify({
        eventVersion: '1.10',
        eventTime: new Date(c.fromMs).toISOString().replace('.000Z', 'Z'),
        eventSource: 'sagemaker.amazonaws.com',
        eventName: c.event,
        awsRegion: REGION,
        requestParameters: { endpointName: e.name, endpointConfigName: c.name },
        responseElements: { endpointArn: e.arn },
        eventType: 'AwsApiCall',
        recipientAccountId: ACCOUNT,
      }),
    })),
  );
  return events
    .filter((x) => x.EventTime * 1000 > NOW_MS - TRAIL_RETENTION_MS)
    .sort((a, b) => b.EventTime - a.EventTime);
}

function lookupEvents(input: Record<string, unknown>) {
  const attributes = (input.LookupAttributes ?? []) as { AttributeKey: string; AttributeValue: string }[];
  if (attributes.length > 1) return validation('LookupAttributes takes at most one attribute');
  const [attr] = attributes;
  const from = input.StartTime === undefined ? Number.NEGATIVE_INFINITY : Number(input.StartTime);
  const to = input.EndTime === undefined ? Number.POSITIVE_INFINITY : Number(input.EndTime);
  const events = trailEvents().filter((x) => {
    if (x.EventTime < from || x.EventTime > to) return false;
    if (!attr) return true;
    if (attr.AttributeKey === 'EventName') return x.EventName === attr.AttributeValue;
    if (attr.AttributeKey === 'EventSource') return x.EventSource === attr.AttributeValue;
    if (attr.AttributeKey === 'ResourceName')
      return x.Resources.some((r) =>
        [r.ResourceName, byName.get(r.ResourceName)?.arn].includes(attr.AttributeValue),
      );
    if (attr.AttributeKey === 'ResourceType')
      return x.Resources.some((r) => r.ResourceType === attr.AttributeValue);
    return false;
  });
  // small enough for one page of 50
  return { Events: events.slice(0, Math.min(50, Number(input.MaxResults ?? 50))) };
}

/** The account's charges of one day as Cost Explorer holds them: summed per endpoint (or resource) and usage type. */
function ceItemsOf(day: string): CeItem[] {
  const start = Date.parse(`${day}T00:00:00Z`);
  const sums = new Map<string, { item: CeItem; amount: Money; quantity: number }>();
  for (const i of lineItems()) {
    if (i.startMs < start || i.startMs >= start + DAY_MS) continue;
    const key = `${i.resourceId ?? ''}\u0000${i.usageType}`;
    const s = sums.get(key) ?? {
      item: {
        tags: i.tags,
        usageType: i.usageType,
        service: i.service,
        amount: 0,
        quantity: 0,
        unit: i.unit,
      },
      amount: 0n,
      quantity: 0,
    };
    s.amount += i.amount;
    s.quantity += Number(i.quantity);
    sums.set(key, s);
  }
  return [...sums.values()].map((s) => ({
    ...s.item,
    amount: Number(formatMoney(s.amount, 10)),
    quantity: s.quantity,
  }));
}

function costAndUsage(input: Record<string, unknown>) {
  return costAndUsageResponse(input, ceItemsOf, OPEN_MONTH);
}

/** One datapoint over [t, t + period) seconds: sums add the hours up, other statistics average them. */
function datapoint(e: EndpointModel, metric: string, stat: string, t: number, period: number) {
  return hourlyDatapoint(stat, t, period, (ms) => {
    const x = hourOfEndpoint(e, Math.floor((ms - T0) / HOUR_MS));
    return x && ms < NOW_MS ? metricsOf(e, x)[`${metric}/${stat}`] : undefined;
  });
}

function metricData(input: Record<string, unknown>) {
  return metricDataResponse(input, (dims, metric, stat, t, period) => {
    const e = byName.get(dims.get('EndpointName') ?? '');
    return e && dims.get('VariantName') === VARIANT ? datapoint(e, metric, stat, t, period) : undefined;
  });
}

function describeEndpoint(input: Record<string, unknown>) {
  const e = byName.get(String(input.EndpointName));
  if (!e) return validation(`Could not find endpoint "${String(input.EndpointName)}".`);
  return describeEndpointResponse({
    name: e.name,
    arn: e.arn,
    config: current(e).name,
    variant: VARIANT,
    count: hourOfEndpoint(e, NOW_HOUR)?.count,
    created: sec(e.createdMs),
    modified: sec(current(e).fromMs + 8 * 60_000),
  });
}

function describeEndpointConfig(input: Record<string, unknown>) {
  const name = String(input.EndpointConfigName);
  for (const e of ENDPOINTS) {
    const c = e.configs.find((x) => x.name === name);
    if (!c) continue;
    return {
      EndpointConfigName: c.name,
      EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${c.name}`,
      ProductionVariants: [
        {
          VariantName: VARIANT,
          ModelName: `${e.name}-model`,
          InitialInstanceCount: e.instances,
          InstanceType: c.type,
          InitialVariantWeight: 1,
        },
      ],
      CreationTime: sec(c.fromMs - 60_000),
    };
  }
  return validation(`Could not find endpoint configuration "${name}".`);
}

/** The loopback account's answers, by x-amz-target. */
export function pathsAccountHandlers(): Record<string, Handler> {
  const scaled = ENDPOINTS.filter((e) => e.scaling);
  const inNamespace = (input: Record<string, unknown>) => input.ServiceNamespace === NAMESPACE;
  return {
    'SageMaker.ListEndpoints': () => ({
      Endpoints: [...ENDPOINTS]
        .sort((a, b) => b.createdMs - a.createdMs)
        .map((e) => ({
          EndpointName: e.name,
          EndpointArn: e.arn,
          CreationTime: sec(e.createdMs),
          LastModifiedTime: sec(current(e).fromMs + 8 * 60_000),
          EndpointStatus: 'InService',
        })),
    }),
    'SageMaker.DescribeEndpoint': describeEndpoint,
    'SageMaker.DescribeEndpointConfig': describeEndpointConfig,
    'SageMaker.ListTags': (input) => {
      const e = ENDPOINTS.find((x) => x.arn === input.ResourceArn);
      if (!e) return validation(`Could not find resource "${String(input.ResourceArn)}".`);
      return { Tags: Object.entries(e.tags).map(([Key, Value]) => ({ Key, Value })) };
    },
    'SageMaker.ListInferenceComponents': () => ({ InferenceComponents: [] }),
    'AnyScaleFrontendService.DescribeScalableTargets': (input) =>
      inNamespace(input)
        ? {
            ScalableTargets: scaled.map((e) => ({
              ServiceNamespace: NAMESPACE,
              ResourceId: resourceId(e),
              ScalableDimension: DIMENSION,
              MinCapacity: e.scaling?.raisedMin?.min ?? e.scaling?.min,
              MaxCapacity: e.scaling?.max,
              RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
              CreationTime: sec(e.createdMs + 3_600_000),
            })),
          }
        : validation('ServiceNamespace must be sagemaker here'),
    'AnyScaleFrontendService.DescribeScalingPolicies': (input) =>
      inNamespace(input)
        ? {
            ScalingPolicies: scaled.map((e) => ({
              PolicyARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:${e.name}:resource/sagemaker/${resourceId(e)}:policyName/${e.name}-invocations`,
              PolicyName: `${e.name}-invocations`,
              ServiceNamespace: NAMESPACE,
              ResourceId: resourceId(e),
              ScalableDimension: DIMENSION,
              PolicyType: 'TargetTrackingScaling',
              TargetTrackingScalingPolicyConfiguration: {
                TargetValue: e.scaling?.target,
                PredefinedMetricSpecification: {
                  PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
                },
              },
              Alarms: [],
              CreationTime: sec(e.createdMs + 3_600_000),
            })),
          }
        : validation('ServiceNamespace must be sagemaker here'),
    'AnyScaleFrontendService.DescribeScalingActivities': (input) =>
      inNamespace(input)
        ? {
            ScalingActivities: scalingActivities().filter(
              (a) => !input.ResourceId || a.ResourceId === input.ResourceId,
            ),
          }
        : validation('ServiceNamespace must be sagemaker here'),
    'CloudTrail_20131101.LookupEvents': lookupEvents,
    'AWSInsightsIndexService.GetCostAndUsage': costAndUsage,
    'AWSInsightsIndexService.GetCostForecast': (input) => {
      const period = input.TimePeriod as { Start: string; End: string };
      const yesterday = ceItemsOf(new Date(NOW_MS - DAY_MS).toISOString().slice(0, 10));
      const daily = yesterday.reduce((s, i) => s + i.amount, 0);
      const total = (daily * days(period.Start, period.End).length).toFixed(10);
      return {
        Total: { Amount: total, Unit: 'USD' },
        ForecastResultsByTime: [{ TimePeriod: period, MeanValue: total }],
      };
    },
    'GraniteServiceVersion20100801.GetMetricData': metricData,
  };
}

/**
 * The environment of a CLI child process that talks to the loopback account at `url` as the daily cycle of the
 * morning after as-of, whatever day the test runs.
 */
export function pathsAccountEnv(url: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_MAX_ATTEMPTS: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(ROOT, 'test/helpers/fixed-clock.mjs')}`,
    PERF_BUDGETS_TEST_NOW: new Date(NOW_MS).toISOString(),
  };
}
