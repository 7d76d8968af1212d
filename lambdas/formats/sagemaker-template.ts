/**
 * The SageMaker endpoints one CloudFormation template would deploy: each `AWS::SageMaker::Endpoint` with the variants
 * of its `EndpointConfig`, the inference components placed on them, and the capacity bounds their Application Auto
 * Scaling targets (or managed instance scaling) allow. Resources are tied to each other by the logical ids their
 * references name, or by a literal name, so a target on a CloudFormation-named endpoint is still found. What the
 * template leaves to deploy time is listed with its path, never guessed: an unresolvable instance type leaves the
 * variant's type undefined; an unresolvable count or serverless size leaves the variant out and names why.
 */
import type {
  InstanceVariant,
  PlannedComponent,
  PlannedEndpoint,
  PlannedVariant,
  UnresolvedValue,
} from '../core/check/types.ts';
import {
  type CfnResource,
  type CfnTemplate,
  isUnresolved,
  type ResolveContext,
  resolveValue,
  type Unresolved,
} from './cfn-template.ts';

const ENDPOINT = 'AWS::SageMaker::Endpoint';
const CONFIG = 'AWS::SageMaker::EndpointConfig';
const COMPONENT = 'AWS::SageMaker::InferenceComponent';
const TARGET = 'AWS::ApplicationAutoScaling::ScalableTarget';
const POLICY = 'AWS::ApplicationAutoScaling::ScalingPolicy';
const NESTED_STACK = 'AWS::CloudFormation::Stack';

/** The property that names each resource (also its `Fn::GetAtt` attribute) and its ARN's resource type. */
const NAMED: Readonly<Record<string, { readonly prop: string; readonly arn: string }>> = {
  [ENDPOINT]: { prop: 'EndpointName', arn: 'endpoint' },
  [CONFIG]: { prop: 'EndpointConfigName', arn: 'endpoint-config' },
  [COMPONENT]: { prop: 'InferenceComponentName', arn: 'inference-component' },
};

const DIMENSION = {
  variant: 'sagemaker:variant:DesiredInstanceCount',
  component: 'sagemaker:inference-component:DesiredCopyCount',
} as const;

/** Where a template sits and what its pseudo parameters and parameters are. */
export interface TemplateScope {
  /** Names the stack in sources and paths: the deployed stack name, or `Parent/NestedStackId`. */
  readonly stack: string;
  /** The template file, relative to what the command line gave. */
  readonly file: string;
  /** `AWS::StackName`, when known before deploy (a nested stack's is generated). */
  readonly stackName?: string;
  readonly region?: string;
  readonly account?: string;
  readonly parameters?: Readonly<Record<string, string | Unresolved>>;
}

export interface TemplateEndpoints {
  readonly endpoints: readonly PlannedEndpoint[];
  /** SageMaker and scaling resources that could not be tied to an endpoint of the template. */
  readonly unresolved: readonly UnresolvedValue[];
}

/** "Stack/Id.Properties.X: why" as a path and its reason. */
export const unresolvedValue = (u: Unresolved): UnresolvedValue => {
  const at = u.unresolved.indexOf(': ');
  return at < 0
    ? { path: u.unresolved, why: 'not resolved before deploy' }
    : { path: u.unresolved.slice(0, at), why: u.unresolved.slice(at + 2) };
};

const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

function valuesOf(scope: TemplateScope): Record<string, string | Unresolved> {
  const v: Record<string, string | Unresolved> = {};
  if (scope.stackName) v['AWS::StackName'] = scope.stackName;
  if (scope.region) {
    v['AWS::Region'] = scope.region;
    v['AWS::Partition'] = partitionOf(scope.region);
    v['AWS::URLSuffix'] = scope.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  }
  if (scope.account) v['AWS::AccountId'] = scope.account;
  return { ...v, ...scope.parameters };
}

/** Marks a reference to a resource in a resolved string, so that it can be tied to the resource by logical id. */
// (guillemets: no SageMaker name or logical id holds them)
const token = (id: string): string => `«${id}»`;
const TOKEN = /«([^»]*)»/;

/**
 * The resolver's contexts for one template: `values` resolves to literals (`Ref` of a SageMaker resource is its ARN,
 * `Fn::GetAtt X.EndpointName` its name, when the template fixes them); `ties` resolves references between resources
 * to tokens that name the logical id, whatever the resource's name.
 */
