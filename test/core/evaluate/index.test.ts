import { describe, expect, it } from 'vitest';
import { parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { InputError } from '../../../lambdas/core/errors.ts';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import type { CostRecord } from '../../../lambdas/core/types.ts';
import { dailyRow, hostingRows, series } from '../../helpers/build.ts';
import { budget, file, snap, steady } from './fixtures.ts';

describe('evaluate', () => {
  it('judges spend to date against the cap, counting only rows up to as-of', () => {
    const r = evaluate(snap(steady, '2026-10-10'), file([budget({ spendPerPeriod: 100 })]));
    const b = r.budgets[0];
    expect(r.period).toEqual({ start: '2026-10-01', end: '2026-11-01' });
    expect(b?.spendToDate).toBe(110.4); // 10 days x 11.04
    expect(b?.status).toBe('breached');
    expect(b?.findings.map((f) => f.kind)).toContain('spend-breach');
  });

  it('is at risk when the forecast, not yet the spend, passes the cap', () => {
    const r = evaluate(snap(steady, '2026-10-10'), file([budget({ spendPerPeriod: 300 })]));
    const b = r.budgets[0];
    expect(b?.status).toBe('at-risk');
    expect(b?.forecast.expected).toBeCloseTo(31 * 11.04, 0);
    expect(b?.forecast.low).toBeLessThanOrEqual(b?.forecast.expected ?? 0);
    const f = b?.findings.find((x) => x.kind === 'spend-forecast');
    expect(f?.message).toMatch(/crosses the cap on 2026-10-28/);
  });

  it('is ok with room under every limit', () => {
    const r = evaluate(snap(steady, '2026-10-10'), file([budget({ spendPerPeriod: 1000 })]));
    expect(r.budgets[0]?.status).toBe('ok');
    expect(r.budgets[0]?.findings).toEqual([]);
  });

  it('reports limits it cannot judge without metrics as incomplete data', () => {
    const r = evaluate(
      snap(steady, '2026-10-10'),
      file([budget({ spendPerPeriod: 1000, latencyP99Ms: 100 })]),
    );
    const gaps = r.budgets[0]?.findings.filter((f) => f.kind === 'incomplete-data') ?? [];
    expect(gaps.map((g) => g.message).join()).toMatch(/no metrics given, so latencyP99Ms cannot be judged/);
  });

  it('says so when the cost data stops before as-of, and forecasts the days after it', () => {
    const rows = steady.filter((r) => r.start < Date.parse('2026-10-08'));
    const r = evaluate(snap(rows, '2026-10-10'), file([budget({ spendPerPeriod: 1000 })]));
    const b = r.budgets[0];
    expect(b?.spendToDate).toBeCloseTo(7 * 11.04, 2);
    expect(
      b?.findings.some((f) => f.kind === 'incomplete-data' && /data ends on 2026-10-07/.test(f.message)),
    ).toBe(true);
    expect(b?.forecast.expected).toBeCloseTo(31 * 11.04, 0);
  });

  it('gives status unknown, not ok, when no cost row could be read at all', () => {
    const r = evaluate(snap([], '2026-10-10'), file([budget({ spendPerPeriod: 1000 })]));
    const b = r.budgets[0];
    expect(b?.status).toBe('unknown');
    expect(b?.spendToDate).toBeNull();
    expect(b?.forecast.expected).toBeNull();
    expect(b?.findings.map((f) => f.message)).toContain(
      'api: no cost data could be read at all; spend to date is unknown, not zero.',
    );
  });

  it('gives status unknown when as-of lies in a period the cost data has no day of', () => {
    const september = steady.filter((r) => r.start < Date.parse('2026-10-01'));
    const b = evaluate(snap(september, '2026-10-03'), file([budget({ spendPerPeriod: 1000 })])).budgets[0];
    expect(b?.status).toBe('unknown');
    expect(b?.spendToDate).toBeNull();
    expect(b?.findings.map((f) => f.message)).toContain(
      'api: no cost data of the period from 2026-10-01 could be read; spend to date is unknown, not zero.',
    );
  });

  it('never reads a selector that matches nothing as zero spend', () => {
    const r = evaluate(
      snap(steady, '2026-10-10'),
      file([budget({ spendPerPeriod: 1000 }, { selector: { endpoints: ['nothing-*'] } })]),
    );
    expect(r.budgets[0]?.findings.map((f) => f.message).join()).toMatch(/no cost rows match the selector/);
  });

  it('applies an exception in force and ignores an expired one', () => {
    const withException = (expires: string) =>
      budget(
        { spendPerPeriod: 100 },
        {
          exceptions: [
            { reason: 'launch', approvedBy: 'cfo@example.com', expires, limits: { spendPerPeriod: 1000 } },
          ],
        },
      );
    expect(evaluate(snap(steady, '2026-10-10'), file([withException('2026-10-10')])).budgets[0]?.status).toBe(
      'ok',
    );
    const expired = evaluate(snap(steady, '2026-10-10'), file([withException('2026-10-09')])).budgets[0];
    expect(expired?.status).toBe('breached');
    expect(expired?.findings.some((f) => f.kind === 'exception-expired')).toBe(true);
    expect(expired?.exceptions[0]?.inForce).toBe(false);
  });

  it('converts ModelLatency from microseconds and judges the p99 ceiling', () => {
    const hours = 61 * 24;
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-09-01', hours, () => 1000),
      series('api-a', 'ModelLatency', 'p99', '2026-09-01', hours, (h) => (h >= 33 * 24 ? 180_000 : 80_000)),
    ];
    const r = evaluate(snap(steady, '2026-10-10', metrics), file([budget({ latencyP99Ms: 120 })]));
    const e = r.budgets[0]?.endpoints[0];
    expect(e?.latencyP99Ms).toBe(180);
    const f = r.budgets[0]?.findings.find((x) => x.kind === 'latency');
    expect(f?.observed).toBe(180);
    expect(r.budgets[0]?.status).toBe('breached');
  });

  it('computes cost per 1k inferences over the last 7 days and judges it', () => {
    const hours = 61 * 24;
    const metrics = [series('api-a', 'Invocations', 'Sum', '2026-09-01', hours, () => 100)];
    const r = evaluate(snap(steady, '2026-10-10', metrics), file([budget({ costPer1kInferences: 0.1 })]));
    // $0.46 an hour for 100 invocations an hour: $4.60 per 1k
    expect(r.budgets[0]?.endpoints[0]?.costPer1k).toBeCloseTo(4.6, 6);
    expect(r.budgets[0]?.findings.some((f) => f.kind === 'unit-cost')).toBe(true);
  });

  it('normalises CPU utilisation by vCPU count and recommends a lower minimum for idle nights', () => {
    const rows = hostingRows({
      endpoint: 'api-a',
      from: '2026-09-01',
      days: 61,
      type: 'ml.m5.xlarge',
      instances: (h) => (h % 24 < 8 ? 4 : 4),
    });
    const hours = 61 * 24;
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-09-01', hours, (h) => (h % 24 < 8 ? 10 : 1000)),
      // 4 vCPUs: 400% is full; nights at 20% of one instance's worth, days at 240% (60%)
      series('api-a', 'CPUUtilization', 'Average', '2026-09-01', hours, (h) => (h % 24 < 8 ? 20 : 240)),
    ];
    const r = evaluate(snap(rows, '2026-10-10', metrics), file([budget({ utilization: { min: 0.5 } })]));
    const e = r.budgets[0]?.endpoints[0];
    expect(e?.utilization).toBeCloseTo((8 * 0.05 + 16 * 0.6) / 24, 3);
    const f = r.budgets[0]?.findings.find((x) => x.kind === 'utilization-low');
    const lower = f?.actions.find((a) => a.type === 'lower-min-instances');
    expect(lower?.change).toEqual({ minInstances: { from: 4, to: 1 } });
    // nights: 3 of 4 instances freed for 8 hours; days need ceil(4*0.6/0.7)=4 -> none freed. 21 days left.
    expect(lower?.estimatedSavings).toBeCloseTo(3 * 8 * 0.23 * 21, 1);
  });

  it('puts non-endpoint charges on tag-selected budgets and leaves unmatched rows out', () => {
    const rows = [
      ...steady.map((r) => ({ ...r, tags: { team: 'api' } })),
      dailyRow({ day: '2026-10-02', amount: 5.25, tags: { team: 'api' } }),
      dailyRow({ day: '2026-10-02', amount: 99, tags: { team: 'other' } }),
    ];
    const r = evaluate(
      snap(rows, '2026-10-10'),
      file([budget({ spendPerPeriod: 1000 }, { selector: { tags: { team: 'api' } } })]),
    );
    expect(r.budgets[0]?.spendToDate).toBeCloseTo(110.4 + 5.25, 2);
  });

  it('ends an experiment past its exit criteria', () => {
    const rows = hostingRows({
      endpoint: 'api-x',
      from: '2026-09-20',
      days: 20,
      type: 'ml.g5.xlarge',
      instances: () => 1,
    });
    const r = evaluate(
      snap(rows, '2026-10-09'),
      file([{ ...budget({}), tier: 'experiment' }], {
        experiment: { mode: 'enforce', exitCriteria: { maxDays: 14 } },
      }),
    );
    const f = r.budgets[0]?.findings.find((x) => x.kind === 'exit-criteria');
    expect(f?.message).toMatch(/running 20 days, past its 14/);
    expect(f?.actions[0]?.type).toBe('end-experiment');
    expect(f?.actions[0]?.estimatedSavings).toBeCloseTo(1.408 * 24 * 22, 1);
  });

  it('refuses an as-of outside the cost data', () => {
    expect(() => evaluate(snap(steady, '2027-02-01'), file([budget({})]))).toThrow(InputError);
    expect(() => evaluate(snap(steady, '2026-08-01'), file([budget({})]))).toThrow(
      /outside the cost data \(2026-09-01 to 2026-10-31\)/,
    );
  });

  it('judges an as-of past the cost data as incomplete data when the cost source failed, not as a mistyped day', () => {
    const september = steady.filter((r) => r.start < Date.parse('2026-10-01T00:00:00Z'));
    const failed = {
      ...snap(september, '2026-10-14'),
      gaps: [{ source: 'costs' as const, message: 'ce:GetCostAndUsage was throttled (ThrottlingException)' }],
    };
    const b = evaluate(failed, file([budget({})])).budgets[0];
    expect(b?.spendToDate).toBeNull();
    expect(b?.findings.some((f) => f.kind === 'incomplete-data' && /throttled/.test(f.message))).toBe(true);
    expect(() => evaluate(snap(september, '2026-10-14'), file([budget({})]))).toThrow(InputError);
  });

  it('explains a breach with its cause and a viable action', () => {
    const rows = hostingRows({
      endpoint: 'api-a',
      from: '2026-09-01',
      days: 61,
      type: (h) => (h < 37 * 24 ? 'ml.g5.xlarge' : 'ml.g5.4xlarge'),
      instances: () => 2,
    });
    const r = evaluate(snap(rows, '2026-10-14'), file([budget({ spendPerPeriod: 1500 })]));
    const f = r.budgets[0]?.findings.find((x) => x.kind.startsWith('spend'));
    expect(f?.cause?.primary).toBe('instance-change');
    expect(f?.actions.map((a) => a.type)).toContain('revert-instance-type');
  });
});

