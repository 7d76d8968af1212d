/**
 * `perf-budgets prices`: the list prices the pre-deploy check charges, and `--refresh` to read them anew from the AWS
 * Price List API into a table file that `check --prices FILE` takes.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { buildPricingClient } from '../aws/clients.ts';
import { readHostingPrices } from '../aws/price-list.ts';
import { ApiUsage } from '../core/api-usage.ts';
import type { PriceLookup } from '../core/check/types.ts';
import { EXIT, InputError, inputError } from '../core/errors.ts';
import {
  type PriceTable,
  type PriceTableDocument,
  parsePriceTable,
  priceLookup,
  priceTableDocument,
  REGION,
  SHIPPED_PRICES,
  selectRegions,
} from '../core/prices.ts';
import { checkInputFile } from '../formats/input-file.ts';
import { writeAtomically } from '../fs/dir-sink.ts';
import { print, printError } from './terminal.ts';

export interface PricesFlags {
  readonly region?: readonly string[];
  readonly format: 'text' | 'json';
  readonly prices?: string;
  readonly refresh?: boolean;
  readonly out?: string;
  readonly profile?: string;
}

/** The table of a file `prices --refresh` wrote, or the shipped one when no path is given. */
export async function readPriceTable(path?: string): Promise<PriceTable> {
  if (path === undefined) return SHIPPED_PRICES;
  let text: string;
  try {
    await checkInputFile(path, 'json');
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`${path}: cannot read the price table (${code})`, { file: path }, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw inputError(
      path,
      'not JSON: a price table is the JSON file `perf-budgets prices --refresh` writes',
      {},
      err,
    );
  }
  return parsePriceTable(doc, path);
}

/** The prices the check charges: a refreshed table file's, or the shipped table's when no path is given. */
export async function loadPriceTable(path?: string): Promise<PriceLookup> {
  return priceLookup(await readPriceTable(path));
}

function regionsOf(flags: PricesFlags, table: PriceTable): string[] {
  const all = Object.keys(table.regions).sort();
  const asked = flags.region ?? all;
  for (const r of asked) {
    if (!table.regions[r]) {
      throw new InputError(
        `prices: --region ${r}: the table has no prices for it (regions: ${all.join(', ')})`,
      );
    }
  }
  return [...new Set(asked)];
}

/** The table as people read it: its date and sources, then each region's types with price and source. */
export function renderPriceTable(table: PriceTable): string {
  const doc = priceTableDocument(table);
  const lines = [`Prices: ${doc.source}, ${doc.currency}, dated ${doc.date}`, '', 'Sources:'];
  for (const [id, s] of Object.entries(doc.sources)) {
    lines.push(`  ${id}: ${s.title} (dated ${s.date})${s.url ? ` ${s.url}` : ''}`);
  }
  for (const [region, p] of Object.entries(doc.regions)) {
    lines.push('', `${region} (per instance-hour)`);
    const width = Math.max(...Object.keys(p.hosting).map((t) => t.length), 10);
    for (const [type, e] of Object.entries(p.hosting)) {
      lines.push(
        `  ${type.padEnd(width)}  ${`$${e.perHour}`.padStart(10)}  ${e.source}${e.note ? ` (${e.note})` : ''}`,
      );
    }
    lines.push(
      p.serverless
        ? `  ${'serverless'.padEnd(width)}  $${p.serverless.perGbSecond} per GB-second  ${p.serverless.source}`
        : `  ${'serverless'.padEnd(width)}  not priced: no source gives it`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function show(flags: PricesFlags): Promise<number> {
  const table = await readPriceTable(flags.prices);
  const selected = selectRegions(table, regionsOf(flags, table));
  if (flags.format === 'json') print(`${JSON.stringify(priceTableDocument(selected), null, 2)}\n`);
  else print(renderPriceTable(selected));
  return EXIT.ok;
}

const REFRESH_SOURCE = 'aws-price-list';

/** Reads each region's hosting prices from the Price List API and writes them as a table file, whole or not at all. */
export async function refresh(
  flags: PricesFlags,
  deps: { client?: PricingClient; now: Date },
): Promise<number> {
  const regions = [...new Set(flags.region ?? [])];
  if (regions.length === 0) throw new InputError('prices: --refresh needs --region R (one or more)');
  if (!flags.out) throw new InputError('prices: --refresh needs --out FILE (the table file to write)');
  if (flags.prices) throw new InputError('prices: --refresh reads the Price List API; drop --prices');
  for (const r of regions) {
    if (!REGION.test(r))
      throw new InputError(`prices: --region ${r}: expected an AWS region such as us-east-1`);
  }
  const client = deps.client ?? buildPricingClient({ profile: flags.profile });
  const usage = new ApiUsage();
  const date = deps.now.toISOString().slice(0, 10);
  const doc: PriceTableDocument = {
    version: 1,
    date,
    currency: 'USD',
    source: 'AWS Price List API',
    sources: {
      [REFRESH_SOURCE]: {
        title: 'AWS Price List API, AmazonSageMaker on-demand Hosting',
        date,
        url: 'https://api.pricing.us-east-1.amazonaws.com',
      },
    },
    regions: {},
  };
  const counts: string[] = [];
  let skipped = 0;
  for (const region of regions) {
    const r = await readHostingPrices(region, { client, usage });
    for (const p of r.problems) printError(`prices: ${region}: ${p}\n`);
    const types = Object.keys(r.perHour);
    if (types.length === 0) {
      throw new InputError(
        `prices: --region ${region}: the Price List API holds no SageMaker on-demand hosting price for it`,
      );
    }
    skipped += r.skipped;
    counts.push(`${region} ${types.length}`);
    doc.regions[region] = {
      hosting: Object.fromEntries(
        types.map((t) => [t, { perHour: r.perHour[t] as string, source: REFRESH_SOURCE }]),
      ),
    };
  }
  // what is written is what `check --prices` will read back
  const table = parsePriceTable(doc, flags.out);
  const json = `${JSON.stringify(priceTableDocument(table), null, 2)}\n`;
  await writeAtomically(dirname(flags.out), { [basename(flags.out)]: json });
  const requests = usage.requests('pricing:GetProducts');
  print(
    `Wrote ${flags.out}: on-demand hosting prices of ${counts.join(', ')} instance types, dated ${date}; ` +
      `${skipped} other products skipped; ${requests} pricing:GetProducts request${requests === 1 ? '' : 's'}.\n`,
  );
  return EXIT.ok;
}
