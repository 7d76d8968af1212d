import * as z from 'zod';
import { isValidTimezone } from './period.ts';
import { cronProblem } from './plan/cron.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const positive = z.number().positive();
const fraction = z.number().min(0).max(1);

export const ModeSchema = z.enum(['advise', 'approve', 'enforce']);
export type Mode = z.infer<typeof ModeSchema>;

export const LimitsSchema = z.strictObject({
  spendPerPeriod: positive.optional(),
  costPer1kInferences: positive.optional(),
  latencyP99Ms: positive.optional(),
  errorRate: fraction.optional(),
  utilization: z
    .strictObject({ min: fraction.optional(), max: fraction.optional() })
    .refine((u) => u.min === undefined || u.max === undefined || u.min < u.max, {
      message: 'utilization.min must be below utilization.max',
    })
    .optional(),
  maxInstances: z.number().int().positive().optional(),
});
export type Limits = z.infer<typeof LimitsSchema>;

const dayString = z.union([z.string(), z.date()]).transform((v, ctx) => {
  // YAML reads an unquoted 2026-12-31 as a Date.
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
  if (!DAY.test(s)) {
    ctx.addIssue({ code: 'custom', message: `expected a day as YYYY-MM-DD, got "${s}"` });
    return z.NEVER;
  }
  return s;
});

export const ExceptionSchema = z.strictObject({
  reason: z.string().min(1),
  approvedBy: z.string().min(1),
  expires: dayString,
  /** Endpoint name globs the exception covers; absent means the whole budget. */
  endpoints: z.array(z.string().min(1)).optional(),
  limits: LimitsSchema,
});
export type BudgetException = z.infer<typeof ExceptionSchema>;

