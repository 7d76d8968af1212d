import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  type DescribeScalableTargetsCommandOutput,
  DescribeScalingActivitiesCommand,
  type DescribeScalingActivitiesCommandOutput,
  DescribeScalingPoliciesCommand,
  type DescribeScalingPoliciesCommandOutput,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CloudTrailClient,
  CloudTrailServiceException,
  LookupEventsCommand,
  type LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommand,
  type DescribeEndpointConfigCommandOutput,
  DescribeInferenceComponentCommand,
  type DescribeInferenceComponentCommandOutput,
  type EndpointSummary,
  ListEndpointsCommand,
  type ListEndpointsCommandOutput,
  ListInferenceComponentsCommand,
  type ListInferenceComponentsCommandOutput,
  ListTagsCommand,
  type ListTagsCommandOutput,
  SageMakerClient,
  SageMakerServiceException,
  type Tag,
} from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger, ledgerKeys } from '../../lambdas/aws/ledger-dynamodb.ts';
import {
  type SageMakerEndpoint,
  SageMakerInventory,
  type SageMakerInventoryOptions,
} from '../../lambdas/aws/sagemaker.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { AwsAccessError } from '../../lambdas/core/errors.ts';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import type { InventoryDay, InventoryHistory } from '../../lambdas/ports.ts';

const DIR = new URL('../fixtures/aws/sagemaker/', import.meta.url);
const TIMESTAMPS = new Set(['CreationTime', 'LastModifiedTime', 'StartTime', 'EndTime', 'ResolutionTime']);

/** A fixture as the SDK hands it over: the CLI's epoch seconds become Dates. */
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8'), (key, value) =>
    TIMESTAMPS.has(key) && typeof value === 'number' ? new Date(value * 1000) : value,
  ) as T;
}

const META = { $metadata: {} };
const NOW = Date.parse('2026-01-12T12:00:00Z');
const ZONE = 'America/New_York';

function awsError(name: string, message: string): SageMakerServiceException {
  return new SageMakerServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  });
}

let smClient: SageMakerClient;
let aasClient: ApplicationAutoScalingClient;
let sm: AwsClientStub<SageMakerClient>;
let aas: AwsClientStub<ApplicationAutoScalingClient>;

beforeEach(() => {
  smClient = new SageMakerClient({ region: 'us-east-1' });
  aasClient = new ApplicationAutoScalingClient({ region: 'us-east-1' });
  sm = mockClient(smClient);
  aas = mockClient(aasClient);
});

function inventory(extra: Partial<SageMakerInventoryOptions> = {}): {
  inv: SageMakerInventory;
  usage: ApiUsage;
} {
  const usage = new ApiUsage();
  const inv = new SageMakerInventory({
    sagemaker: smClient,
    autoscaling: aasClient,
    usage,
    region: 'us-east-1',
    timezone: ZONE,
    now: () => NOW,
    ...extra,
  });
  return { inv, usage };
}

/** The account of the fixtures: four endpoints, two of them under Application Auto Scaling. */
function mockFixtureAccount(): void {
  sm.on(ListEndpointsCommand).resolves({
    ...META,
    ...fixture<ListEndpointsCommandOutput>('list-endpoints.json'),
  });
  sm.on(DescribeEndpointCommand).callsFake(({ EndpointName }: { EndpointName: string }) =>
    fixture<DescribeEndpointCommandOutput>(`describe-endpoint.${EndpointName}.json`),
  );
  sm.on(DescribeEndpointConfigCommand).callsFake(({ EndpointConfigName }: { EndpointConfigName: string }) =>
    fixture<DescribeEndpointConfigCommandOutput>(`describe-endpoint-config.${EndpointConfigName}.json`),
  );
  sm.on(ListTagsCommand).callsFake(({ ResourceArn }: { ResourceArn: string }) =>
    ResourceArn.endsWith(':endpoint/search-prod')
      ? fixture<ListTagsCommandOutput>('list-tags.search-prod.json')
      : { Tags: [] },
  );
  sm.on(ListInferenceComponentsCommand).resolves(
    fixture<ListInferenceComponentsCommandOutput>('list-inference-components.json'),
  );
  sm.on(DescribeInferenceComponentCommand).callsFake(
    ({ InferenceComponentName }: { InferenceComponentName: string }) =>
      fixture<DescribeInferenceComponentCommandOutput>(
        `describe-inference-component.${InferenceComponentName}.json`,
      ),
  );
  aas
    .on(DescribeScalableTargetsCommand)
    .resolves(fixture<DescribeScalableTargetsCommandOutput>('describe-scalable-targets.json'));
  aas
    .on(DescribeScalingPoliciesCommand)
    .resolves(fixture<DescribeScalingPoliciesCommandOutput>('describe-scaling-policies.json'));
  aas
    .on(DescribeScalingActivitiesCommand)
    .resolves(fixture<DescribeScalingActivitiesCommandOutput>('describe-scaling-activities.json'));
}

function byName(endpoints: readonly SageMakerEndpoint[], name: string): SageMakerEndpoint {
  const e = endpoints.find((x) => x.name === name);
  if (!e) throw new Error(`no endpoint ${name} in ${endpoints.map((x) => x.name).join(', ')}`);
  return e;
}

