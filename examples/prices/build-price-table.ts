/**
 * Rebuilds `lambdas/core/price-table-data.ts`, the shipped price table, from the copies of its sources kept in
 * `test/fixtures/` (where each came from and its licence: test/fixtures/README.md):
 *
 *   npx tsx examples/prices/build-price-table.ts
 *
 * - us-east-1: the SageMaker pricing page's on-demand real-time inference prices (read 2025-06-01), and FMBench's
 *   hand-maintained `pricing.yml` for the types the page transcription lacks. Where the two disagree the pricing page
 *   wins: it is AWS's own published price, while FMBench's file is kept by hand (an older revision of it carried
 *   the EC2 price of ml.g5.xlarge); the entry's note gives the other figure.
 * - eu-west-1: the rates a real bill charged in December 2023, from its "$x per Hosting ml.* hour in EU (Ireland)"
 *   lines.
 * - Serverless inference: no source gives a GB-second price, so no region has one and the check names it unpriced.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { parseMoney } from '../../lambdas/core/money.ts';
import {
  compareInstanceTypes,
  INSTANCE_TYPE,
  type PriceSource,
  type PriceTableDocument,
} from '../../lambdas/core/prices.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const SOURCE_FILES = {
  pricingPage: 'test/fixtures/prices/sagemaker-pricing-page-us-east-1.csv',
  fmbench: 'test/fixtures/prices/fmbench-pricing.yml',
  bill: 'test/fixtures/sagemaker/sample-costs.md',
} as const;
const OUT = 'lambdas/core/price-table-data.ts';

export const SOURCES: Readonly<Record<string, PriceSource>> = {
  'sagemaker-pricing-page': {
    title: 'Amazon SageMaker pricing page, real-time inference on-demand, us-east-1',
    date: '2025-06-01',
    url: 'https://aws.amazon.com/sagemaker/pricing/',
    note: `transcribed into ${SOURCE_FILES.pricingPage}`,
  },
  fmbench: {
    title: 'FMBench pricing.yml, SageMaker hourly instance pricing (us-east-1)',
    date: '2024-06-11',
    url: 'https://github.com/aws-samples/foundation-model-benchmarking-tool/blob/00ef155d0f9c6b999d796f915159d3d622f8233d/src/fmbench/configs/pricing.yml',
    licence: 'MIT-0',
    note: 'a hand-maintained table, used for the types the pricing page transcription lacks',
  },
  'eu-west-1-bill': {
    title: 'A real AWS bill, December 2023, EU (Ireland): Hosting rates',
    date: '2023-12-31',
    url: 'https://github.com/aws-samples/sagemaker-ssh-helper/blob/b6bf9ba39119784eb6ce6683ae9a6a2ed8ef4cd3/Sample_Costs.md',
    licence: 'MIT-0',
    note: 'the rates of its "per Hosting ml.* hour in EU (Ireland)" lines',
  },
};

type Hosting = Record<string, { perHour: string; source: string; note?: string }>;

function fail(file: string, why: string): never {
  throw new Error(`${file}: ${why}`);
}

function amount(file: string, type: string, text: string): string {
  if (!INSTANCE_TYPE.test(type)) fail(file, `${type} is not an ml.* instance type`);
  const m = parseMoney(text);
  if (m === undefined || m <= 0n) fail(file, `${type}: ${text} is not a price`);
  return text;
}

/** `instance_type,usd_per_hour` rows. */
export function pricingPagePrices(csv: string): Record<string, string> {
  const [header, ...rows] = csv.trim().split('\n');
  if (header !== 'instance_type,usd_per_hour') fail(SOURCE_FILES.pricingPage, `unexpected header ${header}`);
  return Object.fromEntries(
    rows.map((row) => {
      const [type = '', usd = ''] = row.split(',');
      return [type, amount(SOURCE_FILES.pricingPage, type, usd)];
    }),
  );
}