export const SelectorSchema = z
  .strictObject({
    endpoints: z.array(z.string().min(1)).min(1).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .refine((s) => s.endpoints !== undefined || (s.tags !== undefined && Object.keys(s.tags).length > 0), {
    message: 'a selector needs endpoint globs or tags',
  });
export type Selector = z.infer<typeof SelectorSchema>;

/** Five fields (minute hour day-of-month month day-of-week) that the cron library accepts. */
const cronString = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** A week at most: a window that stays open longer would hold (or allow) changes indefinitely. */
export const MAX_WINDOW_HOURS = 168;

export const WindowSchema = z.strictObject({
  /** When the window opens, in the billing time zone. */
  cron: cronString,
  durationHours: z
    .number()
    .positive('durationHours must be above 0')
    .max(MAX_WINDOW_HOURS, `durationHours must be at most ${MAX_WINDOW_HOURS} (a week)`),
});

/** Never remove more than half the capacity in one change. */
export const MAX_STEP_PERCENT = 50;

/**
 * Guardrails a tier sets and a budget may override (absent: the tier's, then the default). Defaults: cooldown 24 h
 * per endpoint, largest step 50% of min or max (more is refused), no freeze or allow windows, a latency-safe floor of
 * 1 instance, off-hours schedules only when the budget's environment is not `prod` or `production` (a tier or budget
 * may set `schedules` either way), no scale to zero, a p99 margin of 20% under the latency ceiling, 24 h of
 * verification, and a rollback when 5XX errors or NoCapacityInvocationFailures exceed 1.5 times the hours before and
 * by more than 10.
 */
const guardrailKeys = {
  cooldownHours: z.number().min(0).optional(),
  /** Hours a change waits for approval (approve mode) before it expires and the next cycle plans afresh. */
  approvalHours: z
    .number()
    .positive('approvalHours must be above 0')
    .max(MAX_WINDOW_HOURS, `approvalHours must be at most ${MAX_WINDOW_HOURS} (a week)`)
    .optional(),
  maxStepPercent: z
    .number()
    .positive()
    .max(
      MAX_STEP_PERCENT,
      `at most ${MAX_STEP_PERCENT}: one change never removes more than half the capacity`,
    )
    .optional(),
  /** Changes are held while one of these is open. */
  freeze: z.array(WindowSchema).optional(),
  /** When given, changes are made only while one of these is open and held otherwise. */
  allow: z.array(WindowSchema).optional(),
  /** The latency-safe floor: no change sets a minimum below it. */
  minInstances: z.number().int().min(0).optional(),
  schedules: z.boolean().optional(),
  /** Inference components may go to zero copies (woken by the first request that finds none). */
  scaleToZero: z.boolean().optional(),
  latencyMarginPercent: z.number().min(0).max(90).optional(),
  verifyHours: z.number().positive().max(MAX_WINDOW_HOURS).optional(),
  errorTolerance: z
    .strictObject({ ratio: z.number().min(1), absolute: z.number().int().min(0) })
    .partial()
    .optional(),
};

export const TierGuardrailsSchema = z.strictObject(guardrailKeys);
export type TierGuardrails = z.infer<typeof TierGuardrailsSchema>;

export const ScalingGuardrailsSchema = z
  .strictObject({
    ...guardrailKeys,
    /** Overrides the tier's mode for this budget. */
    mode: ModeSchema.optional(),
    /** Overrides the tier's dryRun for this budget. */
    dryRun: z.boolean().optional(),
    /** No change raises a maximum above this (absent: the budget's limits.maxInstances, if any). */
    maxInstances: z.number().int().positive().optional(),
    /** @deprecated kept as read before cooldownHours existed: minutes, converted to hours. */
    cooldownMinutes: z.number().int().min(0).optional(),
    /** The latency-safe floor per endpoint-name glob; where several match, the highest holds. */
    minInstancesByEndpoint: z.record(z.string().min(1), z.number().int().min(0)).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.cooldownHours !== undefined && s.cooldownMinutes !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cooldownMinutes'],
        message: 'give cooldownHours or cooldownMinutes, not both',
      });
    }
    if (s.maxInstances === undefined) return;
    const max = s.maxInstances;
    if (s.minInstances !== undefined && s.minInstances > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['minInstances'],
        message: `minInstances ${s.minInstances} is above maxInstances ${max}`,
      });
    }
    for (const [glob, n] of Object.entries(s.minInstancesByEndpoint ?? {})) {
      if (n > max) {
        ctx.addIssue({
          code: 'custom',
          path: ['minInstancesByEndpoint', glob],
          message: `floor ${n} is above maxInstances ${max}`,
        });
      }
    }
  });
export type ScalingGuardrails = z.infer<typeof ScalingGuardrailsSchema>;

/**
 * Who may approve a change in approve mode: a Slack member id (`U0123ABCD`, `W0123ABCD`: what a Slack button click
 * names) or an email (what `perf-budgets approve --as` may name).
 */
export const ApproverSchema = z
  .string()
  .refine(
    (s) => /^[UW][A-Z0-9]{2,20}$/.test(s) || z.email().safeParse(s).success,
    'expected a Slack member id such as U0123ABCD or an email address',
  );
export const ApproversSchema = z.array(ApproverSchema).min(1, 'list at least one approver');

export const TierSchema = z.strictObject({
  mode: ModeSchema.default('advise'),
  dryRun: z.boolean().optional(),
  exitCriteria: z
    .strictObject({
      maxDays: z.number().int().positive().optional(),
      maxCostPer1kInferences: positive.optional(),
    })
    .optional(),
  guardrails: TierGuardrailsSchema.optional(),
  /** Who may approve the tier's changes in approve mode (a budget's own list replaces it). */
  approvers: ApproversSchema.optional(),
});
export type Tier = z.infer<typeof TierSchema>;

export const BudgetSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"'),
  owner: z.string().min(1),
  tier: z.string().min(1),
  environment: z.string().min(1),
  selector: SelectorSchema,
  limits: LimitsSchema,
  alertAt: z.array(z.number().positive().max(10)).min(1).default([0.5, 0.8, 1.0]),
  scaling: ScalingGuardrailsSchema.optional(),
  /** Who may approve this budget's changes in approve mode, instead of its tier's approvers. */
  approvers: ApproversSchema.optional(),
  exceptions: z.array(ExceptionSchema).default([]),
});
export type Budget = z.infer<typeof BudgetSchema>;

