/**
 * What Cost Explorer does with the line items of a day for GetCostAndUsage: keeps those the Filter expression
 * takes, groups them by up to two GroupBy keys (TAG keys come back as `key$value`, `key$` when the item lacks the
 * tag or has it with an empty value), and sums the cost metric and UsageQuantity of each group. A Tags condition with
 * a Key and no Values means ABSENT, as the API reference says; absent and empty values are one case, as in the
 * group keys. Requests Cost Explorer refuses are refused with its ValidationException message: more than two GroupBy
 * keys, an And or Or of fewer than two operands, an expression with more or less than one root operator. Shared by
 * the loopback accounts of the tests and benchmarks.
 */

export interface LineItem {
  readonly tags: Readonly<Record<string, string>>;
  readonly usageType: string;
  readonly service: string;
  readonly amount: number;
  readonly quantity: number;
  readonly unit: string;
}

export interface Group {
  readonly keys: readonly string[];
  readonly amount: number;
  readonly quantity: number;
  readonly unit: string;
}

interface GroupDefinition {
  readonly Type?: string;
  readonly Key?: string;
}

interface Expression {
  readonly And?: readonly Expression[];
  readonly Or?: readonly Expression[];
  readonly Not?: Expression;
  readonly Tags?: {
    readonly Key?: string;
    readonly Values?: readonly string[];
    readonly MatchOptions?: readonly string[];
  };
  readonly Dimensions?: { readonly Key?: string; readonly Values?: readonly string[] };
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

const DIMENSIONS: Readonly<Record<string, (i: LineItem) => string>> = {
  USAGE_TYPE: (i) => i.usageType,
  SERVICE: (i) => i.service,
};

function check(ok: boolean, message: string): void {
  if (!ok) throw new ValidationError(message);
}

/** Whether Cost Explorer's Filter takes the item; a malformed expression is a ValidationError. */
export function matches(item: LineItem, e: Expression): boolean {
  const operators = (['And', 'Or', 'Not', 'Tags', 'Dimensions'] as const).filter((k) => e[k] !== undefined);
  check(
    operators.length === 1,
    'Expression has zero or more than one roots. Only one root operator is allowed for each expression: ' +
      '"and", "or", "not", "tag" or "dimensionValue"',
  );
  if (e.And) {
    check(e.And.length >= 2, 'And expression must have at least 2 operands');
    return e.And.every((x) => matches(item, x));
  }
  if (e.Or) {
    check(e.Or.length >= 2, 'Or expression must have at least 2 operands');
    return e.Or.some((x) => matches(item, x));
  }
  if (e.Not) return !matches(item, e.Not);
  if (e.Tags) return matchesTag(item, e.Tags);
  const d = e.Dimensions as NonNullable<Expression['Dimensions']>;
  const of = DIMENSIONS[d.Key ?? ''];
  check(of !== undefined, `unsupported dimension ${d.Key}`);
  return (d.Values ?? []).includes((of as (i: LineItem) => string)(item));
}

function matchesTag(item: LineItem, t: NonNullable<Expression['Tags']>): boolean {
  const options = t.MatchOptions ?? ['EQUALS'];
  check(
    options.every((m) => m === 'EQUALS' || m === 'ABSENT' || m === 'CASE_SENSITIVE'),
    `unsupported MatchOptions ${options.join(', ')}`,
  );
  if (t.Key === undefined) {
    check(t.Values === undefined, 'Tags with Values needs a Key');
    return Object.values(item.tags).every((v) => v === '');
  }
  const value = item.tags[t.Key] ?? '';
  if (options.includes('ABSENT') || t.Values === undefined) return value === '';
  return value !== '' && t.Values.includes(value);
}

/** The group keys of an item: `key$value` for a tag (`key$` without it), the value for a dimension. */
function keysOf(item: LineItem, groupBy: readonly GroupDefinition[]): string[] {
  return groupBy.map((g) => {
    if (g.Type === 'TAG') return `${g.Key}$${item.tags[g.Key ?? ''] ?? ''}`;
    const of = DIMENSIONS[g.Key ?? ''];
    check(g.Type === 'DIMENSION' && of !== undefined, `unsupported group ${g.Type} ${g.Key}`);
    return (of as (i: LineItem) => string)(item);
  });
}

/** The groups of one day's items, sorted by their keys. */
export function groupItems(
  items: readonly LineItem[],
  groupBy: readonly GroupDefinition[] | undefined,
  filter: Expression | undefined,
): Group[] {
  const by = groupBy ?? [];
  check(by.length <= 2, `GroupBy takes at most two keys, got ${by.length}`);
  const groups = new Map<string, { keys: string[]; amount: number; quantity: number; unit: string }>();
  for (const item of items) {
    if (filter !== undefined && !matches(item, filter)) continue;
    const keys = keysOf(item, by);
    const key = keys.join('\u0000');
    const g = groups.get(key) ?? { keys, amount: 0, quantity: 0, unit: item.unit };
    g.amount += item.amount;
    g.quantity += item.quantity;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => {
    const ka = a.keys.join('\u0000');
    const kb = b.keys.join('\u0000');
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
