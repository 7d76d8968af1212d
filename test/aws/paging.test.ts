import { ListEndpointsCommand, paginateListEndpoints, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { limiter } from '../../lambdas/aws/concurrency.ts';
import { pages } from '../../lambdas/aws/paging.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { DataError } from '../../lambdas/core/errors.ts';

const client = new SageMakerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
const api = 'sagemaker:ListEndpoints';
const endpoint = (name: string) => ({
  EndpointName: name,
  EndpointArn: `arn:aws:sagemaker:eu-west-1:111122223333:endpoint/${name}`,
  CreationTime: new Date('2026-01-01T00:00:00Z'),
  LastModifiedTime: new Date('2026-01-01T00:00:00Z'),
  EndpointStatus: 'InService' as const,
});

let usage: ApiUsage;
beforeEach(() => {
  sm.reset();
  usage = new ApiUsage();
});

async function names(listing: AsyncIterable<{ Endpoints?: { EndpointName?: string }[] }>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of listing) for (const e of page.Endpoints ?? []) out.push(e.EndpointName ?? '');
  return out;
}

const next = (page: { NextToken?: string }) => page.NextToken;

describe('pages', () => {
  it("follows the SDK paginator's tokens, each request counted and sent with its own token", async () => {
    sm.on(ListEndpointsCommand)
      .resolvesOnce({ Endpoints: [endpoint('a')], NextToken: 'p2' })
      .resolvesOnce({ Endpoints: [endpoint('b')], NextToken: 'p3' })
      .resolvesOnce({ Endpoints: [endpoint('c')] });
    const got = await names(pages(paginateListEndpoints, client, { MaxResults: 100 }, { api, usage, next }));
    expect(got).toEqual(['a', 'b', 'c']);
    expect(usage.requests(api)).toBe(3);
    const sent = sm.commandCalls(ListEndpointsCommand).map((c) => c.args[0].input);
    expect(sent).toStrictEqual([
      { MaxResults: 100 },
      { MaxResults: 100, NextToken: 'p2' },
      { MaxResults: 100, NextToken: 'p3' },
    ]);
  });

  it('counts a request that failed, and ends the listing with its error', async () => {
    sm.on(ListEndpointsCommand)
      .resolvesOnce({ Endpoints: [endpoint('a')], NextToken: 'p2' })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(names(pages(paginateListEndpoints, client, {}, { api, usage, next }))).rejects.toThrow(
      'Rate exceeded',
    );
    expect(usage.requests(api)).toBe(2);
  });

  it('ends with a data error on a token it has already followed, instead of paging forever', async () => {
    sm.on(ListEndpointsCommand)
      .resolvesOnce({ Endpoints: [endpoint('a')], NextToken: 'p2' })
      .resolvesOnce({ Endpoints: [endpoint('b')], NextToken: 'p3' })
      .resolves({ Endpoints: [endpoint('c')], NextToken: 'p2' });
    const err = await names(pages(paginateListEndpoints, client, {}, { api, usage, next })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe('sagemaker:ListEndpoints returned the page token "p2" twice');
    expect(sm).toReceiveCommandTimes(ListEndpointsCommand, 3);
  });

  it('sends no further request once the caller stops', async () => {
    sm.on(ListEndpointsCommand).resolves({ Endpoints: [endpoint('a')], NextToken: 'more' });
    for await (const page of pages(paginateListEndpoints, client, {}, { api, usage, next })) {
      expect(page.Endpoints).toHaveLength(1);
      break;
    }
    expect(sm).toReceiveCommandTimes(ListEndpointsCommand, 1);
    expect(usage.requests(api)).toBe(1);
  });

  it("sends each page's request under the caller's limit", async () => {
    let inFlight = 0;
    let peak = 0;
    sm.on(ListEndpointsCommand).callsFake(async ({ NextToken }: { NextToken?: string }) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const n = Number(NextToken ?? 0);
      return { Endpoints: [endpoint(`e${n}`)], ...(n < 4 ? { NextToken: String(n + 1) } : {}) };
    });
    const limit = limiter(2);
    const listings = Array.from({ length: 4 }, () =>
      names(pages(paginateListEndpoints, client, {}, { api, usage, next, limit })),
    );
    const all = await Promise.all(listings);
    expect(all.every((l) => l.length === 5)).toBe(true);
    expect(peak).toBe(2);
    expect(usage.requests(api)).toBe(20);
  });
});
