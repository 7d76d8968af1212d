/**
 * SageMaker list prices by region: the table the pre-deploy check charges planned endpoints at. A table is a
 * document (the shipped one in `price-table-data.ts`, or a file `perf-budgets prices --refresh` wrote) holding exact
 * decimal strings; every price names its source, and a source says where it was read and on which day. A type or
 * region the table does not hold has no price: the lookup answers undefined, never zero.
 */
import * as z from 'zod';
import type { ListPrice, PriceLookup } from './check/types.ts';
import { inputError } from './errors.ts';
import { exactMoneyText, type Money, parseMoney } from './money.ts';
import { SHIPPED_PRICE_DOCUMENT } from './price-table-data.ts';

/** Where prices come from: a page, a file, an API; the day they were read. */
export interface PriceSource {
  readonly title: string;
  readonly date: string;
  readonly url?: string;
  readonly licence?: string;
  readonly note?: string;
}

export interface TablePrice {
  readonly amount: Money;
  /** Key of the table's `sources`. */
  readonly source: string;
  /** Why this source won where sources disagree, or anything else a reader of the price should know. */
  readonly note?: string;
}

export interface RegionPrices {
  /** Real-time (and asynchronous) hosting, per instance-hour, by `ml.*` instance type. */
  readonly hosting: Readonly<Record<string, TablePrice>>;
  /** Serverless inference compute, per GB-second; absent where no source gives it. */
  readonly serverless?: TablePrice;
}

export interface PriceTable {
  /** The day the table was put together (its newest source). */
  readonly date: string;
  readonly currency: string;
  /** What the table is, for output headers ("perf-budgets shipped price table", "AWS Price List API"). */
  readonly source: string;
  readonly sources: Readonly<Record<string, PriceSource>>;
  readonly regions: Readonly<Record<string, RegionPrices>>;
}

const AMOUNT = /^\d+(\.\d+)?$/;
export const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const Amount = z
  .string()
  .regex(AMOUNT, 'expected a decimal amount such as "1.408"')
  .refine((s) => (parseMoney(s) ?? 0n) > 0n, 'expected an amount above zero: a price is never zero');

const SourceRef = z.string().min(1);

const HostingEntry = z.strictObject({ perHour: Amount, source: SourceRef, note: z.string().optional() });
const ServerlessEntry = z.strictObject({
  perGbSecond: Amount,
  source: SourceRef,
  note: z.string().optional(),
});

const SourceSchema = z.strictObject({
  title: z.string().min(1),
  date: z.iso.date(),
  url: z.url().optional(),
  licence: z.string().optional(),
  note: z.string().optional(),
});

const RegionSchema = z.strictObject({
  hosting: z.record(
    z.string().regex(INSTANCE_TYPE, 'expected an ml.* instance type such as ml.g5.xlarge'),
    HostingEntry,
  ),
  serverless: ServerlessEntry.optional(),
});

const DocumentSchema = z
  .strictObject({
    version: z.literal(1),
    date: z.iso.date(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as USD'),
    source: z.string().min(1),
    sources: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lowercase id'), SourceSchema),
    regions: z.record(z.string().regex(REGION, 'expected an AWS region such as us-east-1'), RegionSchema),
  })
  .superRefine((doc, ctx) => {
    const known = (source: string, path: PropertyKey[]) => {
      if (!(source in doc.sources)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `no source "${source}" in sources (sources: ${Object.keys(doc.sources).join(', ') || 'none'})`,
        });
      }
    };
    for (const [region, prices] of Object.entries(doc.regions)) {
      for (const [type, entry] of Object.entries(prices.hosting)) {
        known(entry.source, ['regions', region, 'hosting', type, 'source']);
      }
      if (prices.serverless) known(prices.serverless.source, ['regions', region, 'serverless', 'source']);
    }
  });

/** A price table as it is written to a file: amounts as exact decimal strings. */
export type PriceTableDocument = z.input<typeof DocumentSchema>;

/** `regions.us-east-1.hosting["ml.g5.xlarge"].perHour`: keys that hold dots are quoted. */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    const k = String(key);
    if (typeof key === 'number') out += `[${k}]`;
    else if (k.includes('.')) out += `["${k}"]`;
    else out += out === '' ? k : `.${k}`;
  }
  return out || '(root)';
}

