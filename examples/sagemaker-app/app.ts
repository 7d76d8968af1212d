/**
 * A small SageMaker CDK app for `perf-budgets check`: what the check reads in a real app, synthesized offline.
 *
 * - `Chat` (us-east-1): a real-time endpoint autoscaled by target tracking, an endpoint whose model runs as an
 *   inference component (managed instance scaling, copies autoscaled), and a nested stack `Batch` holding an
 *   asynchronous endpoint that scales to zero;
 * - `Embed` (environment-agnostic: the region comes from the command line): a serverless endpoint CloudFormation names;
 * - the `Staging` stage (eu-west-1): a smaller chat endpoint.
 *
 * The revision `head` (context `-c revision=head` or `SAGEMAKER_APP_REVISION=head`) is a pull request's change: a
 * bigger instance and a higher autoscaling maximum for the chat endpoint; `base` (the default) is what is deployed.
 *
 *   npx cdk synth --app 'npx tsx examples/sagemaker-app/app.ts' --output cdk.out [-c revision=head]
 */
import { pathToFileURL } from 'node:url';
import { App, Aws, NestedStack, Stack, type StackProps, Stage, type StageProps, Tags } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';

export type Revision = 'base' | 'head';

/** A public Deep Learning Container (text generation inference); no asset to build, so synth needs no Docker. */
const IMAGE = `763104351884.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/huggingface-pytorch-tgi-inference:2.4-tgi2.3-gpu-py311-cu124-ubuntu22.04`;

/** The role SageMaker assumes to pull the image and write async results. */
function sageMakerRole(scope: Construct): iam.Role {
  return new iam.Role(scope, 'SageMakerRole', {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    description: 'Pulls the inference image and writes asynchronous results',
  });
}

function model(scope: Construct, id: string, role: iam.IRole): sagemaker.CfnModel {
  return new sagemaker.CfnModel(scope, id, {
    executionRoleArn: role.roleArn,
    primaryContainer: { image: IMAGE, environment: { HF_MODEL_ID: 'Qwen/Qwen2.5-1.5B-Instruct' } },
  });
}

/** An Application Auto Scaling target on a variant's instance count, with a target-tracking policy. */
function autoscale(
  scope: Construct,
  endpoint: sagemaker.CfnEndpoint,
  bounds: { min: number; max: number },
  policy: appscaling.BasicTargetTrackingScalingPolicyProps,
): appscaling.ScalableTarget {
  const target = new appscaling.ScalableTarget(scope, `${endpoint.node.id}Scaling`, {
    serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
    resourceId: `endpoint/${endpoint.attrEndpointName}/variant/AllTraffic`,
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    minCapacity: bounds.min,
    maxCapacity: bounds.max,
  });
  target.scaleToTrackMetric(`${endpoint.node.id}Tracking`, policy);
  return target;
}

interface ChatProps extends StackProps {
  readonly envName: string;
  readonly instanceType: string;
  readonly maxInstances: number;
  /** The inference-component endpoint and the nested batch stack (production only). */
  readonly full: boolean;
}

/** Asynchronous transcription in a nested stack: its instances scale to zero when the queue is empty. */
class Batch extends NestedStack {
  constructor(scope: Construct, id: string, role: iam.IRole, envName: string) {
    super(scope, id);
    const config = new sagemaker.CfnEndpointConfig(this, 'TranscribeConfig', {
      productionVariants: [
        {
          variantName: 'AllTraffic',
          modelName: model(this, 'TranscribeModel', role).attrModelName,
          instanceType: 'ml.g5.xlarge',
          initialInstanceCount: 1,
        },
      ],
      asyncInferenceConfig: {
        outputConfig: { s3OutputPath: `s3://transcribe-results-${Aws.ACCOUNT_ID}-${Aws.REGION}/${envName}/` },
        clientConfig: { maxConcurrentInvocationsPerInstance: 4 },
      },
    });
    const endpoint = new sagemaker.CfnEndpoint(this, 'Transcribe', {
      endpointName: `transcribe-${envName}`,
      endpointConfigName: config.attrEndpointConfigName,
    });
    autoscale(
      this,
      endpoint,
      { min: 0, max: 2 },
      {
        targetValue: 5,
        customMetric: new cloudwatch.Metric({
          namespace: 'AWS/SageMaker',
          metricName: 'ApproximateBacklogSizePerInstance',
          dimensionsMap: { EndpointName: endpoint.attrEndpointName },
          statistic: 'Average',
        }),
      },
    );
    Tags.of(this).add('team', 'speech');
  }
}

