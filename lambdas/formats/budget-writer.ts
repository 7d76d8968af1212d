/**
 * Writes a proposed budget file as YAML with its comments (the yaml library's Document API keeps them beside their
 * keys), and checks it with the same validation `perf-budgets validate` runs before anyone sees it.
 */
import { Document, isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import type { Proposal } from '../core/init/proposal.ts';
import { checkBudgetText, formatProblem } from './budget-file.ts';

const lines = (l: readonly string[]) => (l.length > 0 ? l.join('\n') : undefined);

const flow = (map: YAMLMap, key: string) => {
  const node = map.get(key, true);
  if (isMap(node)) node.flow = true;
};

/** The proposal as YAML text; throws when the result would not validate (a defect, not bad input). */
export function renderBudgetFile(p: Proposal): string {
  const doc = new Document({ ...p.file, budgets: p.budgets.map((b) => b.budget) });
  doc.commentBefore = lines(p.header) ?? null;
  const root = doc.contents as YAMLMap;
  flow(root, 'billingPeriod');
  const tiers = root.get('tiers', true);
  if (isMap(tiers)) {
    for (const pair of tiers.items) if (isMap(pair.value)) pair.value.flow = true;
    const key = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'tiers')?.key;
    if (isScalar(key)) key.commentBefore = lines(p.tiersComment);
  }
  const budgets = root.get('budgets', true);
  if (isSeq(budgets)) {
    budgets.items.forEach((node, i) => {
      const b = p.budgets[i];
      if (!b || !isMap(node)) return;
      node.commentBefore = lines(b.comment);
      flow(node, 'selector');
      const limitsPair = node.items.find((pair) => isScalar(pair.key) && pair.key.value === 'limits');
      if (limitsPair && isScalar(limitsPair.key)) limitsPair.key.commentBefore = lines(b.limitsComment);
      const limits = node.get('limits', true);
      if (!isMap(limits)) return;
      for (const pair of limits.items) {
        if (!isScalar(pair.key)) continue;
        const comment = b.limitComments[pair.key.value as keyof typeof b.limitComments];
        if (comment) pair.key.commentBefore = lines(comment);
        if (isMap(pair.value)) pair.value.flow = true;
      }
    });
  }
  const text = doc.toString({ lineWidth: 0 });
  const checked = checkBudgetText(text);
  if (!checked.ok) {
    const first = checked.problems[0];
    throw new Error(
      `the written budget file does not validate: ${first ? formatProblem('(init)', first) : ''}`,
    );
  }
  return text;
}
