/**
 * Managed Spot Training: which training jobs ran on demand, what spot would have saved them, and the per-tier flag
 * training pipelines read.
 *
 * - The saving rate is the account's own: `1 - BillableTimeInSeconds / TrainingTimeInSeconds` of its spot jobs, the
 *   median weighted by training time (long jobs say more about spot interruptions than short ones). With no spot job
 *   to measure, SPOT_SAVING_DEFAULT stands in and the figure is labelled `estimate`: the SageMaker documentation
 *   quotes savings of "up to 90%" over on-demand, an upper bound, so the default is well below it.
 * - Instance-hours are training seconds x instance count; currency prices them at the on-demand list prices of
 *   instances.ts. Those are hosting prices; training prices for the same type are close but not the same, so the
 *   currency figure is an estimate in every case. Jobs of a type the table lacks are listed as unpriced, not zero.
 * - A job belongs to the tier of the first budget (file order) whose selector takes it on its tags, as training
 *   charges are (selector.ts); a job no budget takes belongs to no tier and is left out.
 * - Max wait: twice the p90 training time of the tier's jobs (room for interruptions and waiting for capacity), at
 *   least an hour, at most 28 days (SageMaker's longest training runtime), in whole hours. SageMaker requires
 *   MaxWaitTimeInSeconds >= MaxRuntimeInSeconds: a pipeline whose jobs may run longer takes its own runtime instead.
 */
import type { Budget } from '../budget.ts';
import { instanceSpec } from '../instances.ts';
import { SelectorMatcher } from '../selector.ts';
import type { Action } from '../types.ts';
import { ssmNameProblem } from './flags.ts';
import type { ActMode } from './types.ts';

/** Share of on-demand training time spot saves when the account has no spot job to measure it on. */
export const SPOT_SAVING_DEFAULT = 0.5;
export const MIN_MAX_WAIT_SECONDS = 3_600;
export const MAX_MAX_WAIT_SECONDS = 28 * 24 * 3_600;

/** What the tool publishes for training pipelines, per tier. */
export const managedSpotParameterName = (tier: string): string =>
  `/perf-budgets/${tier}/training/managed-spot`;

