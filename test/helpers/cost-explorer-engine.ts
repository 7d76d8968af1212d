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

const DAY_MS = 86_400_000;

/** The days [start, end) as YYYY-MM-DD. */
export function days(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(start); d < Date.parse(end); d += DAY_MS)
    out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

/**
 * GetCostAndUsage's answer (DAILY) over the line items each day holds: grouped and filtered as Cost Explorer does,
 * every day from `openMonth` on marked an estimate, refusals as its ValidationException.
 */
export function costAndUsageResponse(
  input: Record<string, unknown>,
  itemsOf: (day: string) => readonly LineItem[],
  openMonth: string,
): unknown {
  const validation = (message: string) => ({ awsError: 'ValidationException', message });
  const period = input.TimePeriod as { Start: string; End: string } | undefined;
  if (!period || !(period.Start < period.End)) return validation('Start date must be before end date');
  if (input.Granularity !== 'DAILY') return validation('this account answers DAILY granularity only');
  const metrics = (input.Metrics ?? []) as string[];
  const groupBy = (input.GroupBy ?? []) as GroupDefinition[];
  const metricsOf = (amount: number, quantity: number, unit: string) =>
    Object.fromEntries(
      metrics.map((m) => [
        m,
        m === 'UsageQuantity'
          ? { Amount: quantity.toFixed(10), Unit: unit }
          : { Amount: amount.toFixed(10), Unit: 'USD' },
      ]),
    );
  try {
    return {
      GroupDefinitions: groupBy,
      ResultsByTime: days(period.Start, period.End).map((day) => {
        const groups = groupItems(itemsOf(day), groupBy, input.Filter as Expression | undefined);
        const next = new Date(Date.parse(day) + DAY_MS).toISOString().slice(0, 10);
        if (groupBy.length > 0) {
          return {
            TimePeriod: { Start: day, End: next },
            Total: {},
            Groups: groups.map((g) => ({ Keys: g.keys, Metrics: metricsOf(g.amount, g.quantity, g.unit) })),
            Estimated: day >= openMonth,
          };
        }
        const total = groups[0];
        return {
          TimePeriod: { Start: day, End: next },
          Total: metricsOf(total?.amount ?? 0, total?.quantity ?? 0, total?.unit ?? 'N/A'),
          Groups: [],
          Estimated: day >= openMonth,
        };
      }),
      DimensionValueAttributes: [],
    };
  } catch (err) {
    if (err instanceof ValidationError) return validation(err.message);
    throw err;
  }
}
