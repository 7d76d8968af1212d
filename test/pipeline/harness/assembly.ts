/**
 * What the pipeline test reads from the synthesized cloud assembly: the state machine's definition, the bundled
 * functions (bundle directory, handler, timeout, reserved concurrency, environment: the cycle's five and, with Slack
 * as an alert target, the approvals handler and its worker), the Function URLs and the stack's outputs, the ledger
 * table's key schema and the budget file the stack uploads at deploy. CloudFormation's intrinsics are resolved to the loopback resources' names; an intrinsic
 * or a Ref this file does not know fails loudly, so that a change of the template shows here instead of running
 * something else than what would deploy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

/** One Lambda function of the stack, as the template deploys it. */
export interface FunctionSpec {
  readonly logicalId: string;
  /**
   * The construct's path under the PerfBudgets construct: Collect, Evaluate, Act, Notify, Report,
   * Approvals/Handler, Approvals/Apply.
   */
  readonly name: string;
  readonly arn: string;
  /** The bundle's file (`<asset dir>/index.mjs`) and the handler it exports. */
  readonly file: string;
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** ReservedConcurrentExecutions: at most this many run at once. */
  readonly reservedConcurrency?: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** A state machine definition in the Amazon States Language, as far as the harness reads it. */
export interface StateDefinition {
  Type: string;
  Resource?: string;
  ItemProcessor?: { States: Record<string, StateDefinition> };
  [key: string]: unknown;
}
export interface Definition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  [key: string]: unknown;
}

/** The URL a Function URL resource is given (AWS makes up a random id; this one is the logical id's). */
function functionUrl(logicalId: string): string {
  return `https://${logicalId.toLowerCase()}.lambda-url.${REGION}.on.aws/`;
}

/** The deployed stack's template and the directory its assets were bundled into. */
export class Assembly {
  readonly template: Template;

