/**
 * CloudFormation templates as `check` reads them: JSON, or YAML with the short-form intrinsics (`!Ref`, `!Sub`,
 * `!GetAtt`, ...) turned into their long form, so that one resolver reads both. Resolving is partial on purpose:
 * literals, parameters with defaults, pseudo parameters given, `Fn::Sub`, `Fn::Join`, `Fn::Select` and `Ref` /
 * `Fn::GetAtt` of the template's own SageMaker resources; anything else comes back as what could not be resolved,
 * with its path, never as a guess.
 */
import { type CollectionTag, parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { InputError } from '../core/errors.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  /** CDK writes `aws:asset:path` here: the file of a nested stack's template in the cloud assembly. */
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Default?: unknown; readonly Type?: string }>;
  readonly Resources: Record<string, CfnResource>;
}

/** Short-form intrinsics and their long form: `!GetAtt A.B` is `{ "Fn::GetAtt": ["A", "B"] }`. */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
] as const;

const longForm = (name: string, value: unknown): Record<string, unknown> => {
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
};

const CFN_TAGS: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => longForm(name, s) } as ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (seq: YAMLSeq.Parsed) => longForm(name, seq.toJSON()),
  } as CollectionTag,
  {
    tag: `!${name}`,
    collection: 'map',
    resolve: (map: YAMLMap.Parsed) => longForm(name, map.toJSON()),
  } as CollectionTag,
]);

/** Parses one template; `where` names it (a file path) in the one-line error of bad input. */
export function parseTemplate(text: string, where: string): CfnTemplate {
  let doc: unknown;
  if (/^\s*\{/.test(text)) {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${where}: not a CloudFormation template: ${(err as Error).message}`);
    }
  } else {
    const parsed = parseDocument(text, { customTags: CFN_TAGS, uniqueKeys: true });
    const problem = parsed.errors[0];
    if (problem) {
      const line = problem.linePos?.[0]?.line;
      throw new InputError(
        `${where}${line ? `:${line}` : ''}: not a CloudFormation template: ${problem.message.split('\n')[0]}`,
      );
    }
    doc = parsed.toJS({ maxAliasCount: 100 });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new InputError(`${where}: not a CloudFormation template: expected a mapping at the top`);
  const resources = (doc as { Resources?: unknown }).Resources;
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources))
    throw new InputError(`${where}: not a CloudFormation template: expected a Resources mapping`);
  for (const [id, r] of Object.entries(resources)) {
    if (typeof r !== 'object' || r === null || typeof (r as { Type?: unknown }).Type !== 'string')
      throw new InputError(`${where}: Resources.${id}: expected a resource with a Type`);
  }
  return doc as CfnTemplate;
}

/** A value the resolver could not make a literal of, with where it is and why. */
export interface Unresolved {
  readonly unresolved: string;
}

export const isUnresolved = (v: unknown): v is Unresolved =>
  typeof v === 'object' && v !== null && 'unresolved' in v;

export interface ResolveContext {
  readonly template: CfnTemplate;
  /**
   * Values of parameters (overriding defaults) and pseudo parameters (`AWS::Region`, ...); a value already found
   * unresolvable (a nested stack's parameter its parent could not resolve) stands as what it is.
   */
  readonly values?: Readonly<Record<string, string | Unresolved>>;
  /** The value a `Ref` to one of the template's resources stands for (its physical name), when known. */
  readonly refOf?: (logicalId: string) => string | undefined;
  /** The value of `Fn::GetAtt [id, attribute]`, when known. */
  readonly attOf?: (logicalId: string, attribute: string) => string | undefined;
}

/**
 * `value` with every intrinsic that can be resolved replaced by its literal; where one cannot be, an `Unresolved`
 * naming `path` and the reason stands in its place (and a string built from it is unresolved as a whole).
 */
export function resolveValue(value: unknown, ctx: ResolveContext, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, ctx, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const [key] = keys;
  const arg = (value as Record<string, unknown>)[key ?? ''];
  if (keys.length === 1 && key === 'Ref') return ref(String(arg), ctx, path);
  if (keys.length === 1 && key?.startsWith('Fn::')) return fn(key.slice(4), arg, ctx, path);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, ctx, `${path}.${k}`)]));
}

function ref(name: string, ctx: ResolveContext, path: string): unknown {
  const given = ctx.values?.[name];
  if (given !== undefined) return given;
  const param = ctx.template.Parameters?.[name];
  if (param) {
    // the default of an SSM-typed parameter is the name of the SSM parameter, whose value is read at deploy
    if (param.Type?.startsWith('AWS::SSM::Parameter::'))
      return { unresolved: `${path}: Ref ${name}: a parameter read from SSM Parameter Store at deploy` };
    if (param.Default !== undefined) return param.Default;
    return { unresolved: `${path}: Ref ${name}: a parameter without a default (give its value)` };
  }
  if (ctx.template.Resources[name]) {
    const physical = ctx.refOf?.(name);
    return physical ?? { unresolved: `${path}: Ref ${name}: the name of a resource CloudFormation names` };
  }
  if (name.startsWith('AWS::'))
    return { unresolved: `${path}: Ref ${name}: a pseudo parameter known only at deploy (give its value)` };
  return { unresolved: `${path}: Ref ${name}: not a parameter or resource of the template` };
}

function fn(name: string, arg: unknown, ctx: ResolveContext, path: string): unknown {
  const at = `${path}.Fn::${name}`;
  if (name === 'GetAtt') {
    const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
    const v = id && attribute ? ctx.attOf?.(id, attribute) : undefined;
    return v ?? { unresolved: `${at}: ${id}.${attribute} is known only once deployed` };
  }
  if (name === 'Sub') {
    const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
    if (typeof text !== 'string') return { unresolved: `${at}: expected a string` };
    const local = resolveValue(vars ?? {}, ctx, at) as Record<string, unknown>;
    let out = '';
    let last = 0;
    for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      const name2 = m[1] as string;
      const v = Object.hasOwn(local, name2)
        ? local[name2]
        : name2.includes('.')
          ? fn('GetAtt', name2, ctx, path)
          : ref(name2, ctx, at);
      if (isUnresolved(v)) return v;
      out += text.slice(last, m.index) + String(v);
      last = (m.index ?? 0) + m[0].length;
    }
    return (out + text.slice(last)).replaceAll('${!', '${');
  }
  if (name === 'Join') {
    const [sep, parts] = Array.isArray(arg) ? arg : [];
    const values = resolveValue(parts, ctx, at);
    if (!Array.isArray(values)) return { unresolved: `${at}: expected a list to join` };
    const bad = values.find(isUnresolved);
    return bad ?? values.join(String(sep ?? ''));
  }
  if (name === 'Select') {
    const [index, list] = Array.isArray(arg) ? arg : [];
    const values = resolveValue(list, ctx, at);
    const i = Number(resolveValue(index, ctx, at));
    if (!Array.isArray(values) || !Number.isInteger(i) || i < 0 || i >= values.length)
      return { unresolved: `${at}: the index or the list is not known` };
    return values[i];
  }
  return { unresolved: `${at}: not resolved before deploy` };
}