describe('evaluate: cost data that lags the metrics', () => {
  it('divides spend by the invocations of the same days, not of days without cost', () => {
    const rows = steady.filter((r) => r.start < Date.parse('2026-10-09'));
    const metrics = [series('api-a', 'Invocations', 'Sum', '2026-09-01', 61 * 24, () => 100)];
    const r = evaluate(snap(rows, '2026-10-10', metrics), file([budget({ costPer1kInferences: 10 })]));
    // costs through 10-08: 5 days of the 10-04..10-10 window, $0.46 per 100 invocations an hour either way
    expect(r.budgets[0]?.endpoints[0]?.costPer1k).toBeCloseTo(4.6, 6);
  });
});

/** Hourly rows merged into one row a day, as Cost Explorer and daily exports bill them. */
function byDay(rows: CostRecord[]): CostRecord[] {
  return rows.reduce<CostRecord[]>((acc, r, i) => {
    const day = Math.floor(i / 24);
    const prev = acc[day];
    acc[day] = prev
      ? {
          ...prev,
          end: r.end,
          amount: prev.amount + r.amount,
          usageHours: (prev.usageHours ?? 0) + (r.usageHours ?? 0),
        }
      : r;
    return acc;
  }, []);
}

describe('evaluate: the instance ceiling under daily billing', () => {
  // 17 instances for two hours a day, 6 the rest: the days average 6.92
  const daily = byDay(
    hostingRows({
      endpoint: 'api-a',
      from: '2026-09-01',
      days: 40,
      type: 'ml.m5.xlarge',
      instances: (h) => (h % 24 < 2 ? 17 : 6),
    }),
  );
  const ceiling = file([budget({ maxInstances: 8 })]);

  it('finds the breach from Invocations over InvocationsPerInstance', () => {
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-09-01', 40 * 24, (h) => (h % 24 < 2 ? 17_000 : 6_000)),
      series('api-a', 'InvocationsPerInstance', 'Sum', '2026-09-01', 40 * 24, () => 1000),
    ];
    const b = evaluate(snap(daily, '2026-10-10', metrics), ceiling).budgets[0];
    expect(b?.status).toBe('breached');
    expect(b?.endpoints[0]?.peakInstances).toBe(17);
    expect(b?.findings.find((f) => f.kind === 'max-instances')?.observed).toBe(17);
  });

  it('says the peak is unknown without those metrics, never a silent pass', () => {
    const b = evaluate(snap(daily, '2026-10-10'), ceiling).budgets[0];
    expect(b?.endpoints[0]?.peakInstances).toBeNull();
    expect(b?.findings.some((f) => f.kind === 'max-instances')).toBe(false);
    expect(b?.findings.map((f) => f.message)).toContain(
      'api-a: billing is not hourly and no InvocationsPerInstance metric gives the instance count, so its peak in 2026-10-04..2026-10-10 is unknown (at least 7); maxInstances is not judged.',
    );
  });
});

