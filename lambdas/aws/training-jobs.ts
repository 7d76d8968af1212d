/**
 * The TrainingJobSource port over SageMaker: the training jobs that ended (completed or stopped) in a range of billing
 * days, with what the managed-spot advice needs of each: whether it ran on spot, its training and billable seconds,
 * and its instances. Tags cost one ListTags request a job, so they are read only when asked for; otherwise each
 * job's tags are empty.
 */
import {
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  paginateListTags,
  paginateListTrainingJobs,
  type SageMakerClient,
  type TrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import type { ApiUsage } from '../core/api-usage.ts';
import { dayStartMs } from '../core/period.ts';
import type { TimeRange, TrainingJobInfo, TrainingJobSource } from '../ports.ts';
import { type Limit, optionLimit } from './concurrency.ts';
import { sourceError } from './errors.ts';
import { type NextTokenPages, nextTokenPages } from './paging.ts';

/** Jobs that ran to their end: a failed job's time is not what spot would have saved. */
const ENDED = ['Completed', 'Stopped'] as const;
const DEFAULT_CONCURRENCY = 8;

export interface SageMakerTrainingJobsOptions {
  readonly sagemaker: SageMakerClient;
  readonly usage: ApiUsage;
  /** Billing time zone (IANA): the days of a range begin at midnight in it. */
  readonly timezone: string;
  /** Read each job's tags (one ListTags request a job). Default false: tags are empty. */
  readonly tags?: boolean;
  /** Requests in flight at most. Default 8. */
  readonly concurrency?: number;
}

export class SageMakerTrainingJobs implements TrainingJobSource {
  private readonly limit: Limit;
  private readonly list: NextTokenPages;

  constructor(private readonly o: SageMakerTrainingJobsOptions) {
    this.limit = optionLimit(o.concurrency, DEFAULT_CONCURRENCY);
    this.list = nextTokenPages(o.usage, this.limit);
  }

  async jobs(range: TimeRange): Promise<readonly TrainingJobInfo[]> {
    const from = dayStartMs(range.start, this.o.timezone);
    const to = dayStartMs(range.end, this.o.timezone);
    const listed = (await Promise.all(ENDED.map((status) => this.ended(status, from, to)))).flat();
    const jobs = await Promise.all(listed.map((s) => this.job(s)));
    return jobs.sort(
      (a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name),
    );
  }

  /**
   * The jobs of one status that ended in [from, to). A job that ended in the range was last modified at or after its
   * end, so filtering on LastModifiedTime finds the long jobs created before the range too; the end time itself
   * decides.
   */
  private async ended(
    status: (typeof ENDED)[number],
    from: number,
    to: number,
  ): Promise<TrainingJobSummary[]> {
    const api = 'sagemaker:ListTrainingJobs';
    const out: TrainingJobSummary[] = [];
    try {
      for await (const page of this.list(api, paginateListTrainingJobs, this.o.sagemaker, {
        StatusEquals: status,
        LastModifiedTimeAfter: new Date(from),
        CreationTimeBefore: new Date(to),
        MaxResults: 100,
      })) {
        for (const s of page.TrainingJobSummaries ?? []) {
          const end = s.TrainingEndTime?.getTime();
          if (s.TrainingJobName && end !== undefined && end >= from && end < to) out.push(s);
        }
      }
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    return out;
  }

  private async job(summary: TrainingJobSummary): Promise<TrainingJobInfo> {
    const name = summary.TrainingJobName as string;
    const api = 'sagemaker:DescribeTrainingJob';
    let d: DescribeTrainingJobCommandOutput;
    try {
      d = await this.limit(() => {
        this.o.usage.count(api);
        return this.o.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      });
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    const r = d.ResourceConfig;
    const arn = d.TrainingJobArn ?? summary.TrainingJobArn;
    return {
      name,
      ...(r?.InstanceType ? { instanceType: r.InstanceType } : {}),
      ...(r?.InstanceCount !== undefined ? { instanceCount: r.InstanceCount } : {}),
      spot: d.EnableManagedSpotTraining === true,
      ...(d.TrainingTimeInSeconds !== undefined ? { trainingSeconds: d.TrainingTimeInSeconds } : {}),
      ...(d.BillableTimeInSeconds !== undefined ? { billableSeconds: d.BillableTimeInSeconds } : {}),
      ...(d.TrainingStartTime ? { startedAt: d.TrainingStartTime.toISOString() } : {}),
      tags: this.o.tags && arn ? await this.tagsOf(arn) : {},
    };
  }

  private async tagsOf(arn: string): Promise<Record<string, string>> {
    const api = 'sagemaker:ListTags';
    const tags: Record<string, string> = {};
    try {
      for await (const page of this.list(api, paginateListTags, this.o.sagemaker, { ResourceArn: arn })) {
        for (const t of page.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
      }
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    return tags;
  }
}
