import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import {
  COMPONENT_DIMENSION,
  TOOL_NAMES,
  TOOL_PREFIX,
  VARIANT_DIMENSION,
} from '../lambdas/core/plan/types.ts';
import { MANAGED_TAG } from '../lambdas/cycle/contract.ts';
import { accountArns, acknowledgeWildcards, attachPolicy, nagArns } from './iam-statements.ts';

/** Where the tool publishes its SSM parameters (budget status, managed-spot flags): `/perf-budgets/...`. */
export const PARAMETER_PATH = '/perf-budgets/';

/** The role Application Auto Scaling creates in an account the first time a SageMaker target is registered. */
const SERVICE_LINKED_ROLE = {
  service: 'sagemaker.application-autoscaling.amazonaws.com',
  name: 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
} as const;

/** The alarms Application Auto Scaling creates and deletes for a target-tracking policy, with the caller's rights. */
const TARGET_TRACKING_ALARMS = 'alarm:TargetTracking-*';
/** The alarms the tool itself keeps: the wake-on-request alarm of an inference component scaled to zero. */
const TOOL_ALARMS = `alarm:${TOOL_PREFIX}*`;

/**
 * What the act step may change in `regions` of an account, through Application Auto Scaling only, and what
 * Application Auto Scaling checks the caller may do before it accepts a change (its permissions validation calls
 * the target service and CloudWatch as the caller).
 *
 * What IAM enforces (Service Authorization Reference: Application Auto Scaling, SageMaker, CloudWatch, IAM, SSM):
 * - A scalable target's ARN is `scalable-target/<unique id>`; its only resource condition key is
 *   `aws:ResourceTag/<key>`, the *target's* tags. Every write on an existing target (RegisterScalableTarget,
 *   Put/DeleteScalingPolicy, Put/DeleteScheduledAction, DeregisterScalableTarget) requires the target to carry
 *   `perf-budgets:managed=true`, in the `sagemaker` namespace, on a variant's instance count or a component's copy
 *   count (`application-autoscaling:service-namespace` and `:scalable-dimension`, which every one of these
 *   actions has).
 * - A target that does not exist yet has no tags: RegisterScalableTarget and TagResource are allowed on it only
 *   with the tag in the request (`aws:RequestTag/perf-budgets:managed=true`, `aws:TagKeys` no other key), and only
 *   when the target does not carry the tag with another value (`Null` on `aws:ResourceTag`): a target tagged
 *   `false` stays out.
 * - The endpoint's own tag reaches IAM through Application Auto Scaling's permissions validation: it checks that
 *   the caller may `sagemaker:UpdateEndpointWeightsAndCapacities` on the endpoint (or
 *   `sagemaker:UpdateInferenceComponentRuntimeConfig` on the inference component), and those are allowed only on
 *   resources tagged `perf-budgets:managed=true`. An inference component is judged by its own tags: tag it too.
 * - Alarm names are part of the alarm ARN: the tool may put and delete only alarms named `perf-budgets-*`, whose
 *   actions (`cloudwatch:AlarmActions`) are only its own wake-on-request scaling policies; target-tracking alarms
 *   only as `TargetTracking-*`.
 * - The service-linked role may be created only for `sagemaker.application-autoscaling.amazonaws.com`.
 *
 * What IAM cannot enforce (the planner and the Scaler do):
 * - That a scalable target belongs to a tagged endpoint: Application Auto Scaling has no condition key for the
 *   resource id (`endpoint/<name>/variant/<v>`), and RegisterScalableTarget of a new target names no endpoint ARN.
 *   The request-tag statement lets a caller register (and tag) a target of any endpoint it may also update
 *   through the validation above; the planner checks the endpoint's tag before any call.
 * - Whether RegisterScalableTarget creates a target or updates one: an existing target that carries no tag at
 *   all can be tagged and changed in one call with the request tag. The Scaler sends Tags only when it reads no
 *   target.
 * - The names of scaling policies and scheduled actions: no condition key carries them (`perf-budgets-*` is the
 *   Scaler's rule), and their ARNs are not resources of the Put/Delete actions.
 * - The capacities written: no condition key carries MinCapacity or MaxCapacity (the guard clamps them).
 */
