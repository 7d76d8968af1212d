/**
 * Recognising SageMaker usage in billing rows, from whatever a row carries. AWS writes the same charge three ways:
 * a usage type (`USE1-Host:ml.g5.xlarge`, in CUR `lineItem/UsageType`, FOCUS `x_UsageType` and Cost Explorer), a
 * description (`$1.4084 per Hosting ml.g5.xlarge hour in US East (N. Virginia)`, in CUR `lineItem/LineItemDescription`
 * and FOCUS `ChargeDescription`), and SKU ids (opaque at AWS; other FOCUS producers and converters put the usage
 * there). Instance-hours come from a quantity whose unit says hours, and from nothing else.
 *
 * Resource ids are ARNs like `arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-prod` (lower-cased by the
 * billing pipeline). Anything else, including malformed or scrambled ARNs and text of other services, is simply not
 * SageMaker usage: nothing here throws.
 */

/**
 * What a SageMaker charge pays for. Only `hosting` and `async-inference` are instances of an endpoint (inference
 * components run on their endpoint's instances and bill as its hosting); serverless inference bills memory and
 * time, not instances; the rest are not endpoints at all.
 */
export type SageMakerUsageKind =
  | 'hosting'
  | 'async-inference'
  | 'serverless-inference'
  | 'training'
  | 'training-spot'
  | 'training-warm-pool'
  | 'notebook'
  | 'processing'
  | 'batch-transform'
  | 'other';

/** The text of a billing row that can name its SageMaker usage. */
export interface UsageText {
  /** AWS usage type: `USE1-Host:ml.g5.xlarge`. */
  readonly usageType?: string;
  /** The line's description as AWS prints it. */
  readonly description?: string;
  /** SKU and SKU price ids: opaque at AWS, a usage type or a description at some other producers. */
  readonly skus?: readonly (string | undefined)[];
}

export interface SageMakerUsage {
  readonly kind: SageMakerUsageKind;
  /** `ml.g5.xlarge`, when the charge is for instances. */
  readonly instanceType?: string;
  /** The description prices the charge per hour ("... per Hosting ml.g5.xlarge hour ..."). */
  readonly pricedPerHour: boolean;
}

const ENDPOINT_ARN = /^arn:[^:]+:sagemaker:[^:]*:[^:]*:endpoint\/([^/\s]+)$/i;
const INSTANCE_TYPE = /(?:^|[^a-z0-9])(ml\.[a-z0-9-]+\.[a-z0-9]+)(?![a-z0-9])/i;
/** `USE1-Host:ml.g5.xlarge`: an optional region prefix, the operation, a colon, the detail. */
const USAGE_TYPE = /^(?:[A-Z]{2,4}\d?-)?([A-Z][A-Z-]*):(\S+)$/i;
const PER_HOUR = /\b(?:hours?|hrs?)\b/i;
const HOURS_UNIT = /^(?:hrs?|hours?|instance[- ]?hours?)$/i;

/** Usage-type operations (the part before the colon), most specific first. */
const OPERATIONS: readonly (readonly [RegExp, SageMakerUsageKind])[] = [
  [/^host$/i, 'hosting'],
  [/^inference-?component/i, 'hosting'],
  [/^asyncinf/i, 'async-inference'],
  [/^serverlessinf/i, 'serverless-inference'],
  [/^train(?:ing)?-?warm-?pool$/i, 'training-warm-pool'],
  [/^train(?:ing)?-?spot$/i, 'training-spot'],
  [/^train(?:ing)?$/i, 'training'],
  [/^(?:notebk|notebook|studio|canvas)/i, 'notebook'],
  [/^processing/i, 'processing'],
  [/^(?:tsform|transform|batchtransform)/i, 'batch-transform'],
];

/** Words of a description before the instance type, most specific first: "Training Warm Pool" before "Training". */
const DESCRIPTIONS: readonly (readonly [RegExp, SageMakerUsageKind])[] = [
  [/serverless/i, 'serverless-inference'],
  [/async/i, 'async-inference'],
  [/warm ?pool/i, 'training-warm-pool'],
  [/spot/i, 'training-spot'],
  [/training/i, 'training'],
  [/notebook|studio|canvas/i, 'notebook'],
  [/processing/i, 'processing'],
  [/transform/i, 'batch-transform'],
  [/hosting|endpoint|inference component|real-?time inference/i, 'hosting'],
];

