/**
 * What a deploy would create, read from a synthesized CDK cloud assembly (`cdk.out`: its `manifest.json`, the stacks
 * it lists, the nested assemblies of stages and the nested stacks' templates) or from one CloudFormation template.
 * Each stack's region and account come from its environment when the app fixes them, else from the command line;
 * when neither does they stay undefined and the check names them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod';
import type { PlannedDeployment, PlannedEndpoint, UnresolvedValue } from '../core/check/types.ts';
import { InputError, inputError } from '../core/errors.ts';
import { parseTemplate, type Unresolved } from './cfn-template.ts';
import { checkInputFile, type InputKind } from './input-file.ts';
import { nestedStacks, readEndpoints, type TemplateScope } from './sagemaker-template.ts';

export interface ReadDeploymentOptions {
  /** The region of stacks whose environment does not fix one. */
  readonly region?: string;
  readonly account?: string;
  /** Parameter values for the top-level stacks, overriding their defaults. */
  readonly parameters?: Readonly<Record<string, string>>;
}

const Manifest = z.object({
  artifacts: z
    .record(
      z.string(),
      z.looseObject({
        type: z.string(),
        environment: z.string().optional(),
        properties: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
});
const StackProperties = z.looseObject({
  templateFile: z.string(),
  stackName: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
});
const AssemblyProperties = z.looseObject({ directoryName: z.string() });
const AssetManifest = z.looseObject({
  files: z
    .record(
      z.string(),
      z.looseObject({
        source: z.looseObject({ path: z.string() }),
        destinations: z.record(z.string(), z.looseObject({ objectKey: z.string() })).optional(),
      }),
    )
    .optional(),
});

/** Nested stacks and assemblies deeper than this are a loop, not an app. */
const MAX_DEPTH = 16;

interface Reader {
  /** The command-line argument: files are named relative to it in sources, and joined to it in errors. */
  readonly root: string;
  readonly opts: ReadDeploymentOptions;
  readonly endpoints: PlannedEndpoint[];
  readonly templates: string[];
  readonly unresolved: UnresolvedValue[];
}

const shown = (reader: Reader, rel: string): string => join(reader.root, rel);

async function readText(
  reader: Reader,
  rel: string,
  what: string,
  kind: InputKind = 'template',
): Promise<string> {
  const path = join(reader.root, rel);
  try {
    // a FIFO or a device would block or never end: only a regular file of a size its kind may have is read
    if ((await stat(path)).isFile()) await checkInputFile(path, kind);
    else throw inputError(path, `${what}: expected a regular file`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `${shown(reader, rel)}: ${code === 'ENOENT' ? `${what} is missing` : `cannot be read (${code ?? (err as Error).message})`}`,
      { file: shown(reader, rel) },
      { cause: err },
    );
  }
}

async function readStack(reader: Reader, rel: string, scope: Omit<TemplateScope, 'file'>, depth: number) {
  if (depth > MAX_DEPTH)
    throw new InputError(`${shown(reader, rel)}: nested stacks deeper than ${MAX_DEPTH}`);
  const template = parseTemplate(await readText(reader, rel, 'the stack template'), shown(reader, rel));
  const full: TemplateScope = { ...scope, file: rel };
  reader.templates.push(rel);
  const found = readEndpoints(template, full);
  reader.endpoints.push(...found.endpoints);
  reader.unresolved.push(...found.unresolved);
  for (const nested of nestedStacks(template, full)) {
    if (nested.problem) reader.unresolved.push(nested.problem);
    const asset = nested.asset ?? (await publishedTemplate(reader, dirname(rel), nested.url));
    if (asset === undefined) {
      reader.unresolved.push({
        path: `${scope.stack}/${nested.id}.Properties.TemplateURL`,
        why: 'a nested stack whose template is not in the assembly is not read',
      });
      continue;
    }
    const { stackName: _generated, parameters: _parent, ...inherited } = scope;
    await readStack(
      reader,
      join(dirname(rel), asset),
      { ...inherited, stack: `${scope.stack}/${nested.id}`, parameters: nested.parameters },
      depth + 1,
    );
  }
}

/**
 * The file of a nested stack's template that CDK publishes under the object key its TemplateURL ends with, found in
 * the assembly's asset manifests (for a synth without asset metadata, `cdk synth --no-asset-metadata` or an app's
 * own `synth()`).
 */
async function publishedTemplate(reader: Reader, dir: string, url: string): Promise<string | undefined> {
  const names = await readdir(join(reader.root, dir)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.assets.json'))) {
    const manifest = AssetManifest.safeParse(
      JSON.parse(await readText(reader, join(dir, name), 'the asset manifest', 'json')),
    );
    const files = manifest.success ? Object.values(manifest.data.files ?? {}) : [];
    const file = files.find((f) =>
      Object.values(f.destinations ?? {}).some((d) => url.includes(`/${d.objectKey}`)),
    );
    if (file) return file.source.path;
  }
  return undefined;
}

/** `aws://ACCOUNT/REGION`, with `unknown-account` / `unknown-region` for an environment-agnostic stack. */
function environmentOf(env: string | undefined): { account?: string; region?: string } {
  const m = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(env ?? '');
  return {
    ...(m && m[1] !== 'unknown-account' ? { account: m[1] } : {}),
    ...(m && m[2] !== 'unknown-region' ? { region: m[2] } : {}),
  };
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, where: string, at: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [at, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  throw new InputError(`${where}: not a cloud assembly manifest: ${path}: ${issue?.message ?? 'invalid'}`, {
    file: where,
    path,
  });
}

async function readAssembly(reader: Reader, dir: string, depth: number): Promise<void> {
  if (depth > MAX_DEPTH)
    throw new InputError(`${shown(reader, dir)}: nested assemblies deeper than ${MAX_DEPTH}`);
  const rel = join(dir, 'manifest.json');
  const where = shown(reader, rel);
  const text = await readText(
    reader,
    rel,
    'manifest.json (a directory must be a synthesized cloud assembly)',
  );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where}: not a cloud assembly manifest: ${(err as Error).message}`, {
      file: where,
    });
  }
  const manifest = parsed(Manifest, doc, where, '');
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack') {
      const props = parsed(StackProperties, artifact.properties ?? {}, where, `artifacts.${id}.properties`);
      const env = environmentOf(artifact.environment);
      const region = env.region ?? reader.opts.region;
      const account = env.account ?? reader.opts.account;
      const stackName = props.stackName ?? id;
      const parameters: Record<string, string | Unresolved> = {
        ...props.parameters,
        ...reader.opts.parameters,
      };
      await readStack(
        reader,
        join(dir, props.templateFile),
        {
          stack: stackName,
          stackName,
          parameters,
          ...(region ? { region } : {}),
          ...(account ? { account } : {}),
        },
        depth,
      );
    } else if (artifact.type === 'cdk:cloud-assembly') {
      const props = parsed(
        AssemblyProperties,
        artifact.properties ?? {},
        where,
        `artifacts.${id}.properties`,
      );
      await readAssembly(reader, join(dir, props.directoryName), depth + 1);
    }
  }
}

/** Every SageMaker endpoint a template file or a cloud assembly directory would deploy. */
export async function readDeployment(
  pathArg: string,
  opts: ReadDeploymentOptions = {},
): Promise<PlannedDeployment> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(pathArg)).isDirectory();
  } catch (err) {
    throw new InputError(
      `${pathArg}: no such template file or cdk.out directory`,
      { file: pathArg },
      { cause: err },
    );
  }
  const reader: Reader = {
    root: isDirectory ? pathArg : dirname(pathArg),
    opts,
    endpoints: [],
    templates: [],
    unresolved: [],
  };
  if (isDirectory) await readAssembly(reader, '', 0);
  else {
    const file = basename(pathArg);
    const stack = file.replace(/(\.template)?\.(json|ya?ml)$/i, '');
    await readStack(
      reader,
      file,
      {
        stack,
        ...(opts.parameters ? { parameters: opts.parameters } : {}),
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.account ? { account: opts.account } : {}),
      },
      0,
    );
  }
  return { endpoints: reader.endpoints, templates: reader.templates, unresolved: reader.unresolved };
}
