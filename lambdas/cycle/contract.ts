/**
 * The contract of one governance cycle: where each step's payload is stored, the names the deployment and the
 * code share (metrics namespace, tag, report-link limits), and the zod schema of every payload that crosses a step
 * or is stored. The stack (`lib/`) imports its constants from here, the steps read payloads only through these
 * schemas: a shape exists once.
 */
import * as z from 'zod';
import type { ApiUsageReport } from '../core/api-usage.ts';
import {
  AccountIdSchema,
  ExternalIdSchema,
  LimitsSchema,
  RegionSchema,
  RoleArnSchema,
  roleAccount,
} from '../core/budget.ts';
import type {
  BudgetResult,
  CostExplorerForecast,
  CycleResult,
  EndpointResult,
} from '../core/evaluate/types.ts';
import type { CycleRecords } from '../core/ledger-records.ts';
import { ActionRecordSchema } from '../core/plan/action-record.ts';
import { ApprovalRecordSchema } from '../core/plan/approval-record.ts';
import { APPROVAL_OUTCOMES, REFUSAL_REASONS } from '../core/plan/types.ts';
import { SnapshotCodec } from '../core/records.ts';
import {
  ACTION_TYPES,
  type Action,
  CAUSES,
  type Cause,
  FINDING_KINDS,
  type Finding,
  STATUSES,
} from '../core/types.ts';

/** Service name in logs, metrics and traces. */
export const SERVICE = 'perf-budgets';
/** CloudWatch namespace of the metrics the evaluate step publishes (Powertools EMF). */
export const METRICS_NAMESPACE = 'PerfBudgets';
export { MANAGED_TAG } from '../core/plan/types.ts';

/**
 * The data bucket's key layout, one prefix per kind so that lifecycle rules and IAM policies can target each:
 *
 *   config/budgets.json               the validated budget file, written at deploy time
 *   snapshots/<asOf>/<runId>.json     collect -> evaluate: a cycle's snapshot, or one part of it
 *   findings/<asOf>/<runId>.json      evaluate -> act -> notify -> report: the result and its ledger records
 *   actions/<asOf>/<runId>.json       act -> notify -> report: the cycle's scaling actions
 *   reports/<period>/<asOf>/<file>    the billing-cycle report; reports/latest/ holds the newest
 *
 * `asOf` is the cycle's day and `runId` the Step Functions execution name, so the payloads of one day sort together
 * and a rerun of a day never overwrites another run's.
 */
export const PREFIX = {
  config: 'config/',
  snapshots: 'snapshots/',
  findings: 'findings/',
  reports: 'reports/',
  actions: 'actions/',
} as const;
/** Where the validated budget file lives in the data bucket. */
export const BUDGETS_KEY = `${PREFIX.config}budgets.json`;
/** Where the newest billing-cycle report is kept besides its own `<period>/<as-of>/` (what alerts link to). */
export const LATEST_REPORT_DIR = 'latest';
export const LATEST_REPORT_PREFIX = `${PREFIX.reports}${LATEST_REPORT_DIR}/`;