describe('SageMakerInventory: endpoints and variants', () => {
  it('follows every ListEndpoints page, 100 a page, and counts each request', async () => {
    const all = fixture<ListEndpointsCommandOutput>('list-endpoints.json').Endpoints ?? [];
    sm.on(ListEndpointsCommand, { NextToken: undefined }).resolves({
      Endpoints: all.slice(0, 3),
      NextToken: 'p2',
    });
    sm.on(ListEndpointsCommand, { NextToken: 'p2' }).resolves({ Endpoints: all.slice(3) });
    sm.on(DescribeEndpointCommand).callsFake(({ EndpointName }: { EndpointName: string }) =>
      fixture(`describe-endpoint.${EndpointName}.json`),
    );
    sm.on(DescribeEndpointConfigCommand).callsFake(({ EndpointConfigName }: { EndpointConfigName: string }) =>
      fixture(`describe-endpoint-config.${EndpointConfigName}.json`),
    );
    sm.on(ListTagsCommand).resolves({ Tags: [] });
    sm.on(ListInferenceComponentsCommand).resolves({ InferenceComponents: [] });
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    const { inv, usage } = inventory();

    const endpoints = await inv.endpoints();

    expect(endpoints.map((e) => e.name)).toEqual(['search-prod', 'embed-async', 'llm-ic', 'ranker-next']);
    expect(sm).toReceiveCommandTimes(ListEndpointsCommand, 2);
    expect(sm).toReceiveNthCommandWith(ListEndpointsCommand, 1, { MaxResults: 100 });
    expect(sm).toReceiveCommandWith(ListEndpointsCommand, { MaxResults: 100, NextToken: 'p2' });
    expect(usage.requests('sagemaker:ListEndpoints')).toBe(2);
  });

  it('lists an endpoint once when paging shows it twice', async () => {
    mockFixtureAccount();
    const all = fixture<ListEndpointsCommandOutput>('list-endpoints.json').Endpoints ?? [];
    sm.on(ListEndpointsCommand, { NextToken: undefined }).resolves({
      Endpoints: all.slice(0, 2),
      NextToken: 'p2',
    });
    sm.on(ListEndpointsCommand, { NextToken: 'p2' }).resolves({ Endpoints: all.slice(1) });
    const { inv } = inventory();

    const endpoints = await inv.endpoints();

    expect(endpoints.map((e) => e.name)).toEqual(['search-prod', 'embed-async', 'llm-ic', 'ranker-next']);
    expect(sm).toReceiveCommandTimes(DescribeEndpointCommand, 4);
  });

  it('reads each variant’s instance type from the endpoint config and its count from the endpoint', async () => {
    mockFixtureAccount();
    const { inv } = inventory();

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(sm).toReceiveCommandWith(DescribeEndpointCommand, { EndpointName: 'search-prod' });
    expect(sm).toReceiveCommandWith(DescribeEndpointConfigCommand, {
      EndpointConfigName: 'search-prod-config-v3',
    });
    expect(search.variants).toEqual([
      {
        name: 'primary',
        instanceType: 'ml.g5.xlarge',
        instanceCount: 2,
        scaling: { min: 2, max: 6, targetValue: 750 },
      },
      { name: 'canary', instanceType: 'ml.g5.2xlarge', instanceCount: 1 },
    ]);
    expect(search).toMatchObject({
      instanceType: 'ml.g5.xlarge',
      instanceCount: 3,
      arn: 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod',
      account: '111122223333',
      region: 'us-east-1',
      status: 'InService',
      asynchronous: false,
    });
  });

  it('takes the instance type of the variant with the most instances, not the first listed', async () => {
    mockFixtureAccount();
    const desc = fixture<DescribeEndpointCommandOutput>('describe-endpoint.search-prod.json');
    const [primary, canary] = desc.ProductionVariants ?? [];
    sm.on(DescribeEndpointCommand, { EndpointName: 'search-prod' }).resolves({
      ...desc,
      ProductionVariants: [
        { ...primary, VariantName: 'primary', CurrentInstanceCount: 1 },
        { ...canary, VariantName: 'canary', CurrentInstanceCount: 3 },
      ],
    });
    const { inv } = inventory();

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(search.instanceType).toBe('ml.g5.2xlarge');
    expect(search.instanceCount).toBe(4);
    expect(search.scaling).toBeUndefined();
  });

  it('gives the creation day in the billing time zone', async () => {
    mockFixtureAccount();
    const { inv } = inventory();

    // CreationTime 2025-11-01T02:30Z is still October 31 in New York.
    expect(byName(await inv.endpoints(), 'search-prod').createdAt).toBe('2025-10-31');
  });

  it('turns every ListTags page into one tag record, keys kept as they are', async () => {
    mockFixtureAccount();
    const tags = fixture<ListTagsCommandOutput>('list-tags.search-prod.json').Tags ?? [];
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod';
    sm.on(ListTagsCommand, { ResourceArn: arn, NextToken: undefined }).resolves({
      Tags: tags.slice(0, 2),
      NextToken: 't2',
    });
    sm.on(ListTagsCommand, { ResourceArn: arn, NextToken: 't2' }).resolves({ Tags: tags.slice(2) });
    const { inv, usage } = inventory();

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(search.tags).toEqual({
      team: 'search',
      Environment: 'prod',
      'aws:cloudformation:stack-name': 'search-serving',
    });
    expect(sm).toReceiveCommandWith(ListTagsCommand, { ResourceArn: arn, NextToken: 't2' });
    // Two pages for search-prod, one for each of the three others.
    expect(usage.requests('sagemaker:ListTags')).toBe(5);
  });

  it('marks an endpoint asynchronous from the AsyncInferenceConfig of its config', async () => {
    mockFixtureAccount();
    const desc = fixture<DescribeEndpointCommandOutput>('describe-endpoint.embed-async.json');
    const { AsyncInferenceConfig: _dropped, ...withoutAsync } = desc;
    sm.on(DescribeEndpointCommand, { EndpointName: 'embed-async' }).resolves(withoutAsync);
    const { inv } = inventory();

    const endpoints = await inv.endpoints();

    expect(byName(endpoints, 'embed-async').asynchronous).toBe(true);
    expect(byName(endpoints, 'search-prod').asynchronous).toBe(false);
  });

  it('lists inference components once for the account and puts them on their variants', async () => {
    mockFixtureAccount();
    const { inv, usage } = inventory();

    const llm = byName(await inv.endpoints(), 'llm-ic');

    expect(sm).toReceiveCommandOnce(ListInferenceComponentsCommand);
    expect(sm).toReceiveCommandWith(ListInferenceComponentsCommand, { MaxResults: 100 });
    expect(usage.requests('sagemaker:ListInferenceComponents')).toBe(1);
    expect(llm.variants).toEqual([
      {
        name: 'AllTraffic',
        instanceType: 'ml.g6.12xlarge',
        instanceCount: 2,
        // Managed instance scaling: the variant has no Application Auto Scaling target of its own.
        scaling: { min: 1, max: 4 },
        inferenceComponents: ['llama-8b-ic', 'mistral-7b-ic'],
      },
    ]);
  });

  it('describes each inference component once: its copies, status and the accelerators a copy holds', async () => {
    mockFixtureAccount();
    const { inv, usage } = inventory();

    const endpoints = await inv.endpoints();

    expect(byName(endpoints, 'llm-ic').components).toEqual([
      { name: 'llama-8b-ic', variant: 'AllTraffic', copies: 2, status: 'InService', acceleratorsPerCopy: 1 },
      {
        name: 'mistral-7b-ic',
        variant: 'AllTraffic',
        copies: 1,
        status: 'InService',
        acceleratorsPerCopy: 2,
      },
    ]);
    expect(sm).toReceiveCommandWith(DescribeInferenceComponentCommand, {
      InferenceComponentName: 'llama-8b-ic',
    });
    // one describe per component of a listed endpoint (old-ic's endpoint is gone); no tags: llm-ic is not managed
    expect(usage.requests('sagemaker:DescribeInferenceComponent')).toBe(2);
    expect(sm.commandCalls(ListTagsCommand).map((c) => c.args[0].input.ResourceArn)).not.toContainEqual(
      expect.stringContaining(':inference-component/'),
    );
    // every variant names its own model elsewhere: they carry no components
    expect(byName(endpoints, 'search-prod').components).toBeUndefined();
  });

  it("reads the tags of the components of a managed endpoint, Application Auto Scaling's permission check judges them by", async () => {
    mockFixtureAccount();
    sm.on(ListTagsCommand).callsFake(({ ResourceArn }: { ResourceArn: string }) => ({
      Tags:
        ResourceArn.endsWith(':endpoint/llm-ic') || ResourceArn.endsWith('/llama-8b-ic')
          ? [{ Key: 'perf-budgets:managed', Value: 'true' }]
          : [],
    }));
    const { inv } = inventory();

    const llm = byName(await inv.endpoints(), 'llm-ic');

    expect(llm.components?.map((c) => [c.name, c.tags])).toEqual([
      ['llama-8b-ic', { 'perf-budgets:managed': 'true' }],
      ['mistral-7b-ic', {}],
    ]);
  });

  it('keeps a component whose describe fails, without copies, and says which endpoint it leaves unknown', async () => {
    mockFixtureAccount();
    sm.on(DescribeInferenceComponentCommand, { InferenceComponentName: 'mistral-7b-ic' }).rejects(
      awsError('ThrottlingException', 'Rate exceeded'),
    );
    const { inv } = inventory();

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'llm-ic').components?.find((c) => c.name === 'mistral-7b-ic')).toEqual({
      name: 'mistral-7b-ic',
      variant: 'AllTraffic',
      status: 'InService',
    });
    expect(gaps).toContainEqual(
      expect.objectContaining({
        api: 'sagemaker:DescribeInferenceComponent',
        endpoint: 'llm-ic',
        message: expect.stringContaining('the copies of inference component mistral-7b-ic are unknown'),
      }),
    );
  });

  it('asks for no inference components when every variant names its own model', async () => {
    mockFixtureAccount();
    sm.on(ListEndpointsCommand).resolves({
      Endpoints: (fixture<ListEndpointsCommandOutput>('list-endpoints.json').Endpoints ?? []).filter(
        (e) => e.EndpointName !== 'llm-ic',
      ),
    });
    const { inv } = inventory();

    const endpoints = await inv.endpoints();

    expect(endpoints).toHaveLength(3);
    expect(sm).not.toReceiveCommand(ListInferenceComponentsCommand);
  });

  it('includes endpoints that are not in service, with their status', async () => {
    mockFixtureAccount();
    const failedArn = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/legacy';
    const listed = fixture<ListEndpointsCommandOutput>('list-endpoints.json').Endpoints ?? [];
    const legacy: EndpointSummary = {
      EndpointName: 'legacy',
      EndpointArn: failedArn,
      CreationTime: new Date('2025-09-01T00:00:00Z'),
      LastModifiedTime: new Date('2025-09-01T00:20:00Z'),
      EndpointStatus: 'Failed',
    };
    sm.on(ListEndpointsCommand).resolves({ Endpoints: [...listed, legacy] });
    sm.on(DescribeEndpointCommand, { EndpointName: 'legacy' }).resolves({
      EndpointName: 'legacy',
      EndpointArn: failedArn,
      EndpointConfigName: 'ranker-next-config',
      EndpointStatus: 'Failed',
      FailureReason:
        'The primary container for production variant AllTraffic did not pass the ping health check.',
      CreationTime: new Date('2025-09-01T00:00:00Z'),
      LastModifiedTime: new Date('2025-09-01T00:20:00Z'),
    });
    const { inv } = inventory();

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'ranker-next')).toMatchObject({
      status: 'Creating',
      instanceType: 'ml.c5.xlarge',
      variants: [{ name: 'AllTraffic', instanceType: 'ml.c5.xlarge' }],
    });
    expect(byName(endpoints, 'ranker-next').instanceCount).toBeUndefined();
    expect(byName(endpoints, 'legacy').status).toBe('Failed');
    expect(gaps).toEqual([]);
  });

  it('describes an endpoint config shared by two endpoints once', async () => {
    mockFixtureAccount();
    sm.on(DescribeEndpointCommand, { EndpointName: 'llm-ic' }).resolves({
      ...fixture<DescribeEndpointCommandOutput>('describe-endpoint.llm-ic.json'),
      EndpointConfigName: 'ranker-next-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 1 }],
    });
    const { inv, usage } = inventory();

    const endpoints = await inv.endpoints();

    expect(byName(endpoints, 'llm-ic').instanceType).toBe('ml.c5.xlarge');
    expect(sm).toReceiveCommandTimes(DescribeEndpointConfigCommand, 3);
    expect(usage.requests('sagemaker:DescribeEndpointConfig')).toBe(3);
  });
});

