/**
 * The same charges loaded twice from two files: `x.csv` beside `x.csv.gz`, an export downloaded again under another
 * name, two saved Cost Explorer responses over the same days. Each would count its spend twice, so it is refused,
 * naming both files. Two names of one file (a path given twice, `./a.csv`, a link, a directory and a file in it)
 * are told apart by device and inode before anything is read; content is compared here, after reading:
 *
 * - CSV exports: a non-zero charge whose line is alike, column for column under the same header, in two files.
 *   Every column counts, those the tool does not read too (operations, line item ids), so the parts of one export,
 *   which hold different line items of the same period, never match; a $0 line is never compared, as it counts
 *   nothing twice (free-tier lines repeat across accounts' files).
 * - Cost Explorer responses: the same group (service, usage type, tags, ...) with non-zero spend over overlapping
 *   periods in two files, whatever the amounts: a response saved again after AWS restated a day overlaps too.
 *
 * Files of different formats (a FOCUS export and a Cost Explorer response of one account) are not compared: a
 * response cannot say which filter it was asked with, so it may hold other accounts or services.
 */
import { inputError } from '../core/errors.ts';
import type { CostRecord } from '../core/types.ts';

/** The hashes of the non-zero charge lines of one CSV file, and the line each came from. */
export class RowKeys {
  private keys = new Float64Array(1024);
  private lines = new Uint32Array(1024);
  private n = 0;
  private seed = 0;

  /** The header: lines are only alike under the same columns. */
  header(fields: readonly string[]): void {
    this.seed = hashFields(fields, 0x9e3779b9) >>> 0;
  }

  add(fields: readonly string[], line: number): void {
    if (this.n === this.keys.length) {
      const keys = new Float64Array(this.n * 2);
      keys.set(this.keys);
      const lines = new Uint32Array(this.n * 2);
      lines.set(this.lines);
      this.keys = keys;
      this.lines = lines;
    }
    this.keys[this.n] = hashFields(fields, this.seed);
    this.lines[this.n] = line;
    this.n++;
  }

  /**
   * The keys in ascending order (for merging), each key's first line, and the first of this file's keys (in line
   * order) that a sorted set of another file's keys holds.
   */
  sorted(): {
    readonly keys: Float64Array;
    lineOf(key: number): number;
    firstIn(other: Float64Array): number | undefined;
  } {
    const keys = this.keys.slice(0, this.n).sort();
    const inOrder = this.keys.subarray(0, this.n);
    const lines = this.lines;
    return {
      keys,
      lineOf: (key) => lines[inOrder.indexOf(key)] as number,
      firstIn: (other) => inOrder.find((k) => holds(other, k)),
    };
  }
}

/** Binary search of a sorted array. */
function holds(sorted: Float64Array, key: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === key) return true;
    if (v < key) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * A 53-bit hash of a record's fields (cyrb53's mixing, a field separator between cells), so that a file's lines
 * cost 8 bytes each to remember. Two different lines share a hash with odds of about 1 in 10^15 per pair.
 */
function hashFields(fields: readonly string[], seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (const f of fields) {
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** One loaded cost file, as the overlap check sees it. */
export interface LoadedCostFile {
  readonly file: string;
  readonly records: readonly CostRecord[];
  /** Set for CSV files. */
  readonly rows?: RowKeys;
  /** Set for Cost Explorer responses. */
  readonly costExplorer?: boolean;
}

/** Throws an `InputError` naming both files when two of them hold the same charges (see above). */
export function refuseOverlaps(files: readonly LoadedCostFile[]): void {
  const csv = files.filter((f) => f.rows !== undefined && f.records.length > 0);
  const spans = new Map(csv.map((f) => [f, spanOf(f.records)]));
  const sorted = new Map(csv.map((f) => [f, (f.rows as RowKeys).sorted()]));
  for (let i = 0; i < csv.length; i++) {
    for (let j = i + 1; j < csv.length; j++) {
      const a = csv[i] as LoadedCostFile;
      const b = csv[j] as LoadedCostFile;
      const [sa, sb] = [spans.get(a), spans.get(b)] as [Span, Span];
      if (sa.start >= sb.end || sb.start >= sa.end) continue;
      sameLines(a, sorted.get(a) as Sorted, b, sorted.get(b) as Sorted);
    }
  }
  sameGroups(files.filter((f) => f.costExplorer));
}

type Sorted = ReturnType<RowKeys['sorted']>;
interface Span {
  readonly start: number;
  readonly end: number;
}

function spanOf(records: readonly CostRecord[]): Span {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.start < start) start = r.start;
    if (r.end > end) end = r.end;
  }
  // an instant charge (start = end) still occupies its moment
  return { start, end: Math.max(end, start + 1) };
}

function sameLines(a: LoadedCostFile, ka: Sorted, b: LoadedCostFile, kb: Sorted): void {
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < ka.keys.length && j < kb.keys.length) {
    const x = ka.keys[i] as number;
    const y = kb.keys[j] as number;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      shared++;
      i++;
      j++;
    }
  }
  if (shared === 0) return;
  const first = kb.firstIn(ka.keys) as number;
  const more = shared > 1 ? ` (${shared} such lines in all)` : '';
  throw inputError(
    b.file,
    `the same charge as ${a.file} row ${ka.lineOf(first)}, every column alike${more}: the same data loaded twice? Give each export once`,
    { row: kb.lineOf(first) },
  );
}

/** What a Cost Explorer record is a group of: its group keys as the record carries them. */
function groupOf(r: CostRecord): string {
  const tags = Object.entries(r.tags).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify([r.service, r.usageType, r.region, r.account, r.chargeCategory, r.resourceId, tags]);
}

function sameGroups(files: readonly LoadedCostFile[]): void {
  if (files.length < 2) return;
  const byGroup = new Map<string, { record: CostRecord; file: string }[]>();
  for (const f of files) {
    for (const record of f.records) {
      if (record.amount === 0n) continue;
      const key = groupOf(record);
      const list = byGroup.get(key);
      if (list) list.push({ record, file: f.file });
      else byGroup.set(key, [{ record, file: f.file }]);
    }
  }
  for (const list of byGroup.values()) {
    list.sort((x, y) => x.record.start - y.record.start);
    // the entry reaching furthest so far, per file, is all an overlap with a later start needs
    const reach = new Map<string, { record: CostRecord; file: string }>();
    for (const entry of list) {
      for (const [file, other] of reach) {
        if (file !== entry.file && other.record.end > entry.record.start) overlapping(other, entry);
      }
      const mine = reach.get(entry.file);
      if (!mine || mine.record.end < entry.record.end) reach.set(entry.file, entry);
    }
  }
}

function overlapping(
  a: { record: CostRecord; file: string },
  b: { record: CostRecord; file: string },
): never {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const days = `${day(b.record.start)} to ${day(Math.max(b.record.start, b.record.end - 1))}`;
  const other = [a.file, a.record.source?.path].filter((x) => x !== undefined).join(' ');
  throw inputError(
    b.file,
    `spend of the same group on the same days (${days}) as ${other}: the same data loaded twice? Give each day once`,
    b.record.source?.path === undefined ? {} : { path: b.record.source.path },
  );
}
