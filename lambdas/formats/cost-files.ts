/**
 * Cost files of a local run, whatever their format: the format is told by content, not by the file's name
 * (exports get renamed), except that `.json` is always a Cost Explorer response.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.ts';
import type { CostRecord, DataGap } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import { loadCostExplorerJson } from './cost-explorer-file.ts';
import { CsvHeader, readCsvHeader } from './csv.ts';
import { loadCurCsv } from './cur.ts';
import { loadFocusCsv } from './focus.ts';

export type CostFileOptions = Parameters<typeof loadFocusCsv>[1];
export type CostFileFormat = 'cost-explorer' | 'focus' | 'cur';

const FORMATS_HELP =
  'expected a Cost Explorer GetCostAndUsage response (.json with ResultsByTime), a FOCUS CSV (columns ' +
  'ChargePeriodStart, ChargePeriodEnd, ServiceName, BillingCurrency, BilledCost/EffectiveCost) or a legacy CUR CSV ' +
  '(columns lineItem/UsageStartDate, lineItem/UsageEndDate, lineItem/UnblendedCost, lineItem/ProductCode)';

/** Tells the format of a cost file from its name (`.json`), first character (`{`) or CSV header. */
export async function detectCostFormat(file: string): Promise<CostFileFormat> {
  if (/\.json$/i.test(file) || (!file.endsWith('.gz') && (await firstChar(file)) === '{'))
    return 'cost-explorer';
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
  switch (await detectCostFormat(file)) {
    case 'cost-explorer':
      return loadCostExplorerJson(file, opts);
    case 'focus':
      return loadFocusCsv(file, opts);
    case 'cur':
      return loadCurCsv(file, opts);
  }
}

const COST_FILE = /\.(?:csv|json|csv\.gz)$/i;

/**
 * Loads and merges several cost files; a directory stands for every `.csv`, `.csv.gz` and `.json` file in it
 * (not its subdirectories), in name order. `completeThrough` is the earliest of the files' own, and only set
 * when every file can tell.
 */
export async function loadCostFiles(paths: readonly string[], opts: CostFileOptions): Promise<CostLoad> {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      // not a directory: the loader reports a missing file
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const entries = (await readdir(path, { withFileTypes: true }))
      .filter((e) => e.isFile() && COST_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
    if (entries.length === 0)
      throw inputError(path, 'expected cost files (.csv, .csv.gz or .json) in this directory');
    files.push(...entries.map((name) => join(path, name)));
  }
  const records: CostRecord[] = [];
  const gaps: DataGap[] = [];
  let completeThrough: string | undefined;
  let everyFileKnows = true;
  for (const file of [...new Set(files)]) {
    const load = await loadCostFile(file, opts);
    for (const r of load.records) records.push(r);
    gaps.push(...load.gaps);
    if (load.completeThrough === undefined) everyFileKnows = false;
    else if (completeThrough === undefined || load.completeThrough < completeThrough) {
      completeThrough = load.completeThrough;
    }
  }
  return everyFileKnows && completeThrough !== undefined
    ? { records, gaps, completeThrough }
    : { records, gaps };
}
