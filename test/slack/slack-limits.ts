import type {
  ApprovalButton,
  LinkButton,
  Mrkdwn,
  PlainText,
  SlackBlock,
  SlackMessage,
} from '../../lambdas/slack/blocks.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Every way a payload breaks Slack's Block Kit limits, as readable problems (none for a valid payload). Written
 * from Slack's documented limits, independently of the builders' own constants.
 */
export function payloadProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  const text = (where: string, t: Mrkdwn | PlainText, max: number) => {
    if (t.text.trim().length === 0) problems.push(`${where}: empty text`);
    if (t.text.length > max) problems.push(`${where}: ${t.text.length} > ${max} characters`);
    if (LONE_SURROGATE.test(t.text)) problems.push(`${where}: a lone surrogate`);
    if (t.type === 'mrkdwn') {
      // a member mention is the one control sequence the builders write on purpose
      if (/[<>]/.test(t.text.replace(/<@[UW][A-Z0-9]+>/g, ''))) problems.push(`${where}: unescaped < or >`);
      if (/&(?!amp;|lt;|gt;)/.test(t.text)) problems.push(`${where}: unescaped &`);
    }
  };
  if (message.text.trim().length === 0) problems.push('fallback text is empty');
  text('fallback', { type: 'mrkdwn', text: message.text }, 40_000);
  if (message.blocks.length > 50) problems.push(`${message.blocks.length} blocks > 50`);
  const actionIds = new Set<string>();
  const button = (where: string, b: LinkButton | ApprovalButton) => {
    text(`${where} text`, b.text, 75);
    if ('url' in b) {
      if (b.url.length > 3000) problems.push(`${where}: url ${b.url.length} > 3000`);
      if (!/^https?:\/\//.test(b.url)) problems.push(`${where}: url is not http(s)`);
    } else {
      if (b.value.length === 0 || b.value.length > 2000)
        problems.push(`${where}: value of ${b.value.length}`);
      if (b.confirm) {
        text(`${where} confirm title`, b.confirm.title, 100);
        text(`${where} confirm text`, b.confirm.text, 300);
        text(`${where} confirm button`, b.confirm.confirm, 30);
        text(`${where} deny button`, b.confirm.deny, 30);
      }
    }
    if (b.action_id.length > 255) problems.push(`${where}: action_id over 255 characters`);
    if (actionIds.has(b.action_id)) problems.push(`${where}: duplicate action_id ${b.action_id}`);
    actionIds.add(b.action_id);
  };
  message.blocks.forEach((block: SlackBlock, i) => {
    const where = `block ${i} (${block.type})`;
    switch (block.type) {
      case 'header':
        if (block.text.type !== 'plain_text') problems.push(`${where}: not plain_text`);
        text(where, block.text, 150);
        break;
      case 'section':
        if (!block.text && !block.fields?.length) problems.push(`${where}: neither text nor fields`);
        if (block.text) text(where, block.text, 3000);
        if ((block.fields?.length ?? 0) > 10) problems.push(`${where}: ${block.fields?.length} fields > 10`);
        block.fields?.forEach((f, j) => {
          text(`${where} field ${j}`, f, 2000);
        });
        if (block.accessory) button(`${where} accessory`, block.accessory);
        break;
      case 'context':
        if (block.elements.length === 0 || block.elements.length > 10) {
          problems.push(`${where}: ${block.elements.length} elements`);
        }
        block.elements.forEach((e, j) => {
          text(`${where} element ${j}`, e, 3000);
        });
        break;
      case 'actions':
        if (block.elements.length === 0 || block.elements.length > 25) {
          problems.push(`${where}: ${block.elements.length} elements`);
        }
        block.elements.forEach((e, j) => {
          button(`${where} button ${j}`, e);
        });
        break;
      default:
        problems.push(`${where}: unknown block type`);
    }
  });
  return problems;
}

/** All mrkdwn and plain text of a message, joined: what a reader of the channel could see. */
export function allText(message: SlackMessage): string {
  const out: string[] = [message.text];
  for (const b of message.blocks) {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
      if (b.accessory) out.push(b.accessory.text.text, b.accessory.url);
    }
    if (b.type === 'context') for (const e of b.elements) out.push(e.text);
    if (b.type === 'actions') for (const e of b.elements) out.push(e.text.text, 'url' in e ? e.url : e.value);
  }
  return out.join('\n');
}
