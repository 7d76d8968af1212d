import {
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  ListTagsCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SageMakerTrainingJobs } from '../../lambdas/aws/training-jobs.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';

const sm = mockClient(SageMakerClient);
const ACCOUNT = '123456789012';
const arn = (name: string) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/${name}`;

const summary = (name: string, status: 'Completed' | 'Stopped', end: string) => ({
  TrainingJobName: name,
  TrainingJobArn: arn(name),
  CreationTime: new Date('2026-09-30T22:00:00Z'),
  TrainingEndTime: new Date(end),
  LastModifiedTime: new Date(end),
  TrainingJobStatus: status,
  SecondaryStatus: status,
});

/** DescribeTrainingJob's response with the fields the API model requires and those the advice reads. */
const described = (
  name: string,
  over: Partial<DescribeTrainingJobCommandOutput> = {},
): Partial<DescribeTrainingJobCommandOutput> => ({
  TrainingJobName: name,
  TrainingJobArn: arn(name),
  ModelArtifacts: { S3ModelArtifacts: `s3://models-${ACCOUNT}/${name}/output/model.tar.gz` },
  TrainingJobStatus: 'Completed',
  SecondaryStatus: 'Completed',
  StoppingCondition: { MaxRuntimeInSeconds: 86400, MaxWaitTimeInSeconds: 172800 },
  CreationTime: new Date('2026-10-02T08:00:00Z'),
  TrainingStartTime: new Date('2026-10-02T08:03:00Z'),
  TrainingEndTime: new Date('2026-10-02T10:03:00Z'),
  ResourceConfig: { InstanceType: 'ml.g5.2xlarge', InstanceCount: 2, VolumeSizeInGB: 50 },
  EnableManagedSpotTraining: false,
  TrainingTimeInSeconds: 7200,
  BillableTimeInSeconds: 7200,
  ...over,
});

let usage: ApiUsage;
const source = (tags = false) =>
  new SageMakerTrainingJobs({
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    usage,
    timezone: 'UTC',
    tags,
  });

beforeEach(() => {
  sm.reset();
  usage = new ApiUsage();
});

describe('SageMakerTrainingJobs', () => {
  it('lists completed and stopped jobs that ended in the range and describes each', async () => {
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Completed' })
      .resolvesOnce({
        TrainingJobSummaries: [summary('bert-ft-1', 'Completed', '2026-10-02T10:03:00Z')],
        NextToken: 'p2',
      })
      .resolvesOnce({
        TrainingJobSummaries: [
          summary('bert-ft-2', 'Completed', '2026-10-03T01:00:00Z'),
          // Ended after the range: left out without a DescribeTrainingJob.
          summary('late', 'Completed', '2026-10-08T00:00:00Z'),
        ],
      });
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Stopped' }).resolves({
      TrainingJobSummaries: [summary('spot-run', 'Stopped', '2026-10-04T00:00:00Z')],
    });
    sm.on(DescribeTrainingJobCommand, { TrainingJobName: 'bert-ft-1' }).resolves(described('bert-ft-1'));
    sm.on(DescribeTrainingJobCommand, { TrainingJobName: 'bert-ft-2' }).resolves(
      described('bert-ft-2', { TrainingStartTime: new Date('2026-10-02T20:00:00Z') }),
    );
    sm.on(DescribeTrainingJobCommand, { TrainingJobName: 'spot-run' }).resolves(
      described('spot-run', {
        TrainingJobStatus: 'Stopped',
        EnableManagedSpotTraining: true,
        TrainingTimeInSeconds: 3600,
        BillableTimeInSeconds: 1080,
        TrainingStartTime: new Date('2026-10-03T23:00:00Z'),
        ResourceConfig: { InstanceType: 'ml.p3.2xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      }),
    );

    const jobs = await source().jobs({ start: '2026-10-01', end: '2026-10-08' });

    expect(jobs).toEqual([
      {
        name: 'bert-ft-1',
        instanceType: 'ml.g5.2xlarge',
        instanceCount: 2,
        spot: false,
        trainingSeconds: 7200,
        billableSeconds: 7200,
        startedAt: '2026-10-02T08:03:00.000Z',
        tags: {},
      },
      expect.objectContaining({ name: 'bert-ft-2', startedAt: '2026-10-02T20:00:00.000Z' }),
      expect.objectContaining({
        name: 'spot-run',
        spot: true,
        trainingSeconds: 3600,
        billableSeconds: 1080,
        instanceType: 'ml.p3.2xlarge',
      }),
    ]);
    expect(sm).toReceiveCommandWith(ListTrainingJobsCommand, {
      StatusEquals: 'Completed',
      LastModifiedTimeAfter: new Date('2026-10-01T00:00:00Z'),
      CreationTimeBefore: new Date('2026-10-08T00:00:00Z'),
    });
    expect(sm).toReceiveCommandWith(ListTrainingJobsCommand, { NextToken: 'p2' });
    expect(sm).toReceiveCommandTimes(DescribeTrainingJobCommand, 3);
    expect(sm).not.toReceiveCommand(ListTagsCommand);
    expect(usage.requests('sagemaker:ListTrainingJobs')).toBe(3);
  });

  it('reads the tags of each job only when asked to', async () => {
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Completed' }).resolves({
      TrainingJobSummaries: [summary('bert-ft-1', 'Completed', '2026-10-02T10:03:00Z')],
    });
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Stopped' }).resolves({ TrainingJobSummaries: [] });
    sm.on(DescribeTrainingJobCommand).resolves(described('bert-ft-1'));
    sm.on(ListTagsCommand, { ResourceArn: arn('bert-ft-1') }).resolves({
      Tags: [
        { Key: 'team', Value: 'search' },
        { Key: 'tier', Value: 'experiment' },
      ],
    });

    const [job] = await source(true).jobs({ start: '2026-10-01', end: '2026-10-08' });

    expect(job?.tags).toEqual({ team: 'search', tier: 'experiment' });
  });

  it('leaves out what a job does not report instead of reading it as zero', async () => {
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Completed' }).resolves({
      TrainingJobSummaries: [summary('bare', 'Completed', '2026-10-02T10:03:00Z')],
    });
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Stopped' }).resolves({ TrainingJobSummaries: [] });
    sm.on(DescribeTrainingJobCommand).resolves(
      described('bare', {
        TrainingTimeInSeconds: undefined,
        BillableTimeInSeconds: undefined,
        EnableManagedSpotTraining: undefined,
      }),
    );

    const [job] = await source().jobs({ start: '2026-10-01', end: '2026-10-08' });

    expect(job).not.toHaveProperty('trainingSeconds');
    expect(job).not.toHaveProperty('billableSeconds');
    expect(job?.spot).toBe(false);
  });

  it('names the API and the error code when a job cannot be described', async () => {
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Completed' }).resolves({
      TrainingJobSummaries: [summary('bert-ft-1', 'Completed', '2026-10-02T10:03:00Z')],
    });
    sm.on(ListTrainingJobsCommand, { StatusEquals: 'Stopped' }).resolves({ TrainingJobSummaries: [] });
    sm.on(DescribeTrainingJobCommand).rejects(
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: {} }),
    );
    await expect(source().jobs({ start: '2026-10-01', end: '2026-10-08' })).rejects.toThrow(
      /sagemaker:DescribeTrainingJob was denied \(AccessDeniedException\)/,
    );
  });
});
