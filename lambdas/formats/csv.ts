/**
 * Streaming CSV for billing exports and metric files, read from a file stream (gunzipped when the name ends in
 * `.gz`) so that a 200 MB export never sits in memory as rows. Quoted content goes through csv-parse. Each record
 * carries the 1-based line it starts on (header = line 1), counted here rather than by the parser: csv-parse counts
 * a CRLF inside a quoted field as two lines.
 *
 * The cell readers below turn the text of one cell into a value or an `InputError` naming file, row and column.
 */
import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import { type InputError, inputError } from '../core/errors.ts';
import { type Money, parseBillAmount } from '../core/money.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import { checkInputFile, INPUT_LIMITS, readError, tooLarge } from './input-file.ts';
import type { RowKeys } from './overlap.ts';

/**
 * Opens `file` as a byte stream, gunzipping `*.gz` (any case); errors of either stage surface on the returned
 * stream. What a gzip file expands to is held to the CSV bound as it is read: its size on disk says nothing of it.
 */
function openBytes(file: string): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 18 });
  if (!isGzipName(file)) return raw;
  let seen = 0;
  const limit = INPUT_LIMITS.csv.bytes;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(tooLarge(file, 'csv', 'its content'));
      else done(null, chunk);
    },
  });
  return pipeline(raw, createGunzip(), bounded, () => {});
}

/** Whether a file or object name says gzip: `.gz` in any case (`A.CSV.GZ` is gzip too). */
export function isGzipName(name: string): boolean {
  return /\.gz$/i.test(name);
}

/**
 * `source` as is, or gunzipped when `name` (a file or object key) ends in `.gz`; errors of either stage surface on
 * the returned stream.
 */
export function gunzipNamed(source: Readable, name: string): Readable {
  if (!isGzipName(name)) return source;
  // The callback is required; the consumer sees the errors on the gunzip stage.
  return pipeline(source, createGunzip(), () => {});
}

/**
 * Calls `visit` with every record of a CSV file, the header first; `visit` returns false to stop reading. Blank
 * lines are skipped; a record with a different number of fields than the header is an error. Quoted fields may
 * hold delimiters, doubled quotes and line breaks; a UTF-8 BOM and CRLF line ends are accepted.
 *
 * Lines are split directly until the first quote character (or a bare CR) in the file; from that line on csv-parse
 * reads the rest. Quote-free files (metric exports, most CUR files) read several times faster that way, which
 * matters at millions of rows; anything quoted gets csv-parse's full handling. A visitor rather than an async
 * iterator: each record is garbage as soon as it is visited, so millions of rows never reach the old generation.
 */
export async function forEachCsvRecord(file: string, visit: Visitor): Promise<void> {
  await checkInputFile(file, 'csv');
  await forEachCsvRecordIn(openBytes(file), file, visit);
}

/**
 * `forEachCsvRecord` over a byte stream that is not a local file (an S3 object body, already gunzipped if it was
 * compressed); `file` names it in messages. The stream is destroyed when the reading ends or stops.
 */
export async function forEachCsvRecordIn(bytes: Readable, file: string, visit: Visitor): Promise<void> {
  bytes.setEncoding('utf8');
  const chunks = bytes[Symbol.asyncIterator]() as AsyncIterator<string>;
  const shape = new RecordShape(file, visit);
  let rest = '';
  let first = true;
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      let buf = rest + next.value;
      if (first) {
        if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
        first = false;
      }
      const special = firstSpecial(buf);
      const limit = special < 0 ? buf.length : special;
      let i = 0;
      for (let j = buf.indexOf('\n'); j >= 0 && j < limit; j = buf.indexOf('\n', i)) {
        const more = shape.plain(buf.slice(i, j > i && buf.charCodeAt(j - 1) === 13 ? j - 1 : j));
        i = j + 1;
        if (!more) return;
      }
      if (special >= 0) {
        await parsed(file, buf.slice(i), chunks, shape);
        return;
      }
      rest = buf.slice(i);
      if (rest.length > MAX_LINE_CHARS) throw longLine(file, shape.line + 1);
    }
    if (rest !== '') shape.plain(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  } catch (err) {
    throw readError(file, err);
  } finally {
    bytes.destroy();
  }
}

