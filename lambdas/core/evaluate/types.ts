/** What an evaluation returns: per budget its status, spend, forecast, endpoints and findings. */
import type { ApiUsageReport } from '../api-usage.ts';
import type { Limits } from '../budget.ts';
import type { Money } from '../money.ts';
import type { ActionRecord, ApprovalRecord } from '../plan/types.ts';
import type { Allocation } from '../spend.ts';
import type { Action, Cause, Finding, Status } from '../types.ts';

export interface EndpointResult {
  readonly name: string;
  /** How the endpoint's spend was tied to it: billing rows naming it, its cost-allocation tag, or an estimate. */
  readonly attribution: 'resource' | 'tag' | 'estimated' | null;
  readonly instanceType: string | null;
  readonly peakInstances: number | null;
  readonly spendToDate: number;
  readonly invocations: number | null;
  readonly costPer1k: number | null;
  readonly latencyP99Ms: number | null;
  readonly errorRate: number | null;
  readonly utilization: number | null;
}

export interface ExceptionResult {
  readonly reason: string;
  readonly approvedBy: string;
  readonly expires: string;
  readonly inForce: boolean;
  readonly endpoints?: readonly string[];
  readonly limits: Limits;
}

export interface BudgetResult {
  readonly name: string;
  readonly owner: string;
  readonly tier: string;
  readonly mode: string;
  readonly environment: string;
  readonly status: Status;
  readonly cap: number | null;
  /** Null when no cost data could be read for the budget: unknown spend is never reported as zero. */
  readonly spendToDate: number | null;
  /** Spend to date exact to 1e-10, for audit. */
  readonly spendToDateExact: string | null;
  readonly forecast: {
    readonly expected: number | null;
    readonly low: number | null;
    readonly high: number | null;
    readonly method: string;
  };
  /** alertAt fractions that actual and forecast spend have reached. */
  readonly thresholds: { readonly actual: readonly number[]; readonly forecast: readonly number[] };
  /**
   * Why the budget's spend moved against the baseline, split into drivers in currency units (null without a cap
   * or without cost data); the spend findings carry the same split.
   */
  readonly cause: Cause | null;
  /** The viable actions on the budget's spend, largest saving first (what its spend alerts recommend). */
  readonly actions: readonly Action[];
  /** The day the forecast crosses the cap, when it does within the period (null otherwise). */
  readonly crossesCapOn: string | null;
  readonly limits: Limits;
  readonly exceptions: readonly ExceptionResult[];
  readonly endpoints: readonly EndpointResult[];
  readonly findings: readonly Finding[];
}

/**
 * Cost Explorer's own forecast of the whole account for the rest of the period, beside ours (live runs): its mean in
 * currency units, or why it is missing.
 */
export type CostExplorerForecast =
  | { readonly from: string; readonly to: string; readonly metric: string; readonly mean: number }
  | { readonly from: string; readonly to: string; readonly error: string };

/** The period's spend to date that no budget's selector takes (report-only), in currency units. */
export interface UnbudgetedResult {
  readonly total: number;
  /** Of which charges that carry no tag at all. */
  readonly untagged: number;
  /** The largest parts, by endpoint (its charges) or by service (charges naming no endpoint). */
  readonly top: readonly {
    readonly endpoint?: string;
    readonly service: string;
    readonly amount: number;
    readonly untagged: number;
  }[];
}

export interface CycleResult {
  /** Requests a live cycle made per AWS API and what they cost (absent for file-based runs). */
  readonly apiUsage?: ApiUsageReport;
  readonly costExplorerForecast?: CostExplorerForecast;
  readonly asOf: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly currency: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly data: {
    readonly costsFrom: string | null;
    readonly costsThrough: string | null;
    readonly metrics: boolean;
  };
  readonly budgets: readonly BudgetResult[];
  /** Spend of the period that no budget takes; absent in results stored before it was reported. */
  readonly unbudgeted?: UnbudgetedResult;
  /**
   * The scaling changes the act step planned, held, applied, verified or rolled back this cycle; absent before act
   * has run (the findings payload of the deployed pipeline, which act reads).
   */
  readonly actions?: readonly ActionRecord[];
  /**
   * The period's approvals, rejections and refusals from the ledger's audit trail (approve mode), oldest first;
   * absent when there are none (or no ledger).
   */
  readonly approvals?: readonly ApprovalRecord[];
}

/** An endpoint's exact spend by day (undefined: no cost row that day). */
export interface DaySpend {
  get(day: string): Money | undefined;
}

export interface Evaluation {
  readonly result: CycleResult;
  /** Exact spend per budget per day (history and period), for the ledger's closed days and the reports. */
  readonly dailySpend: ReadonlyMap<string, ReadonlyMap<string, Money>>;
  /** Exact spend per budget, endpoint and day, for the reports' unit-cost trends. */
  readonly endpointDailySpend: ReadonlyMap<string, ReadonlyMap<string, DaySpend>>;
  /** Last day whose cost data is taken as complete. */
  readonly through: string;
  /**
   * The snapshot's cost rows as allocated to the budgets, which the act step's observer reads again: shared, not
   * made twice (on a large account it is tens of MiB). Nothing reads it to change it.
   */
  readonly allocation: Allocation;
}
