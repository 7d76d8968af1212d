/**
 * What the handlers tell CloudWatch about a cycle: EMF metrics per budget and endpoint (what the dashboard charts),
 * and one-line summaries for the logs, never the payloads themselves (large, and commercially sensitive).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CycleResult } from '../core/evaluate/types.ts';
import type { SnapshotPart } from '../cycle/contract.ts';
import type { AlertStepOutput } from '../cycle/notify.ts';
import type { Notifier } from '../ports.ts';
import { logger, metrics } from './middleware.ts';

/** Spend, forecast and cap per budget, cost per 1k inferences per endpoint. Unknown values publish nothing. */
export function publishResult(result: CycleResult): void {
  for (const b of result.budgets) {
    const m = metrics.singleMetric();
    m.addDimension('budget', b.name);
    // a missing datapoint on the dashboard, never a zero
    if (b.spendToDate !== null) m.addMetric('SpendToDate', MetricUnit.Count, b.spendToDate);
    if (b.forecast.expected !== null) m.addMetric('ForecastExpected', MetricUnit.Count, b.forecast.expected);
    if (b.cap !== null) m.addMetric('Cap', MetricUnit.Count, b.cap);
    for (const e of b.endpoints) {
      if (e.costPer1k === null) continue;
      const em = metrics.singleMetric();
      em.addDimensions({ budget: b.name, endpoint: e.name });
      em.addMetric('CostPer1kInferences', MetricUnit.Count, e.costPer1k);
    }
  }
}

/** How many budgets are breached, unknown, at risk and ok. */
export function statusCounts(result: CycleResult): {
  breached: number;
  unknown: number;
  atRisk: number;
  ok: number;
} {
  const counts = { breached: 0, unknown: 0, atRisk: 0, ok: 0 };
  for (const b of result.budgets) counts[b.status === 'at-risk' ? 'atRisk' : b.status]++;
  return counts;
}

/** A collected part in one log line, and its API spend and gaps as metrics. */
export function logCollected(part: SnapshotPart, key: string): void {
  const s = part.snapshot;
  logger.info('collected', {
    asOf: s.asOf,
    part: part.part,
    key,
    costRows: s.costs.length,
    series: s.metrics?.length ?? 0,
    endpoints: s.inventory.length,
    gaps: s.gaps.length,
    apiRequests: part.apiUsage?.requests ?? 0,
  });
  metrics.addMetric('ApiCostUsd', MetricUnit.Count, part.apiUsage?.costUsd ?? 0);
  metrics.addMetric('DataGaps', MetricUnit.Count, s.gaps.length);
}

/** What the alert step did, in the logs (each failed delivery on its own line) and as metrics. */
export function logAlerts(
  asOf: string,
  step: AlertStepOutput,
  channels: readonly Notifier[],
): { sent: number; failed: number } {
  const failed = step.deliveries.filter((d) => d.status === 'failed');
  for (const d of failed) {
    logger.warn('alert not delivered', { channel: d.channel, key: d.key, state: d.state, reason: d.detail });
  }
  const sent = step.deliveries.length - failed.length;
  metrics.addMetric('AlertsSent', MetricUnit.Count, sent);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, failed.length);
  const count = (t: string) => step.alerts.filter((m) => m.alert.transition === t).length;
  logger.info('notified', {
    asOf,
    opened: count('opened'),
    escalated: count('escalated'),
    resolved: count('resolved'),
    unchanged: step.unchanged,
    undelivered: step.undelivered,
    channels: channels.map((c) => c.channel),
    failed: failed.length,
  });
  return { sent, failed: failed.length };
}
