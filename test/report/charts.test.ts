import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointDay } from '../../lambdas/core/trends.ts';
import {
  burnUpData,
  burnUpSpec,
  ChartRenderer,
  COLORS,
  chartedEndpoints,
  costPer1kData,
  costPer1kSpec,
  latencyData,
  latencySpec,
  renderSvg,
} from '../../lambdas/report/charts.ts';
import type { BudgetReport, BurnUpPoint, EndpointTrendReport } from '../../lambdas/report/model.ts';

const days = Array.from({ length: 10 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);

function burnUp(opts: { gapOn?: string; through: number }): BurnUpPoint[] {
  return days.map((day, i) => {
    const actual = i < opts.through && day !== opts.gapOn ? (i + 1) * 10 : null;
    const band = i >= opts.through - 1 ? opts.through * 10 + (i - opts.through + 1) * 10 : null;
    return {
      day,
      actual,
      expected: band,
      low: band === null ? null : band * 0.9,
      high: band === null ? null : band * 1.1,
    };
  });
}

function endpoint(daily: Partial<EndpointDay>[]): EndpointTrendReport {
  return {
    name: 'api-a',
    spendToDate: 50,
    costPer1k: 0.4,
    latencyP99Ms: 80,
    limits: { costPer1kInferences: 0.5, latencyP99Ms: 100 },
    daily: daily.map((d, i) => ({
      day: days[i] as string,
      spend: null,
      invocations: null,
      costPer1k: null,
      latencyP99Ms: null,
      ...d,
    })),
  };
}

function budget(points: BurnUpPoint[], endpoints: EndpointTrendReport[] = []): BudgetReport {
  return {
    name: 'api',
    owner: 'team@example.com',
    tier: 'production',
    mode: 'advise',
    environment: 'prod',
    status: 'ok',
    cap: 120,
    spendToDate: 50,
    shareOfCap: 0.4167,
    forecast: { expected: 100, low: 90, high: 110, method: 'test' },
    forecastShareOfCap: 0.8333,
    thresholds: { actual: [], forecast: [] },
    crossesCapOn: null,
    limits: { spendPerPeriod: 120 },
    burnUp: points,
    endpoints,
    findings: [],
  };
}

/** The `d` attribute of each line mark drawn in this colour. */
function linePaths(svg: string, color: string): string[] {
  const re = new RegExp(`class="mark-line role-mark[^"]*"[^>]*><path d="([^"]*)" stroke="${color}"`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1] as string);
}

/** The y of every vertex of a path (M and L commands only, as Vega writes lines). */
const ys = (d: string) => [...d.matchAll(/[ML][\d.-]+,([\d.-]+)/g)].map((m) => Number(m[1]));

const hasRule = (svg: string | null | undefined) =>
  /class="mark-rule role-mark[^"]*"[^>]*><line /.test(svg ?? '');

