/**
 * The interfaces the core needs from the outside world. Local adapters (files, SQLite, console) and AWS adapters
 * (Cost Explorer, CloudWatch, SageMaker, DynamoDB, SNS, S3) implement the same ports.
 */
import type { AlertMessage } from './core/alert-text.ts';
import type { ApiUsage } from './core/api-usage.ts';
import type { ResolvedTags } from './core/attribution.ts';
import type { CostExplorerForecast } from './core/evaluate/types.ts';
import type { TrainingJob } from './core/plan/spot.ts';
import type {
  ActionRecord,
  ActionStatus,
  ApprovalRecord,
  ObservedScaling,
  ScalableResource,
  ScalingState,
} from './core/plan/types.ts';
import type { CostRecord, DataGap, EndpointInfo, MetricName, MetricSeries } from './core/types.ts';

export interface TimeRange {
  /** First day, inclusive (YYYY-MM-DD, billing time zone). */
  readonly start: string;
  /** Last day, exclusive. */
  readonly end: string;
}

export interface CostLoad {
  readonly records: readonly CostRecord[];
  readonly gaps: readonly DataGap[];
  /** Last day fully covered by the source, if it can tell. */
  readonly completeThrough?: string;
}

export interface CostSource {
  load(range: TimeRange): Promise<CostLoad>;
}

/**
 * Tags that place cost rows on endpoints: the endpoint's own tag, or the tag the rows were grouped by, and the tag
 * conditions the rows of a group were told apart by.
 */
export interface AttributionTags {
  readonly endpointTag?: string;
  readonly groupTag?: string;
  readonly resolvedTags?: readonly ResolvedTags[];
}

/** A cycle's spend source: the cost rows, how to place them on endpoints, and the source's own forecast if any. */
export interface SpendSource {
  load(range: TimeRange): Promise<CostLoad & { readonly attribution?: AttributionTags }>;
  /** The source's own forecast of the account for `range` (Cost Explorer's), beside ours; undefined if it has none. */
  forecast?(range: TimeRange): Promise<CostExplorerForecast | undefined>;
}

/**
 * Cost records of closed days (days that can no longer change), kept between cycles so that a daily cycle asks a
 * paid API (Cost Explorer: $0.01 a request) only for the days that can still change. `source` names the query
 * (cost metric, grouping, filter), so that a changed query never reads another's cache.
 */
export interface CostDayCache {
  /** The cached records of those of `days` that are cached; a day absent from the map is not cached. */
  getDays(source: string, days: readonly string[]): Promise<ReadonlyMap<string, readonly CostRecord[]>>;
  putDays(source: string, days: ReadonlyMap<string, readonly CostRecord[]>): Promise<void>;
}

export interface MetricLoad {
  readonly series: readonly MetricSeries[];
  readonly gaps: readonly DataGap[];
}

export interface MetricSource {
  load(range: TimeRange, endpoints: readonly string[]): Promise<MetricLoad>;
}

/** What the metrics of a cycle are asked for: the endpoints some budget selects, at one resolution. */
export interface MetricQuery {
  readonly range: TimeRange;
  readonly endpoints: readonly EndpointInfo[];
  readonly periodSeconds: number;
  /** Only these metrics (all the cycle reads when absent). */
  readonly metrics?: readonly MetricName[];
}

/** A cycle's metric source, asked per query. */
export interface MetricsSource {
  load(query: MetricQuery): Promise<MetricLoad>;
}

export interface InventorySource {
  endpoints(): Promise<readonly EndpointInfo[]>;
}

/** A cycle's inventory: the endpoints, and what could not be read about them. */
export interface EndpointsSource {
  load(): Promise<{ readonly endpoints: readonly EndpointInfo[]; readonly gaps: readonly DataGap[] }>;
}

/** Where one part of a cycle reads: the spend, or the endpoints and their metrics; `usage` counts paid calls. */
export interface CycleSources {
  readonly spend?: SpendSource;
  readonly inventory?: EndpointsSource;
  readonly metrics?: MetricsSource;
  readonly usage?: ApiUsage;
}

/** Where the steps of the deployed pipeline keep their payloads (S3); values are JSON. */
export interface PayloadStore {
  getJson(key: string): Promise<unknown>;
  putJson(key: string, value: unknown): Promise<string>;
}

export interface AlertRecord {
  readonly key: string;
  readonly period: string;
  readonly state: string;
  readonly sentAt: string;
  /** The alert's sentence when it was recorded, for reviews; absent on records written before it was kept. */
  readonly summary?: string;
  /** The day the cycle that recorded it judged (absent on records written before it was kept). */
  readonly asOf?: string;
  /**
   * Records to write with this one in the same transaction, and only if this one is new: the deliveries it still
   * owes, one per channel, which the alert step forgets as each channel delivers. A cycle that dies between
   * recording and delivering leaves them for the next cycle to deliver.
   */
  readonly pending?: readonly string[];
}

export interface DailySpend {
  readonly budget: string;
  readonly day: string;
  /** Exact decimal text (formatMoney with 10 places). */
  readonly amount: string;
}

/** One variant of one endpoint as a cycle's inventory found it: the instance-type history later cycles read. */
export interface InventoryDay {
  readonly day: string;
  readonly endpoint: string;
  readonly variant: string;
  readonly instanceType: string;
  readonly count: number;
}

