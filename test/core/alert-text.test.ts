import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../lambdas/cli/run.ts';
import { type AlertText, alertText, MAX_ALERT_ACTIONS } from '../../lambdas/core/alert-text.ts';
import { type Alert, planAlerts } from '../../lambdas/core/alerts.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import { alertedKind } from '../../lambdas/core/limits/index.ts';
import type { CostRecord } from '../../lambdas/core/types.ts';
import { hostingRows } from '../helpers/build.ts';
import { ROOT } from '../helpers/cli.ts';
import { budget, file, snap } from './evaluate/fixtures.ts';

const DEMO = join(ROOT, 'examples/demo');

let alerts: Alert[];

beforeAll(async () => {
  const out = await runCycle({
    budgets: join(DEMO, 'budgets.yaml'),
    files: { costs: [join(DEMO, 'data/costs.focus.csv')], metrics: join(DEMO, 'data/metrics.csv') },
    asOf: '2026-10-15',
    state: false,
    now: new Date('2026-10-15T06:00:00.000Z'),
  });
  alerts = out.alerts.map((m) => m.alert);
});

const usd = (x: number) =>
  `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

describe('alert text on the demo account', () => {
  it('has the alerts the demo scenario plants, critical first', () => {
    expect(alerts.map((a) => `${a.severity} ${a.key} ${a.state}`)).toEqual([
      'critical spend|chat-prod|forecast critical@1#1',
      'critical spend|exp-llm-canary|forecast critical@1#1',
      'critical spend|rank-prod|forecast critical@1#1',
      'critical spend|search-prod|forecast critical@1#1',
      'warning utilization-low|chat-prod|chat-prod warning@0#1',
      'warning latency|embed-prod|embed-prod warning@0#1',
      'warning exit-criteria|exp-llm-canary|exp-llm-canary warning@0#1',
      'info spend|chat-prod|actual info@0.5#1',
      'info spend|exp-llm-canary|actual info@0.5#1',
      'info spend|rank-prod|actual info@0.5#1',
      'info spend|search-prod|actual info@0.5#1',
    ]);
    expect(alerts.every((a) => a.transition === 'opened')).toBe(true);
  });

  it('renders every alert as the committed plain text', async () => {
    const text = alerts.map((a) => `=== ${a.key} ${a.state}\n${alertText(a).plain}`).join('\n');
    await expect(text).toMatchFileSnapshot('../fixtures/golden/demo-alerts.txt');
  });

  it('names the cause of each alert in dollars, largest driver first', () => {
    for (const a of alerts) {
      const t = alertText(a);
      expect(t.why, a.key).toBeDefined();
      const drivers = t.why?.drivers ?? [];
      expect(drivers.length, a.key).toBeGreaterThan(0);
      for (const d of drivers) {
        expect(d.amount, a.key).toMatch(/^[+−]\$\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(t.plain).toContain(`  ${d.amount} ${d.label}\n`);
      }
      const sizes = drivers.map((d) => Number(d.amount.replace(/[^\d.]/g, '')));
      expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
      expect(t.plain).toContain(`Why: ${t.why?.summary}`);
    }
    const byKey = new Map(alerts.map((a) => [a.key, alertText(a)]));
    expect(byKey.get('spend|chat-prod|forecast')?.why?.drivers[0]).toEqual({
      label: 'idle capacity',
      amount: '+$2,319.60',
    });
    expect(byKey.get('spend|rank-prod|forecast')?.why?.drivers[0]?.label).toBe('instance-type change');
    expect(byKey.get('spend|search-prod|forecast')?.why?.drivers[0]?.label).toBe('traffic');
    expect(byKey.get('spend|exp-llm-canary|forecast')?.why?.drivers[0]?.label).toBe('new endpoint');
  });

  it('names at least one action of each alert with its estimated saving and latency risk', () => {
    for (const a of alerts) {
      const t = alertText(a);
      expect(t.actions.length, a.key).toBeGreaterThan(0);
      expect(t.actions.length).toBeLessThanOrEqual(MAX_ALERT_ACTIONS);
      t.actions.forEach((x, i) => {
        const saved = a.actions[i]?.estimatedSavings ?? 0;
        expect(x.saving, a.key).toBe(
          saved >= 0.005 ? `saves ~${usd(saved)} this period` : 'no direct saving',
        );
        expect(t.plain).toContain(`  ${i + 1}. ${x.text} (${x.saving}; latency risk ${x.risk})\n`);
      });
    }
    // every alert on spend or idle capacity has a saving to name
    for (const a of alerts.filter((x) => x.kind !== 'latency')) {
      expect(
        alertText(a).actions.some((x) => /^saves ~\$[\d,]+\.\d{2} this period$/.test(x.saving)),
        a.key,
      ).toBe(true);
    }
  });

  it('gives one-line headlines with the subject, the number and the date', () => {
    for (const a of alerts) {
      const { headline, plain } = alertText(a);
      expect(headline).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(headline).toBe(headline.trim());
      expect(headline.startsWith(`${a.budget}`)).toBe(true);
      expect(headline).toContain('2026-10');
      expect(plain.split('\n')[0]).toBe(`[${a.severity.toUpperCase()}] ${headline}`);
    }
    const headlines = new Map(alerts.map((a) => [a.key, alertText(a).headline]));
    expect(headlines.get('spend|chat-prod|forecast')).toBe(
      'chat-prod: forecast $4,083.03 vs $3,000.00 cap (136%), crosses 2026-10-24',
    );
    expect(headlines.get('spend|search-prod|actual')).toBe(
      'search-prod: spent $2,446.66 of $4,500.00 cap (54%) by 2026-10-15',
    );
    expect(headlines.get('latency|embed-prod|embed-prod')).toBe(
      'embed-prod: ModelLatency p99 63.5 ms, above its 50 ms ceiling (as of 2026-10-15)',
    );
  });

  it('links the endpoint in the SageMaker console when a region is given, and only for endpoint alerts', () => {
    for (const a of alerts) {
      const withRegion = alertText(a, { consoleRegion: 'eu-west-1' });
      const without = alertText(a);
      expect(without.links.find((l) => l.label === 'Endpoint in SageMaker')).toBeUndefined();
      const link = withRegion.links.find((l) => l.label === 'Endpoint in SageMaker');
      if (a.endpoint) {
        expect(link?.url).toBe(
          `https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/${a.endpoint}`,
        );
        expect(withRegion.plain).toContain(`Endpoint in SageMaker: ${link?.url}\n`);
      } else {
        expect(link).toBeUndefined();
      }
    }
    expect(alerts.filter((a) => a.endpoint).map((a) => a.endpoint)).toEqual([
      'chat-prod',
      'embed-prod',
      'exp-llm-canary',
    ]);
  });

  it('appends the runbook anchor of the alert kind to the runbook link, and names the README otherwise', () => {
    const links = {
      report: 'https://example.com/report.html',
      dashboard: 'https://example.com/dashboard',
      runbook: 'https://github.com/example/perf-budgets/blob/main/README.md',
    };
    for (const a of alerts) {
      const t = alertText(a, links);
      const anchor = alertedKind(a.kind)?.runbook;
      expect(t.links).toEqual([
        { label: 'Report', url: links.report },
        { label: 'Dashboard', url: links.dashboard },
        { label: 'Runbook', url: `${links.runbook}#${anchor}` },
      ]);
      expect(t.plain).toContain(`\nRunbook: ${links.runbook}#${anchor}\n`);
      expect(t.plain).not.toContain('Runbook: README.md');
      expect(alertText(a).plain.endsWith(`\nRunbook: README.md#${anchor}\n`)).toBe(true);
    }
    expect(alertedKind('latency')?.runbook).toBe('runbook-latency');
  });

  it('tells a resolved notice without cause or actions, tagged as resolved', () => {
    const a = alerts.find((x) => x.kind === 'latency') as Alert;
    const resolved: Alert = {
      ...a,
      transition: 'resolved',
      state: 'resolved#1',
      message: 'embed-prod is back within its latency limit (p99 now 41.0 ms).',
      findings: [],
    };
    const t = alertText(resolved);
    expect(t.headline).toBe('embed-prod is back within its latency limit (p99 now 41.0 ms)');
    expect(t.why).toBeUndefined();
    expect(t.actions).toEqual([]);
    expect(t.plain).not.toContain('What to do');
    expect(t.plain.split('\n')[0]).toBe(`[RESOLVED] ${t.headline}`);
    expect(t.facts).toContainEqual({ label: 'Severity', value: 'warning, resolved' });

    const escalated = alertText({ ...a, transition: 'escalated', severity: 'critical' });
    expect(escalated.headline).toMatch(/^embed-prod: ModelLatency p99/);
    expect(escalated.plain.split('\n')[0]).toBe(`[CRITICAL, WORSE] ${escalated.headline}`);
  });
});

