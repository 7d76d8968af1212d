/**
 * The deployed governance cycle, end to end and offline: the state machine from the synthesized template, each
 * Lambda its bundle on Node 24, against loopback AWS services (harness/). Three executions on one deployment, in
 * the order a week of operation would bring them: a cycle with the report, the same cycle again, and the same
 * cycle with Cost Explorer throttled and CloudWatch denied. The executions run once, before the tests; each test
 * reads one behaviour off them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AS_OF } from './harness/account.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import { SLACK_WEBHOOK_PATH } from './harness/loopback.ts';
import type { Execution } from './harness/pipeline.ts';
import type { SnsMessage } from './harness/sns-server.ts';

const PERIOD = '2026-10-01';
const REPORT_DIR = `reports/${PERIOD}/${AS_OF}/`;
const CE = 'AWSInsightsIndexService';

interface Sent {
  readonly sns: readonly SnsMessage[];
  /** Slack posts: each one's fallback text. */
  readonly slack: readonly string[];
  /** Slack posts whole (text and blocks), as JSON. */
  readonly slackPosts: readonly string[];
}

interface Cycle {
  readonly execution: Execution;
  /** What reached SNS and Slack during this execution. */
  readonly sent: Sent;
  /** The bucket's report keys after it. */
  readonly reports: readonly string[];
  /** Its report page and cycle.json (the next cycle of the same day writes over them). */
  readonly reportHtml: string;
  readonly cycleJson: string;
  /** Requests the JSON services received during it, by x-amz-target. */
  readonly requests: readonly string[];
}

let deployed: Deployed;
const cycles: Record<'first' | 'rerun' | 'degraded', Cycle | undefined> = {
  first: undefined,
  rerun: undefined,
  degraded: undefined,
};

async function runCycle(name: string): Promise<Cycle> {
  const { loopback, pipeline } = deployed;
  const before = {
    sns: loopback.sns.messages.length,
    slack: loopback.slack.requests.length,
    aws: loopback.aws.requests.length,
  };
  const execution = await pipeline.run(name, { asOf: AS_OF, report: true });
  return {
    execution,
    sent: {
      sns: loopback.sns.messages.slice(before.sns),
      slack: loopback.slack.requests.slice(before.slack).map((r) => (r.json as { text: string }).text),
      slackPosts: loopback.slack.requests.slice(before.slack).map((r) => JSON.stringify(r.json)),
    },
    reports: await loopback.keys('reports/'),
    reportHtml: await loopback.getText(`${REPORT_DIR}report.html`).catch(() => ''),
    cycleJson: await loopback.getText(`${REPORT_DIR}cycle.json`).catch(() => ''),
    requests: loopback.aws.requests.slice(before.aws).map((r) => r.target),
  };
}

const cycle = (name: keyof typeof cycles): Cycle => {
  const c = cycles[name];
  if (!c) throw new Error(`the ${name} cycle did not run`);
  return c;
};

/** Asserts that every Task of the execution succeeded and that it reached the report. */
function expectEveryStepSucceeded(c: Cycle): void {
  const e = c.execution;
  expect(e.status, explain(e)).toBe('SUCCEEDED');
  expect(
    e.tasks.filter((t) => t.status === 'failed'),
    explain(e),
  ).toEqual([]);
  expect(e.tasks.map((t) => t.state).sort(), explain(e)).toEqual(
    ['Act', 'CollectPart', 'CollectPart', 'Evaluate', 'Notify', 'Report'].sort(),
  );
}

const alerts = (sent: Sent) => sent.sns.filter((m) => m.attributes.kind !== 'pipeline-failure');
const reportSummaries = (sent: Sent) => sent.slack.filter((t) => t.startsWith('Billing-cycle report'));

beforeAll(async () => {
  deployed = await deploy(inject('pipeline').assembly);
  cycles.first = await runCycle('cycle-first');
  cycles.rerun = await runCycle('cycle-rerun');
  const { loopback } = deployed;
  // the SDK retries throttling (standard mode, 5 attempts) before the error reaches the cycle
  const throttled = { awsError: 'ThrottlingException', status: 400, message: 'Rate exceeded' };
  loopback.fail(`${CE}.GetCostAndUsage`, throttled);
  loopback.fail(`${CE}.GetCostForecast`, throttled);
  loopback.fail('GraniteServiceVersion20100801.GetMetricData', {
    awsError: 'AccessDeniedException',
    status: 400,
    message: 'User is not authorized to perform: cloudwatch:GetMetricData',
  });
  try {
    cycles.degraded = await runCycle('cycle-degraded');
  } finally {
    loopback.heal();
  }
}, 400_000);

afterAll(async () => {
  await deployed?.close();
});

