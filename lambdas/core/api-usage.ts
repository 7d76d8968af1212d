/**
 * What the tool's own AWS calls cost. Cost Explorer charges $0.01 per API request (GetCostAndUsage,
 * GetCostAndUsageWithResources, GetCostForecast, each page a request); CloudWatch GetMetricData charges $0.01 per
 * 1,000 metrics requested; the other APIs used here are free. Every adapter counts its requests here, and the
 * cycle reports the total as `apiUsage`.
 */

/** USD per request, for APIs billed per request. */
export const PRICE_PER_REQUEST: Readonly<Record<string, number>> = {
  'ce:GetCostAndUsage': 0.01,
  'ce:GetCostAndUsageWithResources': 0.01,
  'ce:GetCostForecast': 0.01,
};

/** USD per metric requested (one MetricDataQuery with a MetricStat), for GetMetricData. */
export const PRICE_PER_METRIC: Readonly<Record<string, number>> = {
  'cloudwatch:GetMetricData': 0.01 / 1000,
};

export interface ApiUsageLine {
  readonly api: string;
  readonly requests: number;
  readonly metrics?: number;
  readonly costUsd: number;
}

export interface ApiUsageReport {
  readonly requests: number;
  readonly costUsd: number;
  readonly byApi: readonly ApiUsageLine[];
}

export class ApiUsage {
  private readonly counts = new Map<string, { requests: number; metrics: number }>();

  /** Records one request to `api` ("service:Operation"), and how many metrics it asked for, if billed that way. */
  count(api: string, metrics = 0): void {
    const c = this.counts.get(api) ?? { requests: 0, metrics: 0 };
    c.requests++;
    c.metrics += metrics;
    this.counts.set(api, c);
  }

  requests(api: string): number {
    return this.counts.get(api)?.requests ?? 0;
  }

  report(): ApiUsageReport {
    const byApi: ApiUsageLine[] = [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([api, c]) => {
        const cost = c.requests * (PRICE_PER_REQUEST[api] ?? 0) + c.metrics * (PRICE_PER_METRIC[api] ?? 0);
        return {
          api,
          requests: c.requests,
          ...(c.metrics > 0 ? { metrics: c.metrics } : {}),
          costUsd: round6(cost),
        };
      });
    return {
      requests: byApi.reduce((s, l) => s + l.requests, 0),
      costUsd: round6(byApi.reduce((s, l) => s + l.costUsd, 0)),
      byApi,
    };
  }
}

/** The API requests of several reports (the parts of a cycle), added up per API, in API order. */
export function sumApiUsage(reports: readonly ApiUsageReport[]): ApiUsageReport {
  const byApi = new Map<string, { requests: number; metrics: number; costUsd: number }>();
  for (const r of reports) {
    for (const l of r.byApi) {
      const had = byApi.get(l.api) ?? { requests: 0, metrics: 0, costUsd: 0 };
      had.requests += l.requests;
      had.metrics += l.metrics ?? 0;
      had.costUsd += l.costUsd;
      byApi.set(l.api, had);
    }
  }
  const lines: ApiUsageLine[] = [...byApi.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, l]) => ({
      api,
      requests: l.requests,
      ...(l.metrics > 0 ? { metrics: l.metrics } : {}),
      costUsd: round6(l.costUsd),
    }));
  return {
    requests: lines.reduce((s, l) => s + l.requests, 0),
    costUsd: round6(lines.reduce((s, l) => s + l.costUsd, 0)),
    byApi: lines,
  };
}

/** Millionths of a dollar: summing floats of a few hundred requests keeps far more precision than is shown. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
