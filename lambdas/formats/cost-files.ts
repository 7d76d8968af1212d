/**
 * Cost files of a local run, whatever their format: the format is told by content, not by the file's name
 * (exports get renamed), except that `.json` is always a Cost Explorer response.
 */
import type { Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.ts';
import type { CostRecord, DataGap } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import { loadCostExplorerJson } from './cost-explorer-file.ts';
import { CsvHeader, isGzipName, readCsvHeader } from './csv.ts';
import { loadCurCsv } from './cur.ts';
import { loadFocusCsv } from './focus.ts';
import { checkInputFile, readError } from './input-file.ts';
import { type LoadedCostFile, RowKeys, refuseOverlaps } from './overlap.ts';

export type CostFileOptions = Parameters<typeof loadFocusCsv>[1];
export type CostFileFormat = 'cost-explorer' | 'focus' | 'cur';

const FORMATS_HELP =
  'expected a Cost Explorer GetCostAndUsage response (.json with ResultsByTime), a FOCUS CSV (columns ' +
  'ChargePeriodStart, ChargePeriodEnd, ServiceName, BillingCurrency, BilledCost/EffectiveCost) or a legacy CUR CSV ' +
  '(columns lineItem/UsageStartDate, lineItem/UsageEndDate, lineItem/UnblendedCost, lineItem/ProductCode)';

/** Tells the format of a cost file from its name (`.json`), first character (`{`) or CSV header. */
export async function detectCostFormat(file: string): Promise<CostFileFormat> {
  await checkInputFile(file, 'csv');
  if (/\.json$/i.test(file) || (!isGzipName(file) && (await firstChar(file)) === '{')) return 'cost-explorer';
  const names = await readCsvHeader(file);
  if (!names) throw inputError(file, `empty file: ${FORMATS_HELP}`);
  const header = new CsvHeader(file, names);
  if (header.find('BilledCost') >= 0 || header.find('EffectiveCost') >= 0) return 'focus';
  if (header.find('lineItem/UnblendedCost') >= 0) return 'cur';
  const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '');
  throw inputError(file, `unknown cost file format (header: ${shown}); ${FORMATS_HELP}`, { row: 1 });
}

async function firstChar(file: string): Promise<string | undefined> {
  const buf = Buffer.alloc(64);
  let bytesRead = 0;
  try {
    const handle = await open(file, 'r');
    try {
      ({ bytesRead } = await handle.read(buf, 0, buf.length, 0));
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // the CSV reader reports a missing or unreadable file with the right message
  }
  return buf
    .toString('utf8', 0, bytesRead)
    .replace(/^\uFEFF/, '')
    .trimStart()[0];
}

/** Loads one cost file in whichever format it is. */
export async function loadCostFile(file: string, opts: CostFileOptions): Promise<CostLoad> {
  return (await loadKeyed(file, opts, false)).load;
}

/** A file's load, with what the overlap check needs of it when `keyed`. */
async function loadKeyed(
  file: string,
  opts: CostFileOptions,
  keyed: boolean,
): Promise<{ load: CostLoad; seen: LoadedCostFile }> {
  const format = await detectCostFormat(file);
  const rowKeys = keyed && format !== 'cost-explorer' ? new RowKeys() : undefined;
  const withKeys = { ...opts, ...(rowKeys ? { rowKeys } : {}) };
  const load =
    format === 'cost-explorer'
      ? await loadCostExplorerJson(file, opts)
      : format === 'focus'
        ? await loadFocusCsv(file, withKeys)
        : await loadCurCsv(file, withKeys);
  const seen = { file, records: load.records, costExplorer: format === 'cost-explorer', rows: rowKeys };
  return { load, seen };
}

const COST_FILE = /\.(?:csv|json|csv\.gz)$/i;

/**
 * The cost files `paths` stand for, each a regular file within its bound: a directory stands for every `.csv`,
 * `.csv.gz` and `.json` entry in it (any case; links followed, subdirectories not read), in name order. One file
 * reached by two names (a path given twice, `./a.csv`, a link and its target, a directory and a file in it) is
 * refused, naming both: its spend would count twice.
 */
export async function costFilesOf(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Map<string, string>();
  const add = async (file: string) => {
    const s = await checkInputFile(file, 'csv');
    const id = `${s.dev}:${s.ino}`;
    const twin = seen.get(id);
    if (twin !== undefined) {
      throw inputError(
        file,
        `the same file as ${twin} (named twice, through a link or a directory): expected each cost file once`,
      );
    }
    seen.set(id, file);
    files.push(file);
  };
  for (const path of paths) {
    let s: Stats;
    try {
      s = await stat(path);
    } catch (err) {
      throw readError(path, err);
    }
    if (!s.isDirectory()) {
      await add(path);
      continue;
    }
    const names = (await readdir(path)).filter((name) => COST_FILE.test(name)).sort();
    let count = 0;
    for (const name of names) {
      const file = join(path, name);
      // a link is read as what it points to; only directories are left out
      const target = await stat(file).catch((err: unknown) => {
        throw readError(file, err);
      });
      if (target.isDirectory()) continue;
      await add(file);
      count++;
    }
    if (count === 0) throw inputError(path, 'expected cost files (.csv, .csv.gz or .json) in this directory');
  }
  return files;
}

/**
 * Loads and merges several cost files (see `costFilesOf`). Files that hold the same charges are refused, naming
 * both (overlap.ts). `completeThrough` is the earliest of the files' own, and only set when every file can tell.
 */
export async function loadCostFiles(paths: readonly string[], opts: CostFileOptions): Promise<CostLoad> {
  const files = await costFilesOf(paths);
  const records: CostRecord[] = [];
  const gaps: DataGap[] = [];
  const seen: LoadedCostFile[] = [];
  let completeThrough: string | undefined;
  let everyFileKnows = true;
  for (const file of files) {
    const { load, seen: one } = await loadKeyed(file, opts, files.length > 1);
    seen.push(one);
    for (const r of load.records) records.push(r);
    gaps.push(...load.gaps);
    if (load.completeThrough === undefined) everyFileKnows = false;
    else if (completeThrough === undefined || load.completeThrough < completeThrough) {
      completeThrough = load.completeThrough;
    }
  }
  refuseOverlaps(seen);
  return everyFileKnows && completeThrough !== undefined
    ? { records, gaps, completeThrough }
    : { records, gaps };
}