/** The driver a sentence says spend "mainly" moved by, and its amount in the alert's list of drivers. */
function claimedDriver(t: AlertText): { label: string; amount: string | undefined } | undefined {
  const m = /; mainly ([a-z -]+?)(?: \(|[.:])/.exec(t.why?.summary ?? '');
  if (!m?.[1]) return undefined;
  const label = m[1] === 'unexplained' ? 'other (unexplained)' : m[1];
  return { label, amount: t.why?.drivers.find((d) => d.label === label)?.amount };
}

describe('alert text claims no $0 driver', () => {
  it('names as the main driver of each demo alert one that moved dollars', () => {
    const claims = alerts.flatMap((a) => {
      const claim = claimedDriver(alertText(a));
      return claim ? [{ key: a.key, ...claim }] : [];
    });
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims)
      expect(c.amount, `${c.key}: ${c.label}`).toMatch(/^[+−]\$(?!0\.00)[\d,]+\.\d{2}$/);
  });

  it('says unexplained, not traffic, when the spend tripled in rows that state no instance-hours', () => {
    // api-a ran 1 instance in September and 3 in October, billed in rows without usage type or hours:
    // +2 x $0.23 x 24 h x 31 days at the current rate
    const rows: CostRecord[] = hostingRows({
      endpoint: 'api-a',
      from: '2026-09-01',
      days: 45,
      type: 'ml.m5.xlarge',
      instances: (h) => (h < 30 * 24 ? 1 : 3),
    }).map(({ instanceType: _t, usageHours: _h, usageType: _u, ...r }) => r);
    const result = evaluate(snap(rows, '2026-10-15'), file([budget({ spendPerPeriod: 300 })]));
    const texts = planAlerts(result, [], '2026-10-15T06:00:00.000Z').alerts.map((x) => alertText(x));
    const spend = texts.filter((t) => t.why);
    expect(spend.length).toBeGreaterThan(0);
    for (const t of spend) {
      expect(t.why?.summary).not.toMatch(/traffic|idle capacity|usual level/);
      expect(claimedDriver(t)).toEqual({ label: 'other (unexplained)', amount: '+$342.24' });
      expect(t.why?.drivers).toEqual([{ label: 'other (unexplained)', amount: '+$342.24' }]);
    }
  });
});
