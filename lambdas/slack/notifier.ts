/**
 * Slack as an alert channel: alerts as Block Kit messages (a digest when many go at once) posted to an incoming
 * webhook, one `Delivery` per alert, and the billing-cycle report summary.
 *
 * The webhook URL is asked for lazily, once per call (from `SlackCredentials` in AWS, SLACK_WEBHOOK_URL locally),
 * so building the notifier needs no secret and a rotated secret is picked up by the next call. It must be a URL
 * that `webhookUrlProblem` admits: Slack's or GovSlack's webhook host, or a server on loopback.
 */
import type { AlertMessage } from '../core/alert-text.ts';
import type { Delivery, Notifier } from '../ports.ts';
import {
  type BatchMessage,
  DIGEST_THRESHOLD,
  digestBlocks,
  type ReportSummary,
  reportBlocks,
} from './blocks.ts';
import { type PostResult, postMessage, scrub, type WebhookOptions } from './webhook.ts';
import { webhookUrlProblem } from './webhook-url.ts';

export interface SlackNotifierOptions extends WebhookOptions {
  /** More alerts than this in one call go out as a digest (default 5). */
  readonly digestThreshold?: number;
  /**
   * Milliseconds one `notify` call may spend before the messages not yet posted are returned as failed (default:
   * no limit). Set it below the Lambda's timeout, so that a slow Slack yields failed deliveries, not a killed run.
   */
  readonly timeBudgetMs?: number;
  /** The clock for the time budget (default Date.now). */
  readonly now?: () => number;
}

/** What became of a post that is not an alert (the report summary). */
export interface SlackPostOutcome {
  readonly channel: 'slack';
  readonly status: 'sent' | 'failed';
  readonly detail?: string;
}

/** Statuses that say the webhook itself is gone or forbidden: the rest of a batch is not tried. */
const WEBHOOK_DEAD = new Set([401, 403, 404, 410]);
const errorName = (err: unknown) => (err instanceof Error ? err.name : typeof err);

export class SlackNotifier implements Notifier {
  readonly channel = 'slack';
  readonly #webhookUrl: () => string | Promise<string>;
  readonly #options: SlackNotifierOptions;

  /**
   * @param webhookUrl returns the webhook URL when a message is to be sent, e.g.
   *   `async () => (await getSlackCredentials({ secretId })).webhookUrl`.
   */
  constructor(webhookUrl: () => string | Promise<string>, options: SlackNotifierOptions = {}) {
    this.#webhookUrl = webhookUrl;
    this.#options = options;
  }

  /** Sends the alerts; resolves to one delivery per alert, in order. Never rejects. */
  async notify(messages: readonly AlertMessage[]): Promise<readonly Delivery[]> {
    if (messages.length === 0) return [];
    const failAll = (detail: string): Delivery[] => messages.map((m) => this.#delivery(m, 'failed', detail));
    const url = await this.#url();
    if (!url.ok) return failAll(url.detail);

    let batch: BatchMessage[];
    try {
      batch = digestBlocks(
        messages.map((m) => m.text),
        this.#options.digestThreshold ?? DIGEST_THRESHOLD,
      );
    } catch (err) {
      return failAll(`could not build the Slack message (${errorName(err)})`);
    }

    const out = new Array<Delivery>(messages.length);
    const now = this.#options.now ?? Date.now;
    const started = now();
    const budget = this.#options.timeBudgetMs;
    let dead: string | undefined;
    for (const message of batch) {
      let status: Delivery['status'];
      let detail: string | undefined;
      if (!dead && budget !== undefined && now() - started >= budget) {
        dead = `the ${budget} ms time budget for Slack was spent`;
      }
      if (dead) {
        status = 'failed';
        detail = `not sent: ${dead}`;
      } else {
        const result = await this.#post(url.value, message);
        status = result.ok ? 'sent' : 'failed';
        if (!result.ok) {
          detail = result.detail;
          if (result.status !== undefined && WEBHOOK_DEAD.has(result.status)) dead = result.detail;
        } else if (message.alerts.length > 1) {
          detail = `in a digest of ${message.alerts.length} alerts`;
        }
      }
      for (const i of message.alerts) {
        out[i] = this.#delivery(messages[i] as AlertMessage, status, detail);
      }
    }
    return out;
  }

  /** Posts the billing-cycle report summary with a button to the report. Never rejects. */
  async postReport(report: ReportSummary): Promise<SlackPostOutcome> {
    const url = await this.#url();
    if (!url.ok) return { channel: 'slack', status: 'failed', detail: url.detail };
    let result: PostResult;
    try {
      result = await this.#post(url.value, reportBlocks(report));
    } catch (err) {
      return {
        channel: 'slack',
        status: 'failed',
        detail: `could not build the Slack message (${errorName(err)})`,
      };
    }
    return result.ok
      ? { channel: 'slack', status: 'sent' }
      : { channel: 'slack', status: 'failed', detail: result.detail };
  }

  async #url(): Promise<{ ok: true; value: string } | { ok: false; detail: string }> {
    let value: string;
    try {
      value = await this.#webhookUrl();
    } catch (err) {
      // A SecretError's message names the secret, never its value; any other error is named by class only.
      const detail =
        err instanceof Error && err.name === 'SecretError'
          ? err.message
          : `the Slack webhook URL could not be read (${errorName(err)})`;
      return { ok: false, detail };
    }
    if (typeof value !== 'string' || value === '') {
      return { ok: false, detail: 'the Slack webhook URL is empty' };
    }
    const problem = webhookUrlProblem(value);
    return problem ? { ok: false, detail: problem } : { ok: true, value };
  }

  async #post(url: string, message: BatchMessage | ReturnType<typeof reportBlocks>): Promise<PostResult> {
    try {
      return await postMessage(url, { text: message.text, blocks: message.blocks }, this.#options);
    } catch (err) {
      // postMessage does not reject; an injected sleep might.
      return { ok: false, attempts: 0, detail: scrub(`post failed (${errorName(err)})`, url) };
    }
  }

  #delivery(message: AlertMessage, status: Delivery['status'], detail: string | undefined): Delivery {
    return {
      channel: this.channel,
      key: message.alert.key,
      state: message.alert.state,
      status,
      ...(detail === undefined ? {} : { detail }),
    };
  }
}
