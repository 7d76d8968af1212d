import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoParts, storedParts } from '../helpers/demo.ts';
import { jsonBody, lambdaContext } from '../helpers/lambda.ts';

const RESULT_KEY = 'findings/2026-10-15/run-1.json';
const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:perf-budgets-slack-AbCdEf';
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/reportSecretPath';
const context = lambdaContext('perf-budgets-report-test', '111122223333', 120_000);
const body = jsonBody;

const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
let objects: Map<string, unknown>;
let puts: Map<string, { body: string; type: string }>;
let budgetsJson: unknown;
let stored: ReturnType<typeof storedParts>;

beforeAll(async () => {
  const { file, parts } = await demoParts();
  budgetsJson = file;
  stored = storedParts(parts, 'run-1');
});

beforeEach(() => {
  vi.resetModules();
  s3.reset();
  secrets.reset();
  vi.stubEnv('DATA_BUCKET', 'perf-budgets-data');
  vi.stubEnv('BUDGETS_KEY', 'config/budgets.json');
  vi.stubEnv('LEDGER_TABLE', 'perf-budgets-ledger');
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:111122223333:perf-budgets-alerts');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  objects = new Map<string, unknown>([['config/budgets.json', budgetsJson], ...stored.objects]);
  puts = new Map();
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (!objects.has(input.Key)) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return { Body: body(objects.get(input.Key)) };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string; ContentType: string }) => {
    puts.set(input.Key, { body: String(input.Body), type: input.ContentType });
    if (input.Key.endsWith('.json')) objects.set(input.Key, JSON.parse(String(input.Body)));
    return { ETag: '"1"' };
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

/** Runs evaluate on the stored snapshot parts, as the state machine does before the report. */
async function evaluated(): Promise<void> {
  const { handler } = await import('../../lambdas/handlers/evaluate.ts');
  await handler({ runId: 'run-1', asOf: '2026-10-15', partKeys: stored.partKeys }, context);
  expect(objects.has(RESULT_KEY)).toBe(true);
}

describe('report handler', () => {
  it('writes the report, the summary and the cycle under reports/<period>/<as-of>/', async () => {
    vi.stubEnv('ALERT_CHANNELS', 'sns');
    await evaluated();
    const { handler } = await import('../../lambdas/handlers/report.ts');
    const out = await handler({ asOf: '2026-10-15', resultKey: RESULT_KEY }, context);
    expect(out).toEqual({
      asOf: '2026-10-15',
      html: 's3://perf-budgets-data/reports/2026-10-01/2026-10-15/report.html',
      markdown: 's3://perf-budgets-data/reports/2026-10-01/2026-10-15/report.md',
      json: 's3://perf-budgets-data/reports/2026-10-01/2026-10-15/report.json',
    });
    const html = puts.get('reports/2026-10-01/2026-10-15/report.html');
    expect(html?.type).toBe('text/html; charset=utf-8');
    expect(html?.body).toMatch(/^<!doctype html>/i);
    // one burn-up chart per budget of the demo, drawn server-side
    expect(html?.body.match(/<svg/g)?.length).toBeGreaterThanOrEqual(6);
    expect(puts.get('reports/2026-10-01/2026-10-15/report.md')?.body).toContain('chat-prod');
    const json = JSON.parse(puts.get('reports/2026-10-01/2026-10-15/report.json')?.body ?? '{}') as {
      budgets: { name: string }[];
    };
    expect(json.budgets.map((b) => b.name).sort()).toEqual([
      'chat-prod',
      'embed-prod',
      'exp-llm-canary',
      'fraud-prod',
      'rank-prod',
      'search-prod',
    ]);
    expect(puts.has('reports/2026-10-01/2026-10-15/summary.md')).toBe(true);
    // the newest report under a fixed key too, the one the alerts link to
    expect(puts.get('reports/latest/report.html')?.body).toBe(html?.body);
    expect(puts.has('reports/latest/report.md')).toBe(true);
    expect(puts.has('reports/2026-10-01/2026-10-15/cycle.json')).toBe(true);
  });

  it('posts a summary to Slack with a presigned link to the page, never returning or logging the link', async () => {
    vi.stubEnv('ALERT_CHANNELS', 'sns,slack');
    vi.stubEnv('SLACK_SECRET_ARN', SECRET);
    secrets.on(GetSecretValueCommand).resolves({
      ARN: SECRET,
      Name: 'perf-budgets-slack',
      SecretString: JSON.stringify({ webhookUrl: WEBHOOK }),
    });
    const posts: { url: string; body: string }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string | URL, init?: RequestInit) => {
        posts.push({ url: String(url), body: String(init?.body) });
        return new Response('ok', { status: 200 });
      }),
    );
    const logged: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    await evaluated();
    const { handler } = await import('../../lambdas/handlers/report.ts');
    const out = await handler({ asOf: '2026-10-15', resultKey: RESULT_KEY }, context);
    vi.mocked(process.stdout.write).mockRestore();

    expect(out).toMatchObject({ slack: 'sent' });
    expect(posts).toHaveLength(1);
    expect(posts[0]?.url).toBe(WEBHOOK);
    const payload = JSON.parse(posts[0]?.body ?? '{}') as { blocks: { elements?: { url?: string }[] }[] };
    const link = payload.blocks.flatMap((b) => b.elements ?? []).find((e) => e.url)?.url ?? '';
    const url = new URL(link);
    expect(url.hostname).toBe('perf-budgets-data.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/reports/2026-10-01/2026-10-15/report.html');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(posts[0]?.body).toContain('chat-prod');
    // the link and the webhook are credentials: neither in the output nor in any log line
    expect(JSON.stringify(out)).not.toContain('X-Amz-Signature');
    expect(logged.join('')).not.toContain('X-Amz-Signature');
    expect(logged.join('')).not.toContain('reportSecretPath');
  });

  it('refuses findings that name no snapshot, naming the key and the field', async () => {
    vi.stubEnv('ALERT_CHANNELS', '');
    await evaluated();
    const { inputs: _inputs, ...withoutInputs } = objects.get(RESULT_KEY) as Record<string, unknown>;
    objects.set(RESULT_KEY, withoutInputs);
    const { handler } = await import('../../lambdas/handlers/report.ts');
    await expect(handler({ asOf: '2026-10-15', resultKey: RESULT_KEY }, context)).rejects.toThrow(
      `${RESULT_KEY} is not the payload this step reads: inputs: `,
    );
  });

  it("shows Cost Explorer's forecast, or why it is missing, in the report", async () => {
    vi.stubEnv('ALERT_CHANNELS', '');
    await evaluated();
    const findings = objects.get(RESULT_KEY) as { result: Record<string, unknown> };
    const { handler } = await import('../../lambdas/handlers/report.ts');
    const forecasts = [
      { from: '2026-10-16', to: '2026-11-01', metric: 'UNBLENDED_COST', mean: 5391.41 },
      { from: '2026-10-16', to: '2026-11-01', error: 'ce:GetCostForecast was throttled' },
    ];
    const shown = [];
    for (const costExplorerForecast of forecasts) {
      objects.set(RESULT_KEY, { ...findings, result: { ...findings.result, costExplorerForecast } });
      await handler({ asOf: '2026-10-15', resultKey: RESULT_KEY }, context);
      shown.push(puts.get('reports/2026-10-01/2026-10-15/report.html')?.body ?? '');
    }
    expect(shown[0]).toContain(
      'Cost Explorer forecasts $5,391.41 for the whole account from 2026-10-16 to 2026-10-31.',
    );
    expect(shown[1]).toContain(
      'Cost Explorer&#39;s forecast for 2026-10-16 to 2026-10-31 is missing: ce:GetCostForecast was throttled',
    );
  });
});
