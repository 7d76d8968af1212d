/**
 * The shapes of actuation: what a scalable resource is, the scaling state the tool reads, records and restores, a
 * plan for one resource, the guardrails that hold it, and an action's ledger record and lifecycle. Pure types and
 * constants: the planner, the guard, the act step and the adapters all speak these.
 */

/** The tag that opts a SageMaker endpoint or scalable target in to changes made by the tool (value `true`). */
export const MANAGED_TAG = 'perf-budgets:managed';

/** Every policy and scheduled action the tool writes is named with this prefix; it never touches another. */
export const TOOL_PREFIX = 'perf-budgets-';

export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
export const COMPONENT_DIMENSION = 'sagemaker:inference-component:DesiredCopyCount';
export type ScalableDimension = typeof VARIANT_DIMENSION | typeof COMPONENT_DIMENSION;

/** The predefined metric target tracking follows, per dimension. */
export const TARGET_METRIC = {
  [VARIANT_DIMENSION]: 'SageMakerVariantInvocationsPerInstance',
  [COMPONENT_DIMENSION]: 'SageMakerInferenceComponentInvocationsPerCopy',
} as const;

/** The tool's own policy and action names on a resource. */
export const TOOL_NAMES = {
  targetTracking: `${TOOL_PREFIX}target-tracking`,
  /** Step scaling on NoCapacityInvocationFailures: what brings an inference component back from zero copies. */
  wakeOnRequest: `${TOOL_PREFIX}wake-on-request`,
  /** Scheduled actions: `${TOOL_PREFIX}off-hours-start`, `${TOOL_PREFIX}off-hours-end`. */
  schedule: (part: string) => `${TOOL_PREFIX}${part}`,
} as const;

/**
 * One thing Application Auto Scaling scales: a production variant's instance count, or an inference component's
 * copy count. `resourceId` is Application Auto Scaling's (`endpoint/<name>/variant/<variant>`,
 * `inference-component/<name>`).
 */
export interface ScalableResource {
  readonly resourceId: string;
  readonly dimension: ScalableDimension;
  readonly endpoint: string;
  readonly variant?: string;
  readonly component?: string;
  readonly instanceType?: string;
  /** Where it lives (absent: the account and region the cycle runs in). */
  readonly account?: string;
  readonly region?: string;
}

export const variantResourceId = (endpoint: string, variant: string): string =>
  `endpoint/${endpoint}/variant/${variant}`;
export const componentResourceId = (component: string): string => `inference-component/${component}`;

/** A scheduled action the tool keeps on a resource (cron in the billing time zone). */
export interface ScheduledSetting {
  readonly name: string;
  /** `cron(m h dom mon dow year)` as Application Auto Scaling takes it. */
  readonly schedule: string;
  readonly timezone: string;
  readonly min: number;
  readonly max: number;
}

/** The tool's target-tracking policy. */
export interface TargetTrackingSetting {
  readonly metric: string;
  readonly targetValue: number;
  readonly scaleInCooldownSeconds: number;
  readonly scaleOutCooldownSeconds: number;
}

/**
 * The scaling of one resource as far as the tool may write it: the registered target (null when none is), the
 * tool's own target-tracking policy, its wake-on-request step policy (scale to zero) and its scheduled actions. What
 * is recorded before a change and restored by a rollback.
 */
export interface ScalingState {
  readonly target: { readonly min: number; readonly max: number } | null;
  readonly targetTracking: TargetTrackingSetting | null;
  readonly wakeOnRequest: boolean;
  readonly schedules: readonly ScheduledSetting[];
}

export const NO_SCALING: ScalingState = {
  target: null,
  targetTracking: null,
  wakeOnRequest: false,
  schedules: [],
};

/** What the scaler reads of a resource: the tool's state, and what others put there that the tool must not touch. */
export interface ObservedScaling {
  readonly state: ScalingState;
  /** Scaling policies on the resource not named with the tool's prefix. */
  readonly foreignPolicies: readonly { readonly name: string; readonly type: string }[];
  /** Scheduled actions on the resource not named with the tool's prefix. */
  readonly foreignSchedules: readonly string[];
}