export function templateContext(template: CfnTemplate, scope: TemplateScope) {
  const values = valuesOf(scope);
  const base: ResolveContext = { template, values };
  const names = new Map<string, string | Unresolved | undefined>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const named = NAMED[r.Type];
    if (!named) continue;
    const raw = r.Properties?.[named.prop];
    const v =
      raw === undefined
        ? undefined
        : resolveValue(raw, base, `${scope.stack}/${id}.Properties.${named.prop}`);
    names.set(id, isUnresolved(v) || v === undefined ? v : String(v));
  }
  const literal = (id: string): string | undefined => {
    const n = names.get(id);
    return typeof n === 'string' ? n : undefined;
  };
  const nameAttribute = (id: string, attribute: string): boolean =>
    NAMED[template.Resources[id]?.Type ?? '']?.prop === attribute;
  const resolve: ResolveContext = {
    template,
    values,
    refOf: (id) => {
      const named = NAMED[template.Resources[id]?.Type ?? ''];
      const name = literal(id);
      if (!named || name === undefined || !scope.region || !scope.account) return undefined;
      return `arn:${partitionOf(scope.region)}:sagemaker:${scope.region}:${scope.account}:${named.arn}/${name.toLowerCase()}`;
    },
    attOf: (id, attribute) => (nameAttribute(id, attribute) ? literal(id) : undefined),
  };
  const ties: ResolveContext = {
    template,
    values,
    refOf: (id) => (NAMED[template.Resources[id]?.Type ?? ''] ? token(id) : undefined),
    attOf: (id, attribute) => (nameAttribute(id, attribute) ? token(id) : undefined),
  };
  return { resolve, ties, names };
}

type Context = ReturnType<typeof templateContext>;

/** The logical id of the resource of `type` a value refers to (by reference or literal name), or why not. */
function tie(
  value: unknown,
  type: string,
  ctx: Context,
  template: CfnTemplate,
  path: string,
): string | Unresolved {
  const v = resolveValue(value, ctx.ties, path);
  if (isUnresolved(v)) return v;
  return tieText(String(v), type, ctx, template, path);
}

function tieText(
  text: string,
  type: string,
  ctx: Context,
  template: CfnTemplate,
  path: string,
): string | Unresolved {
  const id =
    TOKEN.exec(text)?.[1] ??
    [...ctx.names].find(([i, n]) => n === text && template.Resources[i]?.Type === type)?.[0];
  if (id !== undefined && template.Resources[id]?.Type === type) return id;
  const what = TOKEN.test(text) ? text.replace(TOKEN, (_, i: string) => i) : text;
  return { unresolved: `${path}: ${what} is no ${type} of this template` };
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** A number read from a resolved value, or an unresolved entry for it (missing, unresolvable or not a number). */
function count(value: unknown, path: string, out: UnresolvedValue[], missing?: string): number | undefined {
  if (isUnresolved(value)) {
    out.push(unresolvedValue(value));
    return undefined;
  }
  if (value === undefined) {
    if (missing) out.push({ path, why: missing });
    return undefined;
  }
  const n = num(value);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > MAX_COUNT) {
    out.push({ path, why: `expected a whole number from 0 to ${MAX_COUNT}, got ${JSON.stringify(value)}` });
    return undefined;
  }
  return n;
}

/**
 * The largest count (instances, copies, concurrency, megabytes) read as one: far above any SageMaker quota, so that a
 * typo such as `1e15` instances is named instead of priced.
 */
const MAX_COUNT = 1_000_000;

interface Target {
  readonly id: string;
  readonly min: number;
  readonly max: number;
  /** The resolved ResourceId and dimension, as policies that name them rather than the target match them. */
  readonly key: string;
  policies: number;
}

type Props = Record<string, unknown>;