/** The endpoint name of a SageMaker endpoint ARN, or undefined. */
export function endpointFromArn(resourceId: string | undefined): string | undefined {
  if (!resourceId) return undefined;
  const m = ENDPOINT_ARN.exec(resourceId.trim());
  return m?.[1];
}

function instanceTypeIn(text: string): string | undefined {
  return INSTANCE_TYPE.exec(text)?.[1]?.toLowerCase();
}

function fromUsageType(text: string): SageMakerUsage | undefined {
  const m = USAGE_TYPE.exec(text.trim());
  if (!m) return undefined;
  const [, operation = '', detail = ''] = m;
  const kind = OPERATIONS.find(([re]) => re.test(operation))?.[1];
  if (kind === undefined) return undefined;
  const instanceType = instanceTypeIn(detail);
  return { kind, ...(instanceType ? { instanceType } : {}), pricedPerHour: false };
}

/**
 * A description names SageMaker usage only with an instance type in it: "training" or "endpoint" alone are words
 * other services use too.
 */
function fromDescription(text: string): SageMakerUsage | undefined {
  const m = INSTANCE_TYPE.exec(text);
  const instanceType = m?.[1]?.toLowerCase();
  if (!m || !instanceType) return undefined;
  const words = text.slice(0, m.index + 1);
  const kind = DESCRIPTIONS.find(([re]) => re.test(words))?.[1] ?? 'other';
  return { kind, instanceType, pricedPerHour: PER_HOUR.test(text.slice(m.index + m[0].length)) };
}

/**
 * The SageMaker usage a row's text names, or undefined when it names none. The usage type wins when it names one;
 * a description or a SKU is read when it does not (FOCUS files without AWS's `x_` columns, other producers). The
 * description's "per hour" is kept whichever named the usage: it is the unit a row without a pricing unit is priced in.
 */
export function sageMakerUsage(text: UsageText): SageMakerUsage | undefined {
  const described = text.description ? fromDescription(text.description) : undefined;
  const pricedPerHour = described?.pricedPerHour ?? false;
  const typed = text.usageType ? fromUsageType(text.usageType) : undefined;
  if (typed) return { ...typed, pricedPerHour };
  if (described) return described;
  for (const sku of text.skus ?? []) {
    if (!sku) continue;
    const found = fromUsageType(sku) ?? fromDescription(sku);
    if (found) return { ...found, pricedPerHour: pricedPerHour || found.pricedPerHour };
  }
  return undefined;
}

/** The instance type of usage that runs an endpoint's instances (real-time or asynchronous), else undefined. */
export function endpointInstanceType(usage: SageMakerUsage | undefined): string | undefined {
  return usage?.kind === 'hosting' || usage?.kind === 'async-inference' ? usage.instanceType : undefined;
}

/** Whether a usage unit is hours ("Hrs" in CUR and Cost Explorer, "Hours" in FOCUS). */
export function isHoursUnit(unit: string | undefined): boolean {
  return unit !== undefined && HOURS_UNIT.test(unit.trim());
}

/** A quantity of a billing row and the unit the row states for it (undefined: the row states none). */
export interface Quantity<T> {
  readonly value: T | undefined;
  readonly unit: string | undefined;
}

/**
 * The quantity that counts a row's hours, or undefined when none is stated in hours: the consumed quantity when its
 * unit is hours, else the pricing quantity when the pricing unit is hours or, with no pricing unit, when the
 * description prices the usage per hour. A quantity in any other unit (seconds, GB-months, requests) or of no stated
 * unit is never taken for hours.
 */
export function hoursQuantity<T>(
  usage: SageMakerUsage,
  consumed: Quantity<T>,
  pricing: Quantity<T>,
): T | undefined {
  if (isHoursUnit(consumed.unit)) return consumed.value;
  if (isHoursUnit(pricing.unit) || (pricing.unit === undefined && usage.pricedPerHour)) return pricing.value;
  return undefined;
}

/** The instance type of endpoint instance usage in a usage type or description ("USE1-Host:ml.g5.xlarge"), or undefined. */
export function hostingInstanceType(usage: string | undefined): string | undefined {
  return usage ? endpointInstanceType(sageMakerUsage({ usageType: usage, description: usage })) : undefined;
}

/** The instance type of on-demand training usage ("USE1-Train:ml.p3.2xlarge"), or undefined; spot training is not. */
export function trainingInstanceType(usage: string | undefined): string | undefined {
  const u = usage ? sageMakerUsage({ usageType: usage, description: usage }) : undefined;
  return u?.kind === 'training' ? u.instanceType : undefined;
}