describe('the first cycle with the report', () => {
  it('runs every step: both collect parts, evaluate, act, notify and report', () => {
    expectEveryStepSucceeded(cycle('first'));
  });

  it('publishes the spend alerts to the topic with their message attributes, and no pipeline failure', () => {
    const { sent } = cycle('first');
    expect(sent.sns.filter((m) => m.attributes.kind === 'pipeline-failure')).toEqual([]);
    const published = alerts(sent);
    // team-02 is over its cap, team-01 over half of it with a forecast over it; and team-02, whose endpoint it is,
    // is told that CloudTrail cannot say which type svc-0007-staging ran before its resize (it was created over 90
    // days ago): the other budgets do not select it and hear nothing of it
    expect(new Set(published.map((m) => `${m.attributes.budget} ${m.attributes.kind}`))).toEqual(
      new Set(['team-01-inference spend', 'team-02-inference spend', 'team-02-inference incomplete-data']),
    );
    for (const m of published) {
      expect(m.attributes).toMatchObject({ tier: 'production', transition: 'opened' });
      expect(m.messageStructure).toBe('json');
      const body = JSON.parse(JSON.parse(m.message).default) as { alert: { budget: string } };
      expect(body.alert.budget).toBe(m.attributes.budget);
    }
  });

  it('posts each alert to the Slack webhook from the secret, and the report summary', () => {
    const { sent } = cycle('first');
    const published = alerts(sent);
    expect(deployed.loopback.slack.requests.every((r) => r.path === SLACK_WEBHOOK_PATH)).toBe(true);
    expect(reportSummaries(sent)).toHaveLength(1);
    const alertPosts = sent.slackPosts.filter((t) => !t.includes('Billing-cycle report')).join('\n');
    // a subject over SNS's 100 characters is cut and ends in "...": the post carries the whole headline
    for (const m of published)
      expect(alertPosts).toContain((m.subject ?? '').replace(/^\[\w+\] /, '').replace(/\.\.\.$/, ''));
  });

  it('writes the report, the summary and cycle.json under reports/<period>/<as-of>/ and the report under reports/latest/', () => {
    const { reports, reportHtml, cycleJson } = cycle('first');
    expect(reports).toEqual(
      expect.arrayContaining(
        ['report.html', 'report.md', 'report.json', 'summary.md', 'cycle.json'].map(
          (f) => `${REPORT_DIR}${f}`,
        ),
      ),
    );
    expect(reports).toEqual(
      expect.arrayContaining(['report.html', 'report.md', 'report.json'].map((f) => `reports/latest/${f}`)),
    );
    const result = JSON.parse(cycleJson) as { asOf: string; budgets: { name: string }[] };
    expect(result.asOf).toBe(AS_OF);
    expect(result.budgets.map((b) => b.name).sort()).toEqual([
      'team-01-inference',
      'team-02-inference',
      'team-03-inference',
      'team-04-inference',
    ]);
    // Cost Explorer's forecast succeeded, and the report shows it
    expect(reportHtml).toMatch(
      /Cost Explorer forecasts \$[\d,]+\.\d\d for the whole account from 2026-10-15/,
    );
  });
});

describe('every cycle', () => {
  it("keeps the webhook's secret path and the presigned report links out of the logs and the execution's data", () => {
    for (const name of ['first', 'rerun', 'degraded'] as const) {
      const { execution } = cycle(name);
      // what CloudWatch Logs would hold: the functions' output, and the states' data (includeExecutionData)
      const logged = [
        ...execution.invocations.map((i) => i.output),
        JSON.stringify(execution.output),
        ...execution.tasks.map((t) => t.cause ?? ''),
      ].join('\n');
      expect(logged).not.toContain(SLACK_WEBHOOK_PATH);
      expect(logged).not.toContain('X-Amz-Signature');
    }
  });
});

describe('the same cycle run again', () => {
  it('succeeds at every step', () => {
    expectEveryStepSucceeded(cycle('rerun'));
  });

  it('sends no alert a second time, on the topic or in Slack; only the report summary is posted again', () => {
    const { sent } = cycle('rerun');
    expect(sent.sns).toEqual([]);
    expect(sent.slack).toEqual(reportSummaries(sent));
    expect(sent.slack).toHaveLength(1);
  });
});

describe('a cycle with Cost Explorer throttled and CloudWatch denied', () => {
  it('still succeeds at every step and writes its report', () => {
    const c = cycle('degraded');
    expectEveryStepSucceeded(c);
    expect(c.execution.output?.reported).toMatchObject({ asOf: AS_OF });
  });

  it("says in the report why Cost Explorer's forecast is missing", () => {
    expect(cycle('degraded').reportHtml).toContain(
      'forecast for 2026-10-15 to 2026-10-31 is missing: ce:GetCostForecast was throttled (ThrottlingException)',
    );
  });

  it('gave up on Cost Explorer only after the SDK retried it', () => {
    const { requests } = cycle('degraded');
    expect(requests.filter((t) => t === `${CE}.GetCostAndUsage`).length).toBeGreaterThan(1);
    expect(requests.filter((t) => t === `${CE}.GetCostForecast`).length).toBeGreaterThan(1);
  });

  it('reports incomplete data for costs and for metrics, naming the refused calls', async () => {
    const { execution } = cycle('degraded');
    const key = (execution.output?.evaluated as { resultKey: string } | undefined)?.resultKey as string;
    const { result } = await deployed.loopback.getJson<{
      result: { budgets: { findings: { kind: string; message: string }[] }[] };
    }>(key);
    const incomplete = result.budgets
      .flatMap((b) => b.findings)
      .filter((f) => f.kind === 'incomplete-data')
      .map((f) => f.message)
      .join('\n');
    expect(incomplete).toMatch(/ce:GetCostAndUsage was throttled \(ThrottlingException\)/);
    expect(incomplete).toMatch(/cloudwatch:GetMetricData was denied \(AccessDeniedException\)/);
  });
});
