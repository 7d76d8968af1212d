/**
 * What the tool's own AWS calls cost. Cost Explorer charges $0.01 per API request (GetCostAndUsage,
 * GetCostAndUsageWithResources, GetCostForecast, each page a request); CloudWatch GetMetricData charges $0.01 per
 * 1,000 metrics requested; Athena charges for the bytes a query scans; the other APIs used here are free. Every
 * adapter counts its requests here, and the cycle reports the total as `apiUsage`.
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

/** Athena: $5.00 per TB scanned (decimal units, 10^12 bytes). */
export const ATHENA_USD_PER_TB = 5;
/** Athena bills each query's scan rounded up to the next MB, and 10 MB at the least. */
export const ATHENA_MIN_BILLED_BYTES = 10_000_000;
const MB = 1_000_000;

/** The bytes Athena bills a query for that scanned `scanned` bytes. */
export function athenaBilledBytes(scanned: number): number {
  return Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(scanned / MB) * MB);
}

/** What one Athena query that scanned `scanned` bytes costs, in USD. */
export function athenaScanCostUsd(scanned: number): number {
  return (athenaBilledBytes(scanned) * ATHENA_USD_PER_TB) / 1e12;
}

export interface ApiUsageLine {
  readonly api: string;
  readonly requests: number;
  readonly metrics?: number;
  /** Bytes the queries scanned (Athena), as reported; the cost is of the bytes billed, per query. */
  readonly bytesScanned?: number;
  readonly costUsd: number;
}

export interface ApiUsageReport {
  readonly requests: number;
  readonly costUsd: number;
  readonly byApi: readonly ApiUsageLine[];
}

interface Counts {
  requests: number;
  metrics: number;
  bytesScanned: number;
  scanCostUsd: number;
}

export class ApiUsage {
  private readonly counts = new Map<string, Counts>();

  private of(api: string): Counts {
    let c = this.counts.get(api);
    if (!c) {
      c = { requests: 0, metrics: 0, bytesScanned: 0, scanCostUsd: 0 };
      this.counts.set(api, c);
    }
    return c;
  }

  /** Records one request to `api` ("service:Operation"), and how many metrics it asked for, if billed that way. */
  count(api: string, metrics = 0): void {
    const c = this.of(api);
    c.requests++;
    c.metrics += metrics;
  }

  /** Records the bytes one Athena query scanned, under the request that started it (counted apart). */
  scanned(api: string, bytes: number): void {
    const c = this.of(api);
    c.bytesScanned += bytes;
    c.scanCostUsd += athenaScanCostUsd(bytes);
  }

  requests(api: string): number {
    return this.counts.get(api)?.requests ?? 0;
  }

  report(): ApiUsageReport {
    const byApi: ApiUsageLine[] = [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([api, c]) => {
        const cost =
          c.requests * (PRICE_PER_REQUEST[api] ?? 0) +
          c.metrics * (PRICE_PER_METRIC[api] ?? 0) +
          c.scanCostUsd;
        return {
          api,
          requests: c.requests,
          ...(c.metrics > 0 ? { metrics: c.metrics } : {}),
          ...(c.scanCostUsd > 0 ? { bytesScanned: c.bytesScanned } : {}),
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
  const byApi = new Map<
    string,
    { requests: number; metrics: number; bytesScanned?: number; costUsd: number }
  >();
  for (const r of reports) {
    for (const l of r.byApi) {
      const had = byApi.get(l.api) ?? { requests: 0, metrics: 0, costUsd: 0 };
      had.requests += l.requests;
      had.metrics += l.metrics ?? 0;
      if (l.bytesScanned !== undefined) had.bytesScanned = (had.bytesScanned ?? 0) + l.bytesScanned;
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
      ...(l.bytesScanned !== undefined ? { bytesScanned: l.bytesScanned } : {}),
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
