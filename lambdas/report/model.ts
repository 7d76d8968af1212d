import { type BudgetFile, endpointLimits, type Limits } from '../core/budget.ts';
import type {
  BudgetResult,
  CostExplorerForecast,
  CycleResult,
  Evaluation,
  UnbudgetedResult,
} from '../core/evaluate/types.ts';
import { type Money, roundTo } from '../core/money.ts';
import { addDays, DayClock, dayStartMs, daysBetween, daysOf, minDay } from '../core/period.ts';
import { dayRange, type EndpointDay, endpointDailyTrends } from '../core/trends.ts';
import type {
  ActionType,
  CauseKind,
  FindingKind,
  MetricSeries,
  Risk,
  Severity,
  Snapshot,
  Status,
} from '../core/types.ts';
import {
  type ActionRecord,
  type ApprovalRow,
  approvalRows,
  CHANGED,
  type PlannedChange,
  plannedAction,
  scalingRecord,
} from './model-actions.ts';

/** Version of the report JSON; bumped when a field changes meaning or goes away. */
export const REPORT_VERSION = 1;

/** The band's path between the last complete day and the period-end forecast. */
export const BAND_METHOD = 'linear from the spend at the last complete day to the period-end forecast';

export type { ActionRecord, ApprovalRow, PlannedChange } from './model-actions.ts';

export interface ReportInput {
  readonly evaluation: Evaluation;
  readonly snapshot: Snapshot;
  readonly file: BudgetFile;
  /** The result as published, with `apiUsage` of a live run; defaults to the evaluation's. */
  readonly result?: CycleResult;
  /** Approved, applied and rolled-back actions of the period, when the ledger has any. */
  readonly actionRecords?: readonly ActionRecord[];
}

