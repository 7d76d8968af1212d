import { Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type Account, AccountSchema, accountListProblems, formatPath } from '../lambdas/core/budget.ts';
import { REPORT_LINK_SECONDS } from '../lambdas/cycle/contract.ts';
import type { AlertTarget } from './alert-targets.ts';

export interface PerfBudgetsProps {
  /** Path of the budget file (YAML or JSON). Validated at synth with the CLI's schema and uploaded as JSON. */
  readonly budgetsFile: string;
  /**
   * When the governance cycle runs, as an EventBridge Scheduler expression (`cron(...)`, `rate(...)`).
   * @default 'cron(0 6 * * ? *)', daily at 06:00 in `timeZone`
   */
  readonly scheduleExpression?: string;
  /**
   * When the weekly billing-cycle report runs (a cycle followed by the report). The report also runs on the first
   * day of each billing period, for the period that just closed.
   * @default 'cron(0 7 ? * MON *)', Mondays at 07:00 in `timeZone`
   */
  readonly reportScheduleExpression?: string;
  /** IANA time zone of the schedules. @default - the budget file's billingPeriod.timezone */
  readonly timeZone?: string;
  /** An email address subscribed to the alert topic (confirmed by its owner). @default - no subscription */
  readonly alarmEmail?: string;
  /** Retention of the Lambda and state machine logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Accounts and regions whose endpoints each cycle reads (inventory and metrics), through the member role each
   * account deploys (`PerfBudgetsMemberStack`); spend is read once, from this account's Cost Explorer. Replaces the
   * budget file's `accounts` when given. The deployment account is read only if it is listed (without a roleArn).
   * @default - the budget file's accounts, else this account in this region
   */
  readonly accounts?: readonly Account[];
  /**
   * Where alerts and the report summary go (`AlertTargets.sns()`, `AlertTargets.slack()`); `[]` for none. Pipeline
   * failures go to the topic whatever the targets.
   * @default - the channels the budget file's `notifications` block names (sns, slack), else the topic alone; they
   * use this deployment's topic and Slack secret
   */
  readonly alertTargets?: readonly AlertTarget[];
  /**
   * Lifetime of the report's presigned link, in whole seconds from `REPORT_LINK_SECONDS.min` to
   * `REPORT_LINK_SECONDS.max` (the longest a presigned S3 link lasts), see `lambdas/cycle/contract.ts`.
   * @default REPORT_LINK_SECONDS.default
   */
  readonly reportLinkSeconds?: number;
  /**
   * For `costSource: athena` over a table that exists already (no `athena.create` in the budget file): the S3
   * location the table reads, its LOCATION (for a Data Export, `s3://<bucket>/<prefix>/<export name>/data/`). Collect
   * may list and read objects there and nowhere else.
   * @default - none; required for an existing table, refused with `athena.create` (the stack knows the location)
   */
  readonly athenaTableLocation?: string;
}

export const DEFAULT_SCHEDULE = 'cron(0 6 * * ? *)';
export const DEFAULT_REPORT_SCHEDULE = 'cron(0 7 ? * MON *)';

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
const SCHEDULE_EXPRESSION = /^(cron|rate|at)\(.+\)$/;
const DAY_SECONDS = 86_400;

/** Checks the props that need no budget file; throws one message with the bad value and the fix. */
export function validateProps(id: string, props: PerfBudgetsProps): void {
  const fail = (message: string) => {
    throw new Error(`PerfBudgets ${id}: ${message}`);
  };
  if (typeof props.budgetsFile !== 'string' || props.budgetsFile.trim() === '') {
    fail(
      `budgetsFile ${JSON.stringify(props.budgetsFile)} is empty; give the path of a budget file (YAML or JSON)`,
    );
  }
  for (const [name, value] of [
    ['scheduleExpression', props.scheduleExpression ?? DEFAULT_SCHEDULE],
    ['reportScheduleExpression', props.reportScheduleExpression ?? DEFAULT_REPORT_SCHEDULE],
  ] as const) {
    if (!SCHEDULE_EXPRESSION.test(value)) {
      fail(
        `${name} ${JSON.stringify(value)} is not a Scheduler expression; use cron(...) or rate(...), e.g. "cron(0 6 * * ? *)"`,
      );
    }
  }
  if (props.timeZone !== undefined && !isTimeZone(props.timeZone)) {
    fail(
      `timeZone ${JSON.stringify(props.timeZone)} is not an IANA time zone; use e.g. "UTC" or "Europe/Berlin"`,
    );
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    fail(
      `alarmEmail ${JSON.stringify(props.alarmEmail)} is not an email address; use e.g. "finops@example.com"`,
    );
  }
  const link = props.reportLinkSeconds;
  const { min, max } = REPORT_LINK_SECONDS;
  if (link !== undefined && (!Number.isInteger(link) || link < min || link > max)) {
    fail(
      `reportLinkSeconds ${link} is out of range; use whole seconds from ${min} to ${max} (${max / DAY_SECONDS} days, the longest a presigned S3 link lasts)`,
    );
  }
  if (props.athenaTableLocation !== undefined && !S3_URI.test(props.athenaTableLocation)) {
    fail(
      `athenaTableLocation ${JSON.stringify(props.athenaTableLocation)} is not an S3 location; use the table's LOCATION, e.g. "s3://my-exports/focus/my-export/data/"`,
    );
  }
  if (
    props.logRetention === logs.RetentionDays.ONE_DAY ||
    props.logRetention === logs.RetentionDays.INFINITE
  ) {
    fail(`logRetention ${props.logRetention} is not allowed; use a period from ONE_WEEK to TEN_YEARS`);
  }
}

/** Accounts given as props are checked as the budget file's are, with the same messages. */
export function validateAccounts(id: string, accounts: readonly Account[]): void {
  const problems: string[] = [];
  if (accounts.length === 0)
    problems.push('accounts: is empty; list at least one account, or leave it unset');
  accounts.forEach((a, i) => {
    const r = AccountSchema.safeParse(a);
    if (!r.success) {
      for (const issue of r.error.issues)
        problems.push(`${formatPath(['accounts', i, ...issue.path])}: ${issue.message}`);
    }
  });
  if (problems.length === 0) {
    for (const p of accountListProblems(accounts))
      problems.push(`${formatPath(['accounts', p.index, p.field])}: ${p.message}`);
  }
  if (problems.length > 0) throw new Error(`PerfBudgets ${id}: ${problems.join('; ')}`);
}

/** An account read without a role must be the deployment account; checked here when the stack's account is known. */
export function checkHomeAccount(id: string, scope: Construct, accounts: readonly Account[]): void {
  const deployed = Stack.of(scope).account;
  if (Token.isUnresolved(deployed)) return;
  for (const a of accounts) {
    if (a.roleArn === undefined && a.id !== deployed) {
      throw new Error(
        `PerfBudgets ${id}: accounts entry ${a.id} has no roleArn, but this stack deploys to ${deployed}; give the member role of ${a.id}, or list ${deployed}`,
      );
    }
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
