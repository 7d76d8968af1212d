import type { Limits } from '../core/budget.ts';
import { DRIVER_LABELS } from '../core/cause.ts';
import type { CostExplorerForecast, UnbudgetedResult } from '../core/evaluate/types.ts';
import { LIMITS } from '../core/limits/index.ts';
import { displayMoney, displayUnitPrice, moneyFromNumber } from '../core/money.ts';
import { addDays } from '../core/period.ts';
import { withoutControls } from '../core/text.ts';
import type { Status } from '../core/types.ts';
import type { ActionRecord, ApiLine, ApiSpend, EndpointTrendReport } from './model.ts';

/** Wording shared by the HTML and Markdown versions of the report. */

export const STATUS_LABEL: Record<Status, string> = {
  breached: 'BREACHED',
  unknown: 'UNKNOWN',
  'at-risk': 'AT RISK',
  ok: 'OK',
};

/** How many budgets stand where: `2 breached, 1 at risk, 3 ok`, with `unknown` only when some are. */
export function statusCounts(c: Readonly<Record<Status, number>>): string {
  return `${c.breached} breached, ${c.unknown > 0 ? `${c.unknown} unknown, ` : ''}${c['at-risk']} at risk, ${c.ok} ok`;
}

/** The report's sentence on spend no budget takes: `$1,065.59 of the period's spend is in no budget, ...`. */
export function unbudgetedText(u: UnbudgetedResult, currency: string): string {
  if (u.total === 0 && u.top.length === 0) return 'Every charge of the period to date is in a budget';
  return `${money(u.total, currency)} of the period’s spend to date is in no budget, ${money(u.untagged, currency)} of it on charges with no tag at all`;
}

/** One part of the unbudgeted spend: `api-b (Amazon SageMaker)` or `Amazon S3`. */
export function unbudgetedPart(p: UnbudgetedResult['top'][number]): string {
  return p.endpoint === undefined ? p.service : `${p.endpoint} (${p.service})`;
}

export const MODE_NEXT: Readonly<Record<string, string>> = {
  advise: 'recommended only',
  // approvals (Slack and the CLI) are not part of this version: a planned change waits, and nothing is applied
  approve: 'scaling changes wait for approval (no approval path in this version: none is applied)',
  enforce: 'scaling changes applied within the guardrails on a live run; other actions recommended',
};

export const CAUSE_LABEL: Readonly<Record<string, string>> = DRIVER_LABELS;

/**
 * Text from bills, budget files or AWS made inert in Markdown, on one line: renderers pass raw HTML through
 * (`<script>`, `<img onerror=...>`), Slack reads `<!channel>` as a mention when the file is pasted there, and
 * `[x](javascript:...)` is a link. `<` becomes an entity (shown as itself; without it no tag, comment or autolink
 * opens), brackets, backslashes, backticks and table pipes are escaped, line breaks become spaces, and control
 * characters (core/text.ts) go: the file is also read in terminals.
 */
export function mdText(s: string): string {
  return withoutControls(s.replace(/\r\n|\r|\n/g, ' '))
    .replace(/</g, '&lt;')
    .replace(/[[\]\\`|]/g, '\\$&');
}

export function money(x: number | null, currency: string): string {
  return x === null ? 'no data' : displayMoney(moneyFromNumber(x), currency);
}

/** Cost Explorer's own forecast of the account beside ours, or why it is missing: a live run's cross-check. */
export function costExplorerForecastText(ce: CostExplorerForecast, currency: string): string {
  const days = `${ce.from} to ${addDays(ce.to, -1)}`;
  return 'mean' in ce
    ? `Cost Explorer forecasts ${money(ce.mean, currency)} for the whole account from ${days}.`
    : `Cost Explorer's forecast for ${days} is missing: ${ce.error}`;
}

export function signedMoney(x: number, currency: string): string {
  return x > 0 ? `+${money(x, currency)}` : money(x, currency);
}

export function unitPrice(x: number | null, currency: string): string {
  return x === null ? 'no data' : displayUnitPrice(x, currency);
}

// one formatter: toLocaleString builds a new one on every call
const MS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function ms(x: number | null): string {
  return x === null ? 'no data' : `${MS.format(x)} ms`;
}

export function percent(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** A budget's limits in words, each as its limit kind states it. */
export function limitsText(l: Limits, currency: string): string {
  const said = LIMITS.map((k) => k.describe?.(l, currency)).filter((x): x is string => x !== undefined);
  return said.join(', ') || '–';
}

export function actionRecordText(r: ActionRecord): string {
  return `${r.at} · ${r.budget}${r.endpoint ? ` / ${r.endpoint}` : ''} · ${r.type}: ${r.description}${r.by ? ` (by ${r.by})` : ''}${r.reason ? `; ${r.reason}` : ''}`;
}

export function apiSpendText(a: ApiSpend): string {
  if (!a.live) return a.note;
  const cost = a.costUsd === null ? 'cost unknown' : displayUnitPrice(a.costUsd, 'USD');
  return `${a.requests ?? 'unknown'} billable-API requests this cycle, ${cost}`;
}

/**
 * The API spend table's columns and rows (text, unescaped); the bytes-scanned column only when a query scanned
 * some (Athena), so a report of the other cost sources reads as before. `numeric` are the right-aligned columns.
 */
export function apiSpendTable(byApi: readonly ApiLine[]): {
  readonly head: string[];
  readonly rows: string[][];
  readonly numeric: number[];
} {
  const bytes = byApi.some((l) => l.bytesScanned !== undefined);
  const head = ['API', 'Requests', 'Metrics', ...(bytes ? ['Bytes scanned'] : []), 'Cost (USD)'];
  const rows = byApi.map((l) => [
    l.api,
    String(l.requests),
    l.metrics === undefined ? '–' : String(l.metrics),
    ...(bytes ? [l.bytesScanned === undefined ? '–' : l.bytesScanned.toLocaleString('en-US')] : []),
    unitPrice(l.costUsd, 'USD'),
  ]);
  return { head, rows, numeric: head.slice(1).map((_, i) => i + 1) };
}

/** How a daily series moved over the period to date, in one sentence: what the Markdown says instead of a chart. */
export function trendSentence(
  e: EndpointTrendReport,
  field: 'costPer1k' | 'latencyP99Ms',
  show: (x: number) => string,
  limit: number | null,
): string {
  const points = e.daily.filter((d) => d[field] !== null);
  const missing = e.daily.length - points.length;
  if (points.length === 0) return 'no data';
  const first = points[0] as (typeof points)[number];
  const last = points[points.length - 1] as (typeof points)[number];
  const peak = points.reduce((a, b) => ((b[field] as number) > (a[field] as number) ? b : a));
  const over = limit === null ? 0 : points.filter((d) => (d[field] as number) > limit).length;
  return [
    `${show(first[field] as number)} on ${first.day} → ${show(last[field] as number)} on ${last.day}`,
    `peak ${show(peak[field] as number)} on ${peak.day}`,
    limit === null ? 'no limit' : `${over} of ${points.length} days above ${show(limit)}`,
    ...(missing > 0 ? [`${missing} day${missing === 1 ? '' : 's'} without data`] : []),
  ].join('; ');
}
