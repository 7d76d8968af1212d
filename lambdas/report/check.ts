/**
 * What `perf-budgets check` prints: a terminal table, a Markdown pull-request comment, or JSON. Amounts are cents
 * in the text forms; JSON has them as numbers rounded to cents and, for the totals a gate is decided on, exact.
 */
import type { BudgetCheck, CheckResult, EndpointChange, NamedException } from '../core/check/judge.ts';
import type { CostRange } from '../core/check/price.ts';
import type { PlannedVariant } from '../core/check/types.ts';
import { displayMoney, formatMoney, type Money, moneyFromNumber, roundTo } from '../core/money.ts';

export interface CheckHeader {
  /** What was read: the argument and the templates in it. */
  readonly target: string;
  readonly templates: readonly string[];
  readonly base?: string;
  readonly prices: { readonly date: string; readonly source: string };
  readonly currency: string;
}

const money = (m: Money, currency: string): string => displayMoney(m, currency);
const signed = (m: Money, currency: string): string =>
  m < 0n ? `-${money(-m, currency)}` : `+${money(m, currency)}`;

const range = (r: CostRange | undefined, currency: string): string =>
  r === undefined
    ? 'not priced'
    : `${money(r.min, currency)} / ${money(r.expected, currency)} / ${money(r.max, currency)}`;

function variantText(v: PlannedVariant): string {
  if (v.kind === 'serverless')
    return `serverless ${v.memoryMb} MB x ${v.maxConcurrency}${v.provisionedConcurrency ? ` (${v.provisionedConcurrency} provisioned)` : ''}`;
  const iv = v;
  const count = iv.min === iv.max ? `${iv.min}` : `${iv.min}-${iv.max}`;
  return `${iv.instanceType ?? '(unresolved type)'} x ${count}${iv.scaling === 'autoscaling' ? ' (autoscaling)' : iv.scaling === 'managed-instance-scaling' ? ' (managed scaling)' : ''}`;
}

const capacity = (c: EndpointChange): string =>
  (c.head ?? c.base)?.endpoint.variants.map(variantText).join(', ') ?? '';

const exceptionText = (e: NamedException): string =>
  `"${e.reason}" (approved by ${e.approvedBy}, expires ${e.expires}${e.spendPerPeriod !== undefined ? `, cap ${e.spendPerPeriod}` : ''})`;

/** One sentence per budget: the verdict, the figures behind it and what lets it through or stops it. */
export function budgetSentence(b: BudgetCheck, currency: string): string {
  const p = b.projected;
  const cap = b.effectiveCap;
  const figures = p
    ? `expected ${money(p.expected, currency)} for the period (max ${money(p.max, currency)})${cap !== undefined ? ` against the cap of ${money(moneyFromNumber(cap), currency)}` : ''}${b.added ? `, the change adds ${signed(b.added.expected, currency)} for the rest of it` : ''}`
    : '';
  const instances = b.instances.map(
    (i) => `${i.endpoint} may run ${i.max} instances, above maxInstances ${i.limit}`,
  );
  switch (b.verdict) {
    case 'over':
      return [
        `OVER${b.gap !== undefined ? ` by ${money(b.gap, currency)}` : ''}: ${figures}`,
        ...instances,
        ...b.expired.map((e) => `exception ${exceptionText(e)} would cover it but has expired`),
      ]
        .filter(Boolean)
        .join('; ');
    case 'excepted':
      return `within its exception: ${figures}; ${money(b.gap ?? 0n, currency)} above its own cap, let through by ${b.exceptions.map(exceptionText).join(' and ')}`;
    case 'unknown':
      return `UNKNOWN: ${b.problems.join('; ')}`;
    case 'no-cap':
      return `no spend cap: ${figures}`;
    default:
      return `within: ${figures}`;
  }
}

const verdictWord: Record<BudgetCheck['verdict'], string> = {
  over: 'over',
  excepted: 'excepted',
  unknown: 'unknown',
  within: 'within',
  'no-cap': 'no cap',
};

function headline(r: CheckResult): string {
  const over = r.budgets.filter((b) => b.verdict === 'over').length;
  const unknown = r.budgets.filter((b) => b.verdict === 'unknown').length;
  if (r.budgets.length === 0) return 'no budget takes an endpoint of the template';
  if (over + unknown === 0)
    return `within budget (${r.budgets.length} ${plural(r.budgets.length, 'budget')})`;
  return [over ? `${over} ${plural(over, 'budget')} over` : '', unknown ? `${unknown} unknown` : '']
    .filter(Boolean)
    .join(', ');
}

const plural = (n: number, w: string): string => (n === 1 ? w : `${w}s`);

function context(r: CheckResult, h: CheckHeader): string[] {
  const restDays = Math.round(r.restHours / 24);
  return [
    `Read ${h.templates.length} ${plural(h.templates.length, 'template')} of ${h.target}${h.base ? ` against the base ${h.base}` : ''}; as of ${r.asOf}, period ${r.period.start}..${r.period.end} (end exclusive, ${restDays} ${plural(restDays, 'day')} left).`,
    `Prices: ${h.prices.source}, dated ${h.prices.date}. ${r.history ? `History: ${r.history}.` : 'No spend history given (--costs, --aws or --state): expected is each endpoint at its minimum.'}`,
  ];
}

