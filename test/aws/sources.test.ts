import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildClients } from '../../lambdas/aws/clients.ts';
import { awsSpendSources } from '../../lambdas/aws/sources.ts';
import { ApiUsage } from '../../lambdas/core/api-usage.ts';
import { parseBudgetFile } from '../../lambdas/core/budget.ts';
import { collectSpend } from '../../lambdas/cycle/collect.ts';

const athena = mockClient(AthenaClient);
const ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';

function athenaFile() {
  const r = parseBudgetFile({
    version: 1,
    currency: 'USD',
    billingPeriod: { startDay: 1, timezone: 'UTC' },
    costSource: 'athena',
    costExplorer: { endpointTag: 'endpoint-name' },
    athena: { database: 'cur', table: 'focus', workgroup: 'perf-budgets', bytesScannedLimit: 50_000_000 },
    tiers: { t: { mode: 'advise' } },
    budgets: [
      {
        name: 'search',
        owner: 'o@example.com',
        tier: 't',
        environment: 'prod',
        selector: { tags: { team: 'search' } },
        limits: { spendPerPeriod: 1000 },
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}

beforeEach(() => athena.reset());

describe('costSource athena', () => {
  it('reads spend with one Athena query over the selectors’ and the endpoint tag’s keys, its scan in apiUsage', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: ID,
        Status: { State: 'SUCCEEDED' },
        Statistics: { DataScannedInBytes: 123_456_789 },
      },
    });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [] } });
    const file = athenaFile();
    const usage = new ApiUsage();
    const asOf = '2026-10-15';
    const sources = awsSpendSources({
      file,
      asOf,
      clients: buildClients({ region: 'eu-west-1' }),
      usage,
      now: () => Date.parse('2026-10-16T06:00:00Z'),
    });
    const part = await collectSpend({ file, asOf, sources });

    expect(athena).toReceiveCommandWith(StartQueryExecutionCommand, {
      QueryExecutionContext: { Database: 'cur' },
      WorkGroup: 'perf-budgets',
    });
    const sql = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.QueryString ?? '';
    expect(sql).toContain("element_at(tags, 'user:team')");
    expect(sql).toContain("element_at(tags, 'user:endpoint-name')");
    expect(part.apiUsage?.byApi).toContainEqual({
      api: 'athena:StartQueryExecution',
      requests: 1,
      bytesScanned: 123_456_789,
      // billed as 124 MB at $5 per TB
      costUsd: 0.00062,
    });
  });
});