export const NotificationsSchema = z.strictObject({
  sns: z.strictObject({ topicArn: z.string().startsWith('arn:') }).optional(),
  slack: z.strictObject({ channel: z.string().optional(), webhookSecret: z.string().optional() }).optional(),
});

/** A 12-digit AWS account id. YAML reads an unquoted one as a number and drops its leading zeros: quote it. */
export const AccountIdSchema = z
  .string({
    error: (i) =>
      i.input === undefined
        ? 'required: the 12-digit account id'
        : `expected a 12-digit account id as a quoted string, e.g. "123456789012", got ${JSON.stringify(i.input)}`,
  })
  .regex(/^\d{12}$/, 'a 12-digit account id such as "123456789012"');

/** An AWS region code: us-east-1, eu-central-2, us-gov-west-1, cn-north-1. */
export const RegionSchema = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as us-east-1');

/** An IAM role ARN, in any partition. */
export const RoleArnSchema = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'an IAM role ARN such as "arn:aws:iam::123456789012:role/perf-budgets-member"',
  );

/** What STS accepts as an external id. */
export const ExternalIdSchema = z
  .string()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, '2 to 1224 letters, digits or +=,.@:/-');

/** The account id in a role ARN. */
export const roleAccount = (roleArn: string): string | undefined => roleArn.split(':')[4];

/**
 * One account whose SageMaker endpoints a live cycle reads (inventory and metrics; spend is read once, from the
 * deployment account's Cost Explorer, which covers the organisation when that is the management or a delegated
 * account). A member account is read through `roleArn`, a role the member stack creates there; the deployment
 * account itself needs no role.
 */
export const AccountSchema = z
  .strictObject({
    id: AccountIdSchema,
    /** The role to assume in this account; absent only for the deployment account itself. */
    roleArn: RoleArnSchema.optional(),
    /** The sts:ExternalId the member role requires, if it requires one. */
    externalId: ExternalIdSchema.optional(),
    /** Regions of the account to read. @default the deployment region */
    regions: z.array(RegionSchema).min(1).optional(),
  })
  .superRefine((a, ctx) => {
    const owner = a.roleArn === undefined ? undefined : roleAccount(a.roleArn);
    if (owner !== undefined && owner !== a.id) {
      ctx.addIssue({
        code: 'custom',
        path: ['roleArn'],
        message: `the role is in account ${owner}, not ${a.id}; give the role the member stack created in ${a.id}`,
      });
    }
    if (a.externalId !== undefined && a.roleArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['externalId'],
        message: 'an externalId is sent only when assuming roleArn; give roleArn too, or drop externalId',
      });
    }
    const seen = new Set<string>();
    a.regions?.forEach((r, i) => {
      if (seen.has(r))
        ctx.addIssue({ code: 'custom', path: ['regions', i], message: `duplicate region "${r}"` });
      seen.add(r);
    });
  });
export type Account = z.infer<typeof AccountSchema>;

/** Where one part of a live cycle reads inventory and metrics: an account and a region, and how to get in. */
export interface CollectionTarget {
  readonly account: string;
  readonly region: string;
  readonly roleArn?: string;
  readonly externalId?: string;
}

/** Every (account, region) the accounts list names, in file order; an account without regions is read in `defaultRegion`. */
export function collectionTargets(accounts: readonly Account[], defaultRegion: string): CollectionTarget[] {
  return accounts.flatMap((a) =>
    (a.regions ?? [defaultRegion]).map((region) => ({
      account: a.id,
      region,
      ...(a.roleArn !== undefined ? { roleArn: a.roleArn } : {}),
      ...(a.externalId !== undefined ? { externalId: a.externalId } : {}),
    })),
  );
}

