/**
 * Block Kit messages for alerts, digests and the billing-cycle report summary. Pure: text in, payload out.
 *
 * Every builder returns a payload Slack accepts whatever the input: at most 50 blocks, section text at most
 * 3,000 characters, at most 10 fields of at most 2,000, a header of at most 150, buttons with text of at most 75
 * and a URL of at most 3,000, at most 25 buttons per actions block and 10 elements per context block, no empty
 * text. Long texts are cut at a line or word boundary with "…"; long lists are spread over several sections and,
 * past the block budget, end in "…and N more". All text that comes from outside (budget names, messages, URLs
 * shown as text) has `&`, `<` and `>` escaped, so it cannot form links or mentions such as `<!channel>`; the one
 * mention written on purpose is of a person by Slack member id (`<@U0123ABCD>`), such as an approver.
 */
import type { AlertLink, AlertText } from '../core/alert-text.ts';
import type { PendingApproval, Severity } from '../core/types.ts';

/** Slack's documented Block Kit limits, and the length we give the notification text. */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Slack accepts 40,000; the fallback is what a phone notification shows, so it stays short. */
  fallbackText: 3000,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}

export interface LinkButton {
  type: 'button';
  text: PlainText;
  url: string;
  action_id: string;
  style?: 'primary';
}

/** A button that Slack answers with an interaction request (approve mode): its value is the action id only. */
export interface ApprovalButton {
  type: 'button';
  text: PlainText;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: PlainText; text: PlainText; confirm: PlainText; deny: PlainText };
}

export interface HeaderBlock {
  type: 'header';
  text: PlainText;
}

export interface SectionBlock {
  type: 'section';
  text?: Mrkdwn;
  fields?: Mrkdwn[];
  accessory?: LinkButton;
}

export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: Mrkdwn[];
}

export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: (LinkButton | ApprovalButton)[];
}

export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock;

/** One webhook post: `text` is the notification (and screen-reader) fallback, `blocks` what the channel shows. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** A message of a batch, with the positions (in the input) of the alerts it carries. */
export interface BatchMessage extends SlackMessage {
  alerts: number[];
}

export interface ReportSummary {
  readonly title: string;
  /** As shown, e.g. "2026-11-01 to 2026-11-30". */
  readonly period: string;
  readonly lines: readonly string[];
  /** The report itself (a presigned S3 URL); a value that is not an http(s) URL is shown as text. */
  readonly url?: string;
}

/**
 * Up to this many alerts go out as one full message each; more go out as a digest, so a bad day does not
 * bury the channel (and the webhook's rate limit of about one message a second is not the bottleneck).
 */
export const DIGEST_THRESHOLD = 5;
/** Alerts per digest message: a header, a count line and one section per alert stay within 50 blocks. */
export const DIGEST_PAGE_SIZE = 45;

const ELLIPSIS = '…';
const NONE = '—';

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Collapses line breaks and runs of whitespace: for texts that must stay on one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Cuts `text` to at most `max` characters (UTF-16 units, which never undercounts Slack's characters), ending in
 * "…". It never splits a surrogate pair or an escape such as `&amp;`, and prefers a line or word boundary when
 * one lies in the last fifth of the room.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, max);
  let cut = max - ELLIPSIS.length;
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp !== -1 && amp > cut - 5) {
    const semi = text.indexOf(';', amp);
    if (semi >= cut && semi - amp <= 4) cut = amp;
  }
  const head = text.slice(0, cut);
  const boundary = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
  const kept = (boundary >= cut * 0.8 ? head.slice(0, boundary) : head).trimEnd();
  return `${kept || head}${ELLIPSIS}`;
}

/** Outside text as mrkdwn: escaped, on one line, cut to `max`, never empty. */
function md(text: string, max: number): string {
  return truncate(escapeMrkdwn(oneLine(text)), max) || NONE;
}

/** Outside text as plain_text: on one line, cut to `max`, never empty. Slack shows plain_text literally. */
function plain(text: string, max: number): string {
  return truncate(oneLine(text), max) || NONE;
}

const mrkdwn = (text: string): Mrkdwn => ({ type: 'mrkdwn', text });

/**
 * Packs lines (each already at most `max`) into at most `maxChunks` texts of at most `max` characters, joined by
 * line breaks. Lines that do not fit end the last text as `more(n)`, dropping lines from its end if needed.
 */
