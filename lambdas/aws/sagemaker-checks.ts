/**
 * Checks of the SageMaker responses the inventory relies on: a field that is not what the API model promises fails
 * the endpoint it belongs to, never the whole inventory.
 */
import {
  type DescribeEndpointConfigOutput,
  type DescribeEndpointOutput,
  type ProductionVariant,
  type ProductionVariantSummary,
  paginateListTags,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DataError } from '../core/errors.ts';
import type { NextTokenPages } from './paging.ts';

const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;

/** A response field that is not what the API model promises; fails the endpoint it belongs to. */
export class MalformedResponseError extends DataError {
  override name = 'MalformedResponseError';
  constructor(
    readonly api: string,
    readonly field: string,
    expected: string,
    got: unknown,
  ) {
    super(`${api} returned a malformed ${field}: expected ${expected}, got ${shown(got)}`);
  }
}

/** Every tag of a SageMaker resource, a tag without a key failing as malformed; the caller handles the error. */
export async function listTags(
  list: NextTokenPages,
  sagemaker: SageMakerClient,
  arn: string,
): Promise<Record<string, string>> {
  const api = 'sagemaker:ListTags';
  const tags: Record<string, string> = {};
  for await (const page of list(api, paginateListTags, sagemaker, { ResourceArn: arn })) {
    for (const t of page.Tags ?? []) {
      if (typeof t.Key !== 'string') throw new MalformedResponseError(api, 'Tags[].Key', 'a string', t.Key);
      tags[t.Key] = t.Value ?? '';
    }
  }
  return tags;
}

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid date' : v.toISOString();
  const text = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function capacity(api: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new MalformedResponseError(api, field, 'a whole number of instances', v);
  }
  return v;
}

function checkCount(api: string, field: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
    throw new MalformedResponseError(api, field, 'a whole number of instances', v);
  }
}

/**
 * Walks the production and shadow variant lists of a response, failing on a list that is not one, and hands each
 * variant to `check` with its field path.
 */
function eachVariant<V>(
  api: string,
  lists: { readonly ProductionVariants?: V[]; readonly ShadowProductionVariants?: V[] },
  check: (variant: V, field: string) => void,
): void {
  for (const field of ['ProductionVariants', 'ShadowProductionVariants'] as const) {
    const list = lists[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new MalformedResponseError(api, field, 'a list of variants', list);
    for (const [i, v] of list.entries()) check(v, `${field}[${i}]`);
  }
}

/** Checks the fields the inventory relies on; a malformed one fails this endpoint only. */
export function checkEndpoint(out: DescribeEndpointOutput): DescribeEndpointOutput {
  const api = 'sagemaker:DescribeEndpoint';
  eachVariant<ProductionVariantSummary>(api, out, (v, at) => {
    if (typeof v?.VariantName !== 'string' || v.VariantName === '') {
      throw new MalformedResponseError(api, `${at}.VariantName`, 'a variant name', v?.VariantName);
    }
    checkCount(api, `${at}.CurrentInstanceCount`, v.CurrentInstanceCount);
    checkCount(api, `${at}.DesiredInstanceCount`, v.DesiredInstanceCount);
  });
  if (out.EndpointStatus === 'InService' && !out.ProductionVariants?.length) {
    throw new MalformedResponseError(
      api,
      'ProductionVariants',
      'at least one variant when InService',
      undefined,
    );
  }
  return out;
}

export function checkConfig(out: DescribeEndpointConfigOutput): DescribeEndpointConfigOutput {
  const api = 'sagemaker:DescribeEndpointConfig';
  eachVariant<ProductionVariant>(api, out, (v, at) => {
    if (v?.InstanceType !== undefined && !INSTANCE_TYPE.test(v.InstanceType)) {
      throw new MalformedResponseError(
        api,
        `${at}.InstanceType`,
        'an instance type like ml.g5.xlarge',
        v.InstanceType,
      );
    }
  });
  return out;
}