export function actuationStatements(regions: readonly string[] = [Aws.REGION]): iam.PolicyStatement[] {
  const targets = accountArns('application-autoscaling', 'scalable-target/*', regions);
  const sagemakerScaling = {
    'application-autoscaling:service-namespace': 'sagemaker',
    'application-autoscaling:scalable-dimension': [VARIANT_DIMENSION, COMPONENT_DIMENSION],
  };
  const onlyManagedTagKey = { 'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG] } };
  const taggedInRequest = {
    StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
    Null: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' },
    ...onlyManagedTagKey,
  };
  const managed = { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' };
  return [
    new iam.PolicyStatement({
      sid: 'ScalingRead',
      actions: [
        'application-autoscaling:DescribeScalableTargets',
        'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DescribeScheduledActions',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ManagedScaling',
      actions: [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DeleteScalingPolicy',
        'application-autoscaling:PutScheduledAction',
        'application-autoscaling:DeleteScheduledAction',
        'application-autoscaling:DeregisterScalableTarget',
      ],
      resources: targets,
      conditions: { StringEquals: { ...managed, ...sagemakerScaling }, ...onlyManagedTagKey },
    }),
    new iam.PolicyStatement({
      sid: 'NewManagedTarget',
      actions: ['application-autoscaling:RegisterScalableTarget'],
      resources: targets,
      conditions: {
        ...taggedInRequest,
        StringEquals: { ...taggedInRequest.StringEquals, ...sagemakerScaling },
      },
    }),
    // RegisterScalableTarget with Tags authorizes TagResource on the new target too
    new iam.PolicyStatement({
      sid: 'NewManagedTargetTag',
      actions: ['application-autoscaling:TagResource'],
      resources: targets,
      conditions: taggedInRequest,
    }),
    // what Application Auto Scaling's permissions validation asks of the caller on the endpoint and component
    new iam.PolicyStatement({
      sid: 'ManagedEndpoints',
      actions: [
        'sagemaker:UpdateEndpointWeightsAndCapacities',
        'sagemaker:UpdateInferenceComponentRuntimeConfig',
      ],
      resources: [
        ...accountArns('sagemaker', 'endpoint/*', regions),
        ...accountArns('sagemaker', 'inference-component/*', regions),
      ],
      conditions: { StringEquals: managed },
    }),
    new iam.PolicyStatement({
      sid: 'EndpointDescribe',
      actions: [
        'sagemaker:DescribeEndpoint',
        'sagemaker:DescribeEndpointConfig',
        'sagemaker:DescribeInferenceComponent',
      ],
      resources: ENDPOINT_RESOURCES.flatMap((type) => accountArns('sagemaker', `${type}/*`, regions)),
    }),
    new iam.PolicyStatement({
      sid: 'TargetTrackingAlarms',
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      resources: accountArns('cloudwatch', TARGET_TRACKING_ALARMS, regions),
    }),
    new iam.PolicyStatement({
      sid: 'WakeOnRequestAlarms',
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      resources: accountArns('cloudwatch', TOOL_ALARMS, regions),
      // DeleteAlarms carries no alarm actions: ForAllValues holds on an absent key
      conditions: {
        'ForAllValues:StringLike': {
          'cloudwatch:AlarmActions': regions.map(
            (r) =>
              `arn:${Aws.PARTITION}:autoscaling:${r}:${Aws.ACCOUNT_ID}:scalingPolicy:*:resource/sagemaker/inference-component/*:policyName/${TOOL_NAMES.wakeOnRequest}`,
          ),
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AlarmRead',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: accountArns('cloudwatch', 'alarm:*', regions),
    }),
    new iam.PolicyStatement({
      sid: 'ScalingServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/${SERVICE_LINKED_ROLE.service}/${SERVICE_LINKED_ROLE.name}`,
      ],
      conditions: { StringEquals: { 'iam:AWSServiceName': SERVICE_LINKED_ROLE.service } },
    }),
  ];
}

/** What the act step reads of the training jobs in `regions`, to estimate what managed spot training would save. */
export function trainingJobStatements(regions: readonly string[] = [Aws.REGION]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'TrainingJobsList',
      actions: ['sagemaker:ListTrainingJobs'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'TrainingJobsDescribe',
      actions: ['sagemaker:DescribeTrainingJob'],
      resources: accountArns('sagemaker', 'training-job/*', regions),
    }),
  ];
}

/** The parameters the act step publishes under `/perf-budgets/` in `regions`: read to compare, then written. */
export function parameterStatements(regions: readonly string[] = [Aws.REGION]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'Parameters',
      actions: ['ssm:GetParameters', 'ssm:PutParameter'],
      resources: accountArns('ssm', `parameter${PARAMETER_PATH}*`, regions),
    }),
  ];
}