/** One day of a budget's burn-up. Null is "no data", never zero. */
export interface BurnUpPoint {
  readonly day: string;
  /** Cumulative spend from period start through this day; null after the data ends or on a day with no cost rows. */
  readonly actual: number | null;
  /** Forecast band, from the last complete day to period end; null before it. */
  readonly expected: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

export interface EndpointTrendReport {
  readonly name: string;
  readonly spendToDate: number;
  readonly costPer1k: number | null;
  readonly latencyP99Ms: number | null;
  /** The limits the endpoint is judged against on as-of (exceptions in force applied). */
  readonly limits: { readonly costPer1kInferences: number | null; readonly latencyP99Ms: number | null };
  readonly daily: readonly EndpointDay[];
}

/** A budget in the report: its figures as the evaluation gave them, and the series its charts draw. */
export interface BudgetReport
  extends Pick<
    BudgetResult,
    | 'name'
    | 'owner'
    | 'tier'
    | 'mode'
    | 'environment'
    | 'status'
    | 'cap'
    | 'spendToDate'
    | 'forecast'
    | 'thresholds'
    | 'crossesCapOn'
    | 'limits'
  > {
  /** Spend to date / cap. */
  readonly shareOfCap: number | null;
  readonly forecastShareOfCap: number | null;
  readonly burnUp: readonly BurnUpPoint[];
  readonly endpoints: readonly EndpointTrendReport[];
  /** What the evaluation found, most severe first (causes and actions are in `drivers` and `actions`). */
  readonly findings: readonly {
    readonly kind: FindingKind;
    readonly severity: Severity;
    readonly endpoint: string | null;
    readonly message: string;
  }[];
}

export interface DriverReport {
  readonly budget: string;
  /** Change in period spend at the current rate against the baseline, currency units. */
  readonly change: number;
  readonly primary: CauseKind | 'unexplained';
  /** Non-zero parts, largest first by size. */
  readonly parts: readonly { readonly driver: CauseKind | 'other'; readonly amount: number }[];
  readonly summary: string;
  readonly baseline: { readonly from: string; readonly to: string; readonly dailySpend: number };
  readonly current: { readonly from: string; readonly to: string; readonly dailySpend: number };
}

export interface RecommendedAction {
  readonly budget: string;
  readonly mode: string;
  readonly finding: FindingKind;
  readonly endpoint: string | null;
  readonly type: ActionType;
  readonly estimatedSavings: number;
  readonly risk: Risk;
  readonly description: string;
}

export interface ExceptionReport {
  readonly budget: string;
  readonly reason: string;
  readonly approvedBy: string;
  readonly expires: string;
  readonly endpoints: readonly string[] | null;
  readonly limits: Limits;
}

export interface ApiLine {
  readonly api: string;
  readonly requests: number;
  readonly metrics?: number;
  /** Athena: the bytes the cycle's queries scanned. */
  readonly bytesScanned?: number;
  readonly costUsd: number;
}

export type ApiSpend =
  | { readonly live: false; readonly note: string }
  | {
      readonly live: true;
      readonly requests: number | null;
      readonly costUsd: number | null;
      readonly byApi: readonly ApiLine[];
    };

export interface ReportModel {
  readonly version: typeof REPORT_VERSION;
  readonly asOf: string;
  /** `end` is exclusive; `last` is the period's last day. */
  readonly period: {
    readonly start: string;
    readonly end: string;
    readonly last: string;
    readonly timezone: string;
  };
  readonly currency: string;
  /** Last day whose cost data is taken as complete. */
  readonly completeThrough: string;
  readonly data: CycleResult['data'];
  readonly counts: Readonly<Record<Status, number>>;
  readonly bandMethod: string;
  readonly budgets: readonly BudgetReport[];
  readonly drivers: readonly DriverReport[];
  readonly actions: {
    readonly recommended: readonly RecommendedAction[];
    readonly approved: readonly ActionRecord[];
    readonly applied: readonly ActionRecord[];
    readonly rolledBack: readonly ActionRecord[];
    /** Scaling changes this cycle planned and did not apply: recommended, waiting for approval, held, failed. */
    readonly planned: readonly PlannedChange[];
  };
  /** The period's approvals, rejections and refusals (approve mode), oldest first. */
  readonly approvals: readonly ApprovalRow[];
  readonly exceptions: {
    readonly inForce: readonly ExceptionReport[];
    readonly expired: readonly ExceptionReport[];
  };
  readonly incompleteData: readonly {
    readonly budget: string;
    readonly endpoint: string | null;
    readonly message: string;
  }[];
  /** Spend the selectors leave out or take twice: the period's unbudgeted spend and the findings that say where. */
  readonly coverage: {
    readonly unbudgeted: UnbudgetedResult | null;
    readonly findings: readonly { readonly budget: string; readonly message: string }[];
  };
  readonly apiSpend: ApiSpend;
  readonly costExplorerForecast: CostExplorerForecast | null;
}

const share = (x: number | null, cap: number | null) =>
  x === null || cap === null || cap === 0 ? null : Math.round((x / cap) * 10_000) / 10_000;
const cents = (x: number) => Math.round(x * 100) / 100;

/** The billing-cycle report's content: plain data, the report's JSON, and what the HTML and Markdown render. */
export function reportModel(input: ReportInput): ReportModel {
  const { evaluation, snapshot, file } = input;
  const result = input.result ?? evaluation.result;
  const tz = file.billingPeriod.timezone;
  const { start, end } = result.period;
  const last = addDays(end, -1);
  const periodDays = daysOf(start, end);
  const asOfEndMs = dayStartMs(addDays(result.asOf, 1), tz);
  const lastActual = result.data.costsThrough === null ? undefined : minDay(result.data.costsThrough, last);
  const trendRange = dayRange(daysOf(start, addDays(minDay(result.asOf, last), 1)), tz);

  // Days with no cost row at all in the account are holes in the data, not days without spend.
  const clock = new DayClock(tz);
  const daysWithRows = new Set<string>();
  for (const r of snapshot.costs) if (r.start < asOfEndMs) daysWithRows.add(clock.dayOf(r.start));

  const metricsByEndpoint = new Map<string, MetricSeries[]>();
  for (const s of snapshot.metrics ?? []) {
    // an inference component's invocations are its variant's too: the endpoint's trends leave them out
    if (s.component !== undefined) continue;
    const list = metricsByEndpoint.get(s.endpoint) ?? [];
    list.push(s);
    metricsByEndpoint.set(s.endpoint, list);
  }
  const budgetDefs = new Map(file.budgets.map((b) => [b.name, b]));

  const budgets: BudgetReport[] = result.budgets.map((b) => {
    const daily = evaluation.dailySpend.get(b.name);
    const known = b.spendToDate !== null && daily !== undefined;
    const cumulative = new Map<string, Money>();
    let running = 0n;
    for (const d of periodDays) {
      running += daily?.get(d) ?? 0n;
      cumulative.set(d, running);
    }
    // the band starts where complete data ends and reaches the forecast on the period's last day
    const anchorDay = evaluation.through;
    const anchor = anchorDay < start ? 0 : roundTo(cumulative.get(anchorDay) ?? running);
    const span = daysBetween(anchorDay, last);
    const band = (d: string, target: number | null): number | null => {
      if (target === null || !known || d < anchorDay || d > last) return null;
      if (span <= 0) return target;
      return cents(anchor + ((target - anchor) * daysBetween(anchorDay, d)) / span);
    };
    const burnUp = periodDays.map((d) => ({
      day: d,
      actual:
        known && lastActual !== undefined && d <= lastActual && daysWithRows.has(d)
          ? roundTo(cumulative.get(d) ?? 0n)
          : null,
      expected: band(d, b.forecast.expected),
      low: band(d, b.forecast.low),
      high: band(d, b.forecast.high),
    }));

    const def = budgetDefs.get(b.name);
    const spendByEndpoint = evaluation.endpointDailySpend.get(b.name);
    const endpoints = b.endpoints.map((e) => {
      const lim = def ? endpointLimits(def, e.name, result.asOf) : b.limits;
      return {
        name: e.name,
        spendToDate: e.spendToDate,
        costPer1k: e.costPer1k,
        latencyP99Ms: e.latencyP99Ms,
        limits: {
          costPer1kInferences: lim.costPer1kInferences ?? null,
          latencyP99Ms: lim.latencyP99Ms ?? null,
        },
        daily: endpointDailyTrends({
          range: trendRange,
          series: snapshot.metrics ? (metricsByEndpoint.get(e.name) ?? []) : undefined,
          spend: spendByEndpoint?.get(e.name),
          completeThrough: evaluation.through,
        }),
      };
    });

    return {
      name: b.name,
      owner: b.owner,
      tier: b.tier,
      mode: b.mode,
      environment: b.environment,
      status: b.status,
      cap: b.cap,
      spendToDate: b.spendToDate,
      shareOfCap: share(b.spendToDate, b.cap),
      forecast: b.forecast,
      forecastShareOfCap: share(b.forecast.expected, b.cap),
      thresholds: b.thresholds,
      crossesCapOn: b.crossesCapOn,
      limits: b.limits,
      burnUp,
      endpoints,
      findings: b.findings.map((f) => ({
        kind: f.kind,
        severity: f.severity,
        endpoint: f.endpoint ?? null,
        message: f.message,
      })),
    };
  });

  const drivers: DriverReport[] = [];
  for (const b of result.budgets) {
    // the budget-wide split, whatever the status; a finding's cause explains one endpoint only
    const c = b.cause;
    if (!c) continue;
    drivers.push({
      budget: b.name,
      change: c.change,
      primary: c.primary,
      parts: (Object.entries(c.parts) as [CauseKind | 'other', number][])
        .filter(([, v]) => v !== 0)
        .sort(([, a], [, b]) => Math.abs(b) - Math.abs(a))
        .map(([driver, amount]) => ({ driver, amount })),
      summary: c.summary,
      baseline: c.baseline,
      current: c.current,
    });
  }
  drivers.sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.budget.localeCompare(b.budget));

