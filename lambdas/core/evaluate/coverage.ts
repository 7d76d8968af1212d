/**
 * What the budgets' selectors leave out or take twice, for the report (never alerted): an endpoint that a budget's
 * endpoint globs take but its tags do not (`unbudgeted-spend`), a charge two budgets both count
 * (`overlapping-budgets`), and the period's spend that no budget takes, with the untagged part of it.
 */
import { displayMoney, roundTo } from '../money.ts';
import type { Allocation, BudgetSpend, UnbudgetedGroup } from '../spend.ts';
import type { Finding } from '../types.ts';
import { type Context, findingKey } from './context.ts';
import type { UnbudgetedResult } from './types.ts';

/** Parts of the unbudgeted spend listed by name; the rest is in the total. */
const UNBUDGETED_LISTED = 10;
/** Endpoints named in an overlap finding; the rest are counted. */
const OVERLAP_ENDPOINTS_SHOWN = 5;

const tagText = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** The selector's tags an endpoint's charges lack, or carry with another value. */
function missingTags(view: BudgetSpend, g: UnbudgetedGroup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(view.budget.selector.tags ?? {})) if (g.tags[k] !== v) out[k] = v;
  return out;
}

/** Endpoints the budget's globs name whose spend no budget takes, because they lack the budget's tags. */
function unbudgetedFindings(ctx: Context, view: BudgetSpend, alloc: Allocation): Finding[] {
  const { selector, name: budget } = view.budget;
  if (!selector.endpoints || !selector.tags) return [];
  const out: Finding[] = [];
  for (const g of alloc.unbudgeted.groups.values()) {
    if (g.endpoint === undefined || g.amount === 0n || !view.matcher.matchesEndpointName(g.endpoint))
      continue;
    const has =
      Object.keys(g.tags).length > 0 ? `its charges carry ${tagText(g.tags)}` : 'its charges carry no tag';
    out.push({
      kind: 'unbudgeted-spend',
      budget,
      endpoint: g.endpoint,
      severity: 'warning',
      message: `${g.endpoint} matches the endpoint globs of ${budget} but not its tags (${tagText(missingTags(view, g))}; ${has}): its ${displayMoney(g.amount, ctx.currency)} this period is in no budget. Tag the endpoint or widen the selector.`,
      observed: roundTo(g.amount),
      actions: [],
      key: findingKey('unbudgeted-spend', budget, g.endpoint, ctx.period.start),
    });
  }
  return out;
}

/** The charges this budget counts that another budget counts too. */
function overlapFindings(ctx: Context, index: number, alloc: Allocation): Finding[] {
  const budget = alloc.views[index]?.budget.name as string;
  return alloc.overlaps
    .filter((o) => o.a === index || o.b === index)
    .map((o) => {
      const other = alloc.views[o.a === index ? o.b : o.a]?.budget.name as string;
      const names = [...o.endpoints].sort();
      const shown = names.slice(0, OVERLAP_ENDPOINTS_SHOWN).join(', ');
      const more =
        names.length > OVERLAP_ENDPOINTS_SHOWN ? ` and ${names.length - OVERLAP_ENDPOINTS_SHOWN} more` : '';
      const what = [
        ...(names.length > 0 ? [`endpoint${names.length === 1 ? '' : 's'} ${shown}${more}`] : []),
        ...(o.otherCharges > 0
          ? [`${o.otherCharges} charge${o.otherCharges === 1 ? '' : 's'} naming no endpoint`]
          : []),
      ].join(' and ');
      return {
        kind: 'overlapping-budgets',
        budget,
        severity: 'warning',
        message: `${budget} and ${other} both take ${what}: ${displayMoney(o.amount, ctx.currency)} of this period is counted in both. Narrow one selector so that each charge has one budget.`,
        observed: roundTo(o.amount),
        actions: [],
        key: findingKey('overlapping-budgets', budget, other, ctx.period.start),
      } satisfies Finding;
    });
}

/** The report-only findings of the budget at `index` of the allocation. */
export function coverageFindings(ctx: Context, alloc: Allocation, index: number): Finding[] {
  const view = alloc.views[index];
  if (!view) return [];
  return [...unbudgetedFindings(ctx, view, alloc), ...overlapFindings(ctx, index, alloc)];
}

/** The period's spend that no budget takes, largest parts first. */
export function unbudgetedResult(alloc: Allocation): UnbudgetedResult {
  const groups = [...alloc.unbudgeted.groups.values()]
    .filter((g) => g.amount !== 0n)
    .sort((a, b) => (a.amount === b.amount ? 0 : a.amount > b.amount ? -1 : 1));
  return {
    total: roundTo(alloc.unbudgeted.total),
    untagged: roundTo(alloc.unbudgeted.untagged),
    top: groups.slice(0, UNBUDGETED_LISTED).map((g) => ({
      ...(g.endpoint === undefined ? {} : { endpoint: g.endpoint }),
      service: g.service,
      amount: roundTo(g.amount),
      untagged: roundTo(g.untagged),
    })),
  };
}
