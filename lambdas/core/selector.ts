import { type Budget, type Glob, globToRegExp } from './budget.ts';

/**
 * Whether a budget's selector takes a cost row or an endpoint. All given conditions must hold, with one reading
 * for rows that name no endpoint (model artefacts in S3, storage, training): the endpoint globs cannot speak for
 * them, so they are taken on the selector's tags alone, and only when the selector has tags.
 */
export class SelectorMatcher {
  private readonly globs: Glob[] | undefined;
  private readonly tags: [string, string][];

  constructor(readonly budget: Budget) {
    this.globs = budget.selector.endpoints?.map(globToRegExp);
    this.tags = Object.entries(budget.selector.tags ?? {});
  }

  matchesTags(tags: Readonly<Record<string, string>>): boolean {
    for (const [k, v] of this.tags) if (tags[k] !== v) return false;
    return true;
  }

  matchesEndpointName(name: string): boolean {
    return this.globs === undefined || this.globs.some((g) => g.test(name));
  }

  /** A charge (or an endpoint) with these attributes belongs to the budget. */
  matches(endpoint: string | undefined, tags: Readonly<Record<string, string>>): boolean {
    if (endpoint === undefined) return this.tags.length > 0 && this.matchesTags(tags);
    return this.matchesEndpointName(endpoint) && this.matchesTags(tags);
  }
}