const resourcesOf = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** Scalable targets by what they scale: `endpoint id/variant name` or `component id`, with their policies. */
function readTargets(template: CfnTemplate, scope: TemplateScope, ctx: Context, problems: UnresolvedValue[]) {
  const targets = new Map<string, Target>();
  for (const [id, r] of resourcesOf(template, TARGET)) {
    const at = `${scope.stack}/${id}.Properties`;
    const p = (resolveValue(r.Properties ?? {}, ctx.ties, at) ?? {}) as Props;
    if (p.ServiceNamespace !== 'sagemaker') continue;
    const resourceId = p.ResourceId;
    if (isUnresolved(resourceId)) {
      problems.push(unresolvedValue(resourceId));
      continue;
    }
    const dimension = String(p.ScalableDimension);
    const variant = /^endpoint\/(.+)\/variant\/(.+)$/.exec(String(resourceId));
    const component = /^inference-component\/(.+)$/.exec(String(resourceId));
    let owner: string | Unresolved;
    if (variant && dimension === DIMENSION.variant) {
      const endpoint = tieText(variant[1] as string, ENDPOINT, ctx, template, `${at}.ResourceId`);
      owner = isUnresolved(endpoint) ? endpoint : `${endpoint}/${variant[2]}`;
    } else if (component && dimension === DIMENSION.component) {
      owner = tieText(component[1] as string, COMPONENT, ctx, template, `${at}.ResourceId`);
    } else {
      problems.push({
        path: `${at}.ScalableDimension`,
        why: `${dimension} of ${String(resourceId).replace(TOKEN, '$1')} is not read by the check`,
      });
      continue;
    }
    if (isUnresolved(owner)) {
      problems.push(unresolvedValue(owner));
      continue;
    }
    const min = count(p.MinCapacity, `${at}.MinCapacity`, problems, 'no MinCapacity');
    const max = count(p.MaxCapacity, `${at}.MaxCapacity`, problems, 'no MaxCapacity');
    if (min === undefined || max === undefined) continue;
    // a scheduled action may set bounds outside the target's own: the range is what any of them allows
    const scheduled = Array.isArray(p.ScheduledActions) ? (p.ScheduledActions as Props[]) : [];
    const bounds = scheduled.map((s) => (s.ScalableTargetAction ?? {}) as Props);
    const mins = bounds
      .map((b, i) =>
        count(b.MinCapacity, `${at}.ScheduledActions[${i}].ScalableTargetAction.MinCapacity`, problems),
      )
      .filter((n) => n !== undefined);
    const maxes = bounds
      .map((b, i) =>
        count(b.MaxCapacity, `${at}.ScheduledActions[${i}].ScalableTargetAction.MaxCapacity`, problems),
      )
      .filter((n) => n !== undefined);
    targets.set(owner, {
      id,
      min: Math.min(min, ...mins),
      max: Math.max(max, ...maxes),
      key: `${String(resourceId)} ${dimension}`,
      policies: 0,
    });
  }
  for (const [id, r] of resourcesOf(template, POLICY)) {
    const p = r.Properties ?? {};
    const ref = (p.ScalingTargetId as { Ref?: unknown } | undefined)?.Ref;
    const named = resolveValue(
      { ResourceId: p.ResourceId, ScalableDimension: p.ScalableDimension },
      ctx.ties,
      `${scope.stack}/${id}.Properties`,
    ) as Props;
    const target = [...targets.values()].find(
      (t) => t.id === ref || t.key === `${String(named.ResourceId)} ${String(named.ScalableDimension)}`,
    );
    if (target) target.policies += 1;
  }
  return targets;
}

function readComponents(
  template: CfnTemplate,
  scope: TemplateScope,
  ctx: Context,
  targets: Map<string, Target>,
  problems: UnresolvedValue[],
): Map<string, { component: PlannedComponent; path: string }[]> {
  const byVariant = new Map<string, { component: PlannedComponent; path: string }[]>();
  for (const [id, r] of resourcesOf(template, COMPONENT)) {
    const at = `${scope.stack}/${id}.Properties`;
    const raw = r.Properties ?? {};
    const endpoint = tie(raw.EndpointName, ENDPOINT, ctx, template, `${at}.EndpointName`);
    const p = resolveValue(raw, ctx.resolve, at) as Props;
    const runtime = (p.RuntimeConfig ?? {}) as Props;
    const copies = count(runtime.CopyCount, `${at}.RuntimeConfig.CopyCount`, problems, 'no CopyCount');
    if (isUnresolved(endpoint) || isUnresolved(p.VariantName)) {
      problems.push(unresolvedValue(isUnresolved(endpoint) ? endpoint : (p.VariantName as Unresolved)));
      continue;
    }
    if (copies === undefined) continue;
    const name = ctx.names.get(id);
    const target = targets.get(id);
    const component: PlannedComponent = {
      logicalId: id,
      ...(typeof name === 'string' ? { name } : {}),
      copies: { initial: copies, min: target?.min ?? copies, max: target?.max ?? copies },
      ...(target ? { scalingPolicies: target.policies } : {}),
    };
    const key = `${endpoint}/${String(p.VariantName)}`;
    byVariant.set(key, [...(byVariant.get(key) ?? []), { component, path: `${at}.VariantName` }]);
  }
  return byVariant;
}

