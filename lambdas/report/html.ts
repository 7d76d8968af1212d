import { addDays } from '../core/period.ts';
import { type BudgetCharts, type Chart, MAX_ENDPOINT_CHARTS_TOTAL } from './charts.ts';
import {
  actionRecordText,
  apiSpendTable,
  apiSpendText,
  CAUSE_LABEL,
  costExplorerForecastText,
  limitsText,
  MODE_NEXT,
  money,
  ms,
  percent,
  STATUS_LABEL,
  signedMoney,
  statusCounts,
  unbudgetedPart,
  unbudgetedText,
  unitPrice,
} from './format.ts';
import type { ActionRecord, ExceptionReport, ReportModel } from './model.ts';

const CSS = `
:root { color-scheme: light; --ok: #1e7b34; --ok-bg: #e3f4e7; --risk: #8a5a00; --risk-bg: #fff1cc;
  --breach: #b3261e; --breach-bg: #fde4e1; --muted: #5c6370; --line: #d9dde3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1b1f24; background: #f6f7f9; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.1rem; margin: 24px 0 8px; }
h4 { font-size: 1rem; margin: 16px 0 8px; }
p.meta, .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: white; margin: 8px 0 16px; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 700; font-size: 0.8rem;
  letter-spacing: 0.02em; white-space: nowrap; }
.status-ok { color: var(--ok); background: var(--ok-bg); }
.status-at-risk { color: var(--risk); background: var(--risk-bg); }
.status-breached { color: var(--breach); background: var(--breach-bg); }
section.budget { background: white; border: 1px solid var(--line); border-left: 6px solid var(--line);
  border-radius: 6px; padding: 4px 16px 12px; margin: 16px 0; }
section.budget.budget-ok { border-left-color: var(--ok); }
section.budget.budget-at-risk { border-left-color: var(--risk); }
section.budget.budget-breached { border-left-color: var(--breach); }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { margin: 0; background: white; border: 1px solid var(--line); border-radius: 4px; padding: 8px; }
figure.chart figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.no-data { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 0.85rem; padding-bottom: 32px; }
`;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const e = escapeHtml;

function status(s: keyof typeof STATUS_LABEL): string {
  return `<span class="status status-${s}">${STATUS_LABEL[s]}</span>`;
}

