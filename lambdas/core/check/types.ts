/**
 * What `perf-budgets check` reads out of a CloudFormation template before it is deployed: the SageMaker endpoints
 * it would create or change, with the capacity each may run at. A value the template leaves to deploy time is never
 * guessed: it is listed in `unresolved` with its path, and whatever depends on it stays undefined.
 */

/** A value the template does not fix before deploy: its path in the template and why. */
export interface UnresolvedValue {
  /** `MyStack/ChatConfig.Properties.ProductionVariants[0].InstanceType`. */
  readonly path: string;
  readonly why: string;
}

/** Where in a cloud assembly or template an endpoint was found. */
export interface TemplateSource {
  /** The stack's name as deployed (a cdk.out artifact's `stackName`, else the template file's base name). */
  readonly stack: string;
  /** The template file, relative to the directory or file given on the command line. */
  readonly file: string;
  /** The `AWS::SageMaker::Endpoint` logical id. */
  readonly logicalId: string;
}

/** Instances held by one variant (real-time or asynchronous). */
export interface InstanceVariant {
  readonly kind: 'instances';
  readonly name: string;
  /** `ml.g5.xlarge`; undefined when the template does not fix it (then `unresolved` says why). */
  readonly instanceType?: string;
  /** Instances at deploy (`InitialInstanceCount`, or managed instance scaling's minimum). */
  readonly initial: number;
  /** The least and most instances the variant may run (autoscaling target or managed instance scaling). */
  readonly min: number;
  readonly max: number;
  /** What sets `min` and `max`: an Application Auto Scaling target, managed instance scaling, or nothing. */
  readonly scaling: 'autoscaling' | 'managed-instance-scaling' | 'fixed';
  /** Scaling policies on the variant's autoscaling target (target tracking, step); set when `scaling` is autoscaling. */
  readonly scalingPolicies?: number;
  /** Inference components placed on the variant (they run on its instances and bill as its hosting). */
  readonly components?: readonly PlannedComponent[];
}

/** Serverless inference: billed per GB-second of compute, nothing while idle unless concurrency is provisioned. */
export interface ServerlessVariant {
  readonly kind: 'serverless';
  readonly name: string;
  readonly memoryMb: number;
  readonly maxConcurrency: number;
  readonly provisionedConcurrency?: number;
}

export type PlannedVariant = InstanceVariant | ServerlessVariant;

export interface PlannedComponent {
  readonly logicalId: string;
  readonly name?: string;
  readonly copies: { readonly initial: number; readonly min: number; readonly max: number };
  /** Scaling policies on the component's autoscaling target, when it has one. */
  readonly scalingPolicies?: number;
}

/** One SageMaker endpoint as the template would deploy it. */
export interface PlannedEndpoint {
  readonly source: TemplateSource;
  /** The endpoint's name; undefined when CloudFormation generates it (then only tag selectors can take it). */
  readonly name?: string;
  /** The stack's region, when the assembly or the command line fixes it. */
  readonly region?: string;
  readonly account?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** An asynchronous inference endpoint (`AsyncInferenceConfig`): its variants may scale to zero. */
  readonly asynchronous: boolean;
  readonly variants: readonly PlannedVariant[];
  readonly unresolved: readonly UnresolvedValue[];
}

/** Every endpoint of one template or cloud assembly, and what in it could not be read. */
export interface PlannedDeployment {
  readonly endpoints: readonly PlannedEndpoint[];
  /** Templates read, relative to the argument. */
  readonly templates: readonly string[];
  /** SageMaker resources the reader could not tie to an endpoint, and other problems short of bad input. */
  readonly unresolved: readonly UnresolvedValue[];
}

/** A list price the check charged, and where it came from (so a reader can check it). */
export interface ListPrice {
  /** Exact, in the table's currency (USD): per instance-hour, or per GB-second for serverless. */
  readonly amount: bigint;
  readonly unit: 'instance-hour' | 'GB-second';
  readonly region: string;
  /** The day the price was read (the table's or the entry's date). */
  readonly date: string;
  /** Where the entry comes from: the shipped table's source or `AWS Price List API`. */
  readonly source: string;
}

/** Prices by region; undefined when the table holds none (never zero). */
export interface PriceLookup {
  /** The table's date and where it came from, for the output's header. */
  readonly date: string;
  readonly source: string;
  readonly currency: string;
  /** On-demand real-time (and asynchronous) hosting, per instance-hour. */
  hosting(region: string, instanceType: string): ListPrice | undefined;
  /** Serverless inference compute, per GB-second of memory. */
  serverless(region: string): ListPrice | undefined;
  /** Regions the table has prices for. */
  regions(): readonly string[];
}