  constructor(
    readonly dir: string,
    readonly stackName = 'PerfBudgets',
  ) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { properties?: { templateFile?: string } }>;
    };
    const file = manifest.artifacts[stackName]?.properties?.templateFile;
    if (!file) throw new Error(`cloud assembly ${dir} has no stack ${stackName}`);
    this.template = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Template;
  }

  /** The logical ids of the resources of one type. */
  ofType(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  private only(type: string): [string, Resource] {
    const ids = this.ofType(type);
    if (ids.length !== 1) throw new Error(`expected one ${type} in the template, found ${ids.length}`);
    const id = ids[0] as string;
    return [id, this.template.Resources[id] as Resource];
  }

  /** The name or ARN a `Ref` of the resource returns, made up for the loopback services. */
  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
    }
    const type = this.template.Resources[logicalId]?.Type;
    switch (type) {
      // bucket names are lower case
      case 'AWS::S3::Bucket':
        return logicalId.toLowerCase();
      case 'AWS::DynamoDB::Table':
      case 'AWS::CloudWatch::Dashboard':
      case 'AWS::Lambda::Function':
        return logicalId;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${logicalId}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbCdEf`;
      default:
        throw new Error(`the harness does not know what Ref ${logicalId} (${type ?? 'no such resource'}) is`);
    }
  }

  /** A value of the template with its intrinsics (Ref, Fn::GetAtt of a function's Arn, Fn::Join) resolved. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') return this.ref(arg as string);
    if (entries.length === 1 && key === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      const type = this.template.Resources[id]?.Type;
      if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      }
      if (type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl') return functionUrl(id);
      if (type === 'AWS::Lambda::Url' && attribute === 'FunctionArn') return this.urlTarget(id);
      throw new Error(`the harness does not resolve Fn::GetAtt ${id}.${attribute}`);
    }
    if (entries.length === 1 && key === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return parts.map((p) => this.resolve(p)).join(sep);
    }
    if (entries.length === 1 && key?.startsWith('Fn::'))
      throw new Error(`the harness does not resolve ${key}`);
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** The ARN of the function a Function URL serves; only the unqualified function is known here. */
  private urlTarget(logicalId: string): string {
    const p = this.template.Resources[logicalId]?.Properties ?? {};
    if (p.Qualifier !== undefined)
      throw new Error(`the harness does not serve the qualified Function URL ${logicalId}`);
    const arn = this.resolve(p.TargetFunctionArn);
    if (typeof arn !== 'string') throw new Error(`Function URL ${logicalId} has no TargetFunctionArn`);
    return arn;
  }

  /** A stack output's value, its intrinsics resolved. */
  output(name: string): string {
    const o = this.template.Outputs?.[name];
    if (!o) throw new Error(`the stack has no output ${name}`);
    return String(this.resolve(o.Value));
  }

  /** The function a Function URL (as the stack's outputs give it) invokes, and how the URL is guarded. */
  urlFunction(url: string): { fn: FunctionSpec; authType: string } {
    for (const id of this.ofType('AWS::Lambda::Url')) {
      if (functionUrl(id) !== url) continue;
      const arn = this.urlTarget(id);
      const fn = this.functions().get(arn);
      if (!fn) throw new Error(`Function URL ${id} serves ${arn}, which is not a bundled function`);
      const authType = String(this.template.Resources[id]?.Properties?.AuthType);
      return { fn, authType };
    }
    throw new Error(`no Function URL of the stack is ${url}`);
  }

  /** The stack's bundled functions (not CDK's custom resource provider), by ARN. */
  functions(): Map<string, FunctionSpec> {
    const out = new Map<string, FunctionSpec>();
    for (const id of this.ofType('AWS::Lambda::Function')) {
      const r = this.template.Resources[id] as Resource;
      const p = r.Properties ?? {};
      const path = r.Metadata?.['aws:cdk:path'];
      const asset = r.Metadata?.['aws:asset:path'];
      const handler = p.Handler;
      if (r.Metadata?.['aws:asset:is-bundled'] !== true) continue;
      if (typeof path !== 'string' || typeof asset !== 'string' || typeof handler !== 'string') continue;
      // HouseFunction: <stack>/<construct>/[<part>/]<Name>/Function/Resource
      const name = path.split('/').slice(2, -2).join('/') || id;
      const [module, exportName] = handler.split('.') as [string, string];
      const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
      const arn = this.resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string;
      out.set(arn, {
        logicalId: id,
        name,
        arn,
        file: join(this.dir, asset, `${module}.mjs`),
        exportName,
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMiB: Number(p.MemorySize ?? 128),
        ...(p.ReservedConcurrentExecutions === undefined
          ? {}
          : { reservedConcurrency: Number(p.ReservedConcurrentExecutions) }),
        environment: this.resolve(variables ?? {}) as Record<string, string>,
      });
    }
    return out;
  }

  /** The state machine's definition, its Lambda ARNs and topic resolved. */
  definition(): Definition {
    const [, sm] = this.only('AWS::StepFunctions::StateMachine');
    return JSON.parse(this.resolve(sm.Properties?.DefinitionString) as string) as Definition;
  }

  /** The ledger table: its name and what CreateTable needs of it. */
  table(): { name: string; keySchema: unknown; attributeDefinitions: unknown } {
    const [id, t] = this.only('AWS::DynamoDB::Table');
    return {
      name: this.ref(id),
      keySchema: t.Properties?.KeySchema,
      attributeDefinitions: t.Properties?.AttributeDefinitions,
    };
  }

  /** The object the stack writes at deploy (its AwsCustomResource's S3 putObject): bucket, key and body. */
  budgetUpload(): { bucket: string; key: string; body: string } {
    const [, cr] = this.only('Custom::AWS');
    const call = JSON.parse(this.resolve(cr.Properties?.Create) as string) as {
      service: string;
      action: string;
      parameters: { Bucket: string; Key: string; Body: string };
    };
    if (call.service !== 'S3' || call.action !== 'putObject') {
      throw new Error(`the stack's custom resource calls ${call.service}.${call.action}, not S3.putObject`);
    }
    return { bucket: call.parameters.Bucket, key: call.parameters.Key, body: call.parameters.Body };
  }
}