export interface ActuationPolicyOptions {
  /** Regions whose `/perf-budgets/` SSM parameters the role may read and write. @default - none */
  readonly parameterRegions?: readonly string[];
  /**
   * Whether the role reads training jobs (the act step's managed-spot advice); a role that only applies scaling
   * changes does not. @default true
   */
  readonly trainingJobs?: boolean;
}

/**
 * The actuation statements of `regions` (with the training-job reads unless `trainingJobs` is false, and the SSM
 * parameter statements of `parameterRegions`) attached to `role` as the policy `ManagedActuation` under `scope`,
 * with exactly their wildcards acknowledged.
 */
export function attachActuationPolicy(
  scope: IConstruct,
  role: iam.IRole,
  regions: readonly string[] = [Aws.REGION],
  options: ActuationPolicyOptions = {},
): iam.Policy {
  const parameterRegions = options.parameterRegions ?? [];
  const trainingRegions = options.trainingJobs === false ? [] : regions;
  const statements = [
    ...actuationStatements(regions),
    ...(trainingRegions.length > 0 ? trainingJobStatements(trainingRegions) : []),
    ...(parameterRegions.length > 0 ? parameterStatements(parameterRegions) : []),
  ];
  const policy = attachPolicy(scope, 'ManagedActuation', role, statements);
  acknowledgeWildcards(
    policy,
    [
      ...nagArns('application-autoscaling', 'scalable-target/*', regions),
      ...nagArns('sagemaker', 'endpoint/*', regions),
      ...nagArns('sagemaker', 'inference-component/*', regions),
    ],
    `Changes are allowed only on resources tagged ${MANAGED_TAG}=true (aws:ResourceTag), or on a new scalable target tagged so in the request (aws:RequestTag); scalable target ids are assigned by AWS and the endpoints are not known at deploy time.`,
  );
  acknowledgeWildcards(
    policy,
    nagArns('sagemaker', 'endpoint-config/*', regions),
    'Application Auto Scaling checks that the caller may describe the endpoint configuration of the endpoint it scales; reads only, in this account.',
  );
  acknowledgeWildcards(
    policy,
    [
      ...nagArns('cloudwatch', TARGET_TRACKING_ALARMS, regions),
      ...nagArns('cloudwatch', TOOL_ALARMS, regions),
      ...nagArns('cloudwatch', 'alarm:*', regions),
    ],
    'Target tracking alarms are named TargetTracking-<resource id>-... by Application Auto Scaling; the tool names its own perf-budgets-*, acting only on its own scaling policies (cloudwatch:AlarmActions); DescribeAlarms is read-only.',
  );
  acknowledgeWildcards(
    policy,
    [
      ...nagArns('sagemaker', 'training-job/*', trainingRegions),
      ...nagArns('ssm', `parameter${PARAMETER_PATH}*`, parameterRegions),
    ],
    'Training jobs are read to estimate managed-spot savings (names unknown at deploy); parameters are written only under /perf-budgets/.',
  );
  return policy;
}

const ENDPOINT_RESOURCES = ['endpoint', 'endpoint-config', 'inference-component'] as const;