function pack(
  lines: readonly string[],
  max: number,
  maxChunks: number,
  more: (dropped: number) => string,
): string[] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (current.length > 0 && size + 1 + line.length > max) {
      if (chunks.length + 1 >= maxChunks) {
        let dropped = lines.length - i;
        const note = () => truncate(more(dropped), max);
        while (current.length > 0 && size + 1 + note().length > max) {
          size -= (current.pop() as string).length + (current.length > 0 ? 1 : 0);
          dropped++;
        }
        current.push(note());
        size = -1; // closed
        break;
      }
      chunks.push(current);
      current = [];
      size = 0;
    }
    size += (current.length > 0 ? 1 : 0) + line.length;
    current.push(line);
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((c) => c.join('\n'));
}

const moreItems = (noun: string) => (n: number) => `_…and ${n} more ${noun}${n === 1 ? '' : 's'}_`;

function sections(texts: readonly string[]): SectionBlock[] {
  return texts.map((text) => ({ type: 'section', text: mrkdwn(text) }));
}

/** A URL Slack accepts on a button: http(s), parseable, no whitespace, within the length limit. */
function buttonUrl(url: string): string | undefined {
  if (url.length > SLACK_LIMITS.buttonUrl || /\s/.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const isReportLink = (link: AlertLink) => /\breport\b/i.test(link.label);

/**
 * Links as buttons, the report first and primary; links that cannot be buttons (a local file path, a URL longer
 * than 3,000 characters) as text lines for a context block.
 */
function linkBlocks(links: readonly AlertLink[], idPrefix: string): SlackBlock[] {
  const ordered = [...links.filter(isReportLink), ...links.filter((l) => !isReportLink(l))];
  const buttons: LinkButton[] = [];
  const asText: string[] = [];
  let skipped = 0;
  for (const link of ordered) {
    const url = buttonUrl(link.url);
    if (!url) {
      const shown = link.url.length > SLACK_LIMITS.buttonUrl ? 'link too long for Slack' : link.url;
      asText.push(md(`${link.label}: ${shown}`, SLACK_LIMITS.contextText));
    } else if (buttons.length < SLACK_LIMITS.actionsElements) {
      buttons.push({
        type: 'button',
        text: { type: 'plain_text', text: plain(link.label, SLACK_LIMITS.buttonText) },
        url,
        action_id: `${idPrefix}-${buttons.length}`,
        ...(buttons.length === 0 && isReportLink(link) ? { style: 'primary' as const } : {}),
      });
    } else {
      skipped++;
    }
  }
  if (skipped > 0) asText.push(moreItems('link')(skipped));
  const blocks: SlackBlock[] = [];
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  if (asText.length > 0) {
    const elements = pack(asText, SLACK_LIMITS.contextText, SLACK_LIMITS.contextElements, moreItems('link'));
    blocks.push({ type: 'context', elements: elements.map(mrkdwn) });
  }
  return blocks;
}

function headerText(text: AlertText): string {
  const marker =
    text.transition === 'resolved'
      ? ':white_check_mark: Resolved: '
      : `${SEVERITY_EMOJI[text.severity] ?? ''}${text.transition === 'escalated' ? ' Escalated: ' : ' '}`;
  return plain(`${marker}${oneLine(text.headline) || 'Budget alert'}`, SLACK_LIMITS.headerText);
}

function fallbackText(text: AlertText): string {
  const word = text.transition === 'resolved' ? 'resolved' : text.severity;
  return md(`[${word}] ${oneLine(text.headline) || 'Budget alert'}`, SLACK_LIMITS.fallbackText);
}

/** Facts as two-column fields, ten a section, at most `maxSections` sections. */
function factSections(facts: AlertText['facts'], maxSections: number): SectionBlock[] {
  const fields = facts.map((f) => {
    const label = md(f.label, 200);
    return `*${label}*\n${md(f.value, SLACK_LIMITS.fieldText - label.length - 3)}`;
  });
  const room = maxSections * SLACK_LIMITS.sectionFields;
  if (fields.length > room) {
    const dropped = fields.length - room + 1;
    fields.splice(room - 1, fields.length, moreItems('fact')(dropped));
  }
  const out: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    out.push({ type: 'section', fields: fields.slice(i, i + SLACK_LIMITS.sectionFields).map(mrkdwn) });
  }
  return out;
}

const FACT_SECTIONS = 2;
const MAX = SLACK_LIMITS.sectionText;

/** The action ids of approve mode's buttons: the interaction handler acts on these and on no others. */
export const APPROVAL_ACTIONS = { approve: 'perf-budgets-approve', reject: 'perf-budgets-reject' } as const;
/** The block ids of an alert's approval blocks start so: the message that replaces a decided alert drops them. */
export const APPROVAL_BLOCK_ID = 'perf-budgets-approval';

/** A Slack member id (`U...`, or `W...` in an Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{1,30}$/;

/** A person as Slack shows them: a member id as a mention, anything else (an email) as escaped text. */
export function person(who: string): string {
  return SLACK_USER_ID.test(who) ? `<@${who}>` : md(who, 200);
}

const label = (text: string, max: number): PlainText => ({ type: 'plain_text', text: plain(text, max) });

/**
 * A change waiting for approval: who may approve it and until when, then Approve (behind a confirmation) and
 * Reject, whose value is the action id and nothing else. An id too long to be a button's value gets no buttons.
 */
function approvalBlocks(a: PendingApproval): SlackBlock[] {
  const names = a.approvers.map(person);
  let shown = names.length;
  while (shown > 1 && names.slice(0, shown).join(', ').length > MAX / 2) shown--;
  const more = shown < names.length ? ` and ${names.length - shown} more` : '';
  const who =
    names.length === 0 ? 'nobody: the budget lists no approvers' : names.slice(0, shown).join(', ') + more;
  const until = md(a.expiresAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC'), 100);
  const note: ContextBlock = {
    type: 'context',
    block_id: `${APPROVAL_BLOCK_ID}-note`,
    elements: [mrkdwn(`:hourglass_flowing_sand: Waiting for approval by ${who}, until ${until}.`)],
  };
  const id = a.actionId;
  if (id.trim() === '' || id.length > SLACK_LIMITS.buttonValue) return [note];
  const approve: ApprovalButton = {
    type: 'button',
    text: label('Approve', SLACK_LIMITS.buttonText),
    action_id: APPROVAL_ACTIONS.approve,
    value: id,
    style: 'primary',
    confirm: {
      title: label('Approve this change?', SLACK_LIMITS.confirmTitle),
      text: label(
        `${id} changes the endpoint's scaling as soon as its guardrails allow.`,
        SLACK_LIMITS.confirmText,
      ),
      confirm: label('Approve', SLACK_LIMITS.confirmButton),
      deny: label('Cancel', SLACK_LIMITS.confirmButton),
    },
  };
  const reject: ApprovalButton = {
    type: 'button',
    text: label('Reject', SLACK_LIMITS.buttonText),
    action_id: APPROVAL_ACTIONS.reject,
    value: id,
    style: 'danger',
  };
  return [note, { type: 'actions', block_id: APPROVAL_BLOCK_ID, elements: [approve, reject] }];
}

/**
 * One alert as a message: header (severity and transition marker, headline), facts, why (drivers in dollars),
 * what to do (actions with saving and latency risk), a pending change's Approve and Reject buttons, exceptions in
 * force (context), links (buttons, the report first as the primary one).
 */
export function alertBlocks(text: AlertText, idPrefix = 'link'): SlackMessage {
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: headerText(text), emoji: true },
  };
  const facts = factSections(text.facts, FACT_SECTIONS);
  const exceptions: ContextBlock[] =
    text.exceptions.length > 0
      ? [
          {
            type: 'context',
            elements: pack(
              text.exceptions.map((e) => `:shield: Exception in force: ${md(e, MAX - 40)}`),
              SLACK_LIMITS.contextText,
              SLACK_LIMITS.contextElements,
              moreItems('exception'),
            ).map(mrkdwn),
          },
        ]
      : [];
  const links = linkBlocks(text.links, idPrefix);
  const approval = text.approval ? approvalBlocks(text.approval) : [];
  let room = SLACK_LIMITS.blocks - 1 - facts.length - approval.length - exceptions.length - links.length;

  const whyLines = text.why
    ? [
        `*Why:* ${md(text.why.summary, MAX - 10)}`,
        ...text.why.drivers.map((d) => `• ${md(d.label, 500)}: *${md(d.amount, 200)}*`),
      ]
    : [];
  const actionLines =
    text.actions.length > 0
      ? [
          '*What to do*',
          ...text.actions.map(
            (a, i) =>
              `${i + 1}. ${md(a.text, MAX - 300)} (${md(a.saving, 200)}; ${md(a.risk, 20)} latency risk)`,
          ),
        ]
      : [];
  const whyRoom = actionLines.length > 0 ? Math.max(1, Math.floor(room / 2)) : room;
  const why = sections(pack(whyLines, MAX, whyRoom, moreItems('driver')));
  room -= why.length;
  const actions = sections(pack(actionLines, MAX, room, moreItems('action')));

  return {
    text: fallbackText(text),
    blocks: [header, ...facts, ...why, ...actions, ...approval, ...exceptions, ...links],
  };
}