function table(
  caption: string | null,
  head: readonly string[],
  rows: readonly string[][],
  numeric: number[] = [],
) {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return [
    '<table>',
    caption ? `<caption>${e(caption)}</caption>` : '',
    `<thead><tr>${head.map((h, i) => `<th scope="col"${cls(i)}>${e(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td${cls(i)}>${c}</td>`)).join('')}</tr>`,
    ),
    '</tbody></table>',
  ].join('\n');
}

function figure(c: Chart): string {
  if (c.svg === null) {
    return `<p class="no-data"><strong>${e(c.title)}:</strong> no data</p>`;
  }
  return `<figure class="chart"><figcaption>${e(c.title)}</figcaption><div role="img" aria-label="${e(c.alt)}">${c.svg}</div></figure>`;
}

function recordList(title: string, records: readonly ActionRecord[]): string {
  const body =
    records.length === 0
      ? '<p class="muted">none recorded</p>'
      : `<ul>${records.map((r) => `<li>${e(actionRecordText(r))}</li>`).join('')}</ul>`;
  return `<h3>${e(title)}</h3>\n${body}`;
}

function exceptionTable(title: string, xs: readonly ExceptionReport[], currency: string): string {
  if (xs.length === 0) return `<h3>${e(title)}</h3>\n<p class="muted">none</p>`;
  return `<h3>${e(title)}</h3>\n${table(
    null,
    ['Budget', 'Reason', 'Raised limits', 'Scope', 'Approved by', 'Expires'],
    xs.map((x) => [
      e(x.budget),
      e(x.reason),
      e(limitsText(x.limits, currency)),
      e(x.endpoints?.join(', ') ?? 'whole budget'),
      e(x.approvedBy),
      e(x.expires),
    ]),
  )}`;
}

function unchartedNote(charted: number, rest: number): string {
  const table = `${rest === 1 ? 'is' : 'are'} in the table above and in report.json`;
  if (charted === 0) {
    return `The report charts ${MAX_ENDPOINT_CHARTS_TOTAL} endpoints at most, worst budgets first; these ${rest} ${table}.`;
  }
  return `Charts for ${charted} endpoint${charted === 1 ? '' : 's'}, those over a limit first, then by spend; ${rest} more ${table}.`;
}

/** The billing-cycle report as one self-contained page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderHtml(m: ReportModel, charts: readonly BudgetCharts[]): string {
  const c = m.currency;
  const title = `Inference budgets: ${m.period.start} to ${m.period.last}, as of ${m.asOf}`;
  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${e(title)}</h1>`,
    `<p class="meta">Billing period ${e(m.period.start)} to ${e(m.period.last)} (${e(m.period.timezone)}), ${e(c)}. Cost data complete through ${e(m.completeThrough)}${m.data.costsThrough ? `, read through ${e(m.data.costsThrough)}` : ''}; ${m.data.metrics ? 'metrics included' : 'no metrics given'}.</p>`,
    '</header>',
    '<main>',
  );

  // ---- at a glance ----
  out.push(
    '<section aria-labelledby="glance">',
    '<h2 id="glance">The period at a glance</h2>',
    `<p>${statusCounts(m.counts)}.</p>`,
    table(
      'Spend, forecast and cap per budget',
      [
        'Budget',
        'Status',
        'Spend to date',
        'Cap',
        'Of cap',
        'Forecast',
        'Forecast range',
        'Forecast of cap',
        'Tier (mode)',
      ],
      m.budgets.map((b) => [
        `<a href="#budget-${e(b.name)}">${e(b.name)}</a>`,
        status(b.status),
        money(b.spendToDate, c),
        b.cap === null ? 'no cap' : money(b.cap, c),
        percent(b.shareOfCap),
        money(b.forecast.expected, c),
        b.forecast.low === null ? 'no data' : `${money(b.forecast.low, c)} – ${money(b.forecast.high, c)}`,
        percent(b.forecastShareOfCap),
        `${e(b.tier)} (${e(b.mode)})`,
      ]),
      [2, 3, 4, 5, 6, 7],
    ),
  );
  if (m.costExplorerForecast) {
    out.push(`<p class="muted">${e(costExplorerForecastText(m.costExplorerForecast, c))}</p>`);
  }
  out.push('</section>');

  // ---- per budget ----
  out.push('<section aria-labelledby="budgets">', '<h2 id="budgets">Budgets</h2>');
  m.budgets.forEach((b, i) => {
    const ch = charts[i];
    out.push(
      `<section class="budget budget-${b.status}" id="budget-${e(b.name)}" aria-labelledby="h-${e(b.name)}">`,
      `<h3 id="h-${e(b.name)}">${e(b.name)} ${status(b.status)}</h3>`,
      `<p>${money(b.spendToDate, c)} spent${b.cap === null ? '' : ` of a ${money(b.cap, c)} cap`}; forecast ${money(b.forecast.expected, c)}${b.forecast.low === null ? '' : ` (${money(b.forecast.low, c)} – ${money(b.forecast.high, c)})`}. Limits: ${e(limitsText(b.limits, c))}.</p>`,
      `<p class="muted">Owner ${e(b.owner)}; tier ${e(b.tier)}, mode ${e(b.mode)} (actions ${e(MODE_NEXT[b.mode] ?? b.mode)}); environment ${e(b.environment)}.</p>`,
    );
    const said = b.findings.filter((f) => f.kind !== 'incomplete-data');
    if (said.length > 0) {
      out.push(
        `<ul class="findings">${said.map((f) => `<li><strong>${e(f.severity)}</strong> ${e(f.message)}</li>`).join('')}</ul>`,
      );
    }
    if (ch) out.push(`<div class="charts">${figure(ch.burnUp)}</div>`);
    if (b.endpoints.length === 0) {
      out.push('<p class="muted">No endpoints matched.</p>');
    } else {
      out.push(
        table(
          `Endpoints of ${b.name}`,
          [
            'Endpoint',
            'Spend to date',
            'Cost per 1k (window)',
            'Limit',
            'p99 ModelLatency (window)',
            'Ceiling',
          ],
          b.endpoints.map((x) => [
            e(x.name),
            money(x.spendToDate, c),
            unitPrice(x.costPer1k, c),
            x.limits.costPer1kInferences === null ? '–' : unitPrice(x.limits.costPer1kInferences, c),
            ms(x.latencyP99Ms),
            x.limits.latencyP99Ms === null ? '–' : ms(x.limits.latencyP99Ms),
          ]),
          [1, 2, 3, 4, 5],
        ),
      );
      if (ch && ch.uncharted > 0) {
        out.push(`<p class="muted">${unchartedNote(ch.endpoints.length, ch.uncharted)}</p>`);
      }
      for (const ec of ch?.endpoints ?? []) {
        out.push(
          `<h4>${e(ec.name)}</h4>`,
          `<div class="charts">${figure(ec.costPer1k)}${figure(ec.latency)}</div>`,
        );
      }
    }
    out.push('</section>');
  });
  out.push('</section>');

  // ---- drivers ----
  out.push('<section aria-labelledby="drivers">', '<h2 id="drivers">Top drivers of change</h2>');
  if (m.drivers.length === 0) out.push('<p class="muted">No spend change to explain.</p>');
  else {
    out.push(
      table(
        'Change in period spend at the current rate, against the baseline, split by driver',
        ['Budget', 'Change', 'Drivers', 'Baseline', 'Why'],
        m.drivers.map((d) => [
          e(d.budget),
          signedMoney(d.change, c),
          d.parts
            .map((p) => `${e(CAUSE_LABEL[p.driver] ?? p.driver)} ${signedMoney(p.amount, c)}`)
            .join('<br>'),
          `${e(d.baseline.from)} to ${e(addDays(d.baseline.to, -1))}`,
          e(d.summary),
        ]),
        [1],
      ),
    );
  }
  out.push('</section>');

  // ---- actions ----
  out.push('<section aria-labelledby="actions">', '<h2 id="actions">Actions</h2>', '<h3>Recommended</h3>');
  if (m.actions.recommended.length === 0) out.push('<p class="muted">none</p>');
  else {
    out.push(
      table(
        null,
        ['Budget', 'Endpoint', 'Action', 'Saving this period', 'Latency risk', 'What happens next', 'Detail'],
        m.actions.recommended.map((a) => [
          e(a.budget),
          e(a.endpoint ?? '–'),
          e(a.type),
          a.estimatedSavings === 0 ? '–' : money(a.estimatedSavings, c),
          e(a.risk),
          e(MODE_NEXT[a.mode] ?? a.mode),
          e(a.description),
        ]),
        [3],
      ),
    );
  }
  out.push('<h3>Scaling changes planned, not applied</h3>');
  out.push(
    m.actions.planned.length === 0
      ? '<p class="muted">none</p>'
      : table(
          null,
          ['Action', 'Status', 'Budget', 'Endpoint', 'Change', 'Predicted saving', 'Why not applied'],
          m.actions.planned.map((a) => [
            e(a.id),
            e(a.status),
            e(a.budget),
            e(a.endpoint),
            e(`${a.kind}: ${a.change}`),
            a.estimatedSavings === null ? '–' : money(a.estimatedSavings, c),
            e(a.reason),
          ]),
          [5],
        ),
  );
  out.push(
    recordList('Approved', m.actions.approved),
    recordList('Applied', m.actions.applied),
    recordList('Rolled back', m.actions.rolledBack),
    '<h3>Approvals and refusals</h3>',
    m.approvals.length === 0
      ? '<p class="muted">none recorded</p>'
      : table(
          null,
          ['When', 'Who', 'Via', 'Outcome', 'Action', 'Budget', 'Detail'],
          m.approvals.map((r) =>
            [r.at, r.by, r.via, r.outcome, r.actionId ?? '–', r.budget ?? '–', r.detail].map((x) => e(x)),
          ),
        ),
    '</section>',
  );

  // ---- exceptions ----
  out.push(
    '<section aria-labelledby="exceptions">',
    '<h2 id="exceptions">Exceptions</h2>',
    exceptionTable('In force', m.exceptions.inForce, c),
    exceptionTable('Expired', m.exceptions.expired, c),
    '</section>',
  );

  // ---- incomplete data ----
  out.push('<section aria-labelledby="incomplete">', '<h2 id="incomplete">Incomplete data</h2>');
  if (m.incompleteData.length === 0)
    out.push('<p>None: every source was complete for the period to date.</p>');
  else {
    out.push(
      '<p>Until these are fixed, the numbers they touch are lower bounds.</p>',
      `<ul>${m.incompleteData.map((g) => `<li>${e(g.message)}</li>`).join('')}</ul>`,
    );
  }
  out.push('</section>');

  // ---- spend outside the budgets ----
  out.push('<section aria-labelledby="coverage">', '<h2 id="coverage">Spend outside the budgets</h2>');
  const u = m.coverage.unbudgeted;
  if (u) {
    out.push(`<p>${e(unbudgetedText(u, c))}.</p>`);
    if (u.top.length > 0) {
      out.push(
        table(
          null,
          ['Charges', 'Spend to date', 'Untagged'],
          u.top.map((p) => [e(unbudgetedPart(p)), money(p.amount, c), money(p.untagged, c)]),
          [1, 2],
        ),
      );
    }
  }
  if (m.coverage.findings.length === 0)
    out.push('<p>No endpoint left out by its tags, no charge counted twice.</p>');
  else out.push(`<ul>${m.coverage.findings.map((g) => `<li>${e(g.message)}</li>`).join('')}</ul>`);
  out.push('</section>');

  // ---- API spend ----
  out.push(
    '<section aria-labelledby="api">',
    '<h2 id="api">The tool’s own API spend</h2>',
    `<p>${e(apiSpendText(m.apiSpend))}.</p>`,
  );
  if (m.apiSpend.live && m.apiSpend.byApi.length > 0) {
    const t = apiSpendTable(m.apiSpend.byApi);
    out.push(
      table(
        null,
        t.head,
        t.rows.map((r) => r.map(e)),
        t.numeric,
      ),
    );
  }
  out.push('</section>', '</main>');

  out.push(
    '<footer>',
    `<p>Forecast: ${e(m.budgets[0]?.forecast.method ?? '–')}; the band is drawn ${e(m.bandMethod)}. Missing data is left out of the charts (a gap), never drawn as zero. Report format version ${m.version}.</p>`,
    '</footer>',
    '</body>',
    '</html>',
  );
  return `${out.join('\n')}\n`;
}
