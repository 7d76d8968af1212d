import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertText } from '../../lambdas/core/alert-text.ts';
import {
  type ActionsBlock,
  APPROVAL_ACTIONS,
  APPROVAL_BLOCK_ID,
  type ApprovalButton,
  alertBlocks,
  type ContextBlock,
  DIGEST_PAGE_SIZE,
  DIGEST_THRESHOLD,
  digestBlocks,
  escapeMrkdwn,
  type HeaderBlock,
  reportBlocks,
  type SectionBlock,
  type SlackMessage,
  truncate,
} from '../../lambdas/slack/blocks.ts';
import { alertText } from './fixtures.ts';
import { allText, payloadProblems } from './slack-limits.ts';

const sectionsOf = (m: SlackMessage) => m.blocks.filter((b): b is SectionBlock => b.type === 'section');
const sectionTexts = (m: SlackMessage) => sectionsOf(m).flatMap((s) => (s.text ? [s.text.text] : []));
const headerOf = (m: SlackMessage) => (m.blocks[0] as HeaderBlock).text.text;
const buttonsOf = (m: SlackMessage) =>
  m.blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements);
const contextTexts = (m: SlackMessage) =>
  m.blocks
    .filter((b): b is ContextBlock => b.type === 'context')
    .flatMap((b) => b.elements.map((e) => e.text));

/** Texts made of escape-worthy characters, surrogate pairs and spaces, up to `max` long. */
const tricky = fc.constantFrom('&', '<', '>', ' ', '\n', '*', '😀', 'é', 'a', 'word ', '&amp;');
const text = (max: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: tricky, maxLength: max }),
    fc.integer({ min: 0, max }).map((n) => '&<'.repeat(n)),
  );
/** Any alert words, with the characters and lengths that break naive builders. */
const anyAlert: fc.Arbitrary<AlertText> = fc.record({
  severity: fc.constantFrom('info', 'warning', 'critical'),
  transition: fc.constantFrom('opened', 'escalated', 'resolved'),
  headline: text(400),
  facts: fc.array(fc.record({ label: text(300), value: text(2500) }), { maxLength: 25 }),
  why: fc.option(
    fc.record({
      summary: text(3500),
      drivers: fc.array(fc.record({ label: text(100), amount: text(30) }), { maxLength: 40 }),
    }),
    { nil: undefined },
  ),
  actions: fc.array(
    fc.record({ text: text(3500), saving: text(60), risk: fc.constantFrom('low', 'medium', 'high') }),
    { maxLength: 70 },
  ),
  exceptions: fc.array(text(3500), { maxLength: 15 }),
  links: fc.array(
    fc.record({
      label: text(120),
      url: fc.oneof(fc.webUrl(), text(50), fc.constant(`https://x.example/${'p'.repeat(3000)}`)),
    }),
    { maxLength: 30 },
  ),
  plain: fc.constant(''),
  approval: fc.option(
    fc.record({
      actionId: fc.oneof(fc.stringMatching(/^act-[0-9a-f]{16}$/), text(2100)),
      expiresAt: fc.oneof(fc.constant('2026-11-21T06:00:00.000Z'), text(200)),
      approvers: fc.array(fc.oneof(fc.stringMatching(/^[UW][A-Z0-9]{8,10}$/), text(300)), { maxLength: 60 }),
    }),
    { nil: undefined },
  ),
});

const words = (n: number, word = 'latency') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