describe('SageMakerInventory: Application Auto Scaling', () => {
  it('follows every DescribeScalableTargets page of the sagemaker variant dimension', async () => {
    mockFixtureAccount();
    const targets = fixture<DescribeScalableTargetsCommandOutput>(
      'describe-scalable-targets.json',
    ).ScalableTargets;
    const [first, second] = targets as [ScalableTarget, ScalableTarget];
    aas.on(DescribeScalableTargetsCommand, { NextToken: undefined }).resolves({
      ScalableTargets: [first],
      NextToken: 'st2',
    });
    aas.on(DescribeScalableTargetsCommand, { NextToken: 'st2' }).resolves({ ScalableTargets: [second] });
    const { inv, usage } = inventory();

    const endpoints = await inv.endpoints();

    expect(aas).toReceiveCommandTimes(DescribeScalableTargetsCommand, 2);
    expect(aas).toReceiveNthCommandWith(DescribeScalableTargetsCommand, 1, {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MaxResults: 50,
    });
    expect(aas).toReceiveCommandWith(DescribeScalableTargetsCommand, { NextToken: 'st2' });
    expect(usage.requests('application-autoscaling:DescribeScalableTargets')).toBe(2);
    expect(byName(endpoints, 'search-prod').scaling).toEqual({ min: 2, max: 6, targetValue: 750 });
    // The second page's target, with the target-tracking policy's value (the step policy has none).
    expect(byName(endpoints, 'embed-async').scaling).toEqual({ min: 0, max: 3, targetValue: 5 });
  });

  it('reads the target of the invocations-per-instance policy when a variant has several target-tracking policies', async () => {
    mockFixtureAccount();
    const policies = fixture<DescribeScalingPoliciesCommandOutput>('describe-scaling-policies.json')
      .ScalingPolicies as ScalingPolicy[];
    const invocations = policies[0] as ScalingPolicy;
    const cpu: ScalingPolicy = {
      ...invocations,
      PolicyName: 'a-search-prod-cpu',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 70,
        CustomizedMetricSpecification: {
          MetricName: 'CPUUtilization',
          Namespace: '/aws/sagemaker/Endpoints',
        },
      },
    };
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [cpu, ...policies] });
    const { inv } = inventory();

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(aas).toReceiveCommandWith(DescribeScalingPoliciesCommand, {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MaxResults: 10,
    });
    expect(search.scaling?.targetValue).toBe(750);
  });

  it('asks for no policies or activities when no variant is registered with Application Auto Scaling', async () => {
    mockFixtureAccount();
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(search.scaling).toBeUndefined();
    expect(aas).not.toReceiveCommand(DescribeScalingPoliciesCommand);
    expect(aas).not.toReceiveCommand(DescribeScalingActivitiesCommand);
    expect(search.instanceHours?.['2026-01-10']).toEqual({ 'ml.g5.xlarge': 48, 'ml.g5.2xlarge': 24 });
  });
});