/** The minimal shape of a training job (TrainingJobInfo in ports.ts). */
export interface TrainingJob {
  readonly name: string;
  readonly instanceType?: string;
  readonly instanceCount?: number;
  readonly spot: boolean;
  readonly trainingSeconds?: number;
  readonly billableSeconds?: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SpotSavingRate {
  /** Fraction of on-demand training time spot saves, 0..1. */
  readonly fraction: number;
  /** `measured` from the account's spot jobs, or an `estimate` from SPOT_SAVING_DEFAULT. */
  readonly basis: 'measured' | 'estimate';
  /** Spot jobs it was measured on. */
  readonly spotJobs: number;
  readonly note: string;
}

/** The account's own spot saving, from its spot jobs that report both training and billable time. */
export function spotSavingRate(jobs: readonly TrainingJob[]): SpotSavingRate {
  const samples = jobs
    .filter((j) => j.spot && (j.trainingSeconds ?? 0) > 0 && j.billableSeconds !== undefined)
    .map((j) => ({
      saving: Math.min(1, Math.max(0, 1 - (j.billableSeconds as number) / (j.trainingSeconds as number))),
      weight: j.trainingSeconds as number,
    }));
  if (samples.length === 0) {
    return {
      fraction: SPOT_SAVING_DEFAULT,
      basis: 'estimate',
      spotJobs: 0,
      note: `no spot training job to measure: an estimate of ${pct(SPOT_SAVING_DEFAULT)} (AWS quotes up to 90%)`,
    };
  }
  const fraction = weightedMedian(samples);
  return {
    fraction,
    basis: 'measured',
    spotJobs: samples.length,
    note: `${pct(fraction)} measured on ${samples.length} spot training job${samples.length === 1 ? '' : 's'} of the account`,
  };
}

/** The lowest value whose cumulative weight reaches half the total. */
export function weightedMedian(samples: readonly { saving: number; weight: number }[]): number {
  const sorted = [...samples].sort((a, b) => a.saving - b.saving);
  const half = sorted.reduce((s, x) => s + x.weight, 0) / 2;
  let acc = 0;
  for (const x of sorted) {
    acc += x.weight;
    if (acc >= half) return x.saving;
  }
  return sorted.at(-1)?.saving ?? 0;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export interface TierSpotEstimate {
  readonly tier: string;
  /** On-demand jobs of the tier. */
  readonly onDemandJobs: readonly string[];
  /** Instance-hours of its on-demand jobs that report their training time. */
  readonly onDemandInstanceHours: number;
  /** On-demand jobs without a training time: not counted in the hours (not zero). */
  readonly unmeasuredJobs: readonly string[];
  readonly rate: SpotSavingRate;
  readonly savingInstanceHours: number;
  /** Priced at list prices; null when no on-demand job could be priced. */
  readonly savingCurrency: number | null;
  /** On-demand jobs whose instance type has no list price here. */
  readonly unpricedJobs: readonly string[];
  readonly maxWaitSeconds: number;
}

/** The tier each job belongs to (see the module comment); jobs no budget takes are absent. */
export function jobTiers(
  jobs: readonly TrainingJob[],
  budgets: readonly Budget[],
): Map<string, TrainingJob[]> {
  const matchers = budgets.map((b) => new SelectorMatcher(b));
  const out = new Map<string, TrainingJob[]>();
  for (const j of jobs) {
    const m = matchers.find((x) => x.matches(undefined, j.tags));
    if (!m) continue;
    const list = out.get(m.budget.tier) ?? [];
    list.push(j);
    out.set(m.budget.tier, list);
  }
  return out;
}

/** Twice the p90 training time of the jobs, clamped to [1 h, 28 days], rounded up to whole hours. */
export function maxWaitSeconds(jobs: readonly TrainingJob[]): number {
  const times = jobs
    .map((j) => j.trainingSeconds)
    .filter((s): s is number => s !== undefined && s > 0)
    .sort((a, b) => a - b);
  const p90 = times.length === 0 ? 0 : (times[Math.ceil(0.9 * times.length) - 1] as number);
  const wait = Math.ceil((2 * p90) / 3_600) * 3_600;
  return Math.min(MAX_MAX_WAIT_SECONDS, Math.max(MIN_MAX_WAIT_SECONDS, wait));
}

/** Per tier with jobs: its on-demand jobs and what spot would save them, at the account's own rate. */
export function spotEstimates(jobs: readonly TrainingJob[], budgets: readonly Budget[]): TierSpotEstimate[] {
  const rate = spotSavingRate(jobs);
  return [...jobTiers(jobs, budgets)].map(([tier, tierJobs]) => {
    const onDemand = tierJobs.filter((j) => !j.spot);
    let hours = 0;
    let currency = 0;
    let priced = 0;
    const unmeasured: string[] = [];
    const unpriced: string[] = [];
    for (const j of onDemand) {
      if (j.trainingSeconds === undefined) {
        unmeasured.push(j.name);
        continue;
      }
      const h = (j.trainingSeconds / 3_600) * (j.instanceCount ?? 1);
      hours += h;
      const spec = j.instanceType ? instanceSpec(j.instanceType) : undefined;
      if (!spec) {
        unpriced.push(j.name);
        continue;
      }
      currency += h * spec.hourlyUsd;
      priced++;
    }
    return {
      tier,
      onDemandJobs: onDemand.map((j) => j.name),
      onDemandInstanceHours: round2(hours),
      unmeasuredJobs: unmeasured,
      rate,
      savingInstanceHours: round2(hours * rate.fraction),
      savingCurrency: priced > 0 ? round2(currency * rate.fraction) : null,
      unpricedJobs: unpriced,
      maxWaitSeconds: maxWaitSeconds(tierJobs),
    };
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface ManagedSpotOutput {
  /** SSM parameters for enforce tiers: name -> JSON `{ enabled: true, maxWaitSeconds }`. */
  readonly parameters: Map<string, string>;
  /** Advice for advise and approve tiers that ran on-demand jobs. */
  readonly actions: Action[];
  /** Enforce tiers whose parameter name SSM would refuse, with why. */
  readonly problems: readonly string[];
}

/**
 * Every enforce tier of the file gets its flag, whether or not it ran a job this time (a pipeline reads it before
 * its next job; with no job to size it on, the max wait is the 1 h floor); advise and approve tiers get an
 * `enable-managed-spot` action when they ran on-demand jobs.
 */
export function managedSpotParameters(
  estimates: readonly TierSpotEstimate[],
  modes: Readonly<Record<string, ActMode>>,
): ManagedSpotOutput {
  const byTier = new Map(estimates.map((e) => [e.tier, e]));
  const parameters = new Map<string, string>();
  const actions: Action[] = [];
  const problems: string[] = [];
  for (const [tier, mode] of Object.entries(modes)) {
    const e = byTier.get(tier);
    if (mode !== 'enforce') {
      if (e && e.onDemandJobs.length > 0) actions.push(spotAction(e));
      continue;
    }
    const name = managedSpotParameterName(tier);
    const problem = ssmNameProblem(name);
    if (problem) {
      problems.push(`tier ${tier}: ${problem}`);
      continue;
    }
    parameters.set(
      name,
      JSON.stringify({ enabled: true, maxWaitSeconds: e?.maxWaitSeconds ?? MIN_MAX_WAIT_SECONDS }),
    );
  }
  return { parameters, actions, problems };
}

function spotAction(e: TierSpotEstimate): Action {
  const n = e.onDemandJobs.length;
  return {
    type: 'enable-managed-spot',
    estimatedSavings: e.savingCurrency ?? 0,
    risk: 'low',
    description: `Turn on Managed Spot Training for ${e.tier} training jobs: ${n} job${n === 1 ? '' : 's'} ran on demand for ${e.onDemandInstanceHours} instance-hours; spot would save about ${e.savingInstanceHours} of them (${e.rate.note}; jobs need checkpointing; max wait ${e.maxWaitSeconds / 3_600} h).`,
    change: {
      managedSpotTraining: true,
      tier: e.tier,
      parameter: managedSpotParameterName(e.tier),
      maxWaitSeconds: e.maxWaitSeconds,
      basis: e.rate.basis,
    },
  };
}