/** The `ml.*` keys of `pricing.instance_based` (the others are EC2 types and Bedrock models). */
export function fmbenchPrices(yml: string): Record<string, string> {
  const doc = parse(yml) as { pricing?: { instance_based?: Record<string, unknown> } };
  const entries = Object.entries(doc.pricing?.instance_based ?? {}).filter(([k]) => k.startsWith('ml.'));
  if (entries.length === 0) fail(SOURCE_FILES.fmbench, 'no ml.* entry under pricing.instance_based');
  // YAML reads 0.23 as a number; its shortest decimal text is the text the file holds
  return Object.fromEntries(entries.map(([k, v]) => [k, amount(SOURCE_FILES.fmbench, k, String(v))]));
}

const BILL_LINE = /^\|\s*\$(\d+(?:\.\d+)?) per Hosting (ml\.\S+) hour in (?:EU|Europe) \(Ireland\)\s*\|/;

/** The rate of each "$x per Hosting ml.* hour in EU (Ireland)" line; two different rates for one type fail. */
export function billHostingPrices(markdown: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of markdown.split('\n')) {
    const m = BILL_LINE.exec(line);
    if (!m) continue;
    const [, usd = '', type = ''] = m;
    if (out[type] !== undefined && out[type] !== usd) {
      fail(SOURCE_FILES.bill, `${type} billed at both ${out[type]} and ${usd}`);
    }
    out[type] = amount(SOURCE_FILES.bill, type, usd);
  }
  if (Object.keys(out).length === 0) fail(SOURCE_FILES.bill, 'no Hosting line in EU (Ireland)');
  return out;
}

const sorted = (h: Hosting): Hosting =>
  Object.fromEntries(Object.entries(h).sort(([a], [b]) => compareInstanceTypes(a, b)));

/** The table document the three sources make, by the rules in this file's header. */
export function buildPriceTable(texts: {
  pricingPage: string;
  fmbench: string;
  bill: string;
}): PriceTableDocument {
  const page = pricingPagePrices(texts.pricingPage);
  const fmbench = fmbenchPrices(texts.fmbench);
  const usEast: Hosting = {};
  for (const [type, usd] of Object.entries(page)) {
    const other = fmbench[type];
    const differs = other !== undefined && parseMoney(other) !== parseMoney(usd);
    usEast[type] = {
      perHour: usd,
      source: 'sagemaker-pricing-page',
      ...(differs
        ? {
            note: `FMBench pricing.yml says ${other}; the pricing page wins: it is AWS's published price, FMBench's table is kept by hand`,
          }
        : {}),
    };
  }
  for (const [type, usd] of Object.entries(fmbench)) {
    if (!usEast[type]) usEast[type] = { perHour: usd, source: 'fmbench' };
  }
  const euWest: Hosting = {};
  for (const [type, usd] of Object.entries(billHostingPrices(texts.bill))) {
    euWest[type] = { perHour: usd, source: 'eu-west-1-bill' };
  }
  const date = Object.values(SOURCES)
    .map((s) => s.date)
    .sort()
    .at(-1) as string;
  return {
    version: 1,
    date,
    currency: 'USD',
    source: 'perf-budgets shipped price table',
    sources: { ...SOURCES },
    regions: { 'eu-west-1': { hosting: sorted(euWest) }, 'us-east-1': { hosting: sorted(usEast) } },
  };
}

export function readSources(root = ROOT): { pricingPage: string; fmbench: string; bill: string } {
  const read = (p: string) => readFileSync(join(root, p), 'utf8');
  return {
    pricingPage: read(SOURCE_FILES.pricingPage),
    fmbench: read(SOURCE_FILES.fmbench),
    bill: read(SOURCE_FILES.bill),
  };
}

function moduleText(doc: PriceTableDocument): string {
  return [
    '/**',
    ' * The shipped SageMaker price table. Generated by examples/prices/build-price-table.ts from the sources it',
    ' * names; do not edit by hand: change a source and run the script.',
    ' */',
    `export const SHIPPED_PRICE_DOCUMENT = ${JSON.stringify(doc, null, 2)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = join(ROOT, OUT);
  writeFileSync(out, moduleText(buildPriceTable(readSources())));
  execFileSync('npx', ['biome', 'format', '--write', out], { cwd: ROOT, stdio: 'inherit' });
  process.stdout.write(`Wrote ${OUT}.\n`);
}
