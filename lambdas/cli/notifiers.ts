/**
 * The alert channels of a local run, from the environment read once by the CLI: Slack when SLACK_WEBHOOK_URL is
 * set (an incoming-webhook URL, https://hooks.slack.com/... or GovSlack's https://hooks.slack-gov.com/...; http on
 * loopback for a rehearsal against a local server), nothing otherwise: the console output lists the
 * alerts either way. A malformed URL is bad input, named without its value (the path is the secret).
 */
import { InputError } from '../core/errors.ts';
import type { Notifier } from '../ports.ts';
import { SlackNotifier } from '../slack/notifier.ts';
import { webhookUrlProblem } from '../slack/webhook-url.ts';

/** How long one run may spend posting to Slack before the rest are reported as not sent. */
export const LOCAL_SLACK_BUDGET_MS = 60_000;

export function localNotifiers(env: Readonly<Record<string, string | undefined>>): Notifier[] {
  const url = env.SLACK_WEBHOOK_URL;
  if (!url) return [];
  const problem = webhookUrlProblem(url);
  if (problem) throw new InputError(`SLACK_WEBHOOK_URL: ${problem}`);
  return [new SlackNotifier(() => url, { timeBudgetMs: LOCAL_SLACK_BUDGET_MS })];
}