describe('evaluate: daily billing rows', () => {
  it("still recommends a lower minimum, spreading each day's instance-hours over its hours", () => {
    // the same idle nights as above, but billed as one row a day (Cost Explorer, daily exports): 4 instances all day
    const daily = byDay(
      hostingRows({
        endpoint: 'api-a',
        from: '2026-09-01',
        days: 61,
        type: 'ml.m5.xlarge',
        instances: () => 4,
      }),
    );
    const hours = 61 * 24;
    const metrics = [
      series('api-a', 'Invocations', 'Sum', '2026-09-01', hours, (h) => (h % 24 < 8 ? 10 : 1000)),
      series('api-a', 'CPUUtilization', 'Average', '2026-09-01', hours, (h) => (h % 24 < 8 ? 20 : 240)),
    ];
    const r = evaluate(snap(daily, '2026-10-10', metrics), file([budget({ utilization: { min: 0.5 } })]));
    const lower = r.budgets[0]?.findings
      .find((x) => x.kind === 'utilization-low')
      ?.actions.find((a) => a.type === 'lower-min-instances');
    expect(lower?.change).toEqual({ minInstances: { from: 4, to: 1 } });
    expect(lower?.estimatedSavings).toBeCloseTo(3 * 8 * 0.23 * 21, 1);
  });
});