class Chat extends Stack {
  constructor(scope: Construct, id: string, props: ChatProps) {
    super(scope, id, props);
    const role = sageMakerRole(this);
    const config = new sagemaker.CfnEndpointConfig(this, 'ChatConfig', {
      productionVariants: [
        {
          variantName: 'AllTraffic',
          modelName: model(this, 'ChatModel', role).attrModelName,
          instanceType: props.instanceType,
          initialInstanceCount: 1,
        },
      ],
    });
    const chat = new sagemaker.CfnEndpoint(this, 'Chat', {
      endpointName: `chat-${props.envName}`,
      endpointConfigName: config.attrEndpointConfigName,
    });
    autoscale(
      this,
      chat,
      { min: 1, max: props.maxInstances },
      {
        targetValue: 70,
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      },
    );
    if (props.full) {
      this.inferenceComponents(role, props.envName);
      new Batch(this, 'Batch', role, props.envName);
    }
  }

  /** An endpoint that hosts its model as an inference component: instances follow the copies the component needs. */
  private inferenceComponents(role: iam.IRole, envName: string): void {
    const config = new sagemaker.CfnEndpointConfig(this, 'LlmConfig', {
      executionRoleArn: role.roleArn,
      productionVariants: [
        {
          variantName: 'AllTraffic',
          instanceType: 'ml.g5.12xlarge',
          initialInstanceCount: 1,
          managedInstanceScaling: { status: 'ENABLED', minInstanceCount: 1, maxInstanceCount: 2 },
          routingConfig: { routingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        },
      ],
    });
    const endpoint = new sagemaker.CfnEndpoint(this, 'Llm', {
      endpointName: `llm-${envName}`,
      endpointConfigName: config.attrEndpointConfigName,
    });
    // CloudFormation returns no name attribute for a component: the name is fixed so its scaling target can say it
    const component = new sagemaker.CfnInferenceComponent(this, 'Qwen', {
      inferenceComponentName: `qwen-${envName}`,
      endpointName: endpoint.attrEndpointName,
      variantName: 'AllTraffic',
      runtimeConfig: { copyCount: 1 },
      specification: {
        modelName: model(this, 'QwenModel', role).attrModelName,
        computeResourceRequirements: { numberOfAcceleratorDevicesRequired: 1, minMemoryRequiredInMb: 16384 },
      },
    });
    const copies = new appscaling.ScalableTarget(this, 'QwenCopies', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `inference-component/${component.inferenceComponentName}`,
      scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      minCapacity: 1,
      maxCapacity: 4,
    });
    copies.node.addDependency(component);
    copies.scaleToTrackMetric('QwenTracking', {
      targetValue: 4,
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
    });
  }
}

/** A serverless endpoint: no name, so budgets take it by its tags. */
class Embed extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const config = new sagemaker.CfnEndpointConfig(this, 'EmbedConfig', {
      productionVariants: [
        {
          variantName: 'AllTraffic',
          modelName: model(this, 'EmbedModel', sageMakerRole(this)).attrModelName,
          serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 10 },
        },
      ],
    });
    new sagemaker.CfnEndpoint(this, 'Embed', { endpointConfigName: config.attrEndpointConfigName });
    Tags.of(this).add('team', 'search');
  }
}

class Staging extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    const chat = new Chat(this, 'Chat', {
      envName: 'staging',
      instanceType: 'ml.m5.xlarge',
      maxInstances: 2,
      full: false,
    });
    Tags.of(chat).add('env', 'staging');
    // a stage is synthesized on its own: the app's tags do not reach it
    Tags.of(this).add('app', 'sagemaker-example');
  }
}

export interface SageMakerAppProps {
  /** Where to write the cloud assembly (default: the CDK CLI's, or cdk.out). */
  readonly outdir?: string;
  /** Default: the `revision` context, else SAGEMAKER_APP_REVISION, else `base`. */
  readonly revision?: Revision;
}

export function sageMakerApp(props: SageMakerAppProps = {}): App {
  const app = new App(props.outdir ? { outdir: props.outdir } : {});
  const revision: Revision =
    props.revision ?? app.node.tryGetContext('revision') ?? process.env.SAGEMAKER_APP_REVISION ?? 'base';
  if (revision !== 'base' && revision !== 'head')
    throw new Error(`revision must be base or head, got ${JSON.stringify(revision)}`);
  const chat = new Chat(app, 'Chat', {
    env: { region: 'us-east-1' },
    stackName: 'chat-prod',
    envName: 'prod',
    instanceType: revision === 'head' ? 'ml.g5.2xlarge' : 'ml.g5.xlarge',
    maxInstances: revision === 'head' ? 8 : 4,
    full: true,
  });
  Tags.of(chat).add('team', 'chat');
  Tags.of(chat).add('env', 'prod');
  new Embed(app, 'Embed', { stackName: 'embed-prod' });
  new Staging(app, 'Staging', { env: { region: 'eu-west-1' } });
  Tags.of(app).add('app', 'sagemaker-example');
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) sageMakerApp().synth();
