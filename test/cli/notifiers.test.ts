import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localNotifiers } from '../../lambdas/cli/notifiers.ts';
import { runCycle } from '../../lambdas/cli/run.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { SlackNotifier } from '../../lambdas/slack/notifier.ts';
import { cli, ROOT } from '../helpers/cli.ts';
import { type SlackTestServer, startSlackServer } from '../helpers/slack-server.ts';

const DEMO = join(ROOT, 'examples/demo');
const SECRET_PATH = '/services/T000/B000/localSecretPath';

const demoRun = (state: string, notifiers: SlackNotifier[]) =>
  runCycle({
    budgets: join(DEMO, 'budgets.yaml'),
    files: { costs: [join(DEMO, 'data/costs.focus.csv')], metrics: join(DEMO, 'data/metrics.csv') },
    asOf: '2026-10-15',
    state,
    now: new Date('2026-10-16T06:00:00Z'),
    notifiers,
  });

describe('localNotifiers', () => {
  it('is empty without SLACK_WEBHOOK_URL and Slack with it', () => {
    expect(localNotifiers({})).toEqual([]);
    const [slack] = localNotifiers({ SLACK_WEBHOOK_URL: `https://hooks.slack.com${SECRET_PATH}` });
    expect(slack?.channel).toBe('slack');
  });

  it("takes GovSlack's webhook host, and plain http on loopback for a local rehearsal", () => {
    for (const url of [
      `https://hooks.slack-gov.com${SECRET_PATH}`,
      `http://127.0.0.1:3000${SECRET_PATH}`,
      `http://[::1]:3000${SECRET_PATH}`,
      `http://localhost:3000${SECRET_PATH}`,
    ]) {
      expect(localNotifiers({ SLACK_WEBHOOK_URL: url }).map((n) => n.channel)).toEqual(['slack']);
    }
  });

  it('refuses plain http anywhere but loopback', () => {
    for (const url of [`http://10.0.0.7:3000${SECRET_PATH}`, `http://hooks.slack-gov.com${SECRET_PATH}`]) {
      expect(() => localNotifiers({ SLACK_WEBHOOK_URL: url })).toThrow(InputError);
    }
  });

  it('refuses a URL that is not a Slack webhook, without quoting it', () => {
    const bad = `https://example.com${SECRET_PATH}`;
    expect(() => localNotifiers({ SLACK_WEBHOOK_URL: bad })).toThrow(InputError);
    try {
      localNotifiers({ SLACK_WEBHOOK_URL: bad });
    } catch (err) {
      expect((err as Error).message).toMatch(/^SLACK_WEBHOOK_URL: /);
      expect((err as Error).message).not.toContain('localSecretPath');
    }
  });
});

describe('a local cycle with Slack', () => {
  let server: SlackTestServer;
  beforeAll(async () => {
    server = await startSlackServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('posts the new alerts once, and nothing when the same cycle runs again', async () => {
    const state = mkdtempSync(join(tmpdir(), 'pb-slack-'));
    const slack = () =>
      new SlackNotifier(() => `${server.url}${SECRET_PATH}`, {
        sleep: async () => {},
      });
    const first = await demoRun(state, [slack()]);
    expect(first.alerts.length).toBeGreaterThan(0);
    expect(first.deliveries).toHaveLength(first.alerts.length);
    expect(first.deliveries.every((d) => d.channel === 'slack' && d.status === 'sent')).toBe(true);
    expect(server.requests.length).toBeGreaterThan(0);
    const posted = server.requests.map((r) => JSON.stringify(r.json)).join('\n');
    // every alert's headline reached Slack (in its own message or a digest)
    for (const m of first.alerts) expect(posted).toContain(m.text.headline.slice(0, 40));

    const before = server.requests.length;
    const again = await demoRun(state, [slack()]);
    expect(again.alerts).toEqual([]);
    expect(again.unchanged).toBe(first.alerts.length);
    expect(server.requests.length).toBe(before);
  });

  it('records a failed post as a failed delivery and still finishes the cycle', async () => {
    const state = mkdtempSync(join(tmpdir(), 'pb-slack-'));
    server.reply({ status: 404, body: 'no_service' });
    const out = await demoRun(state, [
      new SlackNotifier(() => `${server.url}${SECRET_PATH}`, {
        sleep: async () => {},
      }),
    ]);
    expect(out.deliveries.length).toBe(out.alerts.length);
    expect(out.deliveries.every((d) => d.status === 'failed')).toBe(true);
    expect(out.deliveries[0]?.detail).toMatch(/404/);
    expect(JSON.stringify(out.deliveries)).not.toContain('localSecretPath');
    expect(out.undelivered).toBe(out.alerts.length);

    // the ledger forgot what no channel delivered: the next cycle sends the same alerts again
    const again = await demoRun(state, [
      new SlackNotifier(() => `${server.url}${SECRET_PATH}`, {
        sleep: async () => {},
      }),
    ]);
    expect(again.alerts.map((m) => `${m.alert.key} ${m.alert.state}`)).toEqual(
      out.alerts.map((m) => `${m.alert.key} ${m.alert.state}`),
    );
    expect(again.deliveries.every((d) => d.status === 'sent')).toBe(true);
    expect(again.undelivered).toBe(0);
  });
});

describe('perf-budgets run with SLACK_WEBHOOK_URL', () => {
  it('exits 2 on a malformed webhook URL and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-slack-cli-'));
    const out = join(dir, 'out');
    const r = cli(['run', '--demo', '--no-state', '--out', out], {
      env: { SLACK_WEBHOOK_URL: `http://hooks.slack.com${SECRET_PATH}` },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SLACK_WEBHOOK_URL: .*https:\/\/hooks\.slack\.com/);
    expect(r.stderr).not.toContain('localSecretPath');
    expect(existsSync(out)).toBe(false);
  });
});