describe('SageMakerInventory: instance-hours', () => {
  it('integrates a scale-out and a scale-in over two billing days in the billing time zone', async () => {
    mockFixtureAccount();
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(aas).toReceiveCommandWith(DescribeScalingActivitiesCommand, {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MaxResults: 50,
    });
    // New York is UTC-5. primary: 2 until the scale-out took effect at 10:00 on the 10th, then 4 until the
    // scale-in took effect at 17:00 on the 11th, then 2. canary: 1 all along. The failed activity (to 8) and the
    // min/max change count for nothing.
    expect(search.instanceHours).toEqual({
      '2026-01-10': { 'ml.g5.xlarge': 10 * 2 + 14 * 4, 'ml.g5.2xlarge': 24 },
      '2026-01-11': { 'ml.g5.xlarge': 17 * 4 + 7 * 2, 'ml.g5.2xlarge': 24 },
    });
  });

  it('puts the same hours on other days when the billing time zone is UTC', async () => {
    mockFixtureAccount();
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11', timezone: 'UTC' });

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(search.instanceHours).toEqual({
      '2026-01-10': { 'ml.g5.xlarge': 15 * 2 + 9 * 4, 'ml.g5.2xlarge': 24 },
      '2026-01-11': { 'ml.g5.xlarge': 22 * 4 + 2 * 2, 'ml.g5.2xlarge': 24 },
    });
  });

  it('counts no hours before an endpoint was created and holds the current count without activities', async () => {
    mockFixtureAccount();
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const endpoints = await inv.endpoints();

    // llm-ic was created at 22:00 on the 10th, New York time, with 2 instances and no scaling activity.
    expect(byName(endpoints, 'llm-ic').instanceHours).toEqual({
      '2026-01-10': { 'ml.g6.12xlarge': 4 },
      '2026-01-11': { 'ml.g6.12xlarge': 48 },
    });
    expect(byName(endpoints, 'embed-async').instanceHours).toEqual({
      '2026-01-10': { 'ml.m5.xlarge': 24 },
      '2026-01-11': { 'ml.m5.xlarge': 24 },
    });
    expect(byName(endpoints, 'ranker-next').instanceHours).toEqual({});
  });

  it('stops the hours at now when as-of is today', async () => {
    mockFixtureAccount();
    const { inv } = inventory({ historyFrom: '2026-01-12' });

    const search = byName(await inv.endpoints(), 'search-prod');

    // Now is 07:00 in New York on the 12th: 7 hours at 2 and at 1 instance.
    expect(search.instanceHours).toEqual({ '2026-01-12': { 'ml.g5.xlarge': 14, 'ml.g5.2xlarge': 7 } });
  });

  it('stops paging scaling activities at the first page wholly before the window', async () => {
    mockFixtureAccount();
    const acts =
      fixture<DescribeScalingActivitiesCommandOutput>('describe-scaling-activities.json').ScalingActivities ??
      [];
    aas.on(DescribeScalingActivitiesCommand, { NextToken: undefined }).resolves({
      ScalingActivities: acts.slice(0, 4),
      NextToken: 'a2',
    });
    aas.on(DescribeScalingActivitiesCommand, { NextToken: 'a2' }).resolves({
      ScalingActivities: acts.slice(4),
      NextToken: 'a3',
    });
    aas
      .on(DescribeScalingActivitiesCommand, { NextToken: 'a3' })
      .rejects(new Error('page 3 must not be read'));
    const { inv, usage } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(aas).toReceiveCommandTimes(DescribeScalingActivitiesCommand, 2);
    expect(usage.requests('application-autoscaling:DescribeScalingActivities')).toBe(2);
    expect(gaps).toEqual([]);
    expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']?.['ml.g5.xlarge']).toBe(76);
  });

  it('holds the current count and reports a gap when the scaling activities cannot be read', async () => {
    mockFixtureAccount();
    aas
      .on(DescribeScalingActivitiesCommand)
      .rejects(awsError('AccessDeniedException', 'User is not authorized to perform this action'));
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'search-prod').instanceHours).toEqual({
      '2026-01-10': { 'ml.g5.xlarge': 48, 'ml.g5.2xlarge': 24 },
      '2026-01-11': { 'ml.g5.xlarge': 48, 'ml.g5.2xlarge': 24 },
    });
    expect(gaps).toEqual([
      expect.objectContaining({
        source: 'inventory',
        api: 'application-autoscaling:DescribeScalingActivities',
        kind: 'access-denied',
        message: expect.stringContaining("instance-hours assume each variant's current count held"),
      }),
    ]);
  });

  it('leaves instance-hours out when no history window is asked for', async () => {
    mockFixtureAccount();
    const { inv } = inventory();

    const search = byName(await inv.endpoints(), 'search-prod');

    expect(search.instanceHours).toBeUndefined();
    expect(aas).not.toReceiveCommand(DescribeScalingActivitiesCommand);
  });
});