/**
 * The longest line (or quoted record) read: a FOCUS row with a large Tags cell is a few kilobytes, and a file
 * without line breaks (binary data, a gzip file of zeros) would otherwise grow one string until memory runs out.
 */
const MAX_LINE_CHARS = 1024 * 1024;

function longLine(file: string, row: number) {
  return inputError(file, 'a line longer than 1 MiB: expected CSV text', { row });
}

/** Receives one record and the line it starts on (header = 1); returning `false` (exactly) stops the reading. */
export type Visitor = (fields: string[], line: number) => unknown;

/** The header of a CSV file, or undefined for an empty file. */
export async function readCsvHeader(file: string): Promise<string[] | undefined> {
  let header: string[] | undefined;
  await forEachCsvRecord(file, (fields) => {
    header = fields;
    return false;
  });
  return header;
}

/** Index of the first quote or bare CR (one not followed by LF) in `buf`, or -1. */
function firstSpecial(buf: string): number {
  const q = buf.indexOf('"');
  const end = q < 0 ? buf.length : q;
  for (let r = buf.indexOf('\r'); r >= 0 && r < end; r = buf.indexOf('\r', r + 1)) {
    if (r + 1 < buf.length && buf.charCodeAt(r + 1) !== 10) return r;
  }
  return q;
}

/** Line numbering and the field-count check, shared by the split path and the csv-parse path. */
class RecordShape {
  line = 0;
  stopped = false;
  private width = -1;

  constructor(
    private readonly file: string,
    private readonly visit: Visitor,
  ) {}

  /** A line without quotes: its fields are the text between commas. False once the visitor asked to stop. */
  plain(text: string): boolean {
    this.line++;
    if (text.length === 0) return true;
    return this.add(this.line, text.split(','));
  }

  quoted(fields: string[]): boolean {
    const start = this.line + 1;
    this.line = start + embeddedBreaks(fields);
    return this.add(start, fields);
  }

  private add(line: number, fields: string[]): boolean {
    if (fields.length === 1 && this.width !== 1 && (fields[0] as string).trim() === '') return true;
    if (this.width < 0) this.width = fields.length;
    else if (fields.length !== this.width) {
      throw inputError(this.file, `expected ${this.width} fields as in the header, got ${fields.length}`, {
        row: line,
      });
    }
    if (this.visit(fields, line) === false) this.stopped = true;
    return !this.stopped;
  }
}

/** The rest of the file, from the start of a line, through csv-parse. */
async function parsed(
  file: string,
  head: string,
  chunks: AsyncIterator<string>,
  shape: RecordShape,
): Promise<void> {
  async function* text(): AsyncGenerator<string> {
    if (head !== '') yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  const parser = parse({
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_LINE_CHARS,
  });
  const firstLine = shape.line + 1;
  const records = pipeline(Readable.from(text()), parser, () => {});
  try {
    for await (const batch of readableBatches<string[]>(records)) {
      for (const fields of batch) if (!shape.quoted(fields)) return;
    }
  } catch (err) {
    if (err instanceof CsvError) {
      // csv-parse counts lines from where it started, and a CRLF inside quotes as two: an approximate line.
      const at = (err as CsvError & { lines?: number }).lines;
      const row = at === undefined ? undefined : firstLine + at - 1;
      if (err.code === 'CSV_MAX_RECORD_SIZE') throw longLine(file, row ?? firstLine);
      throw inputError(
        file,
        `malformed CSV: ${err.message.replace(/ (at|on) line \d+/, '')}`,
        row ? { row } : {},
        err,
      );
    }
    throw err;
  } finally {
    records.destroy();
  }
}

/**
 * Like a stream's async iterator, but hands over everything buffered at once: one await per batch instead of one
 * per record is most of the difference at millions of records.
 */
async function* readableBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const onReadable = () => wake?.();
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (error: unknown) => {
    failure = { error };
    wake?.();
  };
  stream.on('readable', onReadable);
  stream.on('end', onEnd);
  stream.on('error', onError);
  try {
    for (;;) {
      const batch: T[] = [];
      for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null) {
        batch.push(item);
        if (batch.length >= 1024) break;
      }
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stream.off('readable', onReadable);
    stream.off('end', onEnd);
    stream.off('error', onError);
  }
}