const moveTos = (d: string) => (d.match(/M/g) ?? []).length;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('charts', () => {
  it('draws a burn-up with the forecast band, the expected path, the actual line and the cap', async () => {
    const b = budget(burnUp({ through: 5 }));
    const svg = await renderSvg(burnUpSpec('USD'), burnUpData(b, 'USD'));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const mark of ['mark-area', 'mark-line', 'mark-rule'])
      expect(svg).toContain(`class="${mark} role-mark`);
    expect(linePaths(svg, COLORS.actual)).toHaveLength(1);
    expect(linePaths(svg, COLORS.forecast)).toHaveLength(1);
    expect(hasRule(svg)).toBe(true);
    expect(svg).toContain('cap $120');
  });

  it('breaks the actual line at a day without data instead of drawing it as zero', async () => {
    const b = budget(burnUp({ through: 6, gapOn: '2026-10-03' }));
    const svg = await renderSvg(burnUpSpec('USD'), burnUpData(b, 'USD'));
    const [actual] = linePaths(svg, COLORS.actual);
    expect(moveTos(actual as string)).toBe(2);
    // 5 days drawn; none sits on the zero baseline at the bottom of the 220px plot
    expect(ys(actual as string)).toHaveLength(5);
    expect(Math.max(...ys(actual as string))).toBeLessThan(215);
  });

  it('draws a trend line with its limit rule, and breaks it where a day has no data', async () => {
    const e = endpoint([
      { costPer1k: 0.3, latencyP99Ms: 70 },
      { costPer1k: 0.35, latencyP99Ms: 75 },
      {},
      { costPer1k: 0.45, latencyP99Ms: 90 },
      { costPer1k: 0.55, latencyP99Ms: 120 },
    ]);
    const cost = await renderSvg(costPer1kSpec('USD'), costPer1kData(e, 'USD'));
    const lat = await renderSvg(latencySpec(), latencyData(e));
    for (const svg of [cost, lat]) {
      expect(svg).toContain('class="mark-line role-mark');
      expect(svg).toContain('class="mark-rule role-mark');
      const d = /class="mark-line role-mark[^>]*><path d="([^"]*)"/.exec(svg)?.[1] as string;
      expect(moveTos(d)).toBe(2);
    }
    expect(cost).toContain('limit $0.5');
    expect(lat).toContain('ceiling 100 ms');
  });

  it('renders no chart for a series with no data at all', async () => {
    const r = new ChartRenderer('USD');
    const charts = await r.budgetCharts(
      budget(
        days.map((day) => ({ day, actual: null, expected: null, low: null, high: null })),
        [endpoint([{}, {}, { latencyP99Ms: 60 }])],
      ),
    );
    r.close();
    expect(charts.burnUp.svg).toBeNull();
    expect(charts.endpoints[0]?.costPer1k.svg).toBeNull();
    expect(charts.endpoints[0]?.latency.svg).toContain('<svg');
  });

  it('draws with a reused view exactly what a fresh view draws, whatever it drew before', async () => {
    const wide = endpoint([
      { costPer1k: 0.00012, latencyP99Ms: 12_000 },
      { costPer1k: 0.0003, latencyP99Ms: 9000 },
    ]);
    const narrow = {
      ...endpoint([{ costPer1k: 3, latencyP99Ms: 8 }, {}, { costPer1k: 4, latencyP99Ms: 9 }]),
      name: 'api-b',
    };
    const uncapped = { ...budget(burnUp({ through: 3 }), [wide, narrow]), cap: null };
    const capped = budget(burnUp({ through: 7, gapOn: '2026-10-02' }), [narrow, wide]);
    const r = new ChartRenderer('USD');
    const drawn = [
      await r.budgetCharts(capped),
      await r.budgetCharts(uncapped),
      await r.budgetCharts(capped),
    ];
    r.close();
    expect(drawn[2]).toEqual(drawn[0]);
    for (const [b, c] of [
      [capped, drawn[0]],
      [uncapped, drawn[1]],
    ] as const) {
      expect(c?.burnUp.svg).toBe(await renderSvg(burnUpSpec('USD'), burnUpData(b, 'USD')));
      for (const [i, e] of b.endpoints.entries()) {
        expect(c?.endpoints[i]?.costPer1k.svg).toBe(
          await renderSvg(costPer1kSpec('USD'), costPer1kData(e, 'USD')),
        );
        expect(c?.endpoints[i]?.latency.svg).toBe(await renderSvg(latencySpec(), latencyData(e)));
      }
    }
    // no cap, no rule
    expect(hasRule(drawn[1]?.burnUp.svg)).toBe(false);
    expect(hasRule(drawn[0]?.burnUp.svg)).toBe(true);
    expect(drawn[1]?.burnUp.svg).not.toContain('cap $');
  });

  it('renders the same SVG twice, and in any time zone of the machine', async () => {
    const b = budget(burnUp({ through: 5 }), [endpoint([{ costPer1k: 0.3 }, { costPer1k: 0.4 }])]);
    const first = await new ChartRenderer('USD').budgetCharts(b);
    vi.stubEnv('TZ', 'America/Los_Angeles');
    const again = await new ChartRenderer('USD').budgetCharts(b);
    expect(again).toEqual(first);
    // days on a UTC scale: the ticks fall on the days themselves
    const ticks = [...(first.burnUp.svg ?? '').matchAll(/>(Oct \d\d)</g)].map((m) => m[1]);
    expect(ticks).toEqual(['Oct 02', 'Oct 04', 'Oct 06', 'Oct 08', 'Oct 10']);
  });

  it('charts the endpoints over a limit first, then the largest spenders, up to the maximum', () => {
    const ep = (name: string, spend: number, costPer1k: number) => ({
      ...endpoint([]),
      name,
      spendToDate: spend,
      costPer1k,
    });
    // the model lists endpoints by spend; c is the only one over its 0.5 limit
    const b = budget(burnUp({ through: 5 }), [
      ep('a', 300, 0.1),
      ep('b', 200, 0.2),
      ep('c', 100, 0.9),
      ep('d', 50, 0.1),
    ]);
    expect(chartedEndpoints(b, 2).map((e) => e.name)).toEqual(['a', 'c']);
    expect(chartedEndpoints(b, 3).map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(chartedEndpoints(b, 0)).toEqual([]);
  });

  it('needs nothing from the network: no URL but the SVG namespaces', async () => {
    const svg = await renderSvg(burnUpSpec('USD'), burnUpData(budget(burnUp({ through: 5 })), 'USD'));
    const urls = svg.match(/https?:\/\/[^"' )]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(svg).not.toMatch(/<image|@import|url\(/);
  });
});
