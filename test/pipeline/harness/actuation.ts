/**
 * What the act step writes to and reads besides the account's inventory, on loopback: Application Auto Scaling
 * (and the CloudWatch alarms of its step policies) as the stateful engine of test/helpers/autoscaling-engine.ts,
 * seeded with the account's own scalable targets and target-tracking policies, so that the collect step's reads and
 * the act step's writes meet one state; SSM Parameter Store (GetParameters, PutParameter); and the account's
 * SageMaker training jobs (ListTrainingJobs, DescribeTrainingJob). All speak JSON 1.1 through the harness's AWS
 * server. A few endpoints carry the `perf-budgets:managed=true` tag: the only ones an enforce tier may change.
 */
import { MANAGED_TAG } from '../../../lambdas/core/plan/types.ts';
import type { ApiAccount } from '../../bench/api-account.ts';
import { AutoScalingEngine } from '../../helpers/autoscaling-engine.ts';
import type { Handler } from '../../helpers/aws-server.ts';
import { ACCOUNT, REGION } from './assembly.ts';

/**
 * The endpoints tagged `perf-budgets:managed=true`: team-04's two, each with a registered scalable target. The
 * first keeps the target-tracking policy its team put there (the tool must not add a second one); the second's
 * target was registered for the tool, with no policy: the tool's own is the only one it will have.
 */
export const MANAGED_ENDPOINTS: readonly string[] = ['svc-0004-prod', 'svc-0016-staging'];
const LEFT_TO_THE_TOOL = 'svc-0016-staging';

/** Application Auto Scaling and CloudWatch operations that change something. */
export const SCALING_WRITES =
  /^(AnyScaleFrontendService\.(Register|Deregister|Put|Delete|Tag)|GraniteServiceVersion20100801\.(PutMetricAlarm|DeleteAlarms))/;

const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const sec = (ms: number) => Math.floor(ms / 1000);

interface StoredParameter {
  value: string;
  version: number;
  modifiedSec: number;
}

/** SSM Parameter Store's String parameters: versions count the writes, an existing name needs Overwrite. */
export class ParameterStore {
  readonly parameters = new Map<string, StoredParameter>();

  constructor(private readonly nowSec: () => number) {}

  handlers(): Record<string, Handler> {
    return {
      'AmazonSSM.GetParameters': (i) => this.get(i),
      'AmazonSSM.PutParameter': (i) => this.put(i),
    };
  }