/** One production variant, or undefined (with the reason in `out`) when what it costs cannot be known. */
function readVariant(
  v: Props,
  at: string,
  scaled: { target?: Target; components?: readonly PlannedComponent[] },
  out: UnresolvedValue[],
): PlannedVariant | undefined {
  const name = typeof v.VariantName === 'string' ? v.VariantName : at;
  const serverless = v.ServerlessConfig as Props | undefined;
  if (serverless !== undefined && !isUnresolved(serverless)) {
    const memoryMb = count(
      serverless.MemorySizeInMB,
      `${at}.ServerlessConfig.MemorySizeInMB`,
      out,
      'no memory size',
    );
    const maxConcurrency = count(
      serverless.MaxConcurrency,
      `${at}.ServerlessConfig.MaxConcurrency`,
      out,
      'no MaxConcurrency',
    );
    const provisioned = count(
      serverless.ProvisionedConcurrency,
      `${at}.ServerlessConfig.ProvisionedConcurrency`,
      out,
    );
    if (memoryMb === undefined || maxConcurrency === undefined) return undefined;
    return {
      kind: 'serverless',
      name,
      memoryMb,
      maxConcurrency,
      ...(provisioned !== undefined ? { provisionedConcurrency: provisioned } : {}),
    };
  }
  let instanceType: string | undefined;
  if (isUnresolved(v.InstanceType)) out.push(unresolvedValue(v.InstanceType));
  else if (typeof v.InstanceType === 'string') instanceType = v.InstanceType;
  else out.push({ path: `${at}.InstanceType`, why: 'no InstanceType or ServerlessConfig' });
  const managed = (v.ManagedInstanceScaling ?? {}) as Props;
  const mis = managed.Status === 'ENABLED';
  const misMin = mis
    ? count(managed.MinInstanceCount, `${at}.ManagedInstanceScaling.MinInstanceCount`, out)
    : undefined;
  const misMax = mis
    ? count(managed.MaxInstanceCount, `${at}.ManagedInstanceScaling.MaxInstanceCount`, out)
    : undefined;
  const initial =
    v.InitialInstanceCount === undefined && misMin !== undefined
      ? misMin
      : count(v.InitialInstanceCount, `${at}.InitialInstanceCount`, out, 'no instance count');
  if (initial === undefined) return undefined;
  const { target, components } = scaled;
  const variant: InstanceVariant = {
    kind: 'instances',
    name,
    ...(instanceType !== undefined ? { instanceType } : {}),
    initial,
    ...(target
      ? { min: target.min, max: target.max, scaling: 'autoscaling', scalingPolicies: target.policies }
      : mis
        ? { min: misMin ?? initial, max: misMax ?? initial, scaling: 'managed-instance-scaling' }
        : { min: initial, max: initial, scaling: 'fixed' }),
    ...(components?.length ? { components } : {}),
  };
  return variant;
}

function readTags(raw: unknown, at: string, out: UnresolvedValue[]): Record<string, string> {
  const tags: Record<string, string> = {};
  if (raw === undefined) return tags;
  if (!Array.isArray(raw)) {
    out.push(
      isUnresolved(raw) ? unresolvedValue(raw) : { path: at, why: 'expected a list of Key and Value' },
    );
    return tags;
  }
  raw.forEach((t: Props, i) => {
    if (isUnresolved(t.Key) || isUnresolved(t.Value)) {
      out.push(unresolvedValue((isUnresolved(t.Key) ? t.Key : t.Value) as Unresolved));
    } else if (typeof t.Key === 'string' && t.Value !== undefined) tags[t.Key] = String(t.Value);
    else out.push({ path: `${at}[${i}]`, why: 'expected a Key and a Value' });
  });
  return tags;
}

