import { describe, expect, it } from 'vitest';
import { APPROVAL_ACTIONS, type SlackMessage } from '../../lambdas/slack/blocks.ts';
import { decidedMessage, decisionLine, refusedMessage } from '../../lambdas/slack/decision.ts';
import { clickedBlocks } from '../helpers/slack-interaction.ts';
import { payloadProblems } from './slack-limits.ts';

/** The blocks as Slack hands them back: plain JSON, with the ids Slack adds to blocks that had none. */
const received = () =>
  (JSON.parse(JSON.stringify(clickedBlocks())) as { type: string; block_id?: string }[]).map((b, i) => ({
    block_id: `auto${i}`,
    ...b,
  }));
const ours = new Set<string>(Object.values(APPROVAL_ACTIONS));

describe('decidedMessage', () => {
  it('replaces the alert with its blocks less the approval ones, and a line saying what became of it', () => {
    const original = received();
    const line = decisionLine('applied', 'U012ABCDEF', 'Applied: search-a/primary is now min 1, max 4.');
    const m = decidedMessage(original, line);
    expect(m.replace_original).toBe(true);
    expect(m.response_type).toBeUndefined();
    const blocks = m.blocks as { type: string; block_id?: string; elements?: { action_id?: string }[] }[];
    expect(blocks.slice(0, -1)).toEqual(
      original.filter((b) => !b.block_id.startsWith('perf-budgets-approval')),
    );
    expect(blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: line }] });
    const buttons = blocks.flatMap((b) => b.elements ?? []).map((e) => e.action_id);
    expect(buttons.filter((id) => id && ours.has(id))).toEqual([]);
    expect(buttons).toContain('link-0');
    expect(payloadProblems({ text: m.text, blocks: m.blocks } as SlackMessage)).toEqual([]);
  });

  it('takes our buttons out of an actions block that lost its block id, keeping the links beside them', () => {
    const mixed = {
      type: 'actions',
      block_id: 'x1',
      elements: [
        {
          type: 'button',
          action_id: 'perf-budgets-approve',
          value: 'act-1',
          text: { type: 'plain_text', text: 'A' },
        },
        {
          type: 'button',
          action_id: 'link-0',
          url: 'https://example.com',
          text: { type: 'plain_text', text: 'R' },
        },
      ],
    };
    const only = {
      type: 'actions',
      block_id: 'x2',
      elements: [{ type: 'button', action_id: 'perf-budgets-reject' }],
    };
    const m = decidedMessage([mixed, only], 'line');
    expect(m.blocks).toEqual([
      { ...mixed, elements: [mixed.elements[1]] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'line' }] },
    ]);
  });

  it('keeps to 50 blocks', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ type: 'divider', block_id: `d${i}` }));
    const m = decidedMessage(many, 'line');
    expect(m.blocks).toHaveLength(50);
    expect(m.blocks?.at(-1)).toMatchObject({ type: 'context' });
  });

  it('without the original blocks, posts the line beside the alert instead of replacing it with the line alone', () => {
    expect(decidedMessage(undefined, 'line')).toEqual({
      text: 'line',
      replace_original: false,
      response_type: 'in_channel',
    });
  });
});

describe('decisionLine', () => {
  it.each([
    ['applied', ':white_check_mark: Approved by <@U012ABCDEF>. done'],
    ['held', ':double_vertical_bar: Approved by <@U012ABCDEF>. done'],
    ['failed', ':x: Approved by <@U012ABCDEF>. done'],
    ['not-approved', ':warning: Approved by <@U012ABCDEF>. done'],
    ['rejected', ':no_entry_sign: Rejected by <@U012ABCDEF>. done'],
  ] as const)('marks %s', (state, line) => {
    expect(decisionLine(state, 'U012ABCDEF', 'done')).toBe(line);
  });

  it('escapes the detail and a name that is not a member id, so neither can mention or link', () => {
    expect(decisionLine('failed', '<!channel>', 'The change failed: <https://x|y> & more')).toBe(
      ':x: Approved by &lt;!channel&gt;. The change failed: &lt;https://x|y&gt; &amp; more',
    );
  });
});

describe('refusedMessage', () => {
  it('tells the clicker alone why, escaped, leaving the alert as it was', () => {
    expect(refusedMessage('U9 is not an approver of budget <b>; act-1 stays pending.')).toEqual({
      text: ':warning: Not done: U9 is not an approver of budget &lt;b&gt;; act-1 stays pending.',
      replace_original: false,
      response_type: 'ephemeral',
    });
  });
});