/** The kinds of change the tool can make, all through Application Auto Scaling. */
export const CHANGE_KINDS = ['scaling', 'schedule', 'scale-to-zero', 'experiment-floor'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One planned change of one resource, with what it predicts and the evidence behind it. */
export interface ScalingPlan {
  readonly kind: ChangeKind;
  readonly budget: string;
  readonly resource: ScalableResource;
  readonly before: ScalingState;
  readonly after: ScalingState;
  readonly predicted: {
    /** Spend of the resource for the rest of the period under `after`, currency units. */
    readonly spend: number;
    /** The same under `before` (what the change saves is the difference). */
    readonly spendBefore: number;
    /** Predicted p99 latency at the busiest fitted hour under `after`; null when no latency was measured. */
    readonly p99Ms: number | null;
  };
  /** The hours the latency and load model was fitted on. */
  readonly evidence: { readonly hours: number; readonly from: string; readonly to: string };
  /** Why, in one or two sentences a reader can check. */
  readonly reason: string;
  /**
   * When the budget's cap and its latency ceiling cannot both hold: the ceiling wins, and the plan says the budget
   * is infeasible at that latency.
   */
  readonly infeasible?: string;
}

/** How a tier or budget lets the tool act. */
export const MODES = ['advise', 'approve', 'enforce'] as const;
export type ActMode = (typeof MODES)[number];

/** A window in which changes are held (or, for `allow`, the only windows they may be made in). */
export interface Window {
  /** Five-field cron (minute hour day-of-month month day-of-week) in the billing time zone: when the window opens. */
  readonly cron: string;
  readonly durationHours: number;
}

/** The guardrails in force for one budget: its tier's, with the budget's own overrides. */
export interface Guardrails {
  readonly mode: ActMode;
  readonly dryRun: boolean;
  /** Hours between two changes of one endpoint. */
  readonly cooldownHours: number;
  /** The largest share of capacity (min or max) one change may remove, percent. */
  readonly maxStepPercent: number;
  /** Changes are held while a freeze window is open. */
  readonly freeze: readonly Window[];
  /** When given, changes are made only while one of these is open (held otherwise). */
  readonly allow: readonly Window[];
  /** No change takes a minimum below this (latency-safe floor), per endpoint glob or for all. */
  readonly minInstances: number;
  readonly minInstancesByEndpoint: Readonly<Record<string, number>>;
  /** No change raises a maximum above this. */
  readonly maxInstances?: number;
  /** Off-hours schedules are allowed (dev, staging, experiments). */
  readonly schedules: boolean;
  /** Inference components may be scaled to zero copies. */
  readonly scaleToZero: boolean;
  /** The p99 the plan keeps under the latency ceiling, percent of the ceiling. */
  readonly latencyMarginPercent: number;
  /** Hours a change waits for approval (approve mode) before it is `expired`. */
  readonly approvalHours: number;
  /** Who may approve (Slack member ids, emails); empty: nobody can, and approve-mode changes expire unapplied. */
  readonly approvers: readonly string[];
  /** Hours an applied change is watched before it is `verified`. */
  readonly verifyHours: number;
  /** How much worse 5XX errors and NoCapacityInvocationFailures may get after a change before it is rolled back. */
  readonly errorTolerance: { readonly ratio: number; readonly absolute: number };
}

/**
 * An action's lifecycle: `recommended -> (pending-approval -> approved ->) applied -> verified | rolled-back`; a
 * pending action may instead be `rejected`, or `expired` when nobody decided in time (the next cycle plans afresh).
 */
export const ACTION_STATUSES = [
  'recommended',
  'pending-approval',
  'approved',
  'rejected',
  'applied',
  'verified',
  'rolled-back',
  'skipped',
  'failed',
  'expired',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Why an action was not applied. */
export const SKIP_REASONS = [
  'mode',
  'dry-run',
  'not-managed',
  'not-in-service',
  'burstable-instance',
  'cooldown',
  'freeze',
  'outside-window',
  'foreign-policy',
  'no-change',
  'local-run',
  'unsupported',
  /** The latency is the model's (capacity to spare): more instances would cost without helping. */
  'model-latency',
  /** No ledger to record the change in, so it could not be undone: never applied. */
  'no-ledger',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What a change did, measured over the same number of hours before and after it. */
export interface Measured {
  readonly hours: number;
  readonly before: MeasuredWindow;
  readonly after: MeasuredWindow;
  /** Spend saved over the measured hours (before minus after, per hour times hours), currency units. */
  readonly saving: number | null;
}
export interface MeasuredWindow {
  readonly p99Ms: number | null;
  readonly errors5xx: number | null;
  readonly noCapacity: number | null;
  readonly instanceHours: number | null;
}

/** One entry of an action's history. */
export interface ActionEvent {
  readonly status: ActionStatus;
  /** ISO instant. */
  readonly at: string;
  readonly reason?: string;
  readonly by?: string;
}

/** One action in the ledger: a planned change of one resource and everything that became of it. */
export interface ActionRecord {
  /** Stable for the same change of the same resource on the same day: a rerun finds its own record. */
  readonly id: string;
  readonly budget: string;
  readonly kind: ChangeKind;
  readonly resource: ScalableResource;
  readonly status: ActionStatus;
  /** `<SkipReason>: <sentence>`, the AWS error of a failure, or why it was rolled back. */
  readonly reason?: string;
  readonly before: ScalingState;
  readonly after: ScalingState;
  readonly predicted: { readonly spend: number; readonly p99Ms: number | null };
  /** Predicted spend before minus after over the rest of the period, currency units (negative: it costs). */
  readonly estimatedSavings?: number;
  /** The plan's reason: why this change, with its numbers. */
  readonly why?: string;
  /** Set when the budget's cap and latency ceiling cannot both hold (the ceiling wins). */
  readonly infeasible?: string;
  readonly evidence: ScalingPlan['evidence'];
  readonly measured?: Measured;
  /** The cycle's day that planned it. */
  readonly asOf: string;
  /** ISO instants. */
  readonly createdAt: string;
  readonly appliedAt?: string;
  readonly history: readonly ActionEvent[];
}

// ---- approvals ---------------------------------------------------------------------------------------------------

/** How a person's decision on a pending action reached the tool. */
export const APPROVAL_CHANNELS = ['slack', 'cli'] as const;
export type ApprovalChannel = (typeof APPROVAL_CHANNELS)[number];

/** What became of a request to approve or reject an action. */
export const APPROVAL_OUTCOMES = ['approved', 'rejected', 'refused'] as const;
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];

/** Why a request to approve or reject was refused (nothing was changed). */
export const REFUSAL_REASONS = [
  /** The Slack request's signature does not match the signing secret (forged or altered). */
  'bad-signature',
  /** The signature or timestamp header is missing, or the timestamp is not Unix seconds. */
  'missing-headers',
  /** The timestamp is more than five minutes from now: a captured request replayed later. */
  'stale-timestamp',
  /** No signing secret is configured: no request can be trusted. */
  'no-signing-secret',
  /** The same signed request was seen before. */
  'replay',
  /** Not a request the tool understands (not a button of its own, no action id). */
  'bad-request',
  /** No such action in the ledger. */
  'unknown-action',
  /** The action is not waiting for approval (already decided, applied, or never needed one). */
  'not-pending',
  /** The action waited longer than its tier's approval time. */
  'expired',
  /** The person is not an approver of the action's budget. */
  'not-approver',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * One decision on an action, kept in the ledger as the audit trail: every approval, rejection and refusal with who,
 * when, how and what. A refusal of an unsigned or forged request names who it claimed to be, marked unverified.
 */
export interface ApprovalRecord {
  /** `apr-` and 16 hex digits; for a Slack request, derived from its signature, so one request is one record. */
  readonly id: string;
  readonly outcome: ApprovalOutcome;
  readonly reason?: RefusalReason;
  /** The action asked about, when the request named one. */
  readonly actionId?: string;
  readonly budget?: string;
  readonly endpoint?: string;
  /** Slack user id, email or name given with `--as`; `unverified:<claim>` when the request was not trusted. */
  readonly by: string;
  readonly via: ApprovalChannel;
  /** ISO instant (Date.toISOString). */
  readonly at: string;
  /** One sentence: what was decided, or why it was refused. */
  readonly detail: string;
}