  const recommended: RecommendedAction[] = [];
  const seen = new Set<string>();
  for (const b of result.budgets) {
    for (const f of b.findings) {
      for (const a of f.actions) {
        // restoring data is said once, in the incomplete-data section
        if (a.type === 'restore-data') continue;
        const id = `${b.name}\u0000${a.type}\u0000${a.endpoint ?? ''}\u0000${a.description}`;
        if (seen.has(id)) continue;
        seen.add(id);
        recommended.push({
          budget: b.name,
          mode: b.mode,
          finding: f.kind,
          endpoint: a.endpoint ?? null,
          type: a.type,
          estimatedSavings: a.estimatedSavings,
          risk: a.risk,
          description: a.description,
        });
      }
    }
  }
  recommended.sort((a, b) => b.estimatedSavings - a.estimatedSavings || a.budget.localeCompare(b.budget));

  const scaling = result.actions ?? [];
  const records = [...(input.actionRecords ?? []), ...scaling.flatMap(scalingRecord)].sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
  const exceptions = result.budgets.flatMap((b) =>
    b.exceptions.map((x) => ({
      inForce: x.inForce,
      row: {
        budget: b.name,
        reason: x.reason,
        approvedBy: x.approvedBy,
        expires: x.expires,
        endpoints: x.endpoints ?? null,
        limits: x.limits,
      },
    })),
  );