/** Problems of an accounts list as a whole (each entry is checked by AccountSchema): duplicates, two home accounts. */
export function accountListProblems(
  accounts: readonly Account[],
): { index: number; field: string; message: string }[] {
  const out: { index: number; field: string; message: string }[] = [];
  const ids = new Set<string>();
  let home: string | undefined;
  accounts.forEach((a, i) => {
    if (ids.has(a.id)) {
      out.push({
        index: i,
        field: 'id',
        message: `duplicate account "${a.id}"; list its regions in one entry`,
      });
    }
    ids.add(a.id);
    if (a.roleArn === undefined) {
      if (home !== undefined && home !== a.id) {
        out.push({
          index: i,
          field: 'roleArn',
          message: `only the deployment account is read without a role, and account ${home} already is; give roleArn`,
        });
      }
      home ??= a.id;
    }
  });
  return out;
}

const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Athena refuses a per-query data usage control under 10 MB. */
export const ATHENA_MIN_SCAN_LIMIT = 10_000_000;

const AthenaSchema = z.strictObject({
  /** The Glue database and table over the export (Athena lower-cases both). */
  database: z.string().regex(GLUE_NAME, 'a Glue database name: lower-case letters, digits and _'),
  table: z.string().regex(GLUE_NAME, 'a Glue table name: lower-case letters, digits and _'),
  /** The Athena workgroup the query runs in (its data usage control caps what one query may scan). */
  workgroup: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,128}$/, 'an Athena workgroup name: letters, digits, . _ and -')
    .default('primary'),
  /** Where Athena writes results (s3://bucket/prefix/); absent when the workgroup sets it. */
  outputLocation: z
    .string()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
      'an S3 URI such as s3://bucket/athena-results/',
    )
    .optional(),
  /** Bytes one query may scan before Athena cancels it (the workgroup's limit when the stack creates it). */
  bytesScannedLimit: z
    .number()
    .int()
    .min(ATHENA_MIN_SCAN_LIMIT, "at least 10000000 bytes (Athena's smallest data usage control)")
    .optional(),
  /**
   * When given, the stack creates the database, the table over this export (partition projection on
   * BILLING_PERIOD) and the workgroup: `prefix` is the folder that holds the export's `data/`.
   */
  create: z
    .strictObject({
      bucket: z.string().regex(S3_BUCKET, 'an S3 bucket name'),
      prefix: z.string().default(''),
    })
    .optional(),
});
export type AthenaConfig = z.infer<typeof AthenaSchema>;

export const BudgetFileSchema = z
  .strictObject({
    version: z.literal(1),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'),
    billingPeriod: z.strictObject({
      startDay: z.number().int().min(1).max(28),
      timezone: z.string().refine(isValidTimezone, 'an IANA time zone such as UTC or Europe/Berlin'),
    }),
    costMetric: z.enum(['billed', 'effective']).default('billed'),
    /** Where a live cycle reads spend: Cost Explorer (default) or a FOCUS 1.0 export that AWS Data Exports writes to S3. */
    costSource: z.enum(['cost-explorer', 'focus-export', 'athena']).default('cost-explorer'),
    costExplorer: z
      .strictObject({
        /** GetCostAndUsageWithResources for the last 14 days (must be opted in to in the account's Cost Explorer settings). */
        resourceLevel: z.boolean().default(false),
        /** A cost-allocation tag whose value is the endpoint name, where the account has one. */
        endpointTag: z.string().min(1).optional(),
      })
      .optional(),
    focusExport: z
      .strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
        prefix: z.string().default(''),
      })
      .optional(),
    /** For costSource athena: one aggregate query a cycle over the Data Exports table (FOCUS 1.0) in Athena. */
    athena: AthenaSchema.optional(),
    tiers: z.record(z.string(), TierSchema),
    notifications: NotificationsSchema.optional(),
    /** Accounts and regions whose endpoints a live cycle reads. @default the deployment account and region */
    accounts: z.array(AccountSchema).min(1).optional(),
    budgets: z.array(BudgetSchema).min(1),
  })
  .superRefine((file, ctx) => {
    if (file.costSource === 'focus-export' && !file.focusExport) {
      ctx.addIssue({
        code: 'custom',
        path: ['focusExport'],
        message: 'costSource focus-export needs focusExport: { bucket, prefix }',
      });
    }
    if (file.costSource === 'athena' && !file.athena) {
      ctx.addIssue({
        code: 'custom',
        path: ['athena'],
        message: 'costSource athena needs athena: { database, table, workgroup }',
      });
    }
    for (const p of accountListProblems(file.accounts ?? [])) {
      ctx.addIssue({ code: 'custom', path: ['accounts', p.index, p.field], message: p.message });
    }
    const seen = new Set<string>();
    file.budgets.forEach((b, i) => {
      // own keys only: `in` would take `toString` or `constructor` from the prototype for a tier
      if (!Object.hasOwn(file.tiers, b.tier)) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgets', i, 'tier'],
          message: `unknown tier "${b.tier}"; expected one of: ${Object.keys(file.tiers).join(', ')}`,
        });
      }
      if (seen.has(b.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgets', i, 'name'],
          message: `duplicate budget name "${b.name}"`,
        });
      }
      seen.add(b.name);
    });
  });
