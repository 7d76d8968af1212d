/**
 * A new budget file as a plain document with its comments: one budget per group found, its limits from the measured
 * baseline. Every tier advises only: a file nobody has reviewed yet never changes a resource.
 */
import type { BudgetFile, Limits } from '../budget.ts';
import type { Baseline } from './baseline.ts';
import { CAP_DIGITS, proposeLimits } from './caps.ts';
import { type BudgetGroup, GROUP_TAGS } from './groups.ts';

export interface FileSettings {
  readonly currency: string;
  readonly billingPeriod: { readonly startDay: number; readonly timezone: string };
  readonly costMetric: 'billed' | 'effective';
}

const TIERS = { production: { mode: 'advise' }, experiment: { mode: 'advise' } } as const;
const ALERT_AT = [0.5, 0.8, 1.0];

/** The groups as budgets without limits: what the baseline is measured under, with a run's selectors. */
export function groupsFile(groups: readonly BudgetGroup[], s: FileSettings): BudgetFile {
  return {
    version: 1,
    currency: s.currency,
    billingPeriod: { ...s.billingPeriod },
    costMetric: s.costMetric,
    costSource: 'cost-explorer',
    tiers: TIERS,
    budgets: groups.map((g) => ({
      name: g.name,
      owner: ownerOf(g),
      tier: g.tier,
      environment: g.environment ?? 'unspecified',
      selector: g.selector,
      limits: {},
      alertAt: ALERT_AT,
      exceptions: [],
    })),
  };
}

/** Every endpoint as one provisional budget would take it: what discovery collects under. */
export function everyEndpointFile(s: FileSettings): BudgetFile {
  return groupsFile(
    [
      {
        name: 'every-endpoint',
        tags: {},
        selector: { endpoints: ['*'] },
        endpoints: [],
        environment: undefined,
        tier: 'production',
        owner: undefined,
      },
    ],
    s,
  );
}

function ownerOf(g: BudgetGroup): string {
  if (g.owner) return g.owner;
  const group = GROUP_TAGS.map((k) => g.tags[k]).find((v) => v !== undefined);
  return group ?? 'unassigned';
}

export interface ProposedBudget {
  /** The budget as the file holds it. */
  readonly budget: Readonly<Record<string, unknown>>;
  /** Lines above the budget. */
  readonly comment: readonly string[];
  /** Lines above each limit. */
  readonly limitComments: Readonly<Partial<Record<keyof Limits, readonly string[]>>>;
  /** Lines above `limits`: the limits left out and why. */
  readonly limitsComment: readonly string[];
}

export interface Proposal {
  readonly header: readonly string[];
  /** The file without its budgets. */
  readonly file: Readonly<Record<string, unknown>>;
  readonly tiersComment: readonly string[];
  readonly budgets: readonly ProposedBudget[];
}

const tagText = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function proposeBudgetFile(
  baseline: Baseline,
  s: FileSettings,
  o: { readonly headroomPercent: number; readonly source: string },
): Proposal {
  const measuredDays = `${baseline.from}..${baseline.to}`;
  const header = [
    ` Budgets measured from what ran ${measuredDays}${baseline.to === baseline.asOf ? '' : ` (up to ${baseline.asOf})`}, ${o.source}; written by \`perf-budgets init\`.`,
    ` Caps are the measured baseline plus ${o.headroomPercent}% headroom, rounded up to ${CAP_DIGITS} significant digits; the`,
    ' utilisation floor is the baseline less the headroom, rounded down. Each limit says the numbers behind it;',
    ' a limit with nothing measured is left out, with the reason.',
    ...(baseline.missing.length > 0
      ? [` Days without any cost data, left out of every measure: ${baseline.missing.join(', ')}.`]
      : []),
    ...baseline.costGaps.map((g) => ` Cost data incomplete: ${g}`),
  ];
  const budgets = baseline.groups.map((gb): ProposedBudget => {
    const g = gb.group;
    const proposed = proposeLimits(gb, { ...o, currency: s.currency, window: baseline }, baseline.metrics);
    const found =
      Object.keys(g.tags).length > 0
        ? ` ${tagText(g.tags)}: ${g.endpoints.join(', ')}`
        : ` ${g.endpoints.join(', ')}: no team, owner or project tag, so a budget of its own by name`;
    const owner = g.owner
      ? []
      : [
          Object.keys(g.tags).length > 0
            ? ' owner: the group tag, for want of an owner tag; name who answers for this budget'
            : ' owner: unassigned; name who answers for this budget',
        ];
    const env = g.environment === undefined ? [' environment: the endpoints carry no env tag'] : [];
    return {
      budget: {
        name: g.name,
        owner: ownerOf(g),
        tier: g.tier,
        environment: g.environment ?? 'unspecified',
        selector: g.selector,
        limits: proposed.limits,
      },
      comment: [found, ...owner, ...env],
      limitComments: Object.fromEntries(
        Object.entries(proposed.comments).map(([k, lines]) => [k, (lines ?? []).map((l) => ` ${l}`)]),
      ),
      limitsComment: proposed.leftOut.map((l) => ` left out: ${l}`),
    };
  });
  return {
    header,
    file: {
      version: 1,
      currency: s.currency,
      billingPeriod: s.billingPeriod,
      costMetric: s.costMetric,
      tiers: TIERS,
    },
    tiersComment: [
      ' advise: findings and recommendations only, nothing is changed. Once the caps are reviewed, a tier may',
      ' move to approve (a person approves each change) or enforce (changes within the guardrails are applied).',
      ' production: environments named prod or production, and endpoints without an env tag; experiment: the rest.',
    ],
    budgets,
  };
}