  const counts: Record<Status, number> = { breached: 0, unknown: 0, 'at-risk': 0, ok: 0 };
  for (const b of result.budgets) counts[b.status]++;

  return {
    version: REPORT_VERSION,
    asOf: result.asOf,
    period: { start, end, last, timezone: tz },
    currency: result.currency,
    completeThrough: evaluation.through,
    data: result.data,
    counts,
    bandMethod: BAND_METHOD,
    budgets,
    drivers,
    actions: {
      recommended,
      approved: records.filter((r) => r.state === 'approved'),
      applied: records.filter((r) => r.state === 'applied'),
      rolledBack: records.filter((r) => r.state === 'rolled-back'),
      planned: scaling.filter((a) => !CHANGED.has(a.status) && a.status !== 'approved').map(plannedAction),
    },
    approvals: approvalRows(result.approvals ?? []),
    exceptions: {
      inForce: exceptions.filter((x) => x.inForce).map((x) => x.row),
      expired: exceptions.filter((x) => !x.inForce).map((x) => x.row),
    },
    incompleteData: result.budgets.flatMap((b) =>
      b.findings
        .filter((f) => f.kind === 'incomplete-data')
        .map((f) => ({ budget: b.name, endpoint: f.endpoint ?? null, message: f.message })),
    ),
    coverage: { unbudgeted: result.unbudgeted ?? null, findings: coverageLines(result) },
    apiSpend: apiSpend(result.apiUsage),
    costExplorerForecast: result.costExplorerForecast ?? null,
  };
}

/** The unbudgeted-spend and overlapping-budgets findings, an overlap once for its two budgets. */
function coverageLines(result: CycleResult): { budget: string; message: string }[] {
  const out: { budget: string; message: string }[] = [];
  const pairs = new Set<string>();
  for (const b of result.budgets) {
    for (const f of b.findings) {
      if (f.kind === 'overlapping-budgets') {
        // the key is overlapping-budgets|<budget>|<other>|<period start>
        const other = f.key.slice(`${f.kind}|${b.name}|`.length, f.key.lastIndexOf('|'));
        const pair = [b.name, other].sort().join('\u0000');
        if (pairs.has(pair)) continue;
        pairs.add(pair);
      } else if (f.kind !== 'unbudgeted-spend') continue;
      out.push({ budget: b.name, message: f.message });
    }
  }
  return out;
}

/** Reads a live run's `apiUsage` (requests, costUsd, byApi); a file-based run made no API calls. */
function apiSpend(usage: unknown): ApiSpend {
  if (usage === undefined || usage === null) return { live: false, note: 'local run: no API calls' };
  const u = usage as { requests?: unknown; costUsd?: unknown; byApi?: unknown };
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const byApi = Array.isArray(u.byApi)
    ? u.byApi
        .filter(
          (l): l is ApiLine =>
            typeof l === 'object' &&
            l !== null &&
            typeof l.api === 'string' &&
            typeof l.requests === 'number' &&
            typeof l.costUsd === 'number',
        )
        .map((l) => ({
          api: l.api,
          requests: l.requests,
          ...(typeof l.metrics === 'number' ? { metrics: l.metrics } : {}),
          ...(typeof l.bytesScanned === 'number' ? { bytesScanned: l.bytesScanned } : {}),
          costUsd: l.costUsd,
        }))
    : [];
  return { live: true, requests: num(u.requests), costUsd: num(u.costUsd), byApi };
}