describe('SageMakerInventory: faults', () => {
  it('reports an endpoint whose tags are denied as a gap of the account: no one can tell which budgets select it', async () => {
    mockFixtureAccount();
    sm.on(ListTagsCommand, {
      ResourceArn: 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/embed-async',
    }).rejects(awsError('AccessDeniedException', 'not authorized to perform: sagemaker:ListTags'));
    const { inv } = inventory();

    const { gaps } = await inv.endpointsWithGaps();

    expect(gaps.map((g) => [g.api, g.scope, g.endpoint])).toEqual([
      ['sagemaker:ListTags', 'embed-async', undefined],
    ]);
  });

  it('keeps an endpoint whose DescribeEndpoint stays throttled, with what ListEndpoints gave, and reports it', async () => {
    mockFixtureAccount();
    sm.on(DescribeEndpointCommand, { EndpointName: 'embed-async' }).rejects(
      awsError('ThrottlingException', 'Rate exceeded'),
    );
    const { inv } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(endpoints.map((e) => e.name)).toEqual(['search-prod', 'embed-async', 'llm-ic', 'ranker-next']);
    expect(byName(endpoints, 'embed-async')).toEqual({
      name: 'embed-async',
      arn: 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/embed-async',
      region: 'us-east-1',
      account: '111122223333',
      tags: {},
      createdAt: '2025-06-02',
      status: 'InService',
    });
    expect(gaps).toEqual([
      {
        source: 'inventory',
        api: 'sagemaker:DescribeEndpoint',
        kind: 'throttled',
        scope: 'embed-async',
        endpoint: 'embed-async',
        message:
          "endpoint embed-async: sagemaker:DescribeEndpoint was throttled (ThrottlingException) after the SDK's " +
          'retries; try a later cycle; its variants, instance type and count are unknown',
      },
    ]);
    expect(sm).not.toReceiveCommandWith(DescribeEndpointConfigCommand, {
      EndpointConfigName: 'embed-async-config',
    });
    expect(byName(endpoints, 'search-prod').instanceType).toBe('ml.g5.xlarge');
  });

  it('gives up on a throttled DescribeEndpoint only after the SDK’s own retries', async () => {
    const attempts = new Map<string, number>();
    const reply = (status: number, body: unknown) => ({
      response: {
        statusCode: status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' },
        body: Readable.from([Buffer.from(JSON.stringify(body))]),
      },
    });
    const handler = {
      handle: async (request: { headers: Record<string, string> }) => {
        const op = (request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        attempts.set(op, (attempts.get(op) ?? 0) + 1);
        if (op === 'ListEndpoints') {
          return reply(200, {
            Endpoints: [
              {
                EndpointName: 'busy',
                EndpointArn: 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/busy',
                CreationTime: 1761964200,
                LastModifiedTime: 1761964200,
                EndpointStatus: 'InService',
              },
            ],
          });
        }
        if (op === 'ListTags') return reply(200, { Tags: [{ Key: 'team', Value: 'search' }] });
        if (op === 'DescribeScalableTargets') return reply(200, { ScalableTargets: [] });
        return reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      },
    };
    const config = { region: 'us-east-1', maxAttempts: 3, retryMode: 'standard', requestHandler: handler };
    const usage = new ApiUsage();
    const inv = new SageMakerInventory({
      sagemaker: new SageMakerClient(config),
      autoscaling: new ApplicationAutoScalingClient(config),
      usage,
      region: 'us-east-1',
      timezone: ZONE,
      now: () => NOW,
    });

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(attempts.get('DescribeEndpoint')).toBe(3);
    expect(usage.requests('sagemaker:DescribeEndpoint')).toBe(1);
    expect(endpoints).toEqual([expect.objectContaining({ name: 'busy', tags: { team: 'search' } })]);
    expect(gaps).toEqual([expect.objectContaining({ api: 'sagemaker:DescribeEndpoint', kind: 'throttled' })]);
  });

  it('names the denied action when ListEndpoints is denied', async () => {
    sm.on(ListEndpointsCommand).rejects(
      awsError('AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/x is not authorized'),
    );
    const { inv } = inventory();

    const err = await inv.endpointsWithGaps().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AwsAccessError);
    expect(err).toMatchObject({
      source: 'inventory',
      kind: 'access-denied',
      message:
        'sagemaker:ListEndpoints was denied (AccessDeniedException): grant the IAM action sagemaker:ListEndpoints ' +
        'to the role running perf-budgets',
    });
  });

  it('names the denied action when DescribeEndpoint is denied for one endpoint', async () => {
    mockFixtureAccount();
    sm.on(DescribeEndpointCommand, { EndpointName: 'llm-ic' }).rejects(
      awsError('AccessDeniedException', 'not authorized to perform: sagemaker:DescribeEndpoint'),
    );
    const { inv } = inventory();

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(endpoints).toHaveLength(4);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.message).toContain('grant the IAM action sagemaker:DescribeEndpoint');
    expect(gaps[0]?.scope).toBe('llm-ic');
  });

  it('fails only the endpoint whose instance count is malformed', async () => {
    mockFixtureAccount();
    const desc = fixture<DescribeEndpointCommandOutput>('describe-endpoint.search-prod.json');
    const [primary, canary] = desc.ProductionVariants ?? [];
    sm.on(DescribeEndpointCommand, { EndpointName: 'search-prod' }).resolves({
      ...desc,
      ProductionVariants: [
        { ...primary, VariantName: 'primary', CurrentInstanceCount: -1 },
        { ...canary, VariantName: 'canary' },
      ],
    });
    const { inv } = inventory();

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'search-prod').variants).toBeUndefined();
    expect(byName(endpoints, 'search-prod').tags).toMatchObject({ team: 'search' });
    expect(byName(endpoints, 'embed-async').variants).toHaveLength(1);
    expect(gaps).toEqual([
      expect.objectContaining({
        api: 'sagemaker:DescribeEndpoint',
        kind: 'malformed',
        scope: 'search-prod',
        message: expect.stringContaining(
          'malformed ProductionVariants[0].CurrentInstanceCount: expected a whole number of instances, got -1',
        ),
      }),
    ]);
  });

  it('fails only the tags of an endpoint whose ListTags gives a tag without a key', async () => {
    mockFixtureAccount();
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod';
    sm.on(ListTagsCommand, { ResourceArn: arn }).resolves({ Tags: [{ Value: 'search' } as Tag] });
    const { inv } = inventory();

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'search-prod').tags).toEqual({});
    expect(gaps).toEqual([
      expect.objectContaining({
        api: 'sagemaker:ListTags',
        kind: 'malformed',
        scope: 'search-prod',
        message: expect.stringContaining('malformed Tags[].Key: expected a string, got nothing'),
      }),
    ]);
  });

  it('returns no endpoints for an empty account after one request', async () => {
    sm.on(ListEndpointsCommand).resolves({ Endpoints: [] });
    const { inv, usage } = inventory({ historyFrom: '2026-01-01' });

    expect(await inv.endpointsWithGaps()).toEqual({ endpoints: [], gaps: [] });
    expect(usage.report().requests).toBe(1);
    expect(aas).not.toReceiveAnyCommand();
  });

  it('rejects a history window that ends before it starts', () => {
    expect(() => inventory({ historyFrom: '2026-01-12', asOf: '2026-01-11' })).toThrow(
      'historyFrom (2026-01-12) is after asOf (2026-01-11)',
    );
  });
});