export type BudgetFile = z.infer<typeof BudgetFileSchema>;

/** One problem with a budget file: the path inside it and what was expected. */
export interface BudgetProblem {
  readonly path: string;
  readonly message: string;
}

/** Formats a zod path as `budgets[2].limits.latencyP99Ms`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

export type ParseBudgetResult =
  | { readonly ok: true; readonly file: BudgetFile }
  | { readonly ok: false; readonly problems: readonly BudgetProblem[] };

/** Validates an already-parsed YAML/JSON document. */
export function parseBudgetFile(doc: unknown): ParseBudgetResult {
  const r = BudgetFileSchema.safeParse(doc);
  if (r.success) return { ok: true, file: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  };
}

/** A compiled endpoint-name glob. */
export interface Glob {
  test(name: string): boolean;
}

/**
 * Glob on endpoint names: `*` any run of characters, `?` one character, everything else itself. Matched without
 * regular expressions: a backtracking `.*.*.*x` takes time exponential in the stars (`**********x` took seconds per
 * name), while the two-pointer match below backtracks only to the last star, at most length(glob) x length(name).
 */
export function globToRegExp(glob: string): Glob {
  const pattern = glob.replace(/\*+/g, '*');
  return { test: (name) => globMatches(pattern, name) };
}

function globMatches(p: string, s: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < s.length) {
    const c = p[i];
    if (c === '*') {
      star = i++;
      resume = j;
    } else if (c !== undefined && (c === '?' || c === s[j])) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++resume;
    } else return false;
  }
  while (p[i] === '*') i++;
  return i === p.length;
}

/** Exceptions in force on `asOf` (an exception counts through its expiry day). */
export function exceptionsInForce(budget: Budget, asOf: string): BudgetException[] {
  return budget.exceptions.filter((e) => e.expires >= asOf);
}

/** The budget's limits with every exception in force applied (exception limits replace the ones they name). */
export function effectiveLimits(budget: Budget, asOf: string): Limits {
  let limits: Limits = { ...budget.limits };
  for (const e of exceptionsInForce(budget, asOf)) {
    if (e.endpoints) continue; // endpoint-scoped exceptions apply per endpoint, not to the budget
    limits = { ...limits, ...e.limits };
  }
  return limits;
}

/** Limits for one endpoint of the budget: budget-wide exceptions, then those scoped to this endpoint. */
export function endpointLimits(budget: Budget, endpoint: string, asOf: string): Limits {
  let limits = effectiveLimits(budget, asOf);
  for (const e of exceptionsInForce(budget, asOf)) {
    if (e.endpoints?.some((g) => globToRegExp(g).test(endpoint))) limits = { ...limits, ...e.limits };
  }
  return limits;
}
