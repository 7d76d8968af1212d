/**
 * Paging written once, over the SDK's own paginators (`paginateListEndpoints`, ...; `createPaginator` for the
 * operations the SDK ships none for). The paginator follows the token; this adds what every adapter here needs of it:
 * each request counted as it is sent, each run under the caller's concurrency limit, and a listing that hands back a
 * token it already gave ended with an error instead of paging forever (the SDK's paginator only notices the same token
 * twice in a row).
 */
import type { PaginationConfiguration, Paginator } from '@smithy/types';
import type { ApiUsage } from '../core/api-usage.ts';
import { DataError } from '../core/errors.ts';
import type { Limit } from './concurrency.ts';

export interface PagingOptions<P> {
  /** "service:Operation": what each request counts as, and what errors name. */
  readonly api: string;
  /** Counts each request as it is sent, a failed one too. Left out where only answered requests are billed. */
  readonly usage?: ApiUsage;
  /** Runs each request: a concurrency limit the pages share with the caller's other requests. */
  readonly limit?: Limit;
  /** The token of the page after `page`, to refuse one already followed; left out where tokens are not text. */
  readonly next?: (page: P) => string | undefined;
}

const unlimited: Limit = (task) => task();

/**
 * Every page of one listing, fetched one at a time as the caller asks for the next: a caller that stops early (a
 * `break`) sends no further request.
 */
export async function* pages<C extends PaginationConfiguration, I extends object, P>(
  paginate: (config: C, input: I) => Paginator<P>,
  client: C['client'],
  input: I,
  o: PagingOptions<P>,
): AsyncGenerator<P, void, undefined> {
  const withCommand: NonNullable<PaginationConfiguration['withCommand']> = (command) => {
    o.usage?.count(o.api);
    // The paginator sends one input object, rewrites its token page after page and sets the token and page size
    // to undefined when it has none: each request keeps a copy of its own with what it sends, and only that.
    (command as { input: object }).input = Object.fromEntries(
      Object.entries(command.input as object).filter(([, value]) => value !== undefined),
    );
    return command;
  };
  const config = { client, withCommand } as C;
  const inner = paginate(config, { ...input });
  const run = o.limit ?? unlimited;
  const seen = new Set<string>();
  try {
    for (;;) {
      const step = await run(() => inner.next());
      if (step.done) return;
      yield step.value;
      const token = o.next?.(step.value);
      if (token === undefined || token === '') continue;
      if (seen.has(token)) {
        const shown = token.length > 60 ? `${token.slice(0, 57)}...` : token;
        throw new DataError(`${o.api} returned the page token "${shown}" twice`);
      }
      seen.add(token);
    }
  } finally {
    await inner.return(undefined);
  }
}

/** `pages` with the caller's counting, limit and NextToken already bound: a listing named by its API. */
export type NextTokenPages = <
  C extends PaginationConfiguration,
  I extends object,
  P extends { NextToken?: string | undefined },
>(
  api: string,
  paginate: (config: C, input: I) => Paginator<P>,
  client: C['client'],
  input: I,
) => AsyncGenerator<P, void, undefined>;

/** Pages that follow NextToken, each request counted in `usage` and run under `limit`. */
export function nextTokenPages(usage: ApiUsage, limit: Limit): NextTokenPages {
  return (api, paginate, client, input) =>
    pages(paginate, client, input, { api, usage, limit, next: (page) => page.NextToken });
}
