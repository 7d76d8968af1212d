/**
 * What Slack shows once an Approve or Reject click is decided, posted to the click's response_url: the alert again,
 * without its approval blocks (so nobody clicks a decided change) and with a line saying who decided and what
 * became of the change; or, for a refused click, a message that only the person who clicked sees, the alert left
 * as it was.
 */
import {
  APPROVAL_ACTIONS,
  APPROVAL_BLOCK_ID,
  escapeMrkdwn,
  person,
  SLACK_LIMITS,
  truncate,
} from './blocks.ts';
import type { ReceivedBlock } from './interaction.ts';
import type { OutgoingMessage } from './webhook.ts';

/** What became of a decided change: the apply's outcome after an approval, or the rejection. */
export type DecidedState = 'applied' | 'held' | 'failed' | 'not-approved' | 'rejected';

const MARK: Record<DecidedState, string> = {
  applied: ':white_check_mark: Approved',
  held: ':double_vertical_bar: Approved',
  failed: ':x: Approved',
  'not-approved': ':warning: Approved',
  rejected: ':no_entry_sign: Rejected',
};

const OURS = new Set<unknown>(Object.values(APPROVAL_ACTIONS));
const isOurs = (element: unknown) => OURS.has((element as { action_id?: unknown } | null)?.action_id);

/** One line of mrkdwn: the decision, by whom (a mention), and the detail (escaped). */
export function decisionLine(state: DecidedState, by: string, detail: string): string {
  const text = `${MARK[state]} by ${person(by)}. ${escapeMrkdwn(detail.replace(/\s+/g, ' ').trim())}`;
  return truncate(text, SLACK_LIMITS.contextText);
}

/**
 * The clicked alert as it reads once decided: its blocks without the approval's (by block id, and our buttons
 * wherever they are), then `line`. Without the original blocks, the line is a reply beside the alert instead.
 */
export function decidedMessage(
  original: readonly ReceivedBlock[] | undefined,
  line: string,
): OutgoingMessage {
  const fallback = truncate(line, SLACK_LIMITS.fallbackText);
  if (!original) return { text: fallback, replace_original: false, response_type: 'in_channel' };
  const kept: object[] = [];
  for (const b of original) {
    if (b.block_id?.startsWith(APPROVAL_BLOCK_ID)) continue;
    if (b.type === 'actions' && Array.isArray(b.elements)) {
      const elements = b.elements.filter((e) => !isOurs(e));
      if (elements.length > 0) kept.push({ ...b, elements });
      continue;
    }
    kept.push(b);
  }
  const context = { type: 'context', elements: [{ type: 'mrkdwn', text: line }] };
  return {
    text: fallback,
    blocks: [...kept.slice(0, SLACK_LIMITS.blocks - 1), context],
    replace_original: true,
  };
}

/** A refused click: why, seen only by the person who clicked; the alert stays as it was. */
export function refusedMessage(detail: string): OutgoingMessage {
  const text = `:warning: Not done: ${escapeMrkdwn(detail.replace(/\s+/g, ' ').trim())}`;
  return {
    text: truncate(text, SLACK_LIMITS.fallbackText),
    replace_original: false,
    response_type: 'ephemeral',
  };
}
