import { parse } from 'yaml';
import { parseBudgetFile } from '../../lambdas/core/budget.ts';

/** The problems (`path: message`) of a budget file's YAML after `mutate` breaks the parsed document. */
// biome-ignore lint/suspicious/noExplicitAny: the tests break arbitrary paths of a parsed YAML document
export function problemsAfter(yaml: string, mutate: (doc: any) => void): string[] {
  const doc = parse(yaml);
  mutate(doc);
  const r = parseBudgetFile(doc);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}
