/**
 * Benchmark of the AWS requests of the live collect step (a benchmark, not a test: it reports and never gates).
 *
 *   npm run bench:api [-- --endpoints 2000] [-- --ce-page-groups 1000]
 *
 * Serves the generated account of api-account.ts (2,000 endpoints by default) from the loopback AWS server
 * (test/helpers/aws-server.ts), points the SDK at it with AWS_ENDPOINT_URL, and runs the collect step's parts twice with a SQLite
 * ledger (lambdas/fs/ledger-sqlite.ts) as the Cost Explorer day cache:
 *
 *   first    as of 2026-10-14, an empty ledger: every day of the previous and the current period is asked for
 *   steady   as of 2026-10-15, the ledger of the first: the daily cycle of a deployed pipeline
 *
 * For each cycle and API it prints the requests the server received (and those ApiUsage counted), the fewest
 * requests that could have fetched the same data, their ratio and the dollar cost from ApiUsage. The goal is a ratio
 * of 1.0 for Cost Explorer and GetMetricData (PASS/MISS); the other APIs are free and their minimum is described.
 * The process exits 0 on a MISS; only a crash is an error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildClients } from '../../lambdas/aws/clients.ts';
import { ENDPOINT_METRICS } from '../../lambdas/aws/cloudwatch.ts';
import { MAX_QUERIES_PER_REQUEST, minimumRequests } from '../../lambdas/aws/cloudwatch-plan.ts';
import { CostExplorerSource } from '../../lambdas/aws/cost-explorer.ts';
import { awsResourceSources, awsSpendSources, selectorTags } from '../../lambdas/aws/sources.ts';
import { ApiUsage, type ApiUsageReport } from '../../lambdas/core/api-usage.ts';
import { type BudgetFile, parseBudgetFile } from '../../lambdas/core/budget.ts';
import {
  addDays,
  dayStartMs,
  daysBetween,
  daysOf,
  maxDay,
  periodContaining,
} from '../../lambdas/core/period.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { collectResources, collectSpend } from '../../lambdas/cycle/collect.ts';
import { mergeSnapshotParts } from '../../lambdas/cycle/parts.ts';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import {
  ApiAccount,
  type ApiAccountOptions,
  type ChildMessage,
  cycleTime,
  DEFAULT_API_ACCOUNT,
  type ParentMessage,
  type ParentRequest,
  type ServedRequest,
} from './api-account.ts';

/** Cost Explorer treats the last 3 days up to as-of as still changing (CostExplorerSource's default openDays). */
const OPEN_DAYS = 3;
const CYCLES = [
  { label: 'first cycle', asOf: '2026-10-14', ledger: 'empty ledger' },
  { label: 'steady daily cycle', asOf: '2026-10-15', ledger: 'ledger of the first cycle' },
] as const;
/** APIs with a goal of ratio 1.0: the billed ones. */
const GOAL_APIS = new Set(['ce:GetCostAndUsage', 'ce:GetCostForecast', 'cloudwatch:GetMetricData']);

