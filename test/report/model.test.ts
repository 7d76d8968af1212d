import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotOfFiles } from '../../lambdas/cli/run.ts';
import { type BudgetFile, globToRegExp, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { evaluateCycle } from '../../lambdas/core/evaluate/index.ts';
import { type Money, parseMoney, roundTo, toNumber } from '../../lambdas/core/money.ts';
import type { CostRecord, MetricSeries, Snapshot } from '../../lambdas/core/types.ts';
import { loadBudgetFile } from '../../lambdas/formats/budget-file.ts';
import { apiSpendTable } from '../../lambdas/report/format.ts';
import { type ActionRecord, type ReportModel, reportModel } from '../../lambdas/report/model.ts';
import { dailyRow, hostingRows, series } from '../helpers/build.ts';
import { ROOT } from '../helpers/cli.ts';

const DEMO = join(ROOT, 'examples/demo');
const AS_OF = '2026-10-15';

/** The demo's spend per budget and day, summed straight from the FOCUS file without the house loaders. */
function independentDailySpend(file: BudgetFile): Map<string, Map<string, Money>> {
  const rows = parse(readFileSync(join(DEMO, 'data/costs.focus.csv')), { columns: true }) as Record<
    string,
    string
  >[];
  const out = new Map<string, Map<string, Money>>();
  for (const b of file.budgets) out.set(b.name, new Map());
  for (const r of rows) {
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(JSON.parse(r.Tags || '{}') as Record<string, string>)) {
      tags[k.replace(/^user:/, '')] = v;
    }
    const endpoint = /:endpoint\/([^/]+)$/.exec(r.ResourceId ?? '')?.[1];
    const day = (r.ChargePeriodStart as string).slice(0, 10);
    for (const b of file.budgets) {
      const tagsOk = Object.entries(b.selector.tags ?? {}).every(([k, v]) => tags[k] === v);
      const ok =
        endpoint === undefined
          ? b.selector.tags !== undefined && tagsOk
          : tagsOk && (b.selector.endpoints ?? ['*']).some((g) => globToRegExp(g).test(endpoint));
      if (!ok) continue;
      const days = out.get(b.name) as Map<string, Money>;
      days.set(day, (days.get(day) ?? 0n) + (parseMoney(r.BilledCost as string) as Money));
    }
  }
  return out;
}

/** Per endpoint and day: spend of its own rows, invocations and hourly p99s, straight from the demo's files. */
function independentEndpointDays(endpoint: string) {
  const costs = parse(readFileSync(join(DEMO, 'data/costs.focus.csv')), { columns: true }) as Record<
    string,
    string
  >[];
  const spend = new Map<string, Money>();
  for (const r of costs) {
    if (!(r.ResourceId ?? '').endsWith(`:endpoint/${endpoint}`)) continue;
    const day = (r.ChargePeriodStart as string).slice(0, 10);
    spend.set(day, (spend.get(day) ?? 0n) + (parseMoney(r.BilledCost as string) as Money));
  }
  const metrics = parse(readFileSync(join(DEMO, 'data/metrics.csv')), { columns: true }) as Record<
    string,
    string
  >[];
  const inv = new Map<string, number>();
  const hourInv = new Map<string, number>();
  const p99 = new Map<string, number>();
  for (const m of metrics) {
    if (m.endpoint !== endpoint) continue;
    const key = `${m.variant}|${m.timestamp}`;
    if (m.metric === 'Invocations' && m.stat === 'Sum') {
      const day = (m.timestamp as string).slice(0, 10);
      inv.set(day, (inv.get(day) ?? 0) + Number(m.value));
      hourInv.set(key, Number(m.value));
    }
    if (m.metric === 'ModelLatency' && m.stat === 'p99') p99.set(key, Number(m.value) / 1000);
  }
  const latency = new Map<string, { w: number; sum: number }>();
  for (const [key, ms] of p99) {
    const day = key.split('|')[1]?.slice(0, 10) as string;
    const w = hourInv.get(key) ?? 0;
    const acc = latency.get(day) ?? { w: 0, sum: 0 };
    acc.w += w;
    acc.sum += ms * w;
    latency.set(day, acc);
  }
  return { spend, inv, latency };
}