function embeddedBreaks(fields: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    if (f.length === 0 || (f.indexOf('\n') < 0 && f.indexOf('\r') < 0)) continue;
    for (let j = 0; j < f.length; j++) {
      const c = f.charCodeAt(j);
      if (c === 10) n++;
      else if (c === 13) {
        n++;
        if (f.charCodeAt(j + 1) === 10) j++;
      }
    }
  }
  return n;
}

/**
 * Column lookup by name, case-insensitive (Athena and some converters lower-case FOCUS column names). A name that
 * two columns share is refused rather than resolved to the first: a leading `billedcost` column of zeros would
 * otherwise stand for `BilledCost` and make every budget $0. Names spelled exactly alike are refused at once;
 * names alike but for case only when the format reads that column (a CUR's `resourceTags/user:Team` and
 * `resourceTags/user:team` are two tags, as AWS tag keys are case-sensitive).
 */
export class CsvHeader {
  private readonly index = new Map<string, number[]>();

  constructor(
    readonly file: string,
    readonly names: readonly string[],
  ) {
    const exact = new Map<string, number>();
    names.forEach((name, i) => {
      const trimmed = name.trim();
      if (trimmed === '') return;
      const twin = exact.get(trimmed);
      if (twin !== undefined) throw this.duplicate(twin, i);
      exact.set(trimmed, i);
      const key = trimmed.toLowerCase();
      const at = this.index.get(key);
      if (at) at.push(i);
      else this.index.set(key, [i]);
    });
  }

  /** Position of the column, or -1 when the file does not have it. */
  find(name: string): number {
    const at = this.index.get(name.toLowerCase());
    if (at === undefined) return -1;
    if (at.length > 1) throw this.duplicate(at[0] as number, at[1] as number);
    return at[0] as number;
  }

  /** Position of a column the format cannot do without. */
  require(name: string): number {
    const i = this.find(name);
    if (i < 0) throw missingColumn(this.file, name, this.names);
    return i;
  }

  private duplicate(first: number, second: number): InputError {
    const a = this.names[first]?.trim() ?? '';
    const b = this.names[second]?.trim() ?? '';
    const alike = a === b ? 'the same name' : 'the same name but for case';
    return inputError(
      this.file,
      `columns ${first + 1} (${JSON.stringify(a)}) and ${second + 1} (${JSON.stringify(b)}) have ${alike}: expected each column once`,
      { row: 1 },
    );
  }
}

export function missingColumn(file: string, name: string, found: readonly string[]): InputError {
  const shown = found.slice(0, 8).join(', ');
  const more = found.length > 8 ? `, ... (${found.length} in all)` : '';
  return inputError(file, `missing required column; found columns: ${shown}${more}`, {
    row: 1,
    column: name,
  });
}

/** The cell's text, or undefined when the column is absent, the cell is empty or holds the literal `NULL`. */
export function cellAt(fields: readonly string[], index: number): string | undefined {
  if (index < 0) return undefined;
  const v = fields[index];
  return v === undefined || v === '' || v === 'NULL' ? undefined : v;
}