describe('SageMakerInventory: 2,000 endpoints', () => {
  it('makes one request per page and per endpoint describe, with at most 8 in flight', async () => {
    const N = 2000;
    const names = Array.from({ length: N }, (_, i) => `ep-${String(i).padStart(4, '0')}`);
    const arn = (n: string) => `arn:aws:sagemaker:us-east-1:111122223333:endpoint/${n}`;
    let inFlight = 0;
    let peak = 0;
    const slow =
      <I, O>(respond: (input: I) => O) =>
      async (input: I): Promise<O> => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return respond(input);
      };
    const page = <T>(items: T[], size: number, token: string | undefined) => {
      const start = token ? Number(token) : 0;
      const end = start + size;
      return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
    };
    sm.on(ListEndpointsCommand).callsFake(
      slow(({ MaxResults, NextToken }: { MaxResults: number; NextToken?: string }) => {
        const p = page(names, MaxResults, NextToken);
        return {
          Endpoints: p.items.map((n) => ({
            EndpointName: n,
            EndpointArn: arn(n),
            CreationTime: new Date('2025-01-01T00:00:00Z'),
            LastModifiedTime: new Date('2025-01-01T00:00:00Z'),
            EndpointStatus: 'InService',
          })),
          NextToken: p.next,
        };
      }),
    );
    sm.on(DescribeEndpointCommand).callsFake(
      slow(({ EndpointName }: { EndpointName: string }) => ({
        EndpointName,
        EndpointArn: arn(EndpointName),
        EndpointConfigName: `${EndpointName}-config`,
        EndpointStatus: 'InService',
        CreationTime: new Date('2025-01-01T00:00:00Z'),
        LastModifiedTime: new Date('2025-01-01T00:00:00Z'),
        ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
      })),
    );
    sm.on(DescribeEndpointConfigCommand).callsFake(
      slow(({ EndpointConfigName }: { EndpointConfigName: string }) => ({
        EndpointConfigName,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large' }],
      })),
    );
    sm.on(ListTagsCommand).callsFake(slow(() => ({ Tags: [{ Key: 'team', Value: 'search' }] })));
    // Half the endpoints are registered with Application Auto Scaling, each with one target-tracking policy.
    const scaled = names.filter((_, i) => i % 2 === 0).map((n) => `endpoint/${n}/variant/AllTraffic`);
    aas.on(DescribeScalableTargetsCommand).callsFake(
      slow(({ MaxResults, NextToken }: { MaxResults: number; NextToken?: string }) => {
        const p = page(scaled, MaxResults, NextToken);
        return {
          ScalableTargets: p.items.map((ResourceId) => ({ ResourceId, MinCapacity: 1, MaxCapacity: 4 })),
          NextToken: p.next,
        };
      }),
    );
    aas.on(DescribeScalingPoliciesCommand).callsFake(
      slow(({ MaxResults, NextToken }: { MaxResults: number; NextToken?: string }) => {
        const p = page(scaled, MaxResults, NextToken);
        return {
          ScalingPolicies: p.items.map((ResourceId) => ({
            ResourceId,
            PolicyName: 'invocations',
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: { TargetValue: 500 },
          })),
          NextToken: p.next,
        };
      }),
    );
    aas.on(DescribeScalingActivitiesCommand).callsFake(slow(() => ({ ScalingActivities: [] })));
    const { inv, usage } = inventory({ historyFrom: '2026-01-10', asOf: '2026-01-11' });

    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(gaps).toEqual([]);
    expect(endpoints).toHaveLength(N);
    expect(byName(endpoints, 'ep-1998')).toMatchObject({ scaling: { min: 1, max: 4, targetValue: 500 } });
    expect(byName(endpoints, 'ep-1999').instanceHours).toEqual({
      '2026-01-10': { 'ml.m5.large': 48 },
      '2026-01-11': { 'ml.m5.large': 48 },
    });
    expect(usage.report().byApi.map((l) => [l.api, l.requests])).toEqual([
      ['application-autoscaling:DescribeScalableTargets', 20],
      ['application-autoscaling:DescribeScalingActivities', 1],
      ['application-autoscaling:DescribeScalingPolicies', 100],
      ['sagemaker:DescribeEndpoint', N],
      ['sagemaker:DescribeEndpointConfig', N],
      ['sagemaker:ListEndpoints', 20],
      ['sagemaker:ListTags', N],
    ]);
    // Every counted request reached the client, and none more.
    expect(sm.calls().length + aas.calls().length).toBe(usage.report().requests);
    expect(peak).toBe(8);
  });
});

