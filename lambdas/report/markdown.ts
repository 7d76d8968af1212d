import * as f from './format.ts';
import type { ActionRecord, ExceptionReport, ReportModel } from './model.ts';

const cell = f.mdText;

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly string[][], numeric: number[] = []): string[] {
  return [
    row(head),
    `|${head.map((_, i) => (numeric.includes(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map(row),
  ];
}

function records(title: string, rs: readonly ActionRecord[]): string[] {
  return [
    `### ${title}`,
    '',
    ...(rs.length === 0 ? ['None recorded.'] : rs.map((r) => `- ${cell(f.actionRecordText(r))}`)),
    '',
  ];
}

function exceptions(title: string, xs: readonly ExceptionReport[], currency: string): string[] {
  if (xs.length === 0) return [`### ${title}`, '', 'None.', ''];
  return [
    `### ${title}`,
    '',
    ...table(
      ['Budget', 'Reason', 'Raised limits', 'Scope', 'Approved by', 'Expires'],
      xs.map((x) => [
        x.budget,
        x.reason,
        f.limitsText(x.limits, currency),
        x.endpoints?.join(', ') ?? 'whole budget',
        x.approvedBy,
        x.expires,
      ]),
    ),
    '',
  ];
}

/** The billing-cycle report for a PR or a wiki: the same sections as the HTML, charts said in words. */
export function renderReportMarkdown(m: ReportModel): string {
  const c = m.currency;
  const out: string[] = [
    `# Inference budgets: ${m.period.start} to ${m.period.last}, as of ${m.asOf}`,
    '',
    `Billing period ${m.period.start} to ${m.period.last} (${cell(m.period.timezone)}), ${c}. Cost data complete through ${m.completeThrough}; ${m.data.metrics ? 'metrics included' : 'no metrics given'}. Charts are in report.html.`,
    '',
    '## The period at a glance',
    '',
    `${f.statusCounts(m.counts)}.`,
    '',
    ...(m.costExplorerForecast ? [cell(f.costExplorerForecastText(m.costExplorerForecast, c)), ''] : []),
    ...table(
      ['Budget', 'Status', 'Spend to date', 'Cap', 'Of cap', 'Forecast', 'Forecast range', 'Tier (mode)'],
      m.budgets.map((b) => [
        b.name,
        f.STATUS_LABEL[b.status],
        f.money(b.spendToDate, c),
        b.cap === null ? 'no cap' : f.money(b.cap, c),
        f.percent(b.shareOfCap),
        f.money(b.forecast.expected, c),
        b.forecast.low === null
          ? 'no data'
          : `${f.money(b.forecast.low, c)} – ${f.money(b.forecast.high, c)}`,
        `${b.tier} (${b.mode})`,
      ]),
      [2, 3, 4, 5, 6],
    ),
    '',
    '## Unit cost and latency per endpoint',
    '',
  ];
  for (const b of m.budgets) {
    out.push(`### ${cell(b.name)}: ${f.STATUS_LABEL[b.status]}`, '');
    if (b.endpoints.length === 0) {
      out.push('No endpoints matched.', '');
      continue;
    }
    out.push(
      ...table(
        ['Endpoint', 'Spend to date', 'Cost per 1k', 'Limit', 'p99 ModelLatency', 'Ceiling'],
        b.endpoints.map((x) => [
          x.name,
          f.money(x.spendToDate, c),
          f.unitPrice(x.costPer1k, c),
          x.limits.costPer1kInferences === null ? '–' : f.unitPrice(x.limits.costPer1kInferences, c),
          f.ms(x.latencyP99Ms),
          x.limits.latencyP99Ms === null ? '–' : f.ms(x.limits.latencyP99Ms),
        ]),
        [1, 2, 3, 4, 5],
      ),
      '',
    );
    for (const x of b.endpoints) {
      out.push(
        `- ${cell(x.name)} daily cost per 1k: ${f.trendSentence(x, 'costPer1k', (v) => f.unitPrice(v, c), x.limits.costPer1kInferences)}.`,
        `- ${cell(x.name)} daily p99: ${f.trendSentence(x, 'latencyP99Ms', f.ms, x.limits.latencyP99Ms)}.`,
      );
    }
    out.push('');
  }

  out.push('## Top drivers of change', '');
  if (m.drivers.length === 0) out.push('No spend change to explain.', '');
  else {
    out.push(
      ...table(
        ['Budget', 'Change', 'Drivers', 'Why'],
        m.drivers.map((d) => [
          d.budget,
          f.signedMoney(d.change, c),
          d.parts
            .map((p) => `${f.CAUSE_LABEL[p.driver] ?? p.driver} ${f.signedMoney(p.amount, c)}`)
            .join(', '),
          d.summary,
        ]),
        [1],
      ),
      '',
    );
  }

  out.push('## Actions', '', '### Recommended', '');
  if (m.actions.recommended.length === 0) out.push('None.', '');
  else {
    out.push(
      ...table(
        ['Budget', 'Endpoint', 'Action', 'Saving this period', 'Latency risk', 'What happens next'],
        m.actions.recommended.map((a) => [
          a.budget,
          a.endpoint ?? '–',
          a.type,
          a.estimatedSavings === 0 ? '–' : f.money(a.estimatedSavings, c),
          a.risk,
          f.MODE_NEXT[a.mode] ?? a.mode,
        ]),
        [3],
      ),
      '',
    );
  }
  out.push('### Scaling changes planned, not applied', '');
  if (m.actions.planned.length === 0) out.push('None.', '');
  else {
    out.push(
      ...table(
        ['Action', 'Status', 'Budget', 'Endpoint', 'Change', 'Predicted saving', 'Why not applied'],
        m.actions.planned.map((a) => [
          a.id,
          a.status,
          a.budget,
          a.endpoint,
          `${a.kind}: ${a.change}`,
          a.estimatedSavings === null ? '–' : f.money(a.estimatedSavings, c),
          a.reason,
        ]),
        [5],
      ),
      '',
    );
  }
  out.push(
    ...records('Approved', m.actions.approved),
    ...records('Applied', m.actions.applied),
    ...records('Rolled back', m.actions.rolledBack),
    '### Approvals and refusals',
    '',
  );
  if (m.approvals.length === 0) out.push('None recorded.', '');
  else
    out.push(
      ...table(
        ['When', 'Who', 'Via', 'Outcome', 'Action', 'Budget', 'Detail'],
        m.approvals.map((r) => [r.at, r.by, r.via, r.outcome, r.actionId ?? '–', r.budget ?? '–', r.detail]),
      ),
      '',
    );

  out.push(
    '## Exceptions',
    '',
    ...exceptions('In force', m.exceptions.inForce, c),
    ...exceptions('Expired', m.exceptions.expired, c),
  );

  out.push('## Incomplete data', '');
  if (m.incompleteData.length === 0) out.push('None: every source was complete for the period to date.', '');
  else out.push(...m.incompleteData.map((g) => `- ${cell(g.message)}`), '');

  out.push('## Spend outside the budgets', '');
  const u = m.coverage.unbudgeted;
  if (u) {
    out.push(`${cell(f.unbudgetedText(u, c))}.`, '');
    if (u.top.length > 0) {
      out.push(
        ...table(
          ['Charges', 'Spend to date', 'Untagged'],
          u.top.map((p) => [f.unbudgetedPart(p), f.money(p.amount, c), f.money(p.untagged, c)]),
          [1, 2],
        ),
        '',
      );
    }
  }
  if (m.coverage.findings.length === 0)
    out.push('No endpoint left out by its tags, no charge counted twice.', '');
  else out.push(...m.coverage.findings.map((g) => `- ${cell(g.message)}`), '');

  out.push('## The tool’s own API spend', '', `${cell(f.apiSpendText(m.apiSpend))}.`, '');
  if (m.apiSpend.live && m.apiSpend.byApi.length > 0) {
    const t = f.apiSpendTable(m.apiSpend.byApi);
    out.push(...table(t.head, t.rows, t.numeric), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