/** The endpoints one template would deploy, and the SageMaker resources in it that belong to none. */
export function readEndpoints(template: CfnTemplate, scope: TemplateScope): TemplateEndpoints {
  const ctx = templateContext(template, scope);
  const problems: UnresolvedValue[] = [];
  const targets = readTargets(template, scope, ctx, problems);
  const components = readComponents(template, scope, ctx, targets, problems);
  const placed = new Set<string>();
  const endpoints = resourcesOf(template, ENDPOINT).map(([id, r]): PlannedEndpoint => {
    const at = `${scope.stack}/${id}.Properties`;
    const unresolved: UnresolvedValue[] = [];
    const name = ctx.names.get(id);
    if (isUnresolved(name)) unresolved.push(unresolvedValue(name));
    const props = r.Properties ?? {};
    const tags = readTags(resolveValue(props.Tags, ctx.resolve, `${at}.Tags`), `${at}.Tags`, unresolved);
    const configId = tie(props.EndpointConfigName, CONFIG, ctx, template, `${at}.EndpointConfigName`);
    let asynchronous = false;
    const variants: PlannedVariant[] = [];
    if (isUnresolved(configId)) unresolved.push(unresolvedValue(configId));
    else {
      const configAt = `${scope.stack}/${configId}.Properties`;
      const config = (template.Resources[configId]?.Properties ?? {}) as Props;
      asynchronous = config.AsyncInferenceConfig !== undefined;
      const list = resolveValue(config.ProductionVariants, ctx.resolve, `${configAt}.ProductionVariants`);
      if (!Array.isArray(list))
        unresolved.push(
          isUnresolved(list)
            ? unresolvedValue(list)
            : { path: `${configAt}.ProductionVariants`, why: 'no ProductionVariants' },
        );
      (Array.isArray(list) ? (list as Props[]) : []).forEach((v, i) => {
        const key = `${id}/${String(v.VariantName)}`;
        placed.add(key);
        const scaled = { target: targets.get(key), components: components.get(key)?.map((c) => c.component) };
        const variant = readVariant(v, `${configAt}.ProductionVariants[${i}]`, scaled, unresolved);
        if (variant) variants.push(variant);
      });
    }
    return {
      source: { stack: scope.stack, file: scope.file, logicalId: id },
      ...(typeof name === 'string' ? { name } : {}),
      ...(scope.region ? { region: scope.region } : {}),
      ...(scope.account ? { account: scope.account } : {}),
      tags,
      asynchronous,
      variants,
      unresolved,
    };
  });
  for (const [key, list] of components)
    if (!placed.has(key))
      for (const c of list)
        problems.push({
          path: c.path,
          why: `the variant ${key.split('/').slice(1).join('/')} is on no endpoint's config`,
        });
  for (const [key, t] of targets)
    if (!placed.has(key) && template.Resources[key]?.Type !== COMPONENT)
      problems.push({
        path: `${scope.stack}/${t.id}.Properties.ResourceId`,
        why: `scales ${key}, a variant no endpoint has`,
      });
  return { endpoints, unresolved: problems };
}

/**
 * Nested stacks of a template: their logical id, the template file CDK names (asset metadata), the template URL as
 * written, and their parameters resolved in the parent.
 */
export function nestedStacks(template: CfnTemplate, scope: TemplateScope) {
  const ctx = templateContext(template, scope);
  return resourcesOf(template, NESTED_STACK).map(([id, r]) => {
    const at = `${scope.stack}/${id}.Properties.Parameters`;
    const resolved = resolveValue(r.Properties?.Parameters ?? {}, ctx.resolve, at);
    const parameters: Record<string, string | Unresolved> = {};
    if (isUnresolved(resolved))
      return { id, asset: undefined, url: '', parameters, problem: unresolvedValue(resolved) };
    for (const [k, v] of Object.entries(resolved as Props)) parameters[k] = isUnresolved(v) ? v : String(v);
    const asset = r.Metadata?.['aws:asset:path'];
    const url = JSON.stringify(r.Properties?.TemplateURL ?? '');
    return { id, asset: typeof asset === 'string' ? asset : undefined, url, parameters, problem: undefined };
  });
}
