import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { cli, cliAsync } from '../helpers/cli.ts';
import { groupItems, type LineItem } from '../helpers/cost-explorer-engine.ts';

/**
 * `run --aws` end to end against a loopback server that speaks the AWS JSON protocols, reached through
 * AWS_ENDPOINT_URL: the SDK's real serialisation, signing, retries and error parsing run; only the services are ours.
 *
 * The account: two endpoints on ml.g5.xlarge in us-east-1, search-prod (2 instances, team=search) and chat-prod
 * (1 instance, team=chat); Cost Explorer bills `USE1-Host:ml.g5.xlarge` per team tag every day at $1.408 an
 * instance-hour, plus $0.50 a day of untagged CloudWatch.
 */
const ACCOUNT = '111122223333';
const HOURLY = 1.408;
const teams: Record<string, { endpoint: string; instances: number }> = {
  search: { endpoint: 'search-prod', instances: 2 },
  chat: { endpoint: 'chat-prod', instances: 1 },
};

interface Endpoint {
  readonly name: string;
  readonly instances: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** An account whose Cost Explorer answers from line items, as Cost Explorer filters and groups them. */
interface Account {
  readonly endpoints: readonly Endpoint[];
  readonly lineItems: (day: string) => readonly LineItem[];
}

const TEAMS: Account['endpoints'] = Object.entries(teams).map(([team, t]) => ({
  name: t.endpoint,
  instances: t.instances,
  tags: { team },
}));

/** A day of an endpoint's hosting on ml.g5.xlarge, as its line item. */
const hosting = (e: Endpoint): LineItem => ({
  tags: e.tags,
  usageType: 'USE1-Host:ml.g5.xlarge',
  service: 'Amazon SageMaker',
  amount: e.instances * 24 * HOURLY,
  quantity: e.instances * 24,
  unit: 'Hrs',
});

/** Each team's hosting at $1.408 an instance-hour, and $0.50 a day of untagged CloudWatch (no budget's). */
const TEAMS_ACCOUNT: Account = {
  endpoints: TEAMS,
  lineItems: () => [
    ...TEAMS.map(hosting),
    {
      tags: {},
      usageType: 'USE1-CW:Requests',
      service: 'AmazonCloudWatch',
      amount: 0.5,
      quantity: 1000,
      unit: 'N/A',
    },
  ],
};

function costAndUsage(account: Account, input: Record<string, unknown>) {
  const period = input.TimePeriod as { Start: string; End: string };
  const metric = (input.Metrics as string[])[0] ?? 'UnblendedCost';
  return {
    GroupDefinitions: input.GroupBy,
    ResultsByTime: days(period.Start, period.End).map((d) => ({
      TimePeriod: { Start: d, End: days(d, '2100-01-01')[1] },
      Total: {},
      Groups: groupItems(account.lineItems(d), input.GroupBy as never, input.Filter as never).map((g) => ({
        Keys: g.keys,
        Metrics: {
          [metric]: { Amount: g.amount.toFixed(10), Unit: 'USD' },
          UsageQuantity: { Amount: String(g.quantity), Unit: g.unit },
        },
      })),
      Estimated: false,
    })),
    DimensionValueAttributes: [],
  };
}

function days(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(start); d < Date.parse(end); d += 86_400_000)
    out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

function handlers(opts: { ceDenied?: boolean; account?: Account } = {}) {
  const arn = (name: string) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${name}`;
  const created = Date.parse('2026-08-01T00:00:00Z') / 1000;
  const endpoints = opts.account?.endpoints ?? TEAMS;
  return {
    'SageMaker.ListEndpoints': () => ({
      Endpoints: endpoints.map((t) => ({
        EndpointName: t.name,
        EndpointArn: arn(t.name),
        CreationTime: created,
        LastModifiedTime: created,
        EndpointStatus: 'InService',
      })),
    }),
    'SageMaker.DescribeEndpoint': (input: Record<string, unknown>) => {
      const t = endpoints.find((x) => x.name === input.EndpointName);
      return {
        EndpointName: input.EndpointName,
        EndpointArn: arn(String(input.EndpointName)),
        EndpointConfigName: `${input.EndpointName}-config`,
        EndpointStatus: 'InService',
        CreationTime: created,
        LastModifiedTime: created,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            CurrentInstanceCount: t?.instances,
            DesiredInstanceCount: t?.instances,
            CurrentWeight: 1,
            DesiredWeight: 1,
          },
        ],
      };
    },
    'SageMaker.DescribeEndpointConfig': (input: Record<string, unknown>) => ({
      EndpointConfigName: input.EndpointConfigName,
      EndpointConfigArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint-config/${input.EndpointConfigName}`,
      CreationTime: created,
      ProductionVariants: [
        { VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.g5.xlarge' },
      ],
    }),
    'SageMaker.ListTags': (input: Record<string, unknown>) => {
      const tags = endpoints.find((t) => arn(t.name) === input.ResourceArn)?.tags ?? {};
      return { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
    },
    'SageMaker.ListInferenceComponents': () => ({ InferenceComponents: [] }),
    // no config changed in CloudTrail's 90 days: every endpoint ran its current types all along
    'CloudTrail_20131101.LookupEvents': () => ({ Events: [] }),
    'AnyScaleFrontendService.DescribeScalableTargets': () => ({ ScalableTargets: [] }),
    'AnyScaleFrontendService.DescribeScalingPolicies': () => ({ ScalingPolicies: [] }),
    'AnyScaleFrontendService.DescribeScalingActivities': () => ({ ScalingActivities: [] }),
    'AWSInsightsIndexService.GetCostAndUsage': (input: Record<string, unknown>) => {
      if (opts.ceDenied)
        return { awsError: 'AccessDeniedException', message: 'not authorized to perform ce:GetCostAndUsage' };
      return costAndUsage(opts.account ?? TEAMS_ACCOUNT, input);
    },
    'AWSInsightsIndexService.GetCostForecast': () => ({
      Total: { Amount: '1234.5', Unit: 'USD' },
      ForecastResultsByTime: [],
    }),
    'GraniteServiceVersion20100801.GetMetricData': (input: Record<string, unknown>) => {
      const start = Number(input.StartTime);
      const end = Number(input.EndTime);
      const queries = input.MetricDataQueries as {
        Id: string;
        MetricStat: { Metric: { MetricName: string }; Period: number };
      }[];
      return {
        MetricDataResults: queries.map((q) => {
          const ts: number[] = [];
          for (let t = start; t < end; t += q.MetricStat.Period) ts.push(t);
          const name = q.MetricStat.Metric.MetricName;
          const value =
            name === 'Invocations'
              ? 3600 * (q.MetricStat.Period / 3600)
              : name === 'ModelLatency' || name === 'OverheadLatency'
                ? 40_000
                : name.endsWith('Errors')
                  ? 0
                  : 30;
          return {
            Id: q.Id,
            Label: name,
            Timestamps: ts,
            Values: ts.map(() => value),
            StatusCode: 'Complete',
          };
        }),
        Messages: [],
      };
    },
  };
}

