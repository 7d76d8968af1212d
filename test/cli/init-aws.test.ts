import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AwsTestServer, startAwsServer } from '../helpers/aws-server.ts';
import { type CliResult, cliAsync } from '../helpers/cli.ts';
import { AS_OF } from '../helpers/paths-account.ts';
import { pathsAccountEnv, pathsAccountHandlers } from '../helpers/paths-aws.ts';
import { focusCsv, metricsCsv } from '../helpers/paths-files.ts';

/**
 * `init --aws` against the loopback account of test/helpers/paths-account.ts, beside `init --costs --metrics` on the
 * same account's FOCUS bill and metrics file: one account, two paths, one baseline. The one figure that differs is
 * the utilisation floor, and only by the metrics' reach: a live account's hourly metrics reach back 7 days, the
 * metrics file the whole 30; the files path measured over those 7 days gives the live floors.
 */
interface Written {
  readonly budgets: { name: string; selector: unknown; limits: Record<string, unknown> }[];
}
const limitsOf = (doc: Written, leave: readonly string[] = []) =>
  Object.fromEntries(
    doc.budgets.map((b) => [
      b.name,
      Object.fromEntries(Object.entries(b.limits).filter(([k]) => !leave.includes(k))),
    ]),
  );
const limitOf = (doc: Written, key: string) =>
  Object.fromEntries(doc.budgets.map((b) => [b.name, b.limits[key]]));

describe('perf-budgets init --aws and init --costs on one account', () => {
  let server: AwsTestServer;
  let dir: string;
  const runs = new Map<string, CliResult>();
  const docs = new Map<string, Written>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-init-aws-'));
    const costs = join(dir, 'aws.focus.csv');
    const metrics = join(dir, 'metrics.csv');
    writeFileSync(costs, focusCsv({ awsColumns: true }));
    writeFileSync(metrics, metricsCsv());
    server = await startAwsServer(pathsAccountHandlers());
    const files = ['init', '--costs', costs, '--metrics', metrics, '--as-of', AS_OF];
    const out = (name: string) => ['--out', join(dir, `${name}.yaml`)];
    const all = {
      files: cliAsync([...files, ...out('files')]),
      'files, 7 days': cliAsync([...files, '--days', '7', ...out('files, 7 days')]),
      live: cliAsync(['init', '--aws', '--as-of', AS_OF, ...out('live')], pathsAccountEnv(server.url)),
    };
    for (const [name, run] of Object.entries(all)) {
      const r = await run;
      runs.set(name, r);
      if (r.code === 0) docs.set(name, parse(readFileSync(join(dir, `${name}.yaml`), 'utf8')));
    }
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  const doc = (name: string): Written => {
    const d = docs.get(name);
    if (!d) throw new Error(`${name}: ${runs.get(name)?.stderr}`);
    return d;
  };

  it.each(['files', 'files, 7 days', 'live'])('writes the file on the %s path', (name) => {
    const r = runs.get(name);
    expect(r?.code, r?.stderr).toBe(0);
    expect(r?.stdout).toMatch(/^Wrote .*: 6 budgets \(/);
  });

  it('proposes the same budgets with the same selectors on both paths', () => {
    const groups = (d: Written) => d.budgets.map((b) => [b.name, b.selector]);
    expect(groups(doc('live'))).toEqual(groups(doc('files')));
    expect(doc('files').budgets.map((b) => b.name)).toEqual([
      'chat-prod',
      'labs-dev',
      'recs-prod',
      'recs-shadow',
      'search-prod',
      'search-staging',
    ]);
  });

  it("caps spend, cost per 1k, p99 latency and instances alike, the search team's S3 artefacts included", () => {
    expect(limitsOf(doc('live'), ['utilization'])).toEqual(limitsOf(doc('files'), ['utilization']));
    // search-prod's median day is $73.94 of hosting and $3.07 of S3 model artefacts tagged team=search, env=prod
    expect(limitOf(doc('live'), 'spendPerPeriod')['search-prod']).toBe(3600);
  });

  it("floors utilisation as the files path does over the live metrics' 7 days", () => {
    const text = readFileSync(join(dir, 'live.yaml'), 'utf8');
    expect(text).toContain('measured over 2026-10-09..2026-10-15: mean utilisation');
    expect(text).not.toMatch(/measured over 2026-09-16\.\.2026-10-15: mean utilisation/);
    expect(limitOf(doc('live'), 'utilization')).toEqual(limitOf(doc('files, 7 days'), 'utilization'));
    // over 30 days the floors of recs-prod (idle since its minimum rose on 10-02) and search-prod (traffic up 90%
    // since 10-01) are other figures; every other group's floor is the same either way
    const differ = Object.keys(limitOf(doc('files'), 'utilization')).filter(
      (name) =>
        JSON.stringify(limitOf(doc('files'), 'utilization')[name]) !==
        JSON.stringify(limitOf(doc('live'), 'utilization')[name]),
    );
    expect(differ).toEqual(['recs-prod', 'search-prod']);
  });
});

describe('perf-budgets init --aws when Cost Explorer is denied', () => {
  let server: AwsTestServer;
  beforeAll(async () => {
    server = await startAwsServer({
      ...pathsAccountHandlers(),
      'AWSInsightsIndexService.GetCostAndUsage': () => ({
        awsError: 'AccessDeniedException',
        message: 'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: ce:GetCostAndUsage',
      }),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses in one line naming the permission, exit 2, and writes no caps from missing spend', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pb-init-aws-denied-')), 'budgets.yaml');
    const r = await cliAsync(['init', '--aws', '--as-of', AS_OF, '--out', out], {
      ...pathsAccountEnv(server.url),
      // the SDK's warning about Node 20 is not the tool's output
      NODE_NO_WARNINGS: '1',
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^perf-budgets: init: no cost data in 2026-09-16\.\.2026-10-15 \(.*ce:GetCostAndUsage/,
    );
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
