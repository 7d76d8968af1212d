import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, Metafile } from 'esbuild';
import { BUNDLING } from '../../lib/house-function.ts';

const bundling: BundlingOptions = BUNDLING;

/** esbuild options equal to what NodejsFunction passes for BUNDLING, with a metafile. */
export function esbuildOptions(entry: string, outfile: string) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: bundling.format,
    target: bundling.target,
    mainFields: [...(bundling.mainFields ?? [])],
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent ?? true,
    external: [...(bundling.externalModules ?? [])],
    metafile: true,
    logLevel: 'warning' as const,
  } satisfies BuildOptions;
}

/** The metafile's entry for the bundle written to a path ending in `outfile`. */
export function outputOf(meta: Metafile, outfile: string) {
  return Object.entries(meta.outputs).find(([k]) => k.endsWith(outfile))?.[1];
}
