/**
 * Which URLs a Slack webhook may be, wherever one comes from (SLACK_WEBHOOK_URL, the Slack secret): Slack's own
 * incoming-webhook hosts over https, as Slack issues them (no port, no user info), and, for tests and local
 * rehearsals against a server on this machine, http or https on loopback. Every other host is refused, so that a
 * typo or a planted value never sends alerts, and the secret path in them, elsewhere.
 */

/** The hosts Slack issues incoming webhooks on: Slack, and GovSlack (Slack for US government). */
export const SLACK_HOSTS: ReadonlySet<string> = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);
/** Loopback as `URL.hostname` spells it: a server on this machine only. */
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

const EXPECTED = 'an https://hooks.slack.com/... or https://hooks.slack-gov.com/... URL';

/**
 * Why `value` is not a webhook URL to post to, or undefined when it is. The reason names `where` the URL came from
 * (a variable, a secret) and never quotes the URL: its path is the credential.
 */
export function webhookUrlProblem(value: string, where?: string): string | undefined {
  const subject = where === undefined ? 'the Slack webhook URL' : `the Slack webhook URL in ${where}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // the parse error quotes the input: it is dropped on purpose
    return `${subject} is not a URL`;
  }
  if (url.username || url.password) return `${subject} carries user info; use the URL Slack gave`;
  if (LOOPBACK.has(url.hostname)) {
    return /^https?:$/.test(url.protocol) ? undefined : `${subject} is not ${EXPECTED}`;
  }
  if (url.protocol !== 'https:' || !SLACK_HOSTS.has(url.hostname) || url.pathname.length <= 1) {
    return `${subject} is not ${EXPECTED}`;
  }
  if (url.port) return `${subject} carries a port; use the URL Slack gave`;
  return undefined;
}
