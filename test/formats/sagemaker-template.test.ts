import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../lambdas/formats/cfn-template.ts';
import { readEndpoints, type TemplateScope } from '../../lambdas/formats/sagemaker-template.ts';
import { ROOT } from '../helpers/cli.ts';

const fixture = (name: string) => {
  const file = join(ROOT, 'test/fixtures/templates', name);
  return parseTemplate(readFileSync(file, 'utf8'), file);
};
const scope = (stack: string, extra: Partial<TemplateScope> = {}): TemplateScope => ({
  stack,
  file: `${stack}.yaml`,
  region: 'us-east-1',
  ...extra,
});

/** A template of one config with `variant` and one endpoint on it, plus `extra` resources. */
const configAndEndpoint = (
  variant: Record<string, unknown>,
  endpoint: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) =>
  parseTemplate(
    JSON.stringify({
      Resources: {
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [variant] } },
        Endpoint: {
          Type: 'AWS::SageMaker::Endpoint',
          Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] }, ...endpoint },
        },
        ...extra,
      },
    }),
    'inline.json',
  );

describe('SageMaker endpoints in a template', () => {
  it('reads a real-time endpoint named by Sub over parameter defaults, with its autoscaling bounds and policy', () => {
    const { endpoints, unresolved } = readEndpoints(fixture('chat-params.yaml'), scope('chat'));
    expect(unresolved).toEqual([]);
    expect(endpoints).toEqual([
      {
        source: { stack: 'chat', file: 'chat.yaml', logicalId: 'ChatEndpoint' },
        name: 'chat-prod',
        region: 'us-east-1',
        tags: { team: 'chat', env: 'prod' },
        asynchronous: false,
        variants: [
          {
            kind: 'instances',
            name: 'AllTraffic',
            scaling: 'autoscaling',
            scalingPolicies: 1,
            instanceType: 'ml.g5.xlarge',
            initial: 2,
            min: 2,
            max: 4,
          },
        ],
        unresolved: [],
      },
    ]);
  });

  it('takes given parameter values over the defaults', () => {
    const { endpoints } = readEndpoints(
      fixture('chat-params.yaml'),
      scope('chat', { parameters: { Env: 'staging', InstanceType: 'ml.g5.2xlarge', MaxInstances: '8' } }),
    );
    expect(endpoints[0]).toMatchObject({
      name: 'chat-staging',
      tags: { env: 'staging' },
      variants: [{ instanceType: 'ml.g5.2xlarge', min: 2, max: 8 }],
    });
  });

  it('names an instance type that is a parameter without a default, and leaves it undefined', () => {
    const { endpoints } = readEndpoints(fixture('unresolved-type.yaml'), scope('rank'));
    const [rank] = endpoints;
    expect(rank?.variants).toEqual([
      { kind: 'instances', name: 'AllTraffic', initial: 1, min: 1, max: 1, scaling: 'fixed' },
    ]);
    expect(rank?.unresolved).toEqual([
      {
        path: 'rank/RankConfig.Properties.ProductionVariants[0].InstanceType',
        why: 'Ref RankInstanceType: a parameter without a default (give its value)',
      },
    ]);
  });

  it('reads an asynchronous endpoint that scales to zero, tying its target by logical id when its name is unknown', () => {
    const { endpoints, unresolved } = readEndpoints(fixture('async.yaml'), scope('speech'));
    expect(unresolved).toEqual([]);
    const [transcribe] = endpoints;
    expect(transcribe).toMatchObject({
      asynchronous: true,
      variants: [
        {
          instanceType: 'ml.g4dn.xlarge',
          initial: 1,
          min: 0,
          max: 2,
          scaling: 'autoscaling',
          scalingPolicies: 1,
        },
      ],
    });
    expect(transcribe?.name).toBeUndefined();
    expect(transcribe?.unresolved).toEqual([
      {
        path: 'speech/TranscribeEndpoint.Properties.EndpointName.Fn::Sub',
        why: 'Ref AWS::StackName: a pseudo parameter known only at deploy (give its value)',
      },
    ]);
    const named = readEndpoints(fixture('async.yaml'), scope('speech', { stackName: 'speech-prod' }));
    expect(named.endpoints[0]?.name).toBe('speech-prod-transcribe');
    expect(named.endpoints[0]?.variants[0]).toMatchObject({ min: 0, max: 2 });
  });

  it('reads a serverless endpoint, lists a tag it cannot resolve, and takes no endpoint from an unused config', () => {
    const { endpoints } = readEndpoints(fixture('serverless.yaml'), scope('embed'));
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({
      tags: { team: 'search' },
      variants: [
        {
          kind: 'serverless',
          name: 'AllTraffic',
          memoryMb: 4096,
          maxConcurrency: 20,
          provisionedConcurrency: 2,
        },
      ],
      unresolved: [
        {
          path: 'embed/EmbedEndpoint.Properties.Tags[1].Value.Fn::ImportValue',
          why: 'not resolved before deploy',
        },
      ],
    });
    expect(endpoints[0]?.name).toBeUndefined();
  });

  it('places inference components on their variant with copy bounds, and managed instance scaling on the variant', () => {
    const t = configAndEndpoint(
      {
        VariantName: 'Main',
        InstanceType: 'ml.g5.12xlarge',
        InitialInstanceCount: 1,
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 3 },
      },
      { EndpointName: 'llm' },
      {
        Llama: {
          Type: 'AWS::SageMaker::InferenceComponent',
          Properties: {
            InferenceComponentName: 'llama',
            EndpointName: { 'Fn::GetAtt': ['Endpoint', 'EndpointName'] },
            VariantName: 'Main',
            RuntimeConfig: { CopyCount: 2 },
            Specification: {
              ComputeResourceRequirements: {
                NumberOfAcceleratorDevicesRequired: 1,
                MinMemoryRequiredInMb: 1024,
              },
            },
          },
        },
        Mistral: {
          Type: 'AWS::SageMaker::InferenceComponent',
          Properties: { EndpointName: 'llm', VariantName: 'Main', RuntimeConfig: { CopyCount: 1 } },
        },
        Copies: {
          Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
          Properties: {
            ServiceNamespace: 'sagemaker',
            ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
            ResourceId: { 'Fn::Sub': 'inference-component/${Llama.InferenceComponentName}' },
            MinCapacity: 0,
            MaxCapacity: 4,
            ScheduledActions: [
              { ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 6 }, Schedule: 'cron(0 8 * * ? *)' },
            ],
          },
        },
        Stray: {
          Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
          Properties: {
            ServiceNamespace: 'sagemaker',
            ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
            ResourceId: {
              'Fn::Join': ['', ['endpoint/', { 'Fn::ImportValue': 'other-endpoint' }, '/variant/A']],
            },
            MinCapacity: 1,
            MaxCapacity: 2,
          },
        },
      },
    );
    const { endpoints, unresolved } = readEndpoints(t, scope('llm'));
    expect(endpoints[0]?.variants).toEqual([
      {
        kind: 'instances',
        name: 'Main',
        instanceType: 'ml.g5.12xlarge',
        initial: 1,
        min: 1,
        max: 3,
        scaling: 'managed-instance-scaling',
        components: [
          { logicalId: 'Llama', name: 'llama', copies: { initial: 2, min: 0, max: 6 }, scalingPolicies: 0 },
          { logicalId: 'Mistral', copies: { initial: 1, min: 1, max: 1 } },
        ],
      },
    ]);
    expect(unresolved).toEqual([
      {
        path: 'llm/Stray.Properties.ResourceId.Fn::Join[1].Fn::ImportValue',
        why: 'not resolved before deploy',
      },
    ]);
  });

  it('gives Ref of a named endpoint as its ARN when the region and account are known, else names it', () => {
    const t = configAndEndpoint(
      { VariantName: 'A', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
      { EndpointName: 'Search', Tags: [{ Key: 'arn', Value: { Ref: 'Endpoint' } }] },
    );
    const known = readEndpoints(t, scope('s', { account: '123456789012' }));
    expect(known.endpoints[0]?.tags).toEqual({
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/search',
    });
    const agnostic = readEndpoints(t, scope('s'));
    expect(agnostic.endpoints[0]?.tags).toEqual({});
    expect(agnostic.endpoints[0]?.unresolved.map((u) => u.path)).toEqual([
      's/Endpoint.Properties.Tags[0].Value',
    ]);
  });

  it('names an endpoint whose config is not in the template and a component on a variant no endpoint has', () => {
    const t = parseTemplate(
      JSON.stringify({
        Resources: {
          Endpoint: {
            Type: 'AWS::SageMaker::Endpoint',
            Properties: { EndpointName: 'x', EndpointConfigName: 'elsewhere' },
          },
          Component: {
            Type: 'AWS::SageMaker::InferenceComponent',
            Properties: {
              EndpointName: { Ref: 'Endpoint' },
              VariantName: 'Gone',
              RuntimeConfig: { CopyCount: 1 },
            },
          },
        },
      }),
      'x.json',
    );
    const { endpoints, unresolved } = readEndpoints(t, scope('x'));
    expect(endpoints[0]?.variants).toEqual([]);
    expect(endpoints[0]?.unresolved).toEqual([
      {
        path: 'x/Endpoint.Properties.EndpointConfigName',
        why: 'elsewhere is no AWS::SageMaker::EndpointConfig of this template',
      },
    ]);
    expect(unresolved).toEqual([
      { path: 'x/Component.Properties.VariantName', why: "the variant Gone is on no endpoint's config" },
    ]);
  });

  it('ties a config by its literal name even when an endpoint has the same name', () => {
    const t = configAndEndpoint(
      { VariantName: 'A', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
      { EndpointName: 'chat', EndpointConfigName: 'chat' },
    );
    const named = parseTemplate(
      JSON.stringify({
        Resources: {
          ...t.Resources,
          Config: {
            ...t.Resources.Config,
            Properties: { ...t.Resources.Config?.Properties, EndpointConfigName: 'chat' },
          },
        },
      }),
      'same-name.json',
    );
    const { endpoints } = readEndpoints(named, scope('s'));
    expect(endpoints[0]?.unresolved).toEqual([]);
    expect(endpoints[0]?.variants).toMatchObject([{ instanceType: 'ml.m5.large', initial: 1 }]);
  });

  it('leaves out a serverless variant whose size it cannot read, and says why', () => {
    const t = configAndEndpoint(
      { VariantName: 'A', ServerlessConfig: { MemorySizeInMB: { Ref: 'Memory' } } },
      { EndpointName: 'embed' },
    );
    const { endpoints } = readEndpoints(t, scope('s'));
    expect(endpoints[0]?.variants).toEqual([]);
    expect(endpoints[0]?.unresolved).toEqual([
      {
        path: 's/Config.Properties.ProductionVariants[0].ServerlessConfig.MemorySizeInMB',
        why: 'Ref Memory: not a parameter or resource of the template',
      },
      {
        path: 's/Config.Properties.ProductionVariants[0].ServerlessConfig.MaxConcurrency',
        why: 'no MaxConcurrency',
      },
    ]);
  });

  it.each([
    ['a negative count', -3],
    ['a fraction', 1.5],
    ['a typo of 1e15 instances', 1e15],
    ['text', 'two'],
  ])('names %s of instances instead of reading a capacity from it', (_, count) => {
    const [e] = readEndpoints(
      configAndEndpoint(
        { VariantName: 'AllTraffic', InstanceType: 'ml.g5.xlarge', InitialInstanceCount: count },
        { EndpointName: 'chat-prod' },
      ),
      scope('S'),
    ).endpoints;
    expect(e?.variants).toEqual([]);
    expect(e?.unresolved).toEqual([
      {
        path: 'S/Config.Properties.ProductionVariants[0].InitialInstanceCount',
        why: `expected a whole number from 0 to 1000000, got ${JSON.stringify(count)}`,
      },
    ]);
  });
});
