import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

/**
 * The shipped price table's sources as the tests read them, independently of the table: us-east-1 from the pricing
 * page transcription, eu-west-1 from the real bill's "$0.257 per Hosting ml.m5.xlarge hour in EU (Ireland)" lines.
 */
export const PAGE_PRICES: Readonly<Record<string, string>> = Object.fromEntries(
  readFileSync(join(ROOT, 'test/fixtures/prices/sagemaker-pricing-page-us-east-1.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',') as [string, string]),
);

export const BILL_PRICES: Readonly<Record<string, string>> = Object.fromEntries(
  [
    ...readFileSync(join(ROOT, 'test/fixtures/sagemaker/sample-costs.md'), 'utf8').matchAll(
      /\$([\d.]+) per Hosting (ml\.[a-z0-9.]+) hour/g,
    ),
  ].map((m) => [m[2], m[1]]),
);