function digestPage(
  texts: readonly AlertText[],
  indexes: number[],
  page: number,
  pages: number,
  total: number,
): BatchMessage {
  const count = (s: Severity) => indexes.filter((i) => (texts[i] as AlertText).severity === s).length;
  const part = pages > 1 ? ` (part ${page} of ${pages})` : '';
  const title = `${total} budget alerts${part}`;
  const summary = `${count('critical')} critical, ${count('warning')} warning, ${count('info')} info in this message`;
  const rows: SectionBlock[] = indexes.map((i) => {
    const t = texts[i] as AlertText;
    const marker = t.transition === 'resolved' ? ':white_check_mark: Resolved:' : SEVERITY_EMOJI[t.severity];
    const escalated = t.transition === 'escalated' ? ' _escalated_' : '';
    // each row keeps the alert's why and its first action: a digest still says what moved and what to do
    const lines = [`${marker} *${md(t.headline || 'Budget alert', 600)}*${escalated}`];
    const drivers = t.why?.drivers.slice(0, 3).map((d) => `${d.amount} ${d.label}`);
    if (drivers?.length) lines.push(`*Why:* ${md(drivers.join(', '), 400)}`);
    const first = t.actions[0];
    if (first) {
      lines.push(`*Do:* ${md(first.text, 900)} _(${md(first.saving, 100)}; latency risk ${first.risk})_`);
    }
    const section: SectionBlock = { type: 'section', text: mrkdwn(lines.join('\n')) };
    const report = t.links.find(isReportLink) ?? t.links[0];
    const url = report && buttonUrl(report.url);
    if (report && url) {
      section.accessory = {
        type: 'button',
        text: { type: 'plain_text', text: plain(report.label, SLACK_LIMITS.buttonText) },
        url,
        action_id: `digest-${i}`,
      };
    }
    return section;
  });
  return {
    text: md(`${title}: ${summary}`, SLACK_LIMITS.fallbackText),
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: plain(title, SLACK_LIMITS.headerText), emoji: true },
      },
      { type: 'context', elements: [mrkdwn(summary)] },
      ...rows,
    ],
    alerts: indexes,
  };
}