describe('reportModel on the demo account', () => {
  let file: BudgetFile;
  let model: ReportModel;
  let expected: Map<string, Map<string, Money>>;

  beforeAll(async () => {
    file = await loadBudgetFile(join(DEMO, 'budgets.yaml'));
    const snapshot = await snapshotOfFiles(
      file,
      { costs: [join(DEMO, 'data/costs.focus.csv')], metrics: join(DEMO, 'data/metrics.csv') },
      { asOf: AS_OF, now: new Date(0) },
    );
    model = reportModel({ evaluation: evaluateCycle(snapshot, file), snapshot, file });
    expected = independentDailySpend(file);
  });

  it('draws each budget’s cumulative spend to the cent, day by day, and stops at as-of', () => {
    expect(model.budgets).toHaveLength(6);
    for (const b of model.budgets) {
      const days = expected.get(b.name) as Map<string, Money>;
      let running = 0n;
      for (const p of b.burnUp) {
        running += days.get(p.day) ?? 0n;
        if (p.day <= AS_OF) expect(p.actual, `${b.name} ${p.day}`).toBe(roundTo(running));
        else expect(p.actual, `${b.name} ${p.day}`).toBeNull();
      }
      expect(b.burnUp.map((p) => p.day)).toHaveLength(31);
      expect(b.burnUp.find((p) => p.day === AS_OF)?.actual).toBe(b.spendToDate);
    }
  });

  it('runs the forecast band from the last complete day to the period-end forecast', () => {
    for (const b of model.budgets) {
      const at = b.burnUp.find((p) => p.day === AS_OF);
      expect(at?.expected).toBe(at?.actual);
      expect(at?.low).toBe(at?.actual);
      const end = b.burnUp.at(-1);
      expect(end?.day).toBe('2026-10-31');
      expect(end?.expected).toBe(b.forecast.expected);
      expect(end?.low).toBe(b.forecast.low);
      expect(end?.high).toBe(b.forecast.high);
      expect(b.burnUp.filter((p) => p.day < AS_OF).every((p) => p.expected === null)).toBe(true);
      for (const p of b.burnUp.filter((x) => x.expected !== null)) {
        expect(p.low as number).toBeLessThanOrEqual(p.expected as number);
        expect(p.expected as number).toBeLessThanOrEqual(p.high as number);
      }
    }
  });

  it('states spend, cap and forecast per budget as the evaluation does', () => {
    const chat = model.budgets.find((b) => b.name === 'chat-prod');
    expect(chat?.cap).toBe(3000);
    expect(chat?.status).toBe('breached');
    expect(chat?.shareOfCap).toBeCloseTo((chat?.spendToDate as number) / 3000, 4);
    expect(model.counts).toEqual({ breached: 2, unknown: 0, 'at-risk': 3, ok: 1 });
    expect(model.period).toEqual({
      start: '2026-10-01',
      end: '2026-11-01',
      last: '2026-10-31',
      timezone: 'UTC',
    });
  });

  it('computes each endpoint’s daily cost per 1k and p99 from its own rows and metrics', () => {
    const chat = model.budgets
      .find((b) => b.name === 'chat-prod')
      ?.endpoints.find((e) => e.name === 'chat-prod');
    expect(chat?.limits).toEqual({ costPer1kInferences: 0.6, latencyP99Ms: 4000 });
    const truth = independentEndpointDays('chat-prod');
    expect(chat?.daily).toHaveLength(15);
    for (const d of chat?.daily ?? []) {
      const spend = truth.spend.get(d.day) as Money;
      const inv = truth.inv.get(d.day) as number;
      expect(d.spend).toBe(roundTo(spend));
      expect(d.invocations).toBe(inv);
      expect(d.costPer1k).toBeCloseTo((toNumber(spend) / inv) * 1000, 6);
      const lat = truth.latency.get(d.day) as { w: number; sum: number };
      expect(d.latencyP99Ms).toBeCloseTo(lat.sum / lat.w, 1);
    }
  });

  it('judges an expired exception’s endpoint against the budget’s own ceiling', () => {
    const embed = model.budgets.find((b) => b.name === 'embed-prod');
    expect(embed?.endpoints[0]?.limits.latencyP99Ms).toBe(50);
    expect(model.exceptions.expired.map((x) => x.budget)).toEqual(['embed-prod']);
    expect(model.exceptions.inForce.map((x) => x.budget)).toEqual(['search-prod']);
  });

  it('lists the drivers of change with parts that add up to the change', () => {
    const rank = model.drivers.find((d) => d.budget === 'rank-prod');
    expect(rank?.primary).toBe('instance-change');
    expect(rank?.parts[0]?.driver).toBe('instance-change');
    for (const d of model.drivers) {
      expect(d.parts.reduce((s, p) => s + p.amount, 0)).toBeCloseTo(d.change, 1);
    }
    const sizes = model.drivers.map((d) => Math.abs(d.change));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });

  it('recommends each viable action once, largest saving first, with no records of later states', () => {
    const rec = model.actions.recommended;
    expect(rec.length).toBeGreaterThan(0);
    const ids = rec.map((a) => `${a.budget}|${a.type}|${a.endpoint}|${a.description}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rec.map((a) => a.estimatedSavings)).toEqual(
      [...rec.map((a) => a.estimatedSavings)].sort((a, b) => b - a),
    );
    expect(rec.some((a) => a.type === 'restore-data')).toBe(false);
    expect(model.actions).toMatchObject({ approved: [], applied: [], rolledBack: [] });
  });

  it('says a file-based run made no API calls', () => {
    expect(model.apiSpend).toEqual({ live: false, note: 'local run: no API calls' });
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });
});

// ---- a small hand-made account ----

function budgetFile(): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { production: { mode: 'advise' } },
    budgets: [
      {
        name: 'api',
        owner: 'team@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { endpoints: ['api-*'], tags: { team: 'api' } },
        limits: { spendPerPeriod: 500, costPer1kInferences: 0.5, latencyP99Ms: 100 },
        exceptions: [
          {
            reason: 'load test',
            approvedBy: 'lead@example.com',
            expires: '2026-12-31',
            endpoints: ['api-b'],
            limits: { latencyP99Ms: 300 },
          },
        ],
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

function smallSnapshot(
  opts: { metrics?: MetricSeries[]; skipDay?: string; extra?: CostRecord[] } = {},
): Snapshot {
  const tags = { team: 'api' };
  // api-a: 1 x $0.50/h from 2026-10-01 (12.00 a day); an S3 row of 0.333333 each day
  const costs: CostRecord[] = [
    ...hostingRows({
      endpoint: 'api-a',
      from: '2026-10-01',
      days: 10,
      type: 'ml.m5.xlarge',
      price: 0.5,
      instances: () => 1,
      tags,
    }),
    ...Array.from({ length: 10 }, (_, i) =>
      dailyRow({ day: `2026-10-${String(i + 1).padStart(2, '0')}`, amount: 0.333333, tags }),
    ),
    ...(opts.extra ?? []),
  ].filter(
    (r) => opts.skipDay === undefined || new Date(r.start).toISOString().slice(0, 10) !== opts.skipDay,
  );
  return { asOf: '2026-10-10', currency: 'USD', costs, metrics: opts.metrics, inventory: [], gaps: [] };
}

describe('reportModel on a hand-made account', () => {
  it('sums the cumulative spend exactly: 12.333333 a day', () => {
    const snapshot = smallSnapshot();
    const file = budgetFile();
    const m = reportModel({ evaluation: evaluateCycle(snapshot, file), snapshot, file });
    const b = m.budgets[0];
    // 12.333333 x n, to the cent: 12.33, 24.67, 37.00, ...
    expect(b?.burnUp.slice(0, 10).map((p) => p.actual)).toEqual(
      Array.from({ length: 10 }, (_, i) => Math.round((i + 1) * 12.333333 * 100) / 100),
    );
    expect(b?.spendToDate).toBe(123.33);
    expect(m.completeThrough).toBe('2026-10-10');
    // the band is linear from (10th, 123.33) to (31st, forecast)
    const f = b?.forecast.expected as number;
    const on20 = b?.burnUp.find((p) => p.day === '2026-10-20')?.expected;
    expect(on20).toBeCloseTo(123.33 + ((f - 123.33) * 10) / 21, 2);
  });

  it('shows a day with no cost rows in the account as missing, and keeps counting after it', () => {
    const snapshot = smallSnapshot({ skipDay: '2026-10-04' });
    const file = budgetFile();
    const m = reportModel({ evaluation: evaluateCycle(snapshot, file), snapshot, file });
    const burn = m.budgets[0]?.burnUp ?? [];
    expect(burn.find((p) => p.day === '2026-10-03')?.actual).toBe(37);
    expect(burn.find((p) => p.day === '2026-10-04')?.actual).toBeNull();
    expect(burn.find((p) => p.day === '2026-10-05')?.actual).toBe(49.33);
    expect(m.incompleteData.some((g) => g.message.includes('2026-10-04'))).toBe(true);
  });

  it('leaves endpoint trends empty, not zero, without metrics, and says so under incomplete data', () => {
    const snapshot = smallSnapshot();
    const file = budgetFile();
    const m = reportModel({ evaluation: evaluateCycle(snapshot, file), snapshot, file });
    const e = m.budgets[0]?.endpoints[0];
    expect(e?.name).toBe('api-a');
    expect(
      e?.daily.every((d) => d.costPer1k === null && d.latencyP99Ms === null && d.invocations === null),
    ).toBe(true);
    expect(e?.daily.every((d) => d.spend === 12)).toBe(true);
    expect(m.incompleteData.some((g) => /no metrics given/.test(g.message))).toBe(true);
  });

  it('applies an endpoint-scoped exception to that endpoint’s ceiling only', () => {
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-10-01', 240, () => 1000),
      series('api-b', 'Invocations', 'Sum', '2026-10-01', 240, () => 1000),
    ];
    const extra = hostingRows({
      endpoint: 'api-b',
      from: '2026-10-01',
      days: 10,
      type: 'ml.m5.xlarge',
      price: 0.5,
      instances: () => 1,
      tags: { team: 'api' },
    });
    const snapshot = smallSnapshot({ metrics, extra });
    const file = budgetFile();
    const m = reportModel({ evaluation: evaluateCycle(snapshot, file), snapshot, file });
    const limits = Object.fromEntries(
      (m.budgets[0]?.endpoints ?? []).map((e) => [e.name, e.limits.latencyP99Ms]),
    );
    expect(limits).toEqual({ 'api-a': 100, 'api-b': 300 });
    // api-a: 12.00 / 24,000 invocations a day
    expect(m.budgets[0]?.endpoints.find((e) => e.name === 'api-a')?.daily[0]?.costPer1k).toBe(0.5);
  });

  it('sorts action records into approved, applied and rolled back, oldest first', () => {
    const snapshot = smallSnapshot();
    const file = budgetFile();
    const rec = (state: ActionRecord['state'], at: string): ActionRecord => ({
      state,
      at,
      budget: 'api',
      endpoint: 'api-a',
      type: 'lower-min-instances',
      description: `min ${at}`,
    });
    const m = reportModel({
      evaluation: evaluateCycle(snapshot, file),
      snapshot,
      file,
      actionRecords: [
        rec('applied', '2026-10-09T10:00:00Z'),
        rec('approved', '2026-10-09T09:00:00Z'),
        rec('applied', '2026-10-08T10:00:00Z'),
        rec('rolled-back', '2026-10-09T11:00:00Z'),
      ],
    });
    expect(m.actions.approved.map((r) => r.at)).toEqual(['2026-10-09T09:00:00Z']);
    expect(m.actions.applied.map((r) => r.at)).toEqual(['2026-10-08T10:00:00Z', '2026-10-09T10:00:00Z']);
    expect(m.actions.rolledBack).toHaveLength(1);
  });

  it('reports a live run’s API requests and their cost', () => {
    const snapshot = smallSnapshot();
    const file = budgetFile();
    const evaluation = evaluateCycle(snapshot, file);
    const apiUsage = {
      requests: 5,
      costUsd: 0.0401,
      byApi: [
        { api: 'ce:GetCostAndUsage', requests: 4, costUsd: 0.04 },
        { api: 'cloudwatch:GetMetricData', requests: 1, metrics: 10, costUsd: 0.0001 },
      ],
    };
    const m = reportModel({ evaluation, snapshot, file, result: { ...evaluation.result, apiUsage } });
    expect(m.apiSpend).toEqual({ live: true, ...apiUsage });
  });

  it('shows the bytes an Athena query scanned in the API table, and no such column without one', () => {
    const snapshot = smallSnapshot();
    const file = budgetFile();
    const evaluation = evaluateCycle(snapshot, file);
    const line = {
      api: 'athena:StartQueryExecution',
      requests: 1,
      bytesScanned: 123_456_789,
      costUsd: 0.00062,
    };
    const apiUsage = {
      requests: 2,
      costUsd: 0.01062,
      byApi: [line, { api: 'ce:GetCostForecast', requests: 1, costUsd: 0.01 }],
    };
    const m = reportModel({ evaluation, snapshot, file, result: { ...evaluation.result, apiUsage } });
    expect(m.apiSpend).toEqual({ live: true, ...apiUsage });
    if (!m.apiSpend.live) throw new Error('expected a live run');
    const t = apiSpendTable(m.apiSpend.byApi);
    expect(t.head).toEqual(['API', 'Requests', 'Metrics', 'Bytes scanned', 'Cost (USD)']);
    expect(t.rows[0]?.slice(0, 4)).toEqual(['athena:StartQueryExecution', '1', '–', '123,456,789']);
    expect(t.rows[1]?.[3]).toBe('–');
    expect(apiSpendTable([{ api: 'ce:GetCostForecast', requests: 1, costUsd: 0.01 }]).head).not.toContain(
      'Bytes scanned',
    );
  });
});
