import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { type BudgetFile, type BudgetProblem, parseBudgetFile } from '../core/budget.ts';
import { InputError } from '../core/errors.ts';
import { checkInputFile } from './input-file.ts';

export interface BudgetFileProblem extends BudgetProblem {
  readonly line?: number;
}

export type LoadBudgetResult =
  | { readonly ok: true; readonly file: BudgetFile }
  | { readonly ok: false; readonly problems: readonly BudgetFileProblem[] };

/** Reads a budget file (YAML or JSON: JSON is YAML) and validates it; every problem carries its path and line. */
export async function checkBudgetFile(path: string): Promise<LoadBudgetResult> {
  let text: string;
  try {
    // a FIFO would block the read forever and a device never ends: the file is checked before it is read
    await checkInputFile(path, 'budgets');
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError)
      return { ok: false, problems: [{ path: '(file)', message: whatOf(err, path) }] };
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problems: [
        { path: '(file)', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? err})` },
      ],
    };
  }
  return checkBudgetText(text);
}

/** An input error's message without the file name it starts with: the problem line names the file itself. */
function whatOf(err: InputError, path: string): string {
  return err.message.startsWith(`${path}: `) ? err.message.slice(path.length + 2) : err.message;
}

/** Aliases a budget file may expand (sharing limits between budgets needs a few, never thousands). */
const MAX_ALIAS_COUNT = 100;

/**
 * Validates the text of a budget file (YAML or JSON), synchronously: the CDK app checks the file at synth with it,
 * so a bad file fails synth with the problems `perf-budgets validate` prints.
 */
export function checkBudgetText(text: string): LoadBudgetResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '(syntax)',
        line: e.linePos?.[0]?.line ?? lines.linePos(Math.min(e.pos[0], Math.max(0, text.length - 1))).line,
        message: e.message.split('\n')[0] ?? 'invalid YAML',
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // the yaml library's guard against aliases that expand exponentially ("billion laughs")
    if (!(err instanceof ReferenceError)) throw err;
    return {
      ok: false,
      problems: [
        {
          path: '(syntax)',
          message: `aliases expand to more than ${MAX_ALIAS_COUNT} copies: expected a budget file, not an alias bomb`,
        },
      ],
    };
  }
  const parsed = parseBudgetFile(value);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    problems: parsed.problems.map((p) => ({ ...p, line: lineOf(doc, lines, p.path) })),
  };
}

function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: string): number | undefined {
  const keys: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    keys.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  // walk down as far as the path exists: a missing key points at its parent
  let node: unknown = doc.contents;
  let found: unknown = node;
  for (const k of keys) {
    if (isMap(node)) node = node.get(k, true);
    else if (isSeq(node) && typeof k === 'number') node = node.get(k, true);
    else break;
    if (node === undefined) break;
    found = node;
  }
  const range = (found as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return undefined;
  return lines.linePos(range[0]).line;
}

export function formatProblem(file: string, p: BudgetFileProblem): string {
  return `${file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.path}: ${p.message}`;
}

/** Loads a budget file or throws an InputError naming the file, the path in it and what was expected. */
export async function loadBudgetFile(path: string): Promise<BudgetFile> {
  const r = await checkBudgetFile(path);
  if (r.ok) return r.file;
  const [first, ...rest] = r.problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more: run \`perf-budgets validate ${path}\`)` : '';
  throw new InputError(`${formatProblem(path, first as BudgetFileProblem)}${more}`, {
    file: path,
    path: first?.path,
  });
}