  private get(i: Record<string, unknown>): unknown {
    const names = i.Names as string[] | undefined;
    if (!names || names.length < 1 || names.length > 10) {
      return {
        awsError: 'ValidationException',
        message: `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10`,
      };
    }
    const known = names.filter((n) => this.parameters.has(n));
    return {
      Parameters: known.map((Name) => {
        const p = this.parameters.get(Name) as StoredParameter;
        return {
          Name,
          Type: 'String',
          Value: p.value,
          Version: p.version,
          LastModifiedDate: p.modifiedSec,
          ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${Name}`,
          DataType: 'text',
        };
      }),
      InvalidParameters: names.filter((n) => !this.parameters.has(n)),
    };
  }

  private put(i: Record<string, unknown>): unknown {
    const name = i.Name;
    if (typeof name !== 'string' || typeof i.Value !== 'string' || i.Value.length === 0) {
      return { awsError: 'ValidationException', message: 'Name and a non-empty Value are required' };
    }
    if (name.includes('/') && !name.startsWith('/')) {
      return {
        awsError: 'ValidationException',
        message:
          'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it must begin with /',
      };
    }
    const existing = this.parameters.get(name);
    if (existing && i.Overwrite !== true) {
      return { awsError: 'ParameterAlreadyExists', message: 'The parameter already exists.' };
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { value: i.Value, version, modifiedSec: this.nowSec() });
    return { Version: version, Tier: 'Standard' };
  }
}

interface TrainingJob {
  readonly name: string;
  readonly instanceType: string;
  readonly spot: boolean;
  readonly startMs: number;
  readonly trainingSeconds: number;
  readonly billableSeconds: number;
}

/** Two training jobs of the period: one on demand, one on managed spot that billed a third of its time. */
const TRAINING_JOBS: readonly TrainingJob[] = [
  {
    name: 'ranker-train-2026-10-05',
    instanceType: 'ml.g5.2xlarge',
    spot: false,
    startMs: Date.parse('2026-10-05T02:00:00Z'),
    trainingSeconds: 7200,
    billableSeconds: 7200,
  },
  {
    name: 'ranker-train-2026-10-09',
    instanceType: 'ml.g5.2xlarge',
    spot: true,
    startMs: Date.parse('2026-10-09T02:00:00Z'),
    trainingSeconds: 7200,
    billableSeconds: 2400,
  },
];

function trainingHandlers(): Record<string, Handler> {
  const arn = (j: TrainingJob) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${j.name}`;
  const endMs = (j: TrainingJob) => j.startMs + j.trainingSeconds * 1000;
  const byName = new Map(TRAINING_JOBS.map((j) => [j.name, j]));
  return {
    'SageMaker.ListTrainingJobs': (i) => {
      const after = typeof i.LastModifiedTimeAfter === 'number' ? i.LastModifiedTimeAfter * 1000 : -Infinity;
      const before = typeof i.CreationTimeBefore === 'number' ? i.CreationTimeBefore * 1000 : Infinity;
      const listed = TRAINING_JOBS.filter(
        (j) =>
          (i.StatusEquals === undefined || i.StatusEquals === 'Completed') &&
          endMs(j) > after &&
          j.startMs < before,
      );
      return {
        TrainingJobSummaries: listed.map((j) => ({
          TrainingJobName: j.name,
          TrainingJobArn: arn(j),
          CreationTime: sec(j.startMs),
          TrainingEndTime: sec(endMs(j)),
          LastModifiedTime: sec(endMs(j)),
          TrainingJobStatus: 'Completed',
        })),
      };
    },
    'SageMaker.DescribeTrainingJob': (i) => {
      const j = byName.get(String(i.TrainingJobName));
      if (!j) return { awsError: 'ResourceNotFound', message: `Requested resource not found.` };
      return {
        TrainingJobName: j.name,
        TrainingJobArn: arn(j),
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        AlgorithmSpecification: {
          TrainingImage: '763104351884.dkr.ecr.us-east-1.amazonaws.com/ranker:1',
          TrainingInputMode: 'File',
        },
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/SageMakerTraining`,
        ResourceConfig: { InstanceType: j.instanceType, InstanceCount: 1, VolumeSizeInGB: 50 },
        StoppingCondition: {
          MaxRuntimeInSeconds: 86_400,
          ...(j.spot ? { MaxWaitTimeInSeconds: 172_800 } : {}),
        },
        EnableManagedSpotTraining: j.spot,
        CreationTime: sec(j.startMs),
        TrainingStartTime: sec(j.startMs),
        TrainingEndTime: sec(endMs(j)),
        LastModifiedTime: sec(endMs(j)),
        TrainingTimeInSeconds: j.trainingSeconds,
        BillableTimeInSeconds: j.billableSeconds,
      };
    },
  };
}

/** The account's Application Auto Scaling state as the engine holds it: its targets and their policies. */
function seededEngine(account: ApiAccount, nowSec: () => number): AutoScalingEngine {
  const engine = new AutoScalingEngine(nowSec);
  for (const e of account.fleet) {
    for (const v of e.variants) {
      if (!v.autoscaled) continue;
      const resourceId = `endpoint/${e.name}/variant/${v.name}`;
      engine.seedTarget({ resourceId, dimension: DIMENSION, min: v.min, max: v.max });
      if (e.name === LEFT_TO_THE_TOOL) continue;
      engine.seedPolicy({
        resourceId,
        dimension: DIMENSION,
        name: `${e.name}-invocations`,
        type: 'TargetTrackingScaling',
        config: {
          TargetValue: v.targetValue,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          ScaleOutCooldown: 60,
          ScaleInCooldown: 300,
        },
      });
    }
  }
  return engine;
}

/** The services act writes to, with what they hold, and the handlers that serve them over the account's. */
export class Actuation {
  readonly engine: AutoScalingEngine;
  readonly ssm: ParameterStore;
  /** A latency regression injected into CloudWatch's answers: an endpoint's ModelLatency times `factor` from `fromMs`. */
  private regression: { endpoint: string; fromMs: number; factor: number } | undefined;

  /** @param nowMs the instant the services answer at (the account's). */
  constructor(
    private readonly account: ApiAccount,
    nowMs: number,
  ) {
    const nowSec = () => sec(nowMs);
    this.engine = seededEngine(account, nowSec);
    this.ssm = new ParameterStore(nowSec);
  }

  /** From now on, `endpoint`'s ModelLatency is `factor` times what it was, in every hour from `fromMs`. */
  regress(endpoint: string, fromMs: number, factor: number): void {
    this.regression = { endpoint, fromMs, factor };
  }

  /** The account's handlers, with Application Auto Scaling's state in the engine and the managed tags added. */
  handlers(): Record<string, Handler> {
    const served = this.account.handlers();
    const listTags = served['SageMaker.ListTags'] as Handler;
    const metricData = served['GraniteServiceVersion20100801.GetMetricData'] as Handler;
    const managed = new Set(
      this.account.fleet.filter((e) => MANAGED_ENDPOINTS.includes(e.name)).map((e) => e.arn),
    );
    return {
      ...served,
      ...this.engine.handlers(),
      ...this.ssm.handlers(),
      ...trainingHandlers(),
      'GraniteServiceVersion20100801.GetMetricData': (input) =>
        this.regressed(input, metricData(input) as MetricDataOutput),
      'SageMaker.ListTags': (input) => {
        const out = listTags(input) as { Tags?: { Key: string; Value: string }[] };
        return managed.has(String(input.ResourceArn)) && out.Tags
          ? { ...out, Tags: [...out.Tags, { Key: MANAGED_TAG, Value: 'true' }] }
          : out;
      },
    };
  }

  private regressed(input: Record<string, unknown>, out: MetricDataOutput): MetricDataOutput {
    const r = this.regression;
    if (!r || !out.MetricDataResults) return out;
    const queries = new Map(
      ((input.MetricDataQueries as MetricQuery[] | undefined) ?? []).map((q) => [q.Id, q.MetricStat]),
    );
    const slower = (id: string) => {
      const stat = queries.get(id);
      return (
        stat?.Metric.MetricName === 'ModelLatency' &&
        stat.Metric.Dimensions.some((d) => d.Name === 'EndpointName' && d.Value === r.endpoint)
      );
    };
    return {
      ...out,
      MetricDataResults: out.MetricDataResults.map((m) =>
        slower(m.Id)
          ? {
              ...m,
              Values: m.Values.map((v, i) => ((m.Timestamps[i] ?? 0) * 1000 >= r.fromMs ? v * r.factor : v)),
            }
          : m,
      ),
    };
  }
}

interface MetricQuery {
  readonly Id: string;
  readonly MetricStat?: {
    readonly Metric: { readonly MetricName: string; readonly Dimensions: { Name: string; Value: string }[] };
  };
}

interface MetricDataOutput {
  readonly MetricDataResults?: { Id: string; Timestamps: number[]; Values: number[] }[];
}