/** Validates a price table document; bad input is one InputError naming `where` and the path in it. */
export function parsePriceTable(doc: unknown, where: string): PriceTable {
  const r = DocumentSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    // a bad record key's own message is in the nested issue; the outer one only says "Invalid key in record"
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    throw inputError(where, message, { path: pathText(issue.path) });
  }
  const d = r.data;
  const price = (text: string) => parseMoney(text) as Money;
  const regions: Record<string, RegionPrices> = {};
  for (const [region, p] of Object.entries(d.regions)) {
    const hosting: Record<string, TablePrice> = {};
    for (const [type, e] of Object.entries(p.hosting)) {
      hosting[type] = { amount: price(e.perHour), source: e.source, ...(e.note ? { note: e.note } : {}) };
    }
    const s = p.serverless;
    regions[region] = {
      hosting,
      ...(s
        ? {
            serverless: {
              amount: price(s.perGbSecond),
              source: s.source,
              ...(s.note ? { note: s.note } : {}),
            },
          }
        : {}),
    };
  }
  return { date: d.date, currency: d.currency, source: d.source, sources: d.sources, regions };
}

/** The document of a table: what `parsePriceTable` reads back to the same table. */
export function priceTableDocument(table: PriceTable): PriceTableDocument {
  const note = (p: TablePrice) => (p.note ? { note: p.note } : {});
  const regions: PriceTableDocument['regions'] = {};
  for (const region of Object.keys(table.regions).sort()) {
    const p = table.regions[region] as RegionPrices;
    const hosting: Record<string, { perHour: string; source: string; note?: string }> = {};
    for (const type of Object.keys(p.hosting).sort(compareInstanceTypes)) {
      const e = p.hosting[type] as TablePrice;
      hosting[type] = { perHour: exactMoneyText(e.amount), source: e.source, ...note(e) };
    }
    const s = p.serverless;
    regions[region] = {
      hosting,
      ...(s ? { serverless: { perGbSecond: exactMoneyText(s.amount), source: s.source, ...note(s) } } : {}),
    };
  }
  return {
    version: 1,
    date: table.date,
    currency: table.currency,
    source: table.source,
    sources: { ...table.sources },
    regions,
  };
}

/** The table with only the given regions. */
export function selectRegions(table: PriceTable, regions: readonly string[]): PriceTable {
  return {
    ...table,
    regions: Object.fromEntries(regions.flatMap((r) => (table.regions[r] ? [[r, table.regions[r]]] : []))),
  };
}

const SIZE = /^(\d*)x?large$|^(medium|small|micro|nano)$/;
const SMALL_SIZES = ['nano', 'micro', 'small', 'medium'];

/** Family, then size: ml.g5.xlarge before ml.g5.2xlarge before ml.g5.12xlarge. */
export function compareInstanceTypes(a: string, b: string): number {
  const [, fa = '', sa = ''] = a.split('.');
  const [, fb = '', sb = ''] = b.split('.');
  if (fa !== fb) return fa.localeCompare(fb);
  return sizeRank(sa) - sizeRank(sb) || sa.localeCompare(sb);
}

function sizeRank(size: string): number {
  const m = SIZE.exec(size);
  if (!m) return Number.MAX_SAFE_INTEGER;
  if (m[2]) return SMALL_SIZES.indexOf(m[2]);
  if (size === 'large') return 10;
  return 10 + Number(m[1] || '1');
}

/** A record's own entry: a type named `constructor` is not a price. */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Answers the check's price questions from a table; a type or region it lacks has no price. */
export function priceLookup(table: PriceTable): PriceLookup {
  const listPrice = (
    region: string,
    p: TablePrice | undefined,
    unit: ListPrice['unit'],
  ): ListPrice | undefined => {
    if (!p) return undefined;
    const source = table.sources[p.source];
    return {
      amount: p.amount,
      unit,
      region,
      date: source?.date ?? table.date,
      source: source?.title ?? table.source,
    };
  };
  return {
    date: table.date,
    source: table.source,
    currency: table.currency,
    hosting: (region, type) =>
      listPrice(region, own(own(table.regions, region)?.hosting, type), 'instance-hour'),
    serverless: (region) => listPrice(region, own(table.regions, region)?.serverless, 'GB-second'),
    regions: () => Object.keys(table.regions).sort(),
  };
}

/** The table shipped with the project, built by `examples/prices/build-price-table.ts` from the sources it names. */
export const SHIPPED_PRICES: PriceTable = parsePriceTable(SHIPPED_PRICE_DOCUMENT, 'the shipped price table');