export function renderCheckText(r: CheckResult, h: CheckHeader): string {
  const c = h.currency;
  const lines = [`perf-budgets check: ${r.pass ? 'PASS' : 'FAIL'}: ${headline(r)}`, ...context(r, h), ''];
  lines.push('Endpoints (rest of period: min / expected / max):');
  for (const e of r.endpoints) {
    lines.push(
      `  ${e.key} [${e.kind}] ${capacity(e)}: ${range(e.rest, c)}${e.added ? `; adds ${signed(e.added.expected, c)}` : ''}${e.budgets.length ? `; budgets ${e.budgets.join(', ')}` : '; no budget'}`,
    );
    for (const v of e.head?.variants ?? []) lines.push(`      ${v.name}: ${v.basis}`);
  }
  lines.push('', 'Budgets:');
  for (const b of r.budgets) lines.push(`  ${b.budget}: ${budgetSentence(b, c)}`);
  if (r.unbudgeted.length) lines.push('', `No budget takes: ${r.unbudgeted.join(', ')}.`);
  if (r.unpriced.length) {
    lines.push('', 'Not priced (never counted as zero):');
    for (const u of r.unpriced) lines.push(`  ${u.path}: ${u.why}`);
  }
  return `${lines.join('\n')}\n`;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderCheckMarkdown(r: CheckResult, h: CheckHeader): string {
  const c = h.currency;
  const out = [
    `### perf-budgets check: ${r.pass ? 'pass' : 'FAIL'}, ${headline(r)}`,
    '',
    ...context(r, h),
    '',
  ];
  out.push(
    '| Budget | Verdict | Expected for the period | Cap | Change adds | Why |',
    '|---|---|--:|--:|--:|---|',
  );
  for (const b of r.budgets) {
    out.push(
      `| ${cell(b.budget)} | ${verdictWord[b.verdict]} | ${b.projected ? money(b.projected.expected, c) : 'unknown'} | ${b.effectiveCap === undefined ? 'none' : money(moneyFromNumber(b.effectiveCap), c)} | ${b.added ? signed(b.added.expected, c) : ''} | ${cell(budgetSentence(b, c))} |`,
    );
  }
  out.push(
    '',
    '| Endpoint | Change | Capacity | Rest of period (min / expected / max) | Full period expected | Budgets |',
    '|---|---|---|--:|--:|---|',
  );
  for (const e of r.endpoints) {
    out.push(
      `| ${cell(e.key)} | ${e.kind} | ${cell(capacity(e))} | ${range(e.rest, c)} | ${e.full ? money(e.full.expected, c) : ''} | ${cell(e.budgets.join(', ') || 'none')} |`,
    );
  }
  if (r.unpriced.length) {
    out.push('', '**Not priced** (never counted as zero):', '');
    for (const u of r.unpriced) out.push(`- \`${cell(u.path)}\`: ${cell(u.why)}`);
  }
  return `${out.join('\n')}\n`;
}

const jsonRange = (r: CostRange | undefined) =>
  r && { min: roundTo(r.min), expected: roundTo(r.expected), max: roundTo(r.max) };

export function checkJson(r: CheckResult, h: CheckHeader): unknown {
  return {
    pass: r.pass,
    asOf: r.asOf,
    period: { start: r.period.start, end: r.period.end },
    currency: h.currency,
    prices: h.prices,
    templates: h.templates,
    ...(h.base ? { base: h.base } : {}),
    history: r.history ?? null,
    restHours: r.restHours,
    fullHours: r.fullHours,
    budgets: r.budgets.map((b) => ({
      budget: b.budget,
      owner: b.owner,
      tier: b.tier,
      verdict: b.verdict,
      endpoints: b.endpoints,
      cap: b.cap ?? null,
      effectiveCap: b.effectiveCap ?? null,
      spendToDate: b.spendToDate === undefined ? null : roundTo(b.spendToDate),
      forecast: b.forecast === undefined ? null : roundTo(b.forecast),
      projected: jsonRange(b.projected) ?? null,
      projectedExact: b.projected ? formatMoney(b.projected.expected, 10) : null,
      added: jsonRange(b.added) ?? null,
      gap: b.gap === undefined ? null : roundTo(b.gap),
      gapExact: b.gap === undefined ? null : formatMoney(b.gap, 10),
      basis: b.basis,
      exceptions: b.exceptions,
      expiredExceptions: b.expired,
      instances: b.instances,
      problems: b.problems,
    })),
    endpoints: r.endpoints.map((e) => ({
      key: e.key,
      name: (e.head ?? e.base)?.endpoint.name ?? null,
      change: e.kind,
      source: (e.head ?? e.base)?.endpoint.source,
      region: (e.head ?? e.base)?.endpoint.region ?? null,
      variants: (e.head ?? e.base)?.endpoint.variants,
      prices: e.head?.variants.map((v) => ({
        variant: v.name,
        price: v.price ? { ...v.price, amount: formatMoney(v.price.amount, 12) } : null,
        basis: v.basis,
      })),
      restOfPeriod: jsonRange(e.rest) ?? null,
      fullPeriod: jsonRange(e.full) ?? null,
      added: jsonRange(e.added) ?? null,
      budgets: e.budgets,
      unresolved: (e.head ?? e.base)?.endpoint.unresolved ?? [],
    })),
    unbudgeted: r.unbudgeted,
    unpriced: r.unpriced,
  };
}
