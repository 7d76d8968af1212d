import type { AlertMessage, AlertText } from '../../lambdas/core/alert-text.ts';
import type { Alert } from '../../lambdas/core/alerts.ts';

/** A spend alert's words as the alert-text builder writes them. */
export function alertText(over: Partial<AlertText> = {}): AlertText {
  return {
    severity: 'critical',
    transition: 'opened',
    headline: 'search-prod: forecast spend $14,210.00 passes the $12,000.00 cap on 2026-11-24',
    facts: [
      { label: 'Budget', value: 'search-prod (production, approve)' },
      { label: 'Period', value: '2026-11-01 to 2026-11-30' },
      { label: 'Forecast', value: '$14,210.00 ($13,100.00–$15,400.00)' },
      { label: 'Cap', value: '$12,000.00' },
    ],
    why: {
      summary: 'Spend rose by $3,105.20 against last period, mostly from traffic.',
      drivers: [
        { label: 'traffic', amount: '+$2,319.60' },
        { label: 'idle capacity', amount: '+$785.60' },
      ],
    },
    actions: [
      {
        text: 'Scale search-a from 4 to 2 instances off-peak',
        saving: 'saves ~$1,416.31 this period',
        risk: 'medium',
      },
    ],
    exceptions: [
      'Launch week: spend cap raised to $15,000.00 until 2026-12-31 (approved by cfo@example.com)',
    ],
    links: [
      {
        label: 'Dashboard',
        url: 'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=perf-budgets',
      },
      {
        label: 'Report',
        url: 'https://perf-budgets-reports.s3.amazonaws.com/2026-11/report.html?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800',
      },
    ],
    plain: 'search-prod: forecast spend $14,210.00 passes the $12,000.00 cap on 2026-11-24',
    ...over,
  };
}

/** An alert with its words; `n` makes the key unique. */
export function alertMessage(n: number, over: Partial<AlertText> = {}): AlertMessage {
  const text = alertText({ headline: `budget-${n}: forecast spend passes the cap`, ...over });
  const alert: Alert = {
    key: `budget-${n}/spend/forecast`,
    state: `${text.severity}@1#1`,
    crossing: 1,
    transition: text.transition,
    severity: text.severity,
    kind: 'spend',
    budget: `budget-${n}`,
    tier: 'production',
    mode: 'approve',
    environment: 'prod',
    owner: 'search-team@example.com',
    asOf: '2026-11-20',
    period: { start: '2026-11-01', end: '2026-12-01' },
    currency: 'USD',
    message: text.headline,
    actions: [],
    exceptions: [],
    findings: [],
  };
  return { alert, text };
}
