import { describe, expect, it } from 'vitest';
import { webhookUrlProblem } from '../../lambdas/slack/webhook-url.ts';

const PATH = '/services/T0/B0/webhookSecretPath';

describe('webhookUrlProblem', () => {
  it('accepts the URLs Slack and GovSlack issue', () => {
    expect(webhookUrlProblem(`https://hooks.slack.com${PATH}`)).toBeUndefined();
    expect(webhookUrlProblem(`https://hooks.slack-gov.com${PATH}`)).toBeUndefined();
  });

  it('accepts http and https on 127.0.0.1, ::1 and localhost, any port', () => {
    for (const host of ['127.0.0.1:8080', '[::1]:8080', 'localhost:3000', 'localhost']) {
      expect(webhookUrlProblem(`http://${host}${PATH}`)).toBeUndefined();
      expect(webhookUrlProblem(`https://${host}${PATH}`)).toBeUndefined();
    }
  });

  it('refuses look-alikes and every other host', () => {
    for (const url of [
      `http://hooks.slack.com${PATH}`,
      `http://hooks.slack-gov.com${PATH}`,
      `https://hooks.slack.com.evil.example${PATH}`,
      `https://hooks.slack-gov.com.evil.example${PATH}`,
      `https://evilhooks.slack.com${PATH}`,
      `http://10.0.0.1:8080${PATH}`,
      `http://127.0.0.2${PATH}`,
      `http://localhost.example${PATH}`,
      `ftp://localhost${PATH}`,
    ]) {
      expect(webhookUrlProblem(url)).toBe(
        'the Slack webhook URL is not an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL',
      );
    }
  });

  it("refuses a port or user info on Slack's hosts, and an empty path", () => {
    expect(webhookUrlProblem(`https://hooks.slack.com:8443${PATH}`)).toMatch(/carries a port/);
    expect(webhookUrlProblem(`https://user:pw@hooks.slack-gov.com${PATH}`)).toMatch(/carries user info/);
    expect(webhookUrlProblem(`http://user@127.0.0.1${PATH}`)).toMatch(/carries user info/);
    expect(webhookUrlProblem('https://hooks.slack.com/')).toBeDefined();
  });

  it('names where the URL came from and never quotes it', () => {
    const problem = webhookUrlProblem(`https://example.com${PATH}`, 'secret perf-budgets/slack');
    expect(problem).toBe(
      'the Slack webhook URL in secret perf-budgets/slack is not an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL',
    );
    expect(webhookUrlProblem(`not a url ${PATH}`)).toBe('the Slack webhook URL is not a URL');
    expect(webhookUrlProblem(`not a url ${PATH}`)).not.toContain('webhookSecretPath');
  });
});