/** The kinds of stage payload. */
export type PayloadKind = 'snapshots' | 'findings' | 'actions';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A Step Functions execution name (1-80 characters) or a CLI run's id. */
export const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The key of a stage payload: `<kind>/<asOf>/<runId>.json`. */
export function payloadKey(kind: PayloadKind, asOf: string, runId: string): string {
  if (!DAY.test(asOf))
    throw new RangeError(`payload key: asOf must be YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  if (!RUN_ID.test(runId)) {
    throw new RangeError(
      `payload key: runId must be 1-128 of A-Z a-z 0-9 . _ - (the execution name, not its ARN), got ${JSON.stringify(runId)}`,
    );
  }
  return `${PREFIX[kind]}${asOf}/${runId}.json`;
}

/** The files a cycle writes (out dir, reports/<period>/<asOf>/) and their content types. */
export const CYCLE_FILES = {
  'cycle.json': 'application/json',
  'summary.md': 'text/markdown; charset=utf-8',
  'report.html': 'text/html; charset=utf-8',
  'report.md': 'text/markdown; charset=utf-8',
  'report.json': 'application/json',
} as const;
export type CycleFileName = keyof typeof CYCLE_FILES;

/** The presigned link to a report: S3 (SigV4) honours at most seven days. */
export const REPORT_LINK_SECONDS = { min: 60, max: 604_800, default: 604_800 } as const;

// ---- payload schemas -------------------------------------------------------------------------------------------

const Day = z.iso.date();
const Num = z.number();
const NullableNum = z.number().nullable();

export { ActionRecordSchema, ScalingStateSchema } from '../core/plan/action-record.ts';
export { ApprovalRecordSchema } from '../core/plan/approval-record.ts';

const Severity = z.enum(['info', 'warning', 'critical']);
const Status = z.enum(STATUSES);
const CauseKind = z.enum(CAUSES);
const Parts = z.strictObject({
  traffic: Num,
  'idle-capacity': Num,
  'instance-change': Num,
  price: Num,
  'new-endpoint': Num,
  other: Num,
});

/** What the tool's own AWS calls cost in one cycle. */
export const ApiUsageSchema = z.strictObject({
  requests: z.number().int().min(0),
  costUsd: Num,
  byApi: z
    .array(
      z.strictObject({
        api: z.string(),
        requests: z.number().int().min(0),
        metrics: z.number().int().min(0).optional(),
        /** Athena: bytes the cycle's queries scanned (the cost is of the bytes billed: per query, 10 MB at least). */
        bytesScanned: z.number().int().min(0).optional(),
        costUsd: Num,
      }),
    )
    .readonly(),
}) satisfies z.ZodType<ApiUsageReport>;

/** Cost Explorer's forecast of the account for the rest of the period (a live cycle's cross-check), or why not. */
export const CostExplorerForecastSchema = z.union([
  z.strictObject({ from: Day, to: Day, metric: z.string(), mean: Num }),
  z.strictObject({ from: Day, to: Day, error: z.string() }),
]) satisfies z.ZodType<CostExplorerForecast>;

const CauseSchema = z.strictObject({
  primary: z.union([CauseKind, z.literal('unexplained')]),
  change: Num,
  parts: Parts,
  baseline: z.strictObject({ from: Day, to: Day, dailySpend: Num }),
  current: z.strictObject({ from: Day, to: Day, dailySpend: Num }),
  summary: z.string(),
  endpoints: z
    .array(
      z.strictObject({
        endpoint: z.string(),
        parts: Parts,
        typeBefore: z.string().optional(),
        typeAfter: z.string().optional(),
      }),
    )
    .readonly()
    .optional(),
}) satisfies z.ZodType<Cause>;

const ActionSchema = z.strictObject({
  type: z.enum(ACTION_TYPES),
  endpoint: z.string().optional(),
  estimatedSavings: Num,
  risk: z.enum(['low', 'medium', 'high']),
  description: z.string(),
  change: z.record(z.string(), z.unknown()).optional(),
}) satisfies z.ZodType<Action>;

const FindingSchema = z.strictObject({
  kind: z.enum(FINDING_KINDS),
  budget: z.string(),
  endpoint: z.string().optional(),
  severity: Severity,
  message: z.string(),
  observed: Num.optional(),
  limit: Num.optional(),
  cause: CauseSchema.optional(),
  actions: z.array(ActionSchema).readonly(),
  key: z.string(),
  approval: z
    .strictObject({
      actionId: z.string().min(1),
      expiresAt: z.iso.datetime(),
      approvers: z.array(z.string()).readonly(),
    })
    .optional(),
}) satisfies z.ZodType<Finding>;

const EndpointResultSchema = z.strictObject({
  name: z.string(),
  attribution: z.enum(['resource', 'tag', 'estimated']).nullable(),
  instanceType: z.string().nullable(),
  peakInstances: NullableNum,
  spendToDate: Num,
  invocations: NullableNum,
  costPer1k: NullableNum,
  latencyP99Ms: NullableNum,
  errorRate: NullableNum,
  utilization: NullableNum,
}) satisfies z.ZodType<EndpointResult>;

const BudgetResultSchema = z.strictObject({
  name: z.string(),
  owner: z.string(),
  tier: z.string(),
  mode: z.string(),
  environment: z.string(),
  status: Status,
  cap: NullableNum,
  spendToDate: NullableNum,
  spendToDateExact: z.string().nullable(),
  forecast: z.strictObject({
    expected: NullableNum,
    low: NullableNum,
    high: NullableNum,
    method: z.string(),
  }),
  thresholds: z.strictObject({ actual: z.array(Num).readonly(), forecast: z.array(Num).readonly() }),
  cause: CauseSchema.nullable(),
  actions: z.array(ActionSchema).readonly(),
  crossesCapOn: Day.nullable(),
  limits: LimitsSchema,
  exceptions: z
    .array(
      z.strictObject({
        reason: z.string(),
        approvedBy: z.string(),
        expires: Day,
        inForce: z.boolean(),
        endpoints: z.array(z.string()).readonly().optional(),
        limits: LimitsSchema,
      }),
    )
    .readonly(),
  endpoints: z.array(EndpointResultSchema).readonly(),
  findings: z.array(FindingSchema).readonly(),
}) satisfies z.ZodType<BudgetResult>;

/** One cycle's result: `run --format json`, cycle.json, and the findings payload of the deployed pipeline. */
export const CycleResultSchema = z.strictObject({
  apiUsage: ApiUsageSchema.optional(),
  costExplorerForecast: CostExplorerForecastSchema.optional(),
  asOf: Day,
  period: z.strictObject({ start: Day, end: Day }),
  currency: z.string(),
  window: z.strictObject({ start: Day, end: Day }),
  data: z.strictObject({ costsFrom: Day.nullable(), costsThrough: Day.nullable(), metrics: z.boolean() }),
  budgets: z.array(BudgetResultSchema).readonly(),
  unbudgeted: z
    .strictObject({
      total: Num,
      untagged: Num,
      top: z
        .array(
          z.strictObject({
            endpoint: z.string().optional(),
            service: z.string(),
            amount: Num,
            untagged: Num,
          }),
        )
        .readonly(),
    })
    .optional(),
  actions: z.array(ActionRecordSchema).readonly().optional(),
  approvals: z.array(ApprovalRecordSchema).readonly().optional(),
}) satisfies z.ZodType<CycleResult>;

/** What a cycle leaves in the ledger besides its alerts. */
export const CycleRecordsSchema = z.strictObject({
  closedDays: z.array(z.strictObject({ budget: z.string(), day: Day, amount: z.string() })).readonly(),
  exceptions: z
    .array(z.strictObject({ budget: z.string(), reason: z.string(), approvedBy: z.string(), expires: Day }))
    .readonly(),
  inventory: z
    .array(
      z.strictObject({
        day: Day,
        endpoint: z.string(),
        variant: z.string(),
        instanceType: z.string(),
        count: z.number().int().nonnegative(),
      }),
    )
    .readonly()
    .optional(),
  asOf: Day,
}) satisfies z.ZodType<CycleRecords>;

/** Where a collection target is: an account and region (how to get in is the collect step's business). */
export const TargetSchema = z.strictObject({ account: AccountIdSchema, region: RegionSchema });

/**
 * One part of a cycle's snapshot, as collect stores it under snapshots/: the spend (read once, from the deployment
 * account, not yet placed on endpoints) or the inventory and metrics of one account and region.
 */
export const SnapshotPartSchema = z.discriminatedUnion('part', [
  z.strictObject({
    part: z.literal('costs'),
    snapshot: SnapshotCodec,
    /** Tags that place cost rows on endpoints, for the merge. */
    attribution: z.strictObject({
      endpointTag: z.string().optional(),
      groupTag: z.string().optional(),
      /** Tag conditions Cost Explorer's tag queries told the rows of a group apart by. */
      resolvedTags: z
        .array(
          z.strictObject({
            tags: z.record(z.string(), z.string()),
            groupValues: z.array(z.string()).readonly().optional(),
          }),
        )
        .readonly()
        .optional(),
    }),
    /** The paid API calls the part made (absent when it read files). */
    apiUsage: ApiUsageSchema.optional(),
    costExplorerForecast: CostExplorerForecastSchema.optional(),
  }),
  z.strictObject({
    part: z.literal('resources'),
    snapshot: SnapshotCodec,
    /** Where the part was read (absent when it read files). */
    target: TargetSchema.optional(),
    apiUsage: ApiUsageSchema.optional(),
  }),
]);
export type SnapshotPart = z.output<typeof SnapshotPartSchema>;

/** Where the findings came from: the snapshot parts, so that the report can evaluate them again. */
export const CycleInputsSchema = z.strictObject({
  partKeys: z.array(z.string().startsWith(PREFIX.snapshots)).min(1).max(1000).readonly(),
});

/** What evaluate stores under findings/ for act, notify and report. */
export const FindingsSchema = z.strictObject({
  result: CycleResultSchema,
  records: CycleRecordsSchema,
  inputs: CycleInputsSchema,
});
export type Findings = z.output<typeof FindingsSchema>;

/** What act stores under actions/ for notify and report: the cycle's actions. */
export const ActionsPayloadSchema = z.strictObject({
  asOf: Day,
  actions: z.array(ActionRecordSchema).readonly(),
  /** The period's audit trail of approvals (absent in payloads written before approve mode). */
  approvals: z.array(ApprovalRecordSchema).readonly().optional(),
});

/** What act decided: counts and ids (the actions themselves are stored under actions/). */
export const ActOutcomeSchema = z.strictObject({
  advised: z.number().int().min(0),
  applied: z.array(z.string()).readonly(),
  verified: z.array(z.string()).readonly(),
  rolledBack: z.array(z.string()).readonly(),
  failed: z.array(z.string()).readonly(),
  parameters: z.array(z.string()).readonly(),
  problems: z.array(z.string()).readonly(),
});

// ---- step events: what the state machine passes to each Lambda, and what each returns -----------------------------

const RunIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,80}$/, 'expected the execution name (1-80 of A-Z a-z 0-9 . _ -)');
const SnapshotKeySchema = z.string().startsWith(PREFIX.snapshots);
const FindingsKeySchema = z.string().startsWith(PREFIX.findings);
const ActionsKeySchema = z.string().startsWith(PREFIX.actions);

/** Where a collect part reads: an account and region, and the member role to assume there. */
export const CollectTargetSchema = z
  .strictObject({
    account: AccountIdSchema,
    region: RegionSchema,
    /** The member role to assume; absent for the deployment account, read with the function's own role. */
    roleArn: RoleArnSchema.optional(),
    externalId: ExternalIdSchema.optional(),
  })
  .refine((t) => t.roleArn === undefined || roleAccount(t.roleArn) === t.account, {
    message: 'roleArn must be a role in the target account',
    path: ['roleArn'],
  })
  .refine((t) => t.externalId === undefined || t.roleArn !== undefined, {
    message: 'externalId is sent only when assuming roleArn',
    path: ['externalId'],
  });

export const CollectEventSchema = z
  .object({
    /** The execution name: payload keys are made of it. */
    runId: RunIdSchema,
    /** The day to judge (a manual run's choice). */
    asOf: z.iso.date().optional(),
    /** The instant the cycle runs for (a schedule's time, an execution's start): the day before it is judged. */
    at: z.iso.datetime({ offset: true }).optional(),
    /** What to collect: the spend (once per cycle, from the deployment account), or one target's resources. */
    part: z.enum(['costs', 'resources']),
    /** Where to collect resources. @default the deployment account in the function's region */
    target: CollectTargetSchema.optional(),
  })
  .refine((e) => e.asOf === undefined || e.at === undefined, {
    message: 'give asOf or at, not both',
    path: ['at'],
  })
  .refine((e) => e.part === 'resources' || e.target?.roleArn === undefined, {
    message: 'spend is read from the deployment account only (Cost Explorer covers the organisation there)',
    path: ['target', 'roleArn'],
  });
export const CollectOutputSchema = z.strictObject({
  runId: RunIdSchema,
  asOf: Day,
  snapshotKey: SnapshotKeySchema,
});

export const EvaluateEventSchema = z.object({
  runId: RunIdSchema,
  asOf: Day,
  /** The parts of the cycle in the Map's order: the spend, then one per account and region. */
  partKeys: CycleInputsSchema.shape.partKeys,
});
export const EvaluateOutputSchema = z.strictObject({
  runId: RunIdSchema,
  asOf: Day,
  resultKey: FindingsKeySchema,
  breached: z.number().int(),
  unknown: z.number().int(),
  atRisk: z.number().int(),
  ok: z.number().int(),
});

/** Act reads the findings evaluate stored. */
export const FindingsEventSchema = z.object({ runId: RunIdSchema, asOf: Day, resultKey: FindingsKeySchema });
export const ActOutputSchema = FindingsEventSchema.extend({
  ...ActOutcomeSchema.shape,
  /** The cycle's actions (actions/<asOf>/<runId>.json). */
  actionsKey: ActionsKeySchema,
});
/** Notify reads the findings and what act did: a change it rolled back is alerted. */
export const NotifyEventSchema = FindingsEventSchema.extend({
  /** The cycle's actions; absent from an execution started before act stored them. */
  actionsKey: ActionsKeySchema.optional(),
});
export const NotifyOutputSchema = z.strictObject({
  runId: RunIdSchema,
  asOf: Day,
  alerts: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
});

export const ReportEventSchema = z.object({
  asOf: Day,
  resultKey: FindingsKeySchema,
  /** The cycle's actions, listed in the report (and cycle.json) as the CLI lists them. */
  actionsKey: ActionsKeySchema.optional(),
});
export const ReportOutputSchema = z.strictObject({
  asOf: Day,
  html: z.string(),
  markdown: z.string(),
  json: z.string(),
  slack: z.enum(['sent', 'failed']).optional(),
});

// ---- approvals: what the Slack interaction handler hands its worker (an asynchronous invoke) ----------------------

/**
 * A decided click: the decision's outcome (only `approved` is applied, and only if the ledger still says so), who
 * clicked, what to tell them, and where: the click's response_url (Slack's host only) and the clicked message's
 * blocks, which the answer replaces.
 */
export const ApprovalWorkSchema = z.strictObject({
  actionId: z.string().min(1),
  outcome: z.enum(APPROVAL_OUTCOMES),
  reason: z.enum(REFUSAL_REASONS).optional(),
  by: z.string().min(1),
  detail: z.string(),
  responseUrl: z.string().optional(),
  blocks: z
    .array(z.looseObject({ type: z.string(), block_id: z.string().optional() }))
    .max(50)
    .optional(),
});
export type ApprovalWork = z.output<typeof ApprovalWorkSchema>;