/**
 * Many alerts at once. Up to `DIGEST_THRESHOLD` (5) alerts: one full message each (`alertBlocks`). More: a
 * digest, worst first, one section per alert (its headline, with its report as a button), `DIGEST_PAGE_SIZE`
 * (45) alerts a message. An alert with a change waiting for approval is always a full message of its own, since
 * its Approve and Reject buttons are what it is for. Each message lists the positions of the alerts it carries, so
 * a sender can say what became of each.
 */
export function digestBlocks(texts: readonly AlertText[], threshold = DIGEST_THRESHOLD): BatchMessage[] {
  const full = (i: number): BatchMessage => ({ ...alertBlocks(texts[i] as AlertText), alerts: [i] });
  const all = texts.map((_, i) => i);
  if (texts.length <= threshold) return all.map(full);
  const order = all
    .filter((i) => !texts[i]?.approval)
    .sort(
      (a, b) =>
        (SEVERITY_RANK[(texts[a] as AlertText).severity] ?? 3) -
          (SEVERITY_RANK[(texts[b] as AlertText).severity] ?? 3) || a - b,
    );
  const out = all.filter((i) => texts[i]?.approval).map(full);
  const pages = Math.ceil(order.length / DIGEST_PAGE_SIZE);
  for (let p = 0; p < pages; p++) {
    const page = order.slice(p * DIGEST_PAGE_SIZE, (p + 1) * DIGEST_PAGE_SIZE);
    out.push(digestPage(texts, page, p + 1, pages, order.length));
  }
  return out;
}

/** The billing-cycle report summary: title, period, the summary lines, and a button to the report. */
export function reportBlocks(report: ReportSummary): SlackMessage {
  const title = plain(
    `:bar_chart: ${oneLine(report.title) || 'Billing-cycle report'}`,
    SLACK_LIMITS.headerText,
  );
  const period = md(`Period: ${report.period}`, SLACK_LIMITS.contextText);
  const link: AlertLink[] = report.url === undefined ? [] : [{ label: 'Open the report', url: report.url }];
  const links = linkBlocks(link, 'report');
  const lines = report.lines
    .map((l) => truncate(escapeMrkdwn(l.trimEnd()), MAX))
    .filter((l) => l.trim().length > 0);
  const room = SLACK_LIMITS.blocks - 2 - links.length;
  const body = sections(pack(lines, MAX, room, moreItems('line')));
  return {
    text: md(
      `${oneLine(report.title) || 'Billing-cycle report'}, ${report.period}`,
      SLACK_LIMITS.fallbackText,
    ),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title, emoji: true } },
      { type: 'context', elements: [mrkdwn(period)] },
      ...body,
      ...links,
    ],
  };
}
