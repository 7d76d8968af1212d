/**
 * The budgets a new budget file proposes: the endpoints that run today, grouped by their tags. An `env` or
 * `environment` tag gives a group's environment, a `team`, `owner` or `project` tag the group itself; an endpoint
 * without such a tag gets a budget of its own, by name.
 */
import type { Selector } from '../budget.ts';

/** Tag keys that name an environment, in the order one is taken when an endpoint has several. */
export const ENVIRONMENT_TAGS = ['env', 'environment'] as const;
/** Tag keys that name who an endpoint belongs to, in the order one is taken when it has several. */
export const GROUP_TAGS = ['team', 'owner', 'project'] as const;

/** Tier of a group whose environment is not production; production and no environment take `production`. */
export type ProposedTier = 'production' | 'experiment';

export interface SeenEndpoint {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface BudgetGroup {
  /** The budget's name. */
  readonly name: string;
  /** The tags the group was formed by (its selector's tags); empty for a budget by endpoint name. */
  readonly tags: Readonly<Record<string, string>>;
  readonly selector: Selector;
  /** The endpoints found in it, by name. */
  readonly endpoints: readonly string[];
  /** The environment tag's value; undefined when the endpoints carry none. */
  readonly environment: string | undefined;
  readonly tier: ProposedTier;
  /** The `owner` tag's value, when the group has one. */
  readonly owner: string | undefined;
}

const firstTag = (tags: Readonly<Record<string, string>>, keys: readonly string[]) => {
  for (const k of keys) {
    const v = tags[k]?.trim();
    if (v) return { key: k, value: v };
  }
  return undefined;
};

const PRODUCTION = /^prod(uction)?$/i;

/** An unknown environment counts as production: its guardrails are the stricter ones. */
export const tierOf = (environment: string | undefined): ProposedTier =>
  environment === undefined || PRODUCTION.test(environment) ? 'production' : 'experiment';

/** A budget name from free text: what the schema accepts (letters, digits, ".", "_", "-", a letter or digit first). */
function nameOf(text: string): string {
  const s = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return s === '' ? 'budget' : s;
}

const carries = (tags: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>) =>
  Object.entries(want).every(([k, v]) => tags[k] === v);

/**
 * One group per (owner tag, environment tag) pair, one per untagged endpoint. A tag group whose tags another
 * group's endpoint also carries (`team: chat` beside `team: chat, env: prod`) names its own endpoints too, so that
 * no endpoint is counted in two budgets.
 */
export function groupEndpoints(endpoints: readonly SeenEndpoint[]): BudgetGroup[] {
  const byKey = new Map<string, { tags: Record<string, string>; members: string[] }>();
  const single: SeenEndpoint[] = [];
  for (const e of [...endpoints].sort((a, b) => a.name.localeCompare(b.name))) {
    const group = firstTag(e.tags, GROUP_TAGS);
    if (!group) {
      single.push(e);
      continue;
    }
    const env = firstTag(e.tags, ENVIRONMENT_TAGS);
    const tags: Record<string, string> = {
      [group.key]: group.value,
      ...(env ? { [env.key]: env.value } : {}),
    };
    const key = JSON.stringify(Object.entries(tags));
    const g = byKey.get(key) ?? { tags, members: [] };
    g.members.push(e.name);
    byKey.set(key, g);
  }
  const used = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return name;
  };
  const groups: BudgetGroup[] = [];
  for (const { tags, members } of byKey.values()) {
    const env = firstTag(tags, ENVIRONMENT_TAGS);
    const group = firstTag(tags, GROUP_TAGS) as { key: string; value: string };
    const taken = endpoints.some((e) => !members.includes(e.name) && carries(e.tags, tags));
    groups.push({
      name: unique(nameOf(env ? `${group.value}-${env.value}` : group.value)),
      tags,
      selector: { tags, ...(taken ? { endpoints: members } : {}) },
      endpoints: members,
      environment: env?.value,
      tier: tierOf(env?.value),
      owner:
        tags.owner ?? firstTag(endpoints.find((e) => e.name === members[0])?.tags ?? {}, ['owner'])?.value,
    });
  }
  for (const e of single) {
    const env = firstTag(e.tags, ENVIRONMENT_TAGS)?.value;
    groups.push({
      name: unique(nameOf(e.name)),
      tags: {},
      selector: { endpoints: [e.name] },
      endpoints: [e.name],
      environment: env,
      tier: tierOf(env),
      owner: undefined,
    });
  }
  return groups.sort((a, b) => a.name.localeCompare(b.name));
}
