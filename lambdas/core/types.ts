import type { Money } from './money.ts';

/** Where a value came from, so an error or a finding can point at it. */
export interface SourceRef {
  readonly file: string;
  /** 1-based line of the row in a CSV (header is line 1), or a JSON path. */
  readonly row?: number;
  readonly path?: string;
}

/**
 * One billing charge, whatever file or API it came from. Parsers fill what their format has;
 * the core never assumes a field a format lacks.
 */
export interface CostRecord {
  /** Charge period start and end, epoch ms (UTC). */
  readonly start: number;
  readonly end: number;
  /** The budget file's cost metric (billed or effective), exact. */
  readonly amount: Money;
  readonly currency: string;
  /** "Amazon SageMaker", "Amazon Simple Storage Service", "Tax", ... */
  readonly service: string;
  /** FOCUS ChargeCategory / CUR LineItemType: Usage, Tax, Credit, Purchase, Adjustment, ... */
  readonly chargeCategory?: string;
  /** Usage type, e.g. "USE1-Host:ml.g5.xlarge" (CUR/CE) or the SKU description's equivalent (FOCUS). */
  readonly usageType?: string;
  readonly resourceId?: string;
  readonly region?: string;
  readonly account?: string;
  /** Set when the row is SageMaker real-time hosting of a recognised endpoint. */
  readonly endpoint?: string;
  /** "ml.g5.xlarge" when the row is instance usage. */
  readonly instanceType?: string;
  /** Instance-hours for hosting rows; other usage quantities are not kept. */
  readonly usageHours?: number;
  /** Training job usage ("Train:ml.*"), for the managed-spot lever. */
  readonly training?: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly source?: SourceRef;
}

/** CloudWatch statistic: Sum, Average, Maximum, Minimum, SampleCount, or a percentile like p99 / p99.9. */
export type Stat = string;

export const KNOWN_METRICS = [
  'Invocations',
  'InvocationsPerInstance',
  'ModelLatency',
  'OverheadLatency',
  'Invocation4XXErrors',
  'Invocation5XXErrors',
  'InvocationModelErrors',
  'ModelSetupTime',
  'ConcurrentRequestsPerModel',
  'CPUUtilization',
  'MemoryUtilization',
  'GPUUtilization',
  'GPUMemoryUtilization',
  'DiskUtilization',
  /** Inference components: requests refused for want of a copy (what brings a component back from zero). */
  'NoCapacityInvocationFailures',
] as const;
export type MetricName = (typeof KNOWN_METRICS)[number];

/** One metric of one endpoint variant at one statistic, as parallel columns (compact for millions of points). */
export interface MetricSeries {
  readonly endpoint: string;
  readonly variant: string;
  /**
   * Set when the series is one inference component's (CloudWatch dimension InferenceComponentName), hosted on
   * `variant`: the endpoint's own figures leave such series out (their invocations are the variant's too).
   */
  readonly component?: string;
  readonly metric: MetricName;
  readonly stat: Stat;
  /** Datapoint timestamps (epoch ms, period start), ascending. */
  readonly t: Float64Array;
  /** Values in CloudWatch units: latency in microseconds, utilisation in percent (CPU summed over cores). */
  readonly v: Float64Array;
  /** Datapoint period in seconds (3600 for hourly data). */
  readonly periodSeconds: number;
}

/** One production variant of an endpoint (instance-based or served by inference components). */
export interface VariantInfo {
  readonly name: string;
  readonly instanceType?: string;
  readonly instanceCount?: number;
  /** Application Auto Scaling target of the variant's DesiredInstanceCount, when registered. */
  readonly scaling?: { readonly min: number; readonly max: number; readonly targetValue?: number };
}