/** How a bad cell value is shown in a message: quoted, shortened. */
export function shown(text: string | undefined): string {
  if (text === undefined || text === '') return 'an empty cell';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Exact money of a cell; missing or malformed is an error (incomplete spend must not read as zero). */
export function moneyCell(file: string, row: number, column: string, text: string | undefined): Money {
  const v = text === undefined ? undefined : parseBillAmount(text);
  if (v === 'too-large') {
    throw inputError(file, `expected an amount below 10^12 in magnitude, got ${shown(text)}`, {
      row,
      column,
    });
  }
  if (v === undefined)
    throw inputError(file, `expected a decimal amount, got ${shown(text)}`, { row, column });
  return v;
}

const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A plain decimal number (a quantity, a metric value), finite. */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export function numberCell(file: string, row: number, column: string, text: string | undefined): number {
  const n = text === undefined ? undefined : parseNumber(text);
  if (n === undefined) throw inputError(file, `expected a number, got ${shown(text)}`, { row, column });
  return n;
}

const INSTANT =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/**
 * Epoch ms of `2024-09-18 22:00:00`, `2024-09-18T22:00:00.000Z`, `2024-09-18T22:00:00+02:00` or `2024-09-18`.
 * Without a zone the time is UTC (billing exports write UTC without saying so) unless `requireZone` is set.
 * Undefined when the text is not such a timestamp or not a calendar time.
 */
export function parseInstant(text: string, requireZone = false): number | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  if (requireZone && (zone === undefined || hs === undefined)) return undefined;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  let offsetMin = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 18 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000;
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/**
 * Parses timestamps with a memo: billing and metric files repeat the same few thousand timestamps millions of
 * times. The memo is dropped when it grows past its bound, so a file of unique timestamps costs no memory.
 */
export class InstantReader {
  private readonly memo = new Map<string, number>();

  constructor(
    readonly file: string,
    private readonly expected = 'a timestamp like 2024-09-18 22:00:00 or 2024-09-18T22:00:00Z',
  ) {}

  read(row: number, column: string, text: string | undefined): number {
    if (text !== undefined) {
      const hit = this.memo.get(text);
      if (hit !== undefined) return hit;
      const ms = parseInstant(text);
      if (ms !== undefined) {
        if (this.memo.size >= 65_536) this.memo.clear();
        this.memo.set(detach(text), ms);
        return ms;
      }
    }
    throw inputError(this.file, `expected ${this.expected}, got ${shown(text)}`, { row, column });
  }
}

/**
 * A copy of `s` that does not pin the chunk it was cut from. V8 represents a substring of 13 or more characters
 * as a view into its parent string, so a field kept from a split line would keep the whole 1 MB chunk alive.
 * Concatenation then slicing forces a flat copy.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Keeps one copy of each repeated string (service names, regions, usage types, endpoint names): a file of a million
 * rows holds a few hundred distinct values per column, and each parsed row would otherwise keep its own copy.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  get(value: string): string;
  get(value: string | undefined): string | undefined;
  get(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const hit = this.seen.get(value);
    if (hit !== undefined) return hit;
    const copy = detach(value);
    if (this.seen.size < 100_000) this.seen.set(copy, copy);
    return copy;
  }
}

export const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/** AWS user-defined cost-allocation tags carry a `user:` prefix in billing data; budgets name the bare key. */
export function normaliseTagKey(key: string): string {
  return key.startsWith('user:') ? key.slice(5) : key;
}

/** Options every billing CSV loader takes besides its format's own. */
export interface CostCsvOptions {
  /** Collects the hashes of the file's non-zero charge lines, to tell the same data given twice (overlap.ts). */
  readonly rowKeys?: RowKeys;
}

/**
 * Reads a billing CSV into cost records: the header makes a row reader, every later line becomes a record.
 * A file with no header is bad input; a header with no rows is a gap in the data, not zero spend.
 */
export async function loadCostCsv(
  file: string,
  reader: (header: CsvHeader) => { record(fields: string[], line: number): CostRecord },
  words: { readonly header: string; readonly rows: string },
  keys?: RowKeys,
): Promise<CostLoad> {
  const records: CostRecord[] = [];
  let rows: ReturnType<typeof reader> | undefined;
  await forEachCsvRecord(file, (fields, line) => {
    if (rows) {
      const record = rows.record(fields, line);
      records.push(record);
      if (keys && record.amount !== 0n) keys.add(fields, line);
    } else {
      rows = reader(new CsvHeader(file, fields));
      keys?.header(fields);
    }
  });
  if (!rows) throw inputError(file, `empty file: expected ${words.header}`);
  const gaps =
    records.length === 0 ? [{ source: 'costs' as const, scope: file, message: `the ${words.rows}` }] : [];
  return { records, gaps };
}
