import { beforeAll, describe, expect, it } from 'vitest';
import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import { evaluateCycle } from '../../lambdas/core/evaluate/index.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { escapeHtml } from '../../lambdas/report/html.ts';
import { type BuiltReport, buildReport, reportFiles } from '../../lambdas/report/index.ts';
import type { ActionRecord } from '../../lambdas/report/model.ts';
import { dailyRow, hostingRows, series } from '../helpers/build.ts';

function budgetFile(): BudgetFile {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    tiers: { production: { mode: 'approve' } },
    budgets: [
      {
        name: 'api',
        owner: 'team@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { endpoints: ['api-*'] },
        limits: { spendPerPeriod: 200, costPer1kInferences: 0.4, latencyP99Ms: 100 },
        exceptions: [
          {
            reason: 'launch <b>week</b> | go',
            approvedBy: 'lead@example.com',
            expires: '2026-10-05',
            limits: { spendPerPeriod: 400 },
          },
        ],
      },
      {
        name: 'batch',
        owner: 'batch@example.com',
        tier: 'production',
        environment: 'prod',
        selector: { endpoints: ['batch-*'] },
        limits: { spendPerPeriod: 100, latencyP99Ms: 500 },
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

function snapshot(): Snapshot {
  return {
    asOf: '2026-10-10',
    currency: 'USD',
    costs: [
      // api-a doubles its instances on 2026-10-06: spend goes from 12 to 24 a day
      ...hostingRows({
        endpoint: 'api-a',
        from: '2026-09-01',
        days: 40,
        type: 'ml.m5.xlarge',
        price: 0.5,
        instances: (h) => (h >= 35 * 24 ? 2 : 1),
      }),
      ...hostingRows({
        endpoint: 'batch-a',
        from: '2026-10-01',
        days: 10,
        type: 'ml.m5.xlarge',
        price: 0.1,
        instances: () => 1,
      }),
      dailyRow({ day: '2026-10-02', amount: 1 }),
    ],
    // metrics for api-a only; its p99 is missing on 2026-10-03
    metrics: [
      series('api-a', 'Invocations', 'Sum', '2026-10-01', 240, () => 2000),
      series('api-a', 'ModelLatency', 'p99', '2026-10-01', 240, (h) =>
        h >= 48 && h < 72 ? Number.NaN : 90_000,
      ),
    ].map((s) =>
      s.metric === 'ModelLatency'
        ? {
            ...s,
            t: s.t.filter((_, i) => !Number.isNaN(s.v[i])),
            v: s.v.filter((x) => !Number.isNaN(x)),
          }
        : s,
    ),
    inventory: [],
    gaps: [],
  };
}

let report: BuiltReport;
beforeAll(async () => {
  const file = budgetFile();
  const snap = snapshot();
  report = await buildReport({ evaluation: evaluateCycle(snap, file), snapshot: snap, file });
});

describe('report HTML', () => {
  it('is one self-contained page: no scripts, nothing fetched', () => {
    const { html } = report;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    // the only URLs are the SVG namespaces
    const urls = new Set(html.match(/https?:\/\/[^"' )<]+/g) ?? []);
    expect(urls).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  it('has a heading for every section and a table with a header row for the budgets', () => {
    const h2 = [...report.html.matchAll(/<h2 id="[^"]+">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(h2).toEqual([
      'The period at a glance',
      'Budgets',
      'Top drivers of change',
      'Actions',
      'Exceptions',
      'Incomplete data',
      'Spend outside the budgets',
      'The tool’s own API spend',
    ]);
    expect(report.html).toMatch(/<h1>Inference budgets: 2026-10-01 to 2026-10-31, as of 2026-10-10<\/h1>/);
    expect(report.html).toContain('<th scope="col">Budget</th>');
  });

  it('draws a figure per chart with data and says "no data" for a series without any', () => {
    const figures = report.html.match(/<figure class="chart">/g) ?? [];
    // two burn-ups, and api-a's cost per 1k and p99; batch-a has no metrics at all
    expect(figures).toHaveLength(4);
    expect(report.html).toContain('<strong>batch-a: cost per 1k inferences:</strong> no data');
    expect(report.html).toContain('<strong>batch-a: p99 ModelLatency:</strong> no data');
  });

  it('colours each budget by its status and says the status in words', () => {
    const b = report.model.budgets.find((x) => x.name === 'api');
    expect(b?.status).toBe('breached');
    expect(report.html).toContain('class="budget budget-breached"');
    expect(report.html).toContain('<span class="status status-breached">BREACHED</span>');
  });

  it('escapes text from the budget file', () => {
    expect(report.html).not.toContain('<b>week</b>');
    expect(report.html).toContain('launch &lt;b&gt;week&lt;/b&gt; | go');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('says that no action was approved, applied or rolled back, and that a local run made no API calls', () => {
    // approved, applied, rolled back, and the approvals and refusals
    expect(report.html.match(/none recorded/g)).toHaveLength(4);
    expect(report.html).toContain('local run: no API calls');
  });

  it('lists the expired exception and the incomplete data', () => {
    expect(report.html).toMatch(/<h3>Expired<\/h3>\n<table>[\s\S]*launch &lt;b&gt;week&lt;\/b&gt; \| go/);
    expect(report.html).toMatch(/<h3>In force<\/h3>\n<p class="muted">none<\/p>/);
    expect(report.html).toMatch(/<h2 id="incomplete">Incomplete data<\/h2>\n<p>Until these are fixed/);
  });

  it('is the same byte for byte when built twice from the same cycle', async () => {
    const file = budgetFile();
    const snap = snapshot();
    const again = await buildReport({ evaluation: evaluateCycle(snap, file), snapshot: snap, file });
    expect(again.html).toBe(report.html);
    expect(again.markdown).toBe(report.markdown);
    expect(again.json).toBe(report.json);
  });
});

describe('report Markdown', () => {
  it('has the same sections, with tables and the charts in words', () => {
    const md = report.markdown;
    for (const h of [
      '## The period at a glance',
      '## Unit cost and latency per endpoint',
      '## Top drivers of change',
      '## Actions',
      '### Approved',
      '### Applied',
      '### Rolled back',
      '## Exceptions',
      '## Incomplete data',
      '## Spend outside the budgets',
      '## The tool’s own API spend',
    ]) {
      expect(md).toContain(`\n${h}\n`);
    }
    expect(md).toContain('| Budget | Status | Spend to date | Cap |');
    expect(md).toContain('|---|---|---:|---:|---:|---:|---:|---|');
    expect(md).not.toContain('<svg');
    // api-a's p99 is 90 ms every day it has data, below the 100 ms ceiling; one day has none
    expect(md).toContain(
      '- api-a daily p99: 90 ms on 2026-10-01 → 90 ms on 2026-10-10; peak 90 ms on 2026-10-01; 0 of 9 days above 100 ms; 1 day without data.',
    );
    expect(md).toContain('- batch-a daily cost per 1k: no data.');
  });

  it('says how much of the period’s spend is in no budget, and how much of it carries no tag', () => {
    // the $1 S3 charge names no endpoint and no budget selects by tags
    expect(report.markdown).toContain(
      '## Spend outside the budgets\n\n$1.00 of the period’s spend to date is in no budget, $1.00 of it on charges with no tag at all.\n\n| Charges | Spend to date | Untagged |\n|---|---:|---:|\n| Amazon Simple Storage Service | $1.00 | $1.00 |\n\nNo endpoint left out by its tags, no charge counted twice.\n',
    );
    expect(report.html).toContain(
      '<p>$1.00 of the period’s spend to date is in no budget, $1.00 of it on charges with no tag at all.</p>',
    );
  });

  it('lists an endpoint left out by its tags, and an overlap once for its two budgets', async () => {
    const file = budgetFile();
    const tagged = parseBudgetFile({
      version: 1,
      currency: 'USD',
      billingPeriod: file.billingPeriod,
      tiers: { production: { mode: 'approve' } },
      budgets: [
        ...['batches', 'batch-a-only'].map((name) => ({
          name,
          owner: 'o@example.com',
          tier: 'production',
          environment: 'prod',
          selector: { endpoints: name === 'batches' ? ['batch-*'] : ['batch-a'] },
          limits: { spendPerPeriod: 1000 },
        })),
        {
          name: 'tagged',
          owner: 'o@example.com',
          tier: 'production',
          environment: 'prod',
          selector: { endpoints: ['api-*'], tags: { team: 'api' } },
          limits: { spendPerPeriod: 1000 },
        },
      ],
    });
    if (!tagged.ok) throw new Error(JSON.stringify(tagged.problems));
    const snap = snapshot();
    const r = await buildReport({
      evaluation: evaluateCycle(snap, tagged.file),
      snapshot: snap,
      file: tagged.file,
    });
    const section = r.markdown.slice(r.markdown.indexOf('## Spend outside the budgets'));
    expect(section.match(/both take endpoint batch-a/g)).toHaveLength(1);
    expect(section).toMatch(
      /\n- api-a matches the endpoint globs of tagged but not its tags \(team=api; its charges carry no tag\)/,
    );
    expect(r.html).toMatch(/<li>api-a matches the endpoint globs of tagged/);
  });

  it('escapes pipes and HTML inside table cells', () => {
    expect(report.markdown).toContain('launch &lt;b>week&lt;/b> \\| go');
  });

  it('lists records of approved, applied and rolled-back actions when there are some', async () => {
    const file = budgetFile();
    const snap = snapshot();
    const rec: ActionRecord = {
      state: 'applied',
      at: '2026-10-09T10:00:00Z',
      budget: 'batch',
      endpoint: 'batch-a',
      type: 'lower-min-instances',
      description: 'min 2 -> 1',
      by: 'enforce mode',
    };
    const r = await buildReport({
      evaluation: evaluateCycle(snap, file),
      snapshot: snap,
      file,
      actionRecords: [rec],
    });
    expect(r.markdown).toContain(
      '### Applied\n\n- 2026-10-09T10:00:00Z · batch / batch-a · lower-min-instances: min 2 -> 1 (by enforce mode)\n',
    );
    expect(r.markdown.match(/None recorded\./g)).toHaveLength(3);
  });

  it("lists the period's approvals and refusals, escaped, in both formats", async () => {
    const file = budgetFile();
    const snap = snapshot();
    const evaluation = evaluateCycle(snap, file);
    const r = await buildReport({
      evaluation,
      snapshot: snap,
      file,
      result: {
        ...evaluation.result,
        approvals: [
          {
            id: 'apr-0000000000000001',
            outcome: 'approved',
            actionId: 'act-0123456789abcdef',
            budget: 'batch',
            endpoint: 'batch-a',
            by: 'U0PLATFORM1',
            via: 'slack',
            at: '2026-10-09T10:00:00.000Z',
            detail: 'Approved by U0PLATFORM1: scaling change of batch-a/AllTraffic.',
          },
          {
            id: 'apr-0000000000000002',
            outcome: 'refused',
            reason: 'bad-signature',
            by: 'unverified:<script>x|y</script>',
            via: 'slack',
            at: '2026-10-09T11:00:00.000Z',
            detail: 'The request is not signed by Slack.',
          },
        ],
      },
    });
    expect(r.markdown).toContain(
      '| 2026-10-09T10:00:00.000Z | U0PLATFORM1 | slack | approved | act-0123456789abcdef | batch |',
    );
    expect(r.markdown).toContain('| refused (bad-signature) | – | – | The request is not signed by Slack. |');
    expect(r.markdown).not.toContain('<script>');
    expect(r.html).toContain('<td>refused (bad-signature)</td>');
    expect(r.html).toContain('unverified:&lt;script&gt;x|y&lt;/script&gt;');
    expect(r.html).not.toContain('<script>x');
  });
});

describe('report files', () => {
  it('names the three forms of the report, the JSON being the model', () => {
    const files = reportFiles(report);
    expect(Object.keys(files)).toEqual(['report.html', 'report.md', 'report.json']);
    expect(JSON.parse(files['report.json'] as string)).toEqual(report.model);
  });
});

describe('report size on a large account', () => {
  it('charts at most 40 endpoints in the page, 6 per budget, and keeps every endpoint in the tables', async () => {
    const budgets = Array.from({ length: 8 }, (_, i) => ({
      name: `team-${i}`,
      owner: 'team@example.com',
      tier: 'production',
      environment: 'prod',
      selector: { endpoints: [`t${i}-*`] },
      limits: { spendPerPeriod: 1000 },
    }));
    const r = parseBudgetFile({
      version: 1,
      currency: 'USD',
      billingPeriod: { startDay: 1, timezone: 'UTC' },
      tiers: { production: { mode: 'advise' } },
      budgets,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const costs = budgets.flatMap((_, i) =>
      Array.from({ length: 7 }, (_, j) =>
        hostingRows({
          endpoint: `t${i}-e${j}`,
          from: '2026-10-01',
          days: 3,
          type: 'ml.m5.xlarge',
          price: 0.1 * (j + 1),
          instances: () => 1,
        }),
      ).flat(),
    );
    const snap: Snapshot = { asOf: '2026-10-03', currency: 'USD', costs, inventory: [], gaps: [] };
    const built = await buildReport({
      evaluation: evaluateCycle(snap, r.file),
      snapshot: snap,
      file: r.file,
    });
    expect(built.html.match(/<h4>/g)).toHaveLength(40);
    // 8 budgets x 7 endpoints, each in its budget's table
    expect(built.html.match(/<th scope="row">t\d-e\d<\/th>/g)).toHaveLength(56);
    expect(built.html).toContain(
      'Charts for 6 endpoints, those over a limit first, then by spend; 1 more is in the table above and in report.json.',
    );
    expect(built.html).toContain(
      'The report charts 40 endpoints at most, worst budgets first; these 7 are in the table above and in report.json.',
    );
  });
});