/**
 * The inventory days earlier cycles recorded (the ledger's): what a live inventory reads for the instance types
 * CloudTrail cannot date.
 */
export interface InventoryHistory {
  /** The inventory days recorded for an endpoint from `from` to `to` (exclusive), by day and variant. */
  inventory(endpoint: string, from: string, to: string): Promise<readonly InventoryDay[]>;
}

export interface ExceptionSeen {
  readonly budget: string;
  readonly reason: string;
  readonly approvedBy: string;
  readonly expires: string;
}

/**
 * Durable memory between cycles: closed days, alerts sent, exceptions seen, the actions (each moved on its own
 * with a conditional write) and the audit trail of approvals. `commit` writes one cycle's records
 * at once (a transaction locally, conditional writes in DynamoDB), so a failed cycle leaves nothing half-written.
 */
export interface Ledger extends InventoryHistory, ActionLedger, ApprovalAudit {
  /** Alerts already recorded for a period. */
  alerts(period: string): Promise<readonly AlertRecord[]>;
  /**
   * Records one cycle. Returns the alerts that were new (not recorded before in the same state): only those are sent.
   */
  commit(cycle: {
    readonly alerts: readonly AlertRecord[];
    readonly closedDays: readonly DailySpend[];
    readonly exceptions: readonly ExceptionSeen[];
    /** The inventory of the cycle's day (absent: none was read); a day recorded again is replaced. */
    readonly inventory?: readonly InventoryDay[];
    readonly asOf: string;
  }): Promise<readonly AlertRecord[]>;
  /**
   * Removes alert records again: those of alerts that no channel delivered, so that the next cycle sends them
   * again instead of counting them as sent.
   */
  forget(alerts: readonly Pick<AlertRecord, 'period' | 'key' | 'state'>[]): Promise<void>;
  dailySpend(budget: string, from: string, to: string): Promise<readonly DailySpend[]>;
  close(): Promise<void>;
}

/** What became of one alert on one channel. A channel never throws: a failure is a `failed` delivery. */
export interface Delivery {
  readonly channel: string;
  readonly key: string;
  readonly state: string;
  readonly status: 'sent' | 'failed';
  /** The channel's id for the message (SNS MessageId), or why it failed (never a secret). */
  readonly detail?: string;
}

/** An alert channel: SNS, Slack, the console. */
export interface Notifier {
  readonly channel: string;
  notify(messages: readonly AlertMessage[]): Promise<readonly Delivery[]>;
}

export interface ReportSink {
  write(name: string, content: string | Uint8Array, contentType: string): Promise<string>;
}

// ---- actuation ------------------------------------------------------------------------------------------------

/**
 * Application Auto Scaling, as the act step sees it: reads the scaling of resources, and writes one resource's
 * scaling from one recorded state to another, touching only the tool's own (prefixed) policies and actions and
 * only what differs. Implementations never write a resource whose endpoint is not tagged `perf-budgets:managed=true`.
 */
export interface Scaler {
  read(resources: readonly ScalableResource[]): Promise<ReadonlyMap<string, ObservedScaling>>;
  /** Makes `resource`'s scaling `to` from `from` (the state just read); the calls made, in order, are returned. */
  write(resource: ScalableResource, from: ScalingState, to: ScalingState): Promise<readonly string[]>;
}

/** The actions of the ledger: one record per action, moved through its lifecycle with conditional writes. */
export interface ActionLedger {
  /** Actions, newest first; filtered by status, endpoint or id. */
  actions(filter?: {
    readonly statuses?: readonly ActionStatus[];
    readonly endpoint?: string;
    readonly id?: string;
  }): Promise<readonly ActionRecord[]>;
  /**
   * Writes `record` only if the stored one has status `expect` ('absent': only if there is none). Returns false,
   * writing nothing, when it does not: another writer moved the action first.
   */
  putAction(record: ActionRecord, expect: ActionStatus | 'absent'): Promise<boolean>;
}

/**
 * The audit trail of approvals: every approval, rejection and refusal, kept apart from the actions so that a
 * refused request (which changes no action) is recorded too.
 */
export interface ApprovalAudit {
  /** Writes `record` unless one with its id is stored; false when one is (the same request seen again). */
  recordApproval(record: ApprovalRecord): Promise<boolean>;
  /**
   * Records, oldest first: of one action, one id, or those made in `[from, to)` (ISO instants); with no filter,
   * all of them.
   */
  approvals(filter?: {
    readonly actionId?: string;
    readonly id?: string;
    readonly from?: string;
    readonly to?: string;
  }): Promise<readonly ApprovalRecord[]>;
}

/** SSM parameters the tool publishes (budget status, training managed-spot flags). */
export interface ParameterPublisher {
  /** Writes each parameter whose value differs; returns the names written. */
  publish(parameters: ReadonlyMap<string, string>): Promise<readonly string[]>;
}

/** A training job as the spot advice needs it (its shape is the core's, which cannot import this file). */
export interface TrainingJobInfo extends TrainingJob {
  readonly startedAt?: string;
}

export interface TrainingJobSource {
  /** Training jobs that ended in `range`. */
  jobs(range: TimeRange): Promise<readonly TrainingJobInfo[]>;
}