describe('evaluate: partial metrics', () => {
  it('says so when the metrics of an endpoint stop days before as-of', () => {
    const metrics = [series('api-a', 'Invocations', 'Sum', '2026-09-01', 37 * 24, () => 100)];
    const r = evaluate(snap(steady, '2026-10-10', metrics), file([budget({ costPer1kInferences: 100 })]));
    const gap = r.budgets[0]?.findings.find((f) => f.kind === 'incomplete-data' && f.endpoint === 'api-a');
    expect(gap?.message).toBe(
      'api-a: metrics end on 2026-10-07, before as-of 2026-10-10; its limits are judged on part of the window.',
    );
  });

  it('says nothing of metrics that run through as-of', () => {
    const metrics = [series('api-a', 'Invocations', 'Sum', '2026-09-01', 40 * 24, () => 100)];
    const r = evaluate(snap(steady, '2026-10-10', metrics), file([budget({ costPer1kInferences: 100 })]));
    expect(r.budgets[0]?.findings.filter((f) => f.kind === 'incomplete-data')).toEqual([]);
  });
});

describe('evaluate: billing time zone', () => {
  it('counts a charge in the billing day of its zone, not the UTC day', () => {
    const r0 = parseBudgetFile({
      version: 1,
      currency: 'USD',
      billingPeriod: { startDay: 1, timezone: 'America/Los_Angeles' },
      tiers: { production: { mode: 'advise' } },
      budgets: [budget({ spendPerPeriod: 1000 })],
    });
    if (!r0.ok) throw new Error('invalid');
    // 2026-10-01T03:00Z is still September 30 in Los Angeles (UTC-7)
    const rows = hostingRows({
      endpoint: 'api-a',
      from: '2026-09-25',
      days: 10,
      type: 'ml.m5.xlarge',
      instances: () => 1,
    });
    const r = evaluate(snap(rows, '2026-10-02', undefined), r0.file);
    // October 1 00:00 PDT = 07:00Z, October 3 00:00 PDT = October 3 07:00Z: 48 hours at $0.23
    expect(r.budgets[0]?.spendToDateExact).toBe('11.0400000000');
    expect(r.period).toEqual({ start: '2026-10-01', end: '2026-11-01' });
  });
});
