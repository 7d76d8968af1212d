import { instanceSpec } from '../../lambdas/core/instances.ts';
import { moneyFromNumber } from '../../lambdas/core/money.ts';
import type { CostRecord, MetricName, MetricSeries } from '../../lambdas/core/types.ts';

export const HOUR = 3_600_000;
export const ms = (iso: string) => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

/** Hourly hosting rows for one endpoint: `instances(hourIndex)` instances of `type` each hour. */
export function hostingRows(opts: {
  endpoint: string;
  from: string;
  days: number;
  type: string | ((hour: number) => string);
  instances: (hour: number) => number;
  tags?: Record<string, string>;
  price?: number;
}): CostRecord[] {
  const out: CostRecord[] = [];
  const start = ms(opts.from);
  for (let h = 0; h < opts.days * 24; h++) {
    const type = typeof opts.type === 'function' ? opts.type(h) : opts.type;
    const n = opts.instances(h);
    if (n <= 0) continue;
    const price = opts.price ?? instanceSpec(type)?.hourlyUsd ?? 1;
    out.push({
      start: start + h * HOUR,
      end: start + (h + 1) * HOUR,
      amount: moneyFromNumber(price * n),
      currency: 'USD',
      service: 'Amazon SageMaker',
      chargeCategory: 'Usage',
      usageType: `USE1-Host:${type}`,
      resourceId: `arn:aws:sagemaker:us-east-1:111122223333:endpoint/${opts.endpoint}`,
      endpoint: opts.endpoint,
      instanceType: type,
      usageHours: n,
      tags: opts.tags ?? {},
    });
  }
  return out;
}

export function dailyRow(opts: {
  day: string;
  amount: number;
  service?: string;
  tags?: Record<string, string>;
  training?: boolean;
}): CostRecord {
  return {
    start: ms(opts.day),
    end: ms(opts.day) + 24 * HOUR,
    amount: moneyFromNumber(opts.amount),
    currency: 'USD',
    service: opts.service ?? 'Amazon Simple Storage Service',
    tags: opts.tags ?? {},
    ...(opts.training ? { training: true } : {}),
  };
}

/** An hourly metric series from a function of the hour index. */
export function series(
  endpoint: string,
  metric: MetricName,
  stat: string,
  from: string,
  hours: number,
  value: (hour: number) => number,
): MetricSeries {
  const t = new Float64Array(hours);
  const v = new Float64Array(hours);
  const start = ms(from);
  for (let h = 0; h < hours; h++) {
    t[h] = start + h * HOUR;
    v[h] = value(h);
  }
  return { endpoint, variant: 'AllTraffic', metric, stat, t, v, periodSeconds: 3600 };
}
