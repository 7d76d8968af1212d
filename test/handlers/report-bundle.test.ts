import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, outputOf } from '../bench/bundling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The packages in the report Lambda's bundle, built as the stack builds it. */
let packages: Set<string>;

beforeAll(async () => {
  const outfile = join(ROOT, 'cdk.out', 'report-bundle-test', 'index.mjs');
  const result = await build({
    ...esbuildOptions(join(ROOT, 'lambdas', 'handlers', 'report.ts'), outfile),
    write: false,
  });
  const inputs = Object.keys(outputOf(result.metafile, 'report-bundle-test/index.mjs')?.inputs ?? {});
  packages = new Set(inputs.flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1] ?? []));
}, 60_000);

describe('the report Lambda bundle', () => {
  it('renders its charts with Vega: the bundle holds no Vega-Lite', () => {
    expect(packages).toContain('vega-view');
    expect(packages).not.toContain('vega-lite');
  });

  it('leaves out the Vega transforms no chart of the report uses', () => {
    for (const unused of [
      'vega-geo',
      'vega-force',
      'vega-hierarchy',
      'vega-label',
      'vega-regression',
      'vega-voronoi',
      'vega-wordcloud',
      'vega-crossfilter',
      'vega-projection',
    ])
      expect(packages).not.toContain(unused);
  });

  it('reads wall-clock time through Intl: no date library rides in the bundle', () => {
    expect(packages).not.toContain('luxon');
  });
});