describe('SageMakerInventory: instance-type history from CloudTrail', () => {
  let ct: AwsClientStub<CloudTrailClient>;
  let ctClient: CloudTrailClient;
  /** LookupEvents output as the SDK hands it over: EventTime a Date, CloudTrailEvent still a JSON string. */
  const events = (name: string): LookupEventsCommandOutput => {
    const out = JSON.parse(
      readFileSync(new URL(`../fixtures/aws/cloudtrail/${name}`, import.meta.url), 'utf8'),
    );
    for (const e of out.Events) e.EventTime = new Date(e.EventTime);
    return { ...META, ...out };
  };
  /** search-prod ran config v2 (primary on ml.g4dn.xlarge) from its creation until it was updated to v3. */
  const V2 = {
    ...fixture<DescribeEndpointConfigCommandOutput>('describe-endpoint-config.search-prod-config-v3.json'),
    EndpointConfigName: 'search-prod-config-v2',
    ProductionVariants: [
      {
        VariantName: 'primary',
        ModelName: 'm',
        InitialInstanceCount: 2,
        InstanceType: 'ml.g4dn.xlarge' as const,
      },
      {
        VariantName: 'canary',
        ModelName: 'm',
        InitialInstanceCount: 1,
        InstanceType: 'ml.g5.2xlarge' as const,
      },
    ],
  };

  const cloudTrailDenied = () =>
    ct.on(LookupEventsCommand).rejects(
      new CloudTrailServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'User is not authorized to perform: cloudtrail:LookupEvents',
      }),
    );

  beforeEach(() => {
    ctClient = new CloudTrailClient({ region: 'us-east-1' });
    ct = mockClient(ctClient);
    mockFixtureAccount();
    sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'search-prod-config-v2' }).resolves(V2);
    ct.on(LookupEventsCommand).callsFake((input: { LookupAttributes: { AttributeValue: string }[] }) =>
      input.LookupAttributes[0]?.AttributeValue === 'CreateEndpoint'
        ? events('lookup-events.create-endpoint.json')
        : events('lookup-events.update-endpoint.json'),
    );
  });

  it('puts the hours before an UpdateEndpoint on the instance type of the config the endpoint ran then', async () => {
    const { inv, usage } = inventory({ cloudtrail: ctClient, historyFrom: '2026-01-10', asOf: '2026-01-11' });
    const { endpoints, gaps } = await inv.endpointsWithGaps();

    for (const name of ['CreateEndpoint', 'UpdateEndpoint']) {
      expect(ct).toReceiveCommandWith(LookupEventsCommand, {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }],
        StartTime: new Date(NOW - 90 * 86_400_000),
        EndTime: new Date(NOW),
        MaxResults: 50,
      });
    }
    expect(usage.requests('cloudtrail:LookupEvents')).toBe(2);
    // updated to v3 at 15:00 New York time on the 10th (the failed update to v9 two minutes before changed nothing):
    // primary ran ml.g4dn.xlarge until then (2 instances to 10:00, 4 after), ml.g5.xlarge since; canary kept its type
    expect(byName(endpoints, 'search-prod').instanceHours).toEqual({
      '2026-01-10': { 'ml.g4dn.xlarge': 10 * 2 + 5 * 4, 'ml.g5.xlarge': 9 * 4, 'ml.g5.2xlarge': 24 },
      '2026-01-11': { 'ml.g5.xlarge': 17 * 4 + 7 * 2, 'ml.g5.2xlarge': 24 },
    });
    expect(sm).not.toReceiveCommandWith(DescribeEndpointConfigCommand, {
      EndpointConfigName: 'search-prod-config-v9',
    });
    expect(gaps.filter((g) => g.api === 'cloudtrail:LookupEvents')).toEqual([]);
  });

  it('says what ran before an update is unknown when CloudTrail no longer has the endpoint’s creation', async () => {
    ct.on(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateEndpoint' }],
    }).resolves({ ...META, Events: [] });
    const { inv } = inventory({ cloudtrail: ctClient, historyFrom: '2026-01-10', asOf: '2026-01-11' });
    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']).toEqual({
      'ml.g5.xlarge': 10 * 2 + 14 * 4,
      'ml.g5.2xlarge': 24,
    });
    expect(gaps.filter((g) => g.api === 'cloudtrail:LookupEvents')).toEqual([
      expect.objectContaining({
        scope: 'search-prod',
        message: expect.stringMatching(
          /took config search-prod-config-v3 on 2026-01-10T20:00:00.000Z; CloudTrail's 90 days do not say which instance type it ran before/,
        ),
      }),
    ]);
  });

  it('leaves out the hours under a config deleted since, and says so', async () => {
    sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'search-prod-config-v2' }).rejects(
      awsError('ValidationException', 'Could not find endpoint configuration "search-prod-config-v2".'),
    );
    const { inv } = inventory({ cloudtrail: ctClient, historyFrom: '2026-01-10', asOf: '2026-01-11' });
    const { endpoints, gaps } = await inv.endpointsWithGaps();

    // both variants from 15:00 only: what ran under v2 is unknown, not the current types
    expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']).toEqual({
      'ml.g5.xlarge': 9 * 4,
      'ml.g5.2xlarge': 9,
    });
    expect(gaps.map((g) => g.message)).toContainEqual(
      expect.stringMatching(
        /^endpoint search-prod: the instance types of config search-prod-config-v2 .* are unknown, so its hours under that config are left out$/,
      ),
    );
  });

  it('counts hours on the current types and reports a gap naming the permission when CloudTrail is denied', async () => {
    cloudTrailDenied();
    const { inv } = inventory({ cloudtrail: ctClient, historyFrom: '2026-01-10', asOf: '2026-01-11' });
    const { endpoints, gaps } = await inv.endpointsWithGaps();

    expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']).toEqual({
      'ml.g5.xlarge': 10 * 2 + 14 * 4,
      'ml.g5.2xlarge': 24,
    });
    expect(gaps).toContainEqual(
      expect.objectContaining({
        api: 'cloudtrail:LookupEvents',
        kind: 'access-denied',
        message: expect.stringMatching(/cloudtrail:LookupEvents.*instance-type changes are unknown/),
      }),
    );
  });
  describe('with the inventory days earlier cycles recorded in the ledger', () => {
    /** What the cycle of a day recorded of search-prod: each variant's type and count, read after the day. */
    const recorded = (day: string, primary: string): InventoryDay[] => [
      { day, endpoint: 'search-prod', variant: 'primary', instanceType: primary, count: 2 },
      { day, endpoint: 'search-prod', variant: 'canary', instanceType: 'ml.g5.2xlarge', count: 1 },
    ];
    const sqlite = async (days: InventoryDay[]) => {
      const ledger = new SqliteLedger(':memory:');
      await ledger.commit({
        alerts: [],
        closedDays: [],
        exceptions: [],
        inventory: days,
        asOf: '2026-01-09',
      });
      return ledger;
    };
    /** CloudTrail no longer holds search-prod's creation: its first change known is the update to v3. */
    const creationForgotten = () =>
      ct
        .on(LookupEventsCommand, {
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateEndpoint' }],
        })
        .resolves({ ...META, Events: [] });
    /** The inventory of the 10th (or from `historyFrom`) to the 11th, with CloudTrail and the ledger `history`. */
    const withLedger = (history: InventoryHistory, historyFrom = '2026-01-10') =>
      inventory({ cloudtrail: ctClient, history, historyFrom, asOf: '2026-01-11' }).inv.endpointsWithGaps();
    const lookupGaps = <G extends { api: string }>(gaps: readonly G[]) =>
      gaps.filter((g) => g.api === 'cloudtrail:LookupEvents');

    it('counts the hours before an update CloudTrail cannot date on the type the ledger recorded, and reports nothing unknown', async () => {
      creationForgotten();
      const history = await sqlite(recorded('2026-01-09', 'ml.g4dn.xlarge'));
      const { endpoints, gaps } = await withLedger(history);

      // the record of the 9th is the type when the window opens; CloudTrail shows no change before 15:00 on the 10th
      expect(byName(endpoints, 'search-prod').instanceHours).toEqual({
        '2026-01-10': { 'ml.g4dn.xlarge': 10 * 2 + 5 * 4, 'ml.g5.xlarge': 9 * 4, 'ml.g5.2xlarge': 24 },
        '2026-01-11': { 'ml.g5.xlarge': 17 * 4 + 7 * 2, 'ml.g5.2xlarge': 24 },
      });
      expect(lookupGaps(gaps)).toEqual([]);
    });

    it('dates the whole window by one day recorded before the update, CloudTrail showing no change since', async () => {
      creationForgotten();
      const history = await sqlite(recorded('2026-01-09', 'ml.g4dn.xlarge'));
      const { endpoints, gaps } = await withLedger(history, '2026-01-08');

      const hours = byName(endpoints, 'search-prod').instanceHours ?? {};
      for (const day of ['2026-01-08', '2026-01-09'])
        expect(Object.keys(hours[day] ?? {}).sort()).toEqual(['ml.g4dn.xlarge', 'ml.g5.2xlarge']);
      expect(lookupGaps(gaps)).toEqual([]);
    });

    it('still says what ran before the update is unknown when the ledger records only days after it', async () => {
      creationForgotten();
      const history = await sqlite(recorded('2026-01-10', 'ml.g5.xlarge'));
      const { endpoints, gaps } = await withLedger(history);

      expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']).toEqual({
        'ml.g5.xlarge': 10 * 2 + 14 * 4,
        'ml.g5.2xlarge': 24,
      });
      expect(lookupGaps(gaps).map((g) => [g.scope, g.endpoint])).toEqual([['search-prod', 'search-prod']]);
    });

    it('reads the recorded days from DynamoDB, from the day before the window to as-of', async () => {
      creationForgotten();
      const ddb = mockClient(DynamoDBDocumentClient);
      ddb.on(QueryCommand).resolves({
        Items: [
          {
            ...ledgerKeys.inventoryDay('search-prod', '2026-01-09'),
            endpoint: 'search-prod',
            day: '2026-01-09',
            variants: recorded('2026-01-09', 'ml.g4dn.xlarge').map(({ variant, instanceType, count }) => ({
              variant,
              instanceType,
              count,
            })),
          },
        ],
      });
      const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
      const history = new DynamoDbLedger('perf-budgets-ledger', { client });
      const { endpoints, gaps } = await withLedger(history);

      expect(ddb).toReceiveCommandWith(QueryCommand, {
        TableName: 'perf-budgets-ledger',
        ExpressionAttributeValues: {
          ':pk': 'ENDPOINT#search-prod',
          ':from': 'INVENTORY#2026-01-09',
          ':to': 'INVENTORY#2026-01-12',
        },
      });
      // only the endpoint CloudTrail leaves something unknown about is looked up
      expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
      expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']?.['ml.g4dn.xlarge']).toBe(
        10 * 2 + 5 * 4,
      );
      expect(lookupGaps(gaps)).toEqual([]);
      ddb.restore();
    });

    it('counts the hours under a config deleted since on the type the ledger recorded while it was in force', async () => {
      sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'search-prod-config-v2' }).rejects(
        awsError('ValidationException', 'Could not find endpoint configuration "search-prod-config-v2".'),
      );
      const history = await sqlite(recorded('2026-01-09', 'ml.g4dn.xlarge'));
      const { endpoints, gaps } = await withLedger(history);

      expect(byName(endpoints, 'search-prod').instanceHours?.['2026-01-10']).toEqual({
        'ml.g4dn.xlarge': 10 * 2 + 5 * 4,
        'ml.g5.xlarge': 9 * 4,
        'ml.g5.2xlarge': 24,
      });
      expect(lookupGaps(gaps)).toEqual([]);
    });

    it('counts each day on the type the ledger recorded for it when CloudTrail is denied', async () => {
      cloudTrailDenied();
      const history = await sqlite([
        ...recorded('2026-01-09', 'ml.g4dn.xlarge'),
        ...recorded('2026-01-10', 'ml.g5.xlarge'),
      ]);
      const { endpoints } = await withLedger(history);

      // without CloudTrail the change is dated by the records only: the 10th still ran what the 9th recorded
      expect(byName(endpoints, 'search-prod').instanceHours).toEqual({
        '2026-01-10': { 'ml.g4dn.xlarge': 10 * 2 + 14 * 4, 'ml.g5.2xlarge': 24 },
        '2026-01-11': { 'ml.g5.xlarge': 17 * 4 + 7 * 2, 'ml.g5.2xlarge': 24 },
      });
    });
  });
});