/** One inference component: what DescribeInferenceComponent and ListTags say of it. */
export interface ComponentInfo {
  readonly name: string;
  /** The variant it is placed on. */
  readonly variant: string;
  /** Copies in service (RuntimeConfig.CurrentCopyCount), when read. */
  readonly copies?: number;
  /** InferenceComponentStatus: InService, Creating, Updating, Failed, Deleting. */
  readonly status?: string;
  /** Accelerators (GPUs, Neuron cores) one copy holds: how many copies an instance fits. */
  readonly acceleratorsPerCopy?: number;
  /** The component's own tags (Application Auto Scaling's permission check judges it by them), when read. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What the core knows about an endpoint, from the SageMaker inventory or derived from billing rows. */
export interface EndpointInfo {
  readonly name: string;
  readonly arn?: string;
  readonly region?: string;
  readonly account?: string;
  readonly instanceType?: string;
  /** Current instance count (desired), when known. */
  readonly instanceCount?: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt?: string;
  /** SageMaker's EndpointStatus (InService, Creating, Updating, Failed, ...), when read from the inventory. */
  readonly status?: string;
  readonly scaling?: { readonly min: number; readonly max: number; readonly targetValue?: number };
  readonly variants?: readonly VariantInfo[];
  /** The inference components serving the endpoint's variants (each a resource Application Auto Scaling scales). */
  readonly components?: readonly ComponentInfo[];
  /** Asynchronous inference endpoints publish no Invocations metric. */
  readonly asynchronous?: boolean;
  /**
   * Instance-hours per billing day and instance type, reconstructed from the current count and the scaling
   * activities: what estimated attribution splits a usage type's spend by.
   */
  readonly instanceHours?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How this endpoint's spend was attributed. */
  readonly attribution?: 'resource' | 'tag' | 'estimated';
}

/** A hole in the inputs: a source that failed, a day with no rows, an endpoint with no metrics. */
export interface DataGap {
  readonly source: 'costs' | 'metrics' | 'inventory';
  readonly scope?: string;
  /**
   * The one endpoint the hole is about, when it is about one: only the budgets that select it are warned. Absent,
   * the hole is the account's and every budget is warned.
   */
  readonly endpoint?: string;
  readonly message: string;
}

/** Everything one cycle collected: the input of `evaluate`. */
export interface Snapshot {
  readonly asOf: string;
  readonly currency: string;
  readonly costs: readonly CostRecord[];
  /** Undefined when no metric source was given (a cost-only run). */
  readonly metrics?: readonly MetricSeries[];
  readonly inventory: readonly EndpointInfo[];
  readonly gaps: readonly DataGap[];
  /** Last day (inclusive, billing zone) for which the cost source is complete, when it knows. */
  readonly costsCompleteThrough?: string;
}

/** A budget's standing; `unknown` when its spend could not be read at all (never `ok` by default). */
export const STATUSES = ['ok', 'at-risk', 'breached', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

export const FINDING_KINDS = [
  'spend-breach',
  'spend-forecast',
  'unit-cost',
  'latency',
  'error-rate',
  'utilization-low',
  'utilization-high',
  'max-instances',
  'exit-criteria',
  'exception-expired',
  'incomplete-data',
  'unbudgeted-spend',
  'overlapping-budgets',
  'change-rolled-back',
  'change-pending-approval',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * What alerts are about: each finding kind alerted one by one, and `spend`, one alert per basis (actual or forecast)
 * that the alertAt thresholds drive instead of the spend findings. Expired exceptions, unbudgeted spend and
 * overlapping budgets go to reports only.
 */
export type AlertKind =
  | Exclude<
      FindingKind,
      'spend-breach' | 'spend-forecast' | 'exception-expired' | 'unbudgeted-spend' | 'overlapping-budgets'
    >
  | 'spend';

/** What an alert tells of its state: newly crossed, worse than what was sent, or back within its limit. */
export type AlertTransition = 'opened' | 'escalated' | 'resolved';

export type Severity = 'info' | 'warning' | 'critical';

export const CAUSES = ['traffic', 'idle-capacity', 'instance-change', 'price', 'new-endpoint'] as const;
export type CauseKind = (typeof CAUSES)[number];

/**
 * Why spend (or unit cost) moved: the change in period spend between a baseline window and the current window,
 * split into drivers, in currency units. The parts (with `other` for non-hosting charges) sum to `change`.
 */
export interface Cause {
  /** The part holding the largest share of the change; `unexplained` when that is the rest no driver measured. */
  readonly primary: CauseKind | 'unexplained';
  readonly change: number;
  readonly parts: Readonly<Record<CauseKind | 'other', number>>;
  readonly baseline: { readonly from: string; readonly to: string; readonly dailySpend: number };
  readonly current: { readonly from: string; readonly to: string; readonly dailySpend: number };
  /** The cause in one sentence, for people. */
  readonly summary: string;
  /** The same split per endpoint, largest contributors first. */
  readonly endpoints?: readonly EndpointCause[];
}

export interface EndpointCause {
  readonly endpoint: string;
  readonly parts: Readonly<Record<CauseKind | 'other', number>>;
  readonly typeBefore?: string;
  readonly typeAfter?: string;
}

export const ACTION_TYPES = [
  'lower-min-instances',
  'schedule-scale-down',
  'right-size-instance',
  'retire-endpoint',
  'raise-max-instances',
  'lower-max-instances',
  'raise-scaling-target',
  'revert-instance-type',
  'end-experiment',
  'investigate-errors',
  'review-model-latency',
  'enable-managed-spot',
  'restore-data',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type Risk = 'low' | 'medium' | 'high';

export interface Action {
  readonly type: ActionType;
  readonly endpoint?: string;
  /** Saving over the rest of the billing period if applied on as-of, currency units (0 when it saves nothing). */
  readonly estimatedSavings: number;
  /** Risk to latency (and availability) of applying it. */
  readonly risk: Risk;
  readonly description: string;
  /** The change itself, for the actuator: e.g. { minInstances: { from: 4, to: 1 } }. */
  readonly change?: Readonly<Record<string, unknown>>;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly budget: string;
  readonly endpoint?: string;
  readonly severity: Severity;
  readonly message: string;
  /** Observed value and the limit it is judged against, in the limit's unit. */
  readonly observed?: number;
  readonly limit?: number;
  readonly cause?: Cause;
  readonly actions: readonly Action[];
  /** Stable identity for alert de-duplication: kind, budget, endpoint and threshold. */
  readonly key: string;
  /** A scaling change waiting for a person (`change-pending-approval`): what to approve and until when. */
  readonly approval?: PendingApproval;
}

/** A change waiting for approval, as its alert offers it. */
export interface PendingApproval {
  readonly actionId: string;
  /** ISO instant after which it can no longer be approved. */
  readonly expiresAt: string;
  /** Who may approve it (Slack member ids, emails); empty: nobody is listed. */
  readonly approvers: readonly string[];
}