describe('alertBlocks', () => {
  it('lays out an alert: header with marker and headline, facts, why, what to do, exceptions, links', () => {
    const m = alertBlocks(alertText());
    expect(payloadProblems(m)).toEqual([]);
    expect(m.text).toBe(
      '[critical] search-prod: forecast spend $14,210.00 passes the $12,000.00 cap on 2026-11-24',
    );
    expect(m.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'context',
      'actions',
    ]);
    expect(headerOf(m)).toBe(
      ':red_circle: search-prod: forecast spend $14,210.00 passes the $12,000.00 cap on 2026-11-24',
    );
    expect(sectionsOf(m)[0]?.fields?.map((f) => f.text)).toEqual([
      '*Budget*\nsearch-prod (production, approve)',
      '*Period*\n2026-11-01 to 2026-11-30',
      '*Forecast*\n$14,210.00 ($13,100.00–$15,400.00)',
      '*Cap*\n$12,000.00',
    ]);
    expect(sectionTexts(m)).toEqual([
      '*Why:* Spend rose by $3,105.20 against last period, mostly from traffic.\n• traffic: *+$2,319.60*\n• idle capacity: *+$785.60*',
      '*What to do*\n1. Scale search-a from 4 to 2 instances off-peak (saves ~$1,416.31 this period; medium latency risk)',
    ]);
    expect(contextTexts(m)).toEqual([
      ':shield: Exception in force: Launch week: spend cap raised to $15,000.00 until 2026-12-31 (approved by cfo@example.com)',
    ]);
  });

  it('puts the report link first, as the primary button, with its URL unchanged', () => {
    const buttons = buttonsOf(alertBlocks(alertText()));
    expect(buttons.map((b) => [b.text.text, b.style])).toEqual([
      ['Report', 'primary'],
      ['Dashboard', undefined],
    ]);
    expect(buttons[0] && 'url' in buttons[0] && buttons[0].url).toBe(
      'https://perf-budgets-reports.s3.amazonaws.com/2026-11/report.html?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800',
    );
  });

  it('marks escalated and resolved alerts in the header and the notification text', () => {
    expect(headerOf(alertBlocks(alertText({ transition: 'escalated' })))).toMatch(
      /^:red_circle: Escalated: search-prod/,
    );
    const resolved = alertBlocks(alertText({ transition: 'resolved', severity: 'warning', actions: [] }));
    expect(headerOf(resolved)).toMatch(/^:white_check_mark: Resolved: search-prod/);
    expect(resolved.text).toMatch(/^\[resolved\] /);
    expect(sectionTexts(resolved).some((t) => t.includes('What to do'))).toBe(false);
  });

  it('escapes &, < and > in every outside text, so no link or mention can be injected', () => {
    const evil = '<!channel> <https://evil.example|click> & co';
    const m = alertBlocks(
      alertText({
        headline: evil,
        facts: [{ label: evil, value: evil }],
        why: { summary: evil, drivers: [{ label: evil, amount: evil }] },
        actions: [{ text: evil, saving: evil, risk: 'low' }],
        exceptions: [evil],
        links: [{ label: evil, url: '/tmp/report <x>.html' }],
      }),
    );
    expect(payloadProblems(m)).toEqual([]);
    const escaped = '&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co';
    expect(m.text).toContain(escaped);
    expect(sectionsOf(m)[0]?.fields?.[0]?.text).toBe(`*${escaped}*\n${escaped}`);
    expect(sectionTexts(m).join('\n')).toContain(`1. ${escaped} (${escaped}; low latency risk)`);
    expect(contextTexts(m)).toContain(`${escaped}: /tmp/report &lt;x&gt;.html`);
    // plain_text is shown literally by Slack: the header keeps the characters
    expect(headerOf(m)).toBe(`:red_circle: ${evil}`);
  });

  it('cuts a long headline at a word boundary within the 150-character header', () => {
    const m = alertBlocks(alertText({ headline: words(100) }));
    const header = headerOf(m);
    expect(header.length).toBeLessThanOrEqual(150);
    expect(header).toMatch(/^:red_circle: latency0 latency1 .* latency\d+…$/);
    expect(payloadProblems(m)).toEqual([]);
  });

  it('keeps 60 very long actions within 50 blocks and 3,000 characters a section, and says how many it left out', () => {
    const actions = Array.from({ length: 60 }, (_, i) => ({
      text: `Action ${i}: ${words(400)}`,
      saving: 'saves ~$1.00 this period',
      risk: 'high' as const,
    }));
    const m = alertBlocks(alertText({ actions }));
    expect(payloadProblems(m)).toEqual([]);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    const text = sectionTexts(m).join('\n');
    const shown = (text.match(/^\d+\. Action \d+:/gm) ?? []).length;
    const more = Number(/…and (\d+) more actions/.exec(text)?.[1]);
    expect(shown).toBeGreaterThan(0);
    expect(shown + more).toBe(60);
    // each action is cut with an ellipsis and keeps its saving and risk
    expect(text).toMatch(/^1\. Action 0: latency0 .*… \(saves ~\$1\.00 this period; high latency risk\)$/m);
  });

  it('spreads many short actions over several sections instead of dropping them', () => {
    const actions = Array.from({ length: 60 }, (_, i) => ({
      text: `Scale endpoint-${i} down by one instance`,
      saving: `saves ~$${i}.00 this period`,
      risk: 'low' as const,
    }));
    const m = alertBlocks(alertText({ actions }));
    expect(payloadProblems(m)).toEqual([]);
    const text = sectionTexts(m).join('\n');
    for (let i = 0; i < 60; i++) expect(text).toContain(`${i + 1}. Scale endpoint-${i} down by one instance`);
  });

  it('puts at most 10 facts in a section and at most 2,000 characters in a fact', () => {
    const facts = Array.from({ length: 25 }, (_, i) => ({ label: `Fact ${i}`, value: words(500) }));
    const m = alertBlocks(alertText({ facts }));
    expect(payloadProblems(m)).toEqual([]);
    const fields = sectionsOf(m).flatMap((s) => s.fields ?? []);
    expect(fields).toHaveLength(20);
    expect(fields[19]?.text).toBe('_…and 6 more facts_');
    expect(fields[0]?.text).toMatch(/^\*Fact 0\*\nlatency0 .*…$/);
  });

  it('shows a link that cannot be a button (a file path, a URL over 3,000 characters) as text', () => {
    const long = `https://bucket.s3.amazonaws.com/r.html?X-Amz-Security-Token=${'A'.repeat(3100)}`;
    const m = alertBlocks(
      alertText({
        links: [
          { label: 'Report', url: './out/report.html' },
          { label: 'Runbook', url: long },
          { label: 'Dashboard', url: 'https://console.aws.amazon.com/cloudwatch' },
        ],
      }),
    );
    expect(payloadProblems(m)).toEqual([]);
    expect(buttonsOf(m).map((b) => [b.text.text, b.style])).toEqual([['Dashboard', undefined]]);
    expect(contextTexts(m)).toContain('Report: ./out/report.html\nRunbook: link too long for Slack');
  });

  it('keeps at most 25 buttons and says how many links it left out', () => {
    const links = Array.from({ length: 30 }, (_, i) => ({
      label: `Link ${i}`,
      url: `https://example.com/${i}`,
    }));
    const m = alertBlocks(alertText({ links }));
    expect(payloadProblems(m)).toEqual([]);
    expect(buttonsOf(m)).toHaveLength(25);
    expect(contextTexts(m)).toContain('_…and 5 more links_');
  });

  it('never builds an invalid payload, whatever the texts (property)', () => {
    fc.assert(
      fc.property(anyAlert, (t) => {
        expect(payloadProblems(alertBlocks(t))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('alertBlocks for a change waiting for approval', () => {
  const pending = (over: Partial<NonNullable<AlertText['approval']>> = {}) =>
    alertText({
      approval: {
        actionId: 'act-00112233445566ff',
        expiresAt: '2026-11-21T06:00:00.000Z',
        approvers: ['U012ABCDEF', 'W0ENTERPRISE1', 'ops <lead>@example.com'],
        ...over,
      },
    });
  const approvalButtons = (m: SlackMessage) => buttonsOf(m).filter((b): b is ApprovalButton => 'value' in b);

  it('offers Approve, behind a confirmation, and Reject, each carrying the action id and nothing else', () => {
    const m = alertBlocks(pending());
    const block = m.blocks.find(
      (b): b is ActionsBlock => b.type === 'actions' && b.block_id === APPROVAL_BLOCK_ID,
    );
    expect(block?.elements.map((b) => [b.action_id, 'value' in b ? b.value : undefined, b.style])).toEqual([
      [APPROVAL_ACTIONS.approve, 'act-00112233445566ff', 'primary'],
      [APPROVAL_ACTIONS.reject, 'act-00112233445566ff', 'danger'],
    ]);
    const [approve, reject] = approvalButtons(m);
    expect(approve?.confirm?.title.text).toBe('Approve this change?');
    expect(approve?.confirm?.text.text).toContain('act-00112233445566ff');
    expect(reject?.confirm).toBeUndefined();
    expect(payloadProblems(m)).toEqual([]);
  });

  it('names the approvers, member ids as mentions and anything else escaped, and the time it expires', () => {
    const note = contextTexts(alertBlocks(pending()))[0];
    expect(note).toBe(
      ':hourglass_flowing_sand: Waiting for approval by <@U012ABCDEF>, <@W0ENTERPRISE1>, ops &lt;lead&gt;@example.com, until 2026-11-21 06:00 UTC.',
    );
  });

  it('says that nobody can approve when the budget lists no approvers', () => {
    expect(contextTexts(alertBlocks(pending({ approvers: [] })))[0]).toContain(
      'Waiting for approval by nobody: the budget lists no approvers',
    );
  });

  it('puts the approval blocks after what to do and before the links, and none on an alert without one', () => {
    const m = alertBlocks(pending());
    const types = m.blocks.map((b) => ('block_id' in b && b.block_id) || b.type);
    expect(types.indexOf(`${APPROVAL_BLOCK_ID}-note`)).toBeGreaterThan(types.lastIndexOf('section'));
    expect(types.indexOf(APPROVAL_BLOCK_ID)).toBeLessThan(types.lastIndexOf('actions'));
    expect(approvalButtons(alertBlocks(alertText()))).toEqual([]);
  });

  it('shows many approvers within one context element, and how many it left out', () => {
    const approvers = Array.from({ length: 400 }, (_, i) => `U${String(i).padStart(9, '0')}`);
    const m = alertBlocks(pending({ approvers }));
    expect(payloadProblems(m)).toEqual([]);
    expect(contextTexts(m)[0]).toMatch(/ and \d+ more, until /);
  });
});

describe('truncate', () => {
  it('leaves a text that fits unchanged', () => {
    expect(truncate('search-prod', 11)).toBe('search-prod');
  });

  it('never splits an escape such as &amp;', () => {
    const escaped = escapeMrkdwn('aaaaaa&&&&&&');
    for (let max = 2; max < escaped.length; max++) {
      const cut = truncate(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).toMatch(/^a*(&amp;)*…$/);
    }
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(10);
    for (let max = 2; max < text.length; max++) {
      expect(truncate(text, max)).toMatch(/^(😀)*…$/u);
    }
  });
});

describe('digestBlocks', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      alertText({
        headline: `budget-${i}: spend passes the cap`,
        severity: i % 3 === 0 ? 'critical' : i % 3 === 1 ? 'warning' : 'info',
      }),
    );

  it(`sends up to ${DIGEST_THRESHOLD} alerts as one full message each`, () => {
    const out = digestBlocks(many(DIGEST_THRESHOLD));
    expect(out).toHaveLength(DIGEST_THRESHOLD);
    expect(out.map((m) => m.alerts)).toEqual([[0], [1], [2], [3], [4]]);
    expect(out[1]?.blocks).toEqual(alertBlocks(many(5)[1] as AlertText).blocks);
  });

  it('carries every alert exactly once in valid messages, whatever the alerts (property)', () => {
    fc.assert(
      fc.property(fc.array(anyAlert, { maxLength: 120 }), (texts) => {
        const out = digestBlocks(texts);
        for (const m of out) expect(payloadProblems(m)).toEqual([]);
        expect(out.flatMap((m) => m.alerts).sort((a, b) => a - b)).toEqual(texts.map((_, i) => i));
      }),
      { numRuns: 40 },
    );
  });

  it('never folds an alert with a change waiting for approval into a digest: its buttons stay', () => {
    const texts = many(10).map((t, i) =>
      i === 3 || i === 7
        ? {
            ...t,
            approval: {
              actionId: `act-000000000000000${i}`,
              expiresAt: '2026-11-21T06:00:00.000Z',
              approvers: [],
            },
          }
        : t,
    );
    const out = digestBlocks(texts);
    // the two full messages, then the other eight worst first
    expect(out.map((m) => m.alerts)).toEqual([[3], [7], [0, 6, 9, 1, 4, 2, 5, 8]]);
    expect(out[0]?.blocks).toEqual(alertBlocks(texts[3] as AlertText).blocks);
    expect(headerOf(out[2] as SlackMessage)).toBe('8 budget alerts');
  });

  it('sends more alerts as a digest, worst first, each alert once, every message within 50 blocks', () => {
    const texts = many(100);
    const out = digestBlocks(texts);
    expect(out).toHaveLength(Math.ceil(100 / DIGEST_PAGE_SIZE));
    for (const m of out) expect(payloadProblems(m)).toEqual([]);
    const carried = out.flatMap((m) => m.alerts);
    expect([...carried].sort((a, b) => a - b)).toEqual(texts.map((_, i) => i));
    const severities = carried.map((i) => texts[i]?.severity);
    expect(severities.indexOf('warning')).toBe(severities.lastIndexOf('critical') + 1);
    expect(headerOf(out[0] as SlackMessage)).toBe('100 budget alerts (part 1 of 3)');
    const first = sectionsOf(out[0] as SlackMessage)[0];
    // each digest row keeps the headline, the largest drivers and the first action with its saving
    expect(first?.text?.text).toBe(
      [
        ':red_circle: *budget-0: spend passes the cap*',
        '*Why:* +$2,319.60 traffic, +$785.60 idle capacity',
        '*Do:* Scale search-a from 4 to 2 instances off-peak _(saves ~$1,416.31 this period; latency risk medium)_',
      ].join('\n'),
    );
    expect(first?.accessory?.text.text).toBe('Report');
    expect(first?.accessory?.url).toMatch(/^https:\/\/perf-budgets-reports\.s3\.amazonaws\.com\//);
  });
});

describe('reportBlocks', () => {
  it('shows the title, the period, the lines and a primary button to the report', () => {
    const m = reportBlocks({
      title: 'November 2026',
      period: '2026-11-01 to 2026-11-30',
      lines: ['*search-prod*: $11,200.00 of $12,000.00', 'ranking-exp: 2 actions taken <auto>'],
      url: 'https://perf-budgets-reports.s3.amazonaws.com/2026-11/report.html?X-Amz-Signature=abc&x=1',
    });
    expect(payloadProblems(m)).toEqual([]);
    expect(headerOf(m)).toBe(':bar_chart: November 2026');
    expect(contextTexts(m)).toEqual(['Period: 2026-11-01 to 2026-11-30']);
    expect(sectionTexts(m)).toEqual([
      '*search-prod*: $11,200.00 of $12,000.00\nranking-exp: 2 actions taken &lt;auto&gt;',
    ]);
    expect(buttonsOf(m)).toEqual([
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open the report' },
        url: 'https://perf-budgets-reports.s3.amazonaws.com/2026-11/report.html?X-Amz-Signature=abc&x=1',
        action_id: 'report-0',
        style: 'primary',
      },
    ]);
  });

  it('never builds an invalid payload, whatever the report (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          title: text(300),
          period: text(100),
          lines: fc.array(text(4000), { maxLength: 200 }),
          url: fc.option(fc.oneof(fc.webUrl(), text(50)), { nil: undefined }),
        }),
        (report) => {
          expect(payloadProblems(reportBlocks(report))).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a report of 2,000 long lines within 50 blocks', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `budget-${i}: ${words(40)}`);
    const m = reportBlocks({ title: 'x'.repeat(400), period: 'p', lines, url: 'https://example.com/r' });
    expect(payloadProblems(m)).toEqual([]);
    expect(allText(m)).toMatch(/…and \d+ more lines/);
    expect(buttonsOf(m)).toHaveLength(1);
  });
});