const BUDGETS = `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers: { production: { mode: advise } }
budgets:
  - name: search
    owner: search@example.com
    tier: production
    environment: prod
    selector: { tags: { team: search } }
    limits: { spendPerPeriod: 3000, latencyP99Ms: 100 }
  - name: chat
    owner: chat@example.com
    tier: production
    environment: prod
    selector: { tags: { team: chat } }
    limits: { spendPerPeriod: 500, costPer1kInferences: 1 }
`;

/** A loopback server for the tests of one describe block, started before them and closed after. */
function serve(of: () => ReturnType<typeof handlers>): { readonly server: AwsTestServer } {
  const box = {} as { server: AwsTestServer };
  beforeAll(async () => {
    box.server = await startAwsServer(of());
  });
  afterAll(async () => {
    await box.server.close();
  });
  return box;
}

const env = (server: AwsTestServer) => ({
  AWS_ENDPOINT_URL: server.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_MAX_ATTEMPTS: '2',
});

describe('perf-budgets run --aws against a loopback AWS', () => {
  let server: AwsTestServer;
  let dir: string;
  let budgets: string;

  beforeAll(async () => {
    server = await startAwsServer(handlers());
    dir = mkdtempSync(join(tmpdir(), 'pb-aws-'));
    budgets = join(dir, 'budgets.yaml');
    writeFileSync(budgets, BUDGETS);
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs a cycle and prints the same JSON contract as a file-based run', async () => {
    const r = await cliAsync(
      [
        'run',
        '--aws',
        '--budgets',
        budgets,
        '--as-of',
        '2026-10-15',
        '--state',
        join(dir, 'state'),
        '--format',
        'json',
      ],
      env(server),
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CycleResult & {
      apiUsage: { byApi: { api: string; requests: number }[] };
    };
    expect(doc.period).toEqual({ start: '2026-10-01', end: '2026-11-01' });
    const search = doc.budgets.find((b) => b.name === 'search');
    // 15 days x 2 instances x 24 h x $1.408, exact
    expect(search?.spendToDateExact).toBe((15 * 2 * 24 * HOURLY).toFixed(10));
    // no endpoint tag: the team's Host:ml.g5.xlarge spend is split by instance-hours (one endpoint takes it all)
    expect(search?.endpoints.map((e) => [e.name, e.attribution])).toEqual([['search-prod', 'estimated']]);
    expect(Object.keys(search?.endpoints[0] ?? {})).toEqual(
      expect.arrayContaining([
        'name',
        'spendToDate',
        'invocations',
        'costPer1k',
        'latencyP99Ms',
        'utilization',
      ]),
    );
    expect(search?.endpoints[0]?.latencyP99Ms).toBe(40);
    const ce = doc.apiUsage.byApi.find((a) => a.api === 'ce:GetCostAndUsage');
    expect(ce?.requests).toBe(1);
  });

  it('asks Cost Explorer only for the days that can still change on the next daily cycle', async () => {
    const before = server.requests.length;
    const r = await cliAsync(
      [
        'run',
        '--aws',
        '--budgets',
        budgets,
        '--as-of',
        '2026-10-16',
        '--state',
        join(dir, 'state'),
        '--format',
        'json',
      ],
      env(server),
    );
    expect(r.code, r.stderr).toBe(0);
    const ce = server.requests
      .slice(before)
      .filter((q) => q.target === 'AWSInsightsIndexService.GetCostAndUsage');
    // the first cycle (as of 10-15) cached the days through 10-12; 10-13 was still open then, 10-14..16 are open now
    expect(ce.map((q) => q.input.TimePeriod)).toEqual([{ Start: '2026-10-13', End: '2026-10-17' }]);
  });

  it('asks GetMetricData in as few calls as its limits allow', async () => {
    const before = server.requests.length;
    await cliAsync(
      ['run', '--aws', '--budgets', budgets, '--as-of', '2026-10-15', '--no-state'],
      env(server),
    );
    const calls = server.requests.slice(before).filter((q) => q.target.endsWith('.GetMetricData'));
    // 2 endpoints x 11 metrics = 22 queries: one hourly call for the window, one daily call for the baseline
    expect(calls).toHaveLength(2);
  });
});

describe('perf-budgets run --aws when Cost Explorer is denied', () => {
  const loopback = serve(() => handlers({ ceDenied: true }));

  it('goes on with an incomplete-data finding naming the permission, never a silent zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-aws-denied-'));
    const budgets = join(dir, 'budgets.yaml');
    writeFileSync(budgets, BUDGETS);
    const r = await cliAsync(
      ['run', '--aws', '--budgets', budgets, '--as-of', '2026-10-15', '--no-state', '--format', 'json'],
      {
        AWS_ENDPOINT_URL: loopback.server.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CycleResult;
    for (const b of doc.budgets) {
      const gap = b.findings.find(
        (f) => f.kind === 'incomplete-data' && /ce:GetCostAndUsage/.test(f.message),
      );
      expect(gap, b.name).toBeDefined();
      expect(b.spendToDate, b.name).toBeNull();
      expect(
        b.findings.some((f) => f.kind.startsWith('spend-')),
        b.name,
      ).toBe(false);
    }
  });

  it('refuses a day after yesterday in one line, exit 2, before asking AWS anything or writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-aws-future-'));
    const budgets = join(dir, 'budgets.yaml');
    writeFileSync(budgets, BUDGETS);
    const asked = loopback.server.requests.length;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const r = await cliAsync(
      [
        'run',
        '--aws',
        '--budgets',
        budgets,
        '--as-of',
        tomorrow,
        '--out',
        join(dir, 'out'),
        '--state',
        join(dir, 'state'),
      ],
      {
        AWS_ENDPOINT_URL: loopback.server.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`--as-of: ${tomorrow} is after yesterday`));
    expect(loopback.server.requests.length).toBe(asked);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });
});

