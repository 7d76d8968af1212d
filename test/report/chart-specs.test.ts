import { describe, expect, it } from 'vitest';
import { type ChartKind, CURRENCY_SLOT, LITE_SPECS } from '../../lambdas/report/chart-specs.ts';
import { chartSpec } from '../../lambdas/report/charts.ts';
import { VEGA_SPECS } from '../../lambdas/report/vega-specs.ts';
import { compileChart } from './compile-charts.ts';

const KINDS = Object.keys(LITE_SPECS) as ChartKind[];

describe('precompiled chart specs', () => {
  it.each(KINDS)(
    'renders %s from the spec Vega-Lite compiles from chart-specs.ts, in every currency (else run npm run charts:compile)',
    (kind) => {
      for (const currency of ['USD', 'EUR', 'JPY'])
        expect(chartSpec(kind, currency)).toEqual(compileChart(kind, currency));
    },
  );

  it('puts the currency in the titles that name it and leaves no slot behind', () => {
    expect(JSON.stringify(VEGA_SPECS['burn-up'])).toContain(CURRENCY_SLOT);
    const burnUp = JSON.stringify(chartSpec('burn-up', 'EUR'));
    expect(burnUp).toContain('cumulative spend (EUR)');
    expect(burnUp).not.toContain(CURRENCY_SLOT);
    expect(JSON.stringify(chartSpec('cost', 'JPY'))).toContain('cost per 1k (JPY)');
  });

  it('hands out a copy: a renderer changing its spec leaves the next chart intact', () => {
    const spec = chartSpec('latency', 'USD') as { width?: number };
    spec.width = 1;
    expect((chartSpec('latency', 'USD') as { width?: number }).width).toBe(440);
  });
});