const n = (x: number): string => x.toLocaleString('en-US');
const usd = (x: number): string => `$${x.toFixed(x < 1 ? 4 : 2)}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The account served from a child process, so that the server's work runs on the other core than the SDK's. The
 * parent builds the same (deterministic) account for the expected figures.
 */
class Server {
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }
  >();
  private received = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') return;
      this.waiting.get(m.id)?.resolve(m);
      this.waiting.delete(m.id);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the account server exited (${code})`));
      this.waiting.clear();
    });
  }

  static start(options: ApiAccountOptions): Promise<Server> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'api-account.ts'), 'serve', JSON.stringify(options)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the account server exited (${code})`)));
      child.once('message', (m: ChildMessage) => {
        if (m.type === 'ready') resolve(new Server(child, m.url));
      });
    });
  }

  private ask(m: ParentRequest): Promise<ChildMessage> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const message: ParentMessage = { ...m, id };
      this.child.send(message);
    });
  }

  async setNow(ms: number): Promise<void> {
    await this.ask({ type: 'setNow', ms });
  }

  /** The requests received since the last call. */
  async requests(): Promise<readonly ServedRequest[]> {
    const m = await this.ask({ type: 'log', from: this.received });
    const requests = m.type === 'log' ? m.requests : [];
    this.received += requests.length;
    return requests;
  }

  close(): void {
    this.child.disconnect();
  }
}

/** "SageMaker.ListEndpoints" -> "sagemaker:ListEndpoints", the names ApiUsage counts under. */
function apiOf(target: string): string {
  const [prefix, op] = target.split('.');
  const service: Record<string, string> = {
    SageMaker: 'sagemaker',
    AnyScaleFrontendService: 'application-autoscaling',
    AWSInsightsIndexService: 'ce',
    GraniteServiceVersion20100801: 'cloudwatch',
    CloudTrail_20131101: 'cloudtrail',
  };
  return `${service[prefix ?? ''] ?? prefix}:${op}`;
}

interface Line {
  readonly api: string;
  readonly requests: number;
  readonly counted: number;
  readonly minimum: number;
  readonly why: string;
  readonly costUsd: number;
  readonly metrics?: number;
}

interface CycleResult {
  readonly label: string;
  readonly asOf: string;
  readonly lines: readonly Line[];
  readonly report: ApiUsageReport;
  readonly ms: number;
}

async function runCycle(
  account: ApiAccount,
  file: BudgetFile,
  ledgerPath: string,
  cycle: (typeof CYCLES)[number],
  server: Server,
): Promise<CycleResult> {
  const { asOf } = cycle;
  const now = cycleTime(asOf);
  account.setNow(now);
  await server.setNow(now);
  const clients = buildClients({});
  const period = periodContaining(asOf, file.billingPeriod);
  const previous = periodContaining(addDays(period.start, -1), file.billingPeriod);
  const ledger = new SqliteLedger(ledgerPath);

  // What the ledger holds before the cycle: the days Cost Explorer must still be asked for are the others, and the
  // open days whatever the ledger holds.
  const ceSource = new CostExplorerSource({
    client: clients.costExplorer,
    usage: new ApiUsage(),
    costMetric: file.costMetric,
    selectors: selectorTags(file),
    endpointTag: file.costExplorer?.endpointTag,
    asOf,
  });
  const cacheSource = ceSource.cacheSource;
  // one more query for each tag condition the grouping cannot tell apart (none while every budget names one tag)
  const tagQueries = ceSource.tagPlan.queries.length;
  const days = daysOf(previous.start, addDays(asOf, 1));
  const lastClosed = addDays(asOf, -OPEN_DAYS);
  const cached = await ledger.getDays(
    cacheSource,
    days.filter((d) => d <= lastClosed),
  );
  const needed = days.filter((d) => !cached.has(d));
  const groups = needed.reduce((s, d) => s + account.groupsOn(d), 0);
  const pageSize = account.options.ceGroupsPerPage;

  const inv = account.counts();
  // The loads of collectAws: the judging window (7 days to as-of) hourly with every metric of ENDPOINT_METRICS, and
  // before it, back to the start of the previous period, daily with the Invocations alone. Async endpoints publish
  // neither Invocations nor InvocationsPerInstance and are not asked for them. Selected: the endpoints some budget
  // selects (every team tag).
  const selected = account.inventory().filter((e) => e.team !== undefined);
  const notPublished = new Set(['Invocations', 'InvocationsPerInstance']);
  const queriesOf = (metrics: readonly string[]) =>
    selected.reduce(
      (s, e) =>
        s + e.variants.length * metrics.filter((m) => !(e.kind === 'async' && notPublished.has(m))).length,
      0,
    );
  const windowStart = maxDay(addDays(asOf, -6), previous.start);
  const loads = [
    {
      label: 'hourly',
      period: 3600,
      periods: daysBetween(windowStart, addDays(asOf, 1)) * 24,
      unit: 'h',
      queries: queriesOf(ENDPOINT_METRICS.map((d) => d.metric)),
    },
    {
      label: 'daily',
      period: 86_400,
      periods: daysBetween(previous.start, windowStart),
      unit: 'd',
      queries: queriesOf(['Invocations']),
    },
  ].filter((l) => l.periods > 0);
  const gmdMinimum = loads.map((l) => ({ ...l, minimum: minimumRequests(l.queries, l.periods) }));
  const metricsMinimum = loads.reduce((s, l) => s + l.queries, 0);
  const historyFrom = dayStartMs(previous.start, 'UTC');
  const activitiesInWindow = account.activitiesSince(historyFrom);

  await server.requests();
  const usage = new ApiUsage();
  const started = performance.now();
  let s: Snapshot;
  try {
    // the parts of a cycle as the CLI and the pipeline collect them: the spend, then the account's resources
    const o = {
      file,
      asOf,
      clients,
      usage,
      cache: ledger,
      now: () => now,
    };
    const parts = [
      await collectSpend({ file, asOf, sources: awsSpendSources(o) }),
      await collectResources({ file, asOf, sources: awsResourceSources(o) }),
    ];
    s = mergeSnapshotParts(parts, file);
  } finally {
    await ledger.close();
  }
  const ms = performance.now() - started;
  const received = await server.requests();
  const report = usage.report();

  const byApi = new Map<string, number>();
  for (const r of received) byApi.set(apiOf(r.target), (byApi.get(apiOf(r.target)) ?? 0) + 1);
  const gmd = received.filter((r) => r.target.endsWith('.GetMetricData'));
  const sentPerLoad = (period: number) => {
    const reqs = gmd.filter((r) => r.period === period);
    return { requests: reqs.length, queries: reqs.reduce((s, r) => s + (r.queries ?? 0), 0) };
  };

  const minimum: Record<string, { minimum: number; why: string }> = {
    'ce:GetCostAndUsage': {
      minimum: needed.length === 0 ? 0 : (1 + tagQueries) * Math.max(1, Math.ceil(groups / pageSize)),
      why: `(1 + ${tagQueries} tag queries) x ceil(${n(groups)} groups on the ${needed.length} days not cached / ${n(pageSize)} a page)`,
    },
    'ce:GetCostForecast': { minimum: 1, why: 'one forecast of the rest of the period' },
    'cloudwatch:GetMetricData': {
      minimum: gmdMinimum.reduce((s, l) => s + l.minimum, 0),
      why: gmdMinimum
        .map(
          (l) =>
            `${l.label} ${l.minimum} = ceil(${n(l.queries)} queries / ${MAX_QUERIES_PER_REQUEST}) over ${l.periods} ${l.unit}`,
        )
        .join('; '),
    },
    'sagemaker:ListEndpoints': {
      minimum: Math.ceil(inv.endpoints / 100),
      why: `ceil(${n(inv.endpoints)} endpoints / 100 a page)`,
    },
    'sagemaker:DescribeEndpoint': {
      minimum: inv.endpoints,
      why: 'one per endpoint (the API takes one name)',
    },
    'sagemaker:DescribeEndpointConfig': {
      minimum: inv.configs,
      why: `one per distinct config (${n(inv.configs)})`,
    },
    'sagemaker:ListTags': {
      minimum: inv.endpoints,
      why: 'one per endpoint of up to 50 tags (ListEndpoints returns no tags)',
    },
    'sagemaker:ListInferenceComponents': {
      minimum: inv.componentEndpoints > 0 ? Math.max(1, Math.ceil(inv.components / 100)) : 0,
      why: `ceil(${inv.components} components of ${inv.componentEndpoints} endpoints / 100 a page)`,
    },
    'sagemaker:DescribeInferenceComponent': {
      minimum: inv.components,
      why: `one per inference component (${inv.components}): its copies in service`,
    },
    'application-autoscaling:DescribeScalableTargets': {
      minimum: Math.max(1, Math.ceil(inv.targets / 50)),
      why: `ceil(${n(inv.targets)} scalable targets / 50 a page)`,
    },
    'application-autoscaling:DescribeScalingPolicies': {
      minimum: inv.targets > 0 ? Math.max(1, Math.ceil(inv.policies / 10)) : 0,
      why: `ceil(${n(inv.policies)} policies / 10 a page)`,
    },
    'cloudtrail:LookupEvents': {
      minimum: Math.max(1, Math.ceil(inv.creates / 50)) + Math.max(1, Math.ceil(inv.updates / 50)),
      why: `one lookup a name, 50 events a page: ${n(inv.creates)} CreateEndpoint and ${n(inv.updates)} UpdateEndpoint in 90 days`,
    },
    'application-autoscaling:DescribeScalingActivities': {
      minimum: inv.targets > 0 ? Math.max(1, Math.ceil(activitiesInWindow / 50)) : 0,
      why: `ceil(${n(activitiesInWindow)} activities since ${previous.start} / 50 a page; ${n(inv.activities)} retained)`,
    },
  };
  const apis = [...new Set([...Object.keys(minimum), ...byApi.keys(), ...report.byApi.map((l) => l.api)])];
  const lines: Line[] = apis.map((api) => {
    const u = report.byApi.find((l) => l.api === api);
    return {
      api,
      requests: byApi.get(api) ?? 0,
      counted: u?.requests ?? 0,
      minimum: minimum[api]?.minimum ?? 0,
      why: minimum[api]?.why ?? 'no minimum known',
      costUsd: u?.costUsd ?? 0,
      ...(u?.metrics !== undefined ? { metrics: u.metrics } : {}),
    };
  });

  console.log('');
  console.log(`${cycle.label}: as of ${asOf}, ${cycle.ledger}, collect ${seconds(ms)}`);
  console.log(
    `  account now: ${n(inv.endpoints)} endpoints (${n(inv.variants)} variants, ${inv.asyncEndpoints} async, ` +
      `${inv.componentEndpoints} on inference components, ${inv.untagged} untagged), ${n(inv.targets)} scalable targets, ` +
      `${n(inv.activities)} scaling activities retained`,
  );
  console.log(
    `  Cost Explorer: ${days.length} days asked for (${previous.start} .. ${asOf}), ${cached.size} in the ledger before, ` +
      `${needed.length} to fetch (${needed[0]} .. ${needed.at(-1)})`,
  );
  for (const l of loads) {
    const sent = sentPerLoad(l.period);
    console.log(
      `  GetMetricData ${l.label}: ${n(l.queries)} queries expected, ${n(sent.queries)} sent in ${sent.requests} requests, ` +
        `${l.periods} periods of ${l.period} s`,
    );
  }
  console.log('');
  const w = Math.max(...lines.map((l) => l.api.length));
  console.log(`  ${'api'.padEnd(w)}  requests  counted  minimum  ratio  goal   cost      minimum is`);
  for (const l of lines) {
    const ratio = l.minimum > 0 ? l.requests / l.minimum : l.requests === 0 ? 1 : Number.POSITIVE_INFINITY;
    const goal = GOAL_APIS.has(l.api) ? (ratio <= 1 ? 'PASS' : 'MISS') : '-';
    console.log(
      `  ${l.api.padEnd(w)}  ${n(l.requests).padStart(8)}  ${n(l.counted).padStart(7)}  ${n(l.minimum).padStart(7)}  ` +
        `${ratio.toFixed(2).padStart(5)}  ${goal.padEnd(5)}  ${usd(l.costUsd).padEnd(8)}  ${l.why}` +
        (l.metrics !== undefined ? ` [${n(l.metrics)} metrics billed, minimum ${n(metricsMinimum)}]` : ''),
    );
  }
  const total = lines.reduce((a, l) => a + l.requests, 0);
  const totalMin = lines.reduce((a, l) => a + l.minimum, 0);
  console.log(
    `  ${'total'.padEnd(w)}  ${n(total).padStart(8)}  ${n(report.requests).padStart(7)}  ${n(totalMin).padStart(7)}  ` +
      `${(total / totalMin).toFixed(2).padStart(5)}  ${''.padEnd(5)}  ${usd(report.costUsd)}`,
  );
  const mismatch = lines.filter((l) => l.requests !== l.counted);
  if (mismatch.length > 0) {
    console.log(`  ApiUsage differs from the server's count for: ${mismatch.map((l) => l.api).join(', ')}`);
  }
  console.log(
    `  snapshot: ${n(s.inventory.length)} endpoints, ${n(s.costs.length)} cost records, ${n(s.metrics?.length ?? 0)} metric series, ` +
      `${s.gaps.length} gaps${
        s.gaps.length
          ? `: ${s.gaps
              .slice(0, 3)
              .map((g) => g.message)
              .join(' | ')}`
          : ''
      }`,
  );
  return { label: cycle.label, asOf, lines, report, ms };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoints: { type: 'string', default: String(DEFAULT_API_ACCOUNT.endpoints) },
      teams: { type: 'string', default: String(DEFAULT_API_ACCOUNT.teams) },
      'ce-page-groups': { type: 'string', default: String(DEFAULT_API_ACCOUNT.ceGroupsPerPage) },
    },
  });
  const options = {
    endpoints: Number(values.endpoints),
    teams: Number(values.teams),
    ceGroupsPerPage: Number(values['ce-page-groups']),
  };
  for (const [k, v] of Object.entries(options)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k}: expected a positive integer, got ${v}`);
  }
  const started = performance.now();
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}, ${process.platform}`,
  );
  const account = new ApiAccount(options);
  const parsed = parseBudgetFile(account.budgetFile());
  if (!parsed.ok) throw new Error(`budget file: ${JSON.stringify(parsed.problems[0])}`);
  const file = parsed.file;
  console.log(
    `account: ${n(options.endpoints)} endpoints over ${options.teams} teams, ${file.budgets.length} budgets by team tag, ` +
      `Cost Explorer pages of ${n(options.ceGroupsPerPage)} groups (generated in ${seconds(performance.now() - started)})`,
  );

  const server = await Server.start(options);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: server.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  const scratch = mkdtempSync(join(tmpdir(), 'perf-budgets-bench-api-'));
  const results: CycleResult[] = [];
  try {
    for (const cycle of CYCLES) {
      results.push(await runCycle(account, file, join(scratch, 'ledger.db'), cycle, server));
    }
  } finally {
    server.close();
    rmSync(scratch, { recursive: true, force: true });
  }

  console.log('');
  for (const r of results) {
    for (const api of GOAL_APIS) {
      const l = r.lines.find((x) => x.api === api);
      if (!l) continue;
      const ratio = l.minimum > 0 ? l.requests / l.minimum : 1;
      console.log(
        `goal ${r.label}, ${api}: ${n(l.requests)} requests for a minimum of ${n(l.minimum)}, ratio ${ratio.toFixed(2)}: ` +
          `${ratio <= 1 ? 'PASS' : 'MISS'}`,
      );
    }
  }
  const steady = results.at(-1) as CycleResult;
  const first = results[0] as CycleResult;
  const cost = (r: CycleResult, api: string) => r.lines.find((l) => l.api === api)?.costUsd ?? 0;
  const ce = (r: CycleResult) => cost(r, 'ce:GetCostAndUsage') + cost(r, 'ce:GetCostForecast');
  const cw = (r: CycleResult) => cost(r, 'cloudwatch:GetMetricData');
  console.log('');
  console.log(
    `monthly API bill, ${n(options.endpoints)} endpoints, a daily cycle for 30 days: ` +
      `${usd(30 * steady.report.costUsd)} (Cost Explorer ${usd(30 * ce(steady))}, GetMetricData ${usd(30 * cw(steady))}); ` +
      `the first cycle with an empty ledger costs ${usd(first.report.costUsd)} once ` +
      `(Cost Explorer ${usd(ce(first))}, GetMetricData ${usd(cw(first))})`,
  );
  console.log(`total ${seconds(performance.now() - started)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