describe('perf-budgets run --aws with budgets selected by several tags', () => {
  /**
   * Team search runs search-prod (env=prod, 2 instances) and search-dev (env=dev, 1 instance), and keeps model
   * artefacts in S3 for each ($3.0553 a day for prod, $1 for dev); chat runs chat-prod. Cost Explorer can group by
   * one tag beside USAGE_TYPE: a budget of team=search and env=prod needs the env of the S3 rows too.
   */
  const ENDPOINTS: Endpoint[] = [
    { name: 'search-prod', instances: 2, tags: { team: 'search', env: 'prod' } },
    { name: 'search-dev', instances: 1, tags: { team: 'search', env: 'dev' } },
    { name: 'chat-prod', instances: 1, tags: { team: 'chat', env: 'prod' } },
  ];
  const STORAGE: { tags: Record<string, string>; amount: number }[] = [
    { tags: { team: 'search', env: 'prod' }, amount: 3.0553 },
    { tags: { team: 'search', env: 'dev' }, amount: 1 },
  ];
  const items = (): LineItem[] => [
    ...ENDPOINTS.map(hosting),
    ...STORAGE.map((s) => ({
      tags: s.tags,
      usageType: 'USE1-TimedStorage-ByteHrs',
      service: 'Amazon Simple Storage Service',
      amount: s.amount,
      quantity: 100,
      unit: 'GB-Mo',
    })),
  ];
  /** The same account as a FOCUS file: one row per line item and day, tags as AWS Data Exports writes them. */
  function focusFile(through: string): string {
    const rows = days('2026-10-01', days(through, '2100-01-01')[1] as string).flatMap((d) =>
      items().map((i, n) => {
        const tags = JSON.stringify(
          Object.fromEntries(Object.entries(i.tags).map(([k, v]) => [`user:${k}`, v])),
        );
        const resource =
          n < ENDPOINTS.length ? `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${ENDPOINTS[n]?.name}` : '';
        const end = days(d, '2100-01-01')[1];
        return [
          i.amount.toFixed(10),
          'USD',
          `${d}T00:00:00Z`,
          `${end}T00:00:00Z`,
          String(i.quantity),
          i.unit,
          resource,
          i.service,
          `"${tags.replaceAll('"', '""')}"`,
          i.usageType,
        ].join(',');
      }),
    );
    const header =
      'BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,ResourceId,ServiceName,Tags,x_UsageType';
    return `${[header, ...rows].join('\n')}\n`;
  }
  const TAG_BUDGETS = `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers: { production: { mode: advise } }
budgets:
  - name: search-prod
    owner: search@example.com
    tier: production
    environment: prod
    selector: { tags: { team: search, env: prod } }
    limits: { spendPerPeriod: 3000 }
  - name: search
    owner: search@example.com
    tier: production
    environment: prod
    selector: { tags: { team: search } }
    limits: { spendPerPeriod: 3000 }
  - name: prod
    owner: platform@example.com
    tier: production
    environment: prod
    selector: { tags: { env: prod } }
    limits: { spendPerPeriod: 3000 }
`;
  const loopback = serve(() => handlers({ account: { endpoints: ENDPOINTS, lineItems: items } }));

  it("gives each budget the spend a FOCUS file of the same account gives it, the team's S3 artefacts included", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-aws-tags-'));
    const budgets = join(dir, 'budgets.yaml');
    writeFileSync(budgets, TAG_BUDGETS);
    writeFileSync(join(dir, 'focus.csv'), focusFile('2026-10-15'));
    const base = ['run', '--budgets', budgets, '--as-of', '2026-10-15', '--no-state', '--format', 'json'];
    const live = await cliAsync([...base, '--aws'], env(loopback.server));
    expect(live.code, live.stderr).toBe(0);
    const file = cli([...base, '--costs', join(dir, 'focus.csv')]);
    expect(file.code, file.stderr).toBe(0);
    const spend = (out: string) =>
      Object.fromEntries((JSON.parse(out) as CycleResult).budgets.map((b) => [b.name, b.spendToDateExact]));
    // 15 days of search-prod's 2 instances and its S3 artefacts, exact
    expect(spend(live.stdout)['search-prod']).toBe((15 * (2 * 24 * HOURLY + 3.0553)).toFixed(10));
    expect(spend(live.stdout)).toEqual(spend(file.stdout));
    const doc = JSON.parse(live.stdout) as CycleResult & {
      apiUsage: { byApi: { api: string; requests: number }[] };
    };
    const prod = doc.budgets.find((b) => b.name === 'search-prod');
    expect(prod?.endpoints.map((e) => [e.name, e.spendToDate])).toEqual([
      ['search-prod', 15 * 2 * 24 * HOURLY],
    ]);
    expect(
      prod?.findings.filter((f) => f.kind === 'incomplete-data' && /Cost Explorer/.test(f.message)),
    ).toEqual([]);
    // grouped by team: one more query tells env=prod apart (the union of env=prod with team=search needs none)
    expect(doc.apiUsage.byApi.find((a) => a.api === 'ce:GetCostAndUsage')?.requests).toBe(2);
  });
});
