/**
 * The inference components of an account: one ListInferenceComponents listing for the whole account (a request per
 * 100 components, where asking per endpoint would take at least one per endpoint), then per component one
 * DescribeInferenceComponent (its copies in service and the accelerators a copy holds), and its own tags (ListTags)
 * only when its endpoint is tagged `perf-budgets:managed=true`: Application Auto Scaling's permission check judges a
 * component by its own tag, and only the components of managed endpoints can ever be written. Nothing here is asked
 * unless some endpoint is served by inference components.
 */
import {
  DescribeInferenceComponentCommand,
  type InferenceComponentSummary,
  paginateListInferenceComponents,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { MANAGED_TAG } from '../core/plan/types.ts';
import type { ComponentInfo } from '../core/types.ts';
import type { NextTokenPages } from './paging.ts';
import { listTags, MalformedResponseError } from './sagemaker-checks.ts';

export interface ComponentReader {
  readonly sagemaker: SageMakerClient;
  readonly list: NextTokenPages;
  /** One counted request under the inventory's limit. */
  readonly call: <T>(api: string, send: () => Promise<T>) => Promise<T>;
  /**
   * The endpoints listed, with their tags when read: only their components are described, and only those of a
   * managed endpoint are read for tags.
   */
  readonly endpoints: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
  /** A part that could not be read: the API, the endpoint it is about (none: the account's), the error, what is unknown. */
  readonly failed: (api: string, endpoint: string | undefined, err: unknown, unknown: string) => void;
}

/** The components by endpoint, names sorted; undefined when the listing itself failed. */
export async function readComponents(r: ComponentReader): Promise<Map<string, ComponentInfo[]> | undefined> {
  const listApi = 'sagemaker:ListInferenceComponents';
  const listed: (InferenceComponentSummary & { EndpointName: string; VariantName: string })[] = [];
  try {
    for await (const page of r.list(listApi, paginateListInferenceComponents, r.sagemaker, {
      MaxResults: 100,
    })) {
      for (const c of page.InferenceComponents ?? []) {
        if (!c.EndpointName || !c.VariantName || !c.InferenceComponentName) continue;
        // a component of an endpoint deleted since the endpoints were listed serves nothing to plan
        if (!r.endpoints.has(c.EndpointName)) continue;
        listed.push(c as InferenceComponentSummary & { EndpointName: string; VariantName: string });
      }
    }
  } catch (err) {
    r.failed(listApi, undefined, err, 'inference components are not listed');
    return undefined;
  }
  const read = await Promise.all(listed.map((c) => readOne(r, c)));
  const byEndpoint = new Map<string, ComponentInfo[]>();
  for (const [k, c] of listed.entries()) {
    const list = byEndpoint.get(c.EndpointName) ?? [];
    list.push(read[k] as ComponentInfo);
    byEndpoint.set(c.EndpointName, list);
  }
  for (const list of byEndpoint.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return byEndpoint;
}

async function readOne(
  r: ComponentReader,
  c: InferenceComponentSummary & { EndpointName: string; VariantName: string },
): Promise<ComponentInfo> {
  const name = c.InferenceComponentName as string;
  const managed = r.endpoints.get(c.EndpointName)?.[MANAGED_TAG] === 'true';
  const [described, tags] = await Promise.all([
    describe(r, c.EndpointName, name),
    managed && c.InferenceComponentArn
      ? componentTags(r, c.EndpointName, c.InferenceComponentArn)
      : undefined,
  ]);
  const status = described?.status ?? c.InferenceComponentStatus;
  return {
    name,
    variant: c.VariantName,
    ...(described?.copies === undefined ? {} : { copies: described.copies }),
    ...(status ? { status } : {}),
    ...(described?.accelerators === undefined ? {} : { acceleratorsPerCopy: described.accelerators }),
    ...(tags ? { tags } : {}),
  };
}

async function describe(
  r: ComponentReader,
  endpoint: string,
  name: string,
): Promise<{ copies?: number; status?: string; accelerators?: number } | undefined> {
  const api = 'sagemaker:DescribeInferenceComponent';
  try {
    const out = await r.call(api, () =>
      r.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name })),
    );
    const copies = out.RuntimeConfig?.CurrentCopyCount;
    if (copies !== undefined && (!Number.isInteger(copies) || copies < 0))
      throw new MalformedResponseError(api, 'RuntimeConfig.CurrentCopyCount', 'a whole number', copies);
    const accelerators = out.Specification?.ComputeResourceRequirements?.NumberOfAcceleratorDevicesRequired;
    return {
      ...(copies === undefined ? {} : { copies }),
      ...(out.InferenceComponentStatus ? { status: out.InferenceComponentStatus } : {}),
      ...(accelerators !== undefined && accelerators > 0 ? { accelerators } : {}),
    };
  } catch (err) {
    r.failed(api, endpoint, err, `the copies of inference component ${name} are unknown`);
    return undefined;
  }
}

async function componentTags(
  r: ComponentReader,
  endpoint: string,
  arn: string,
): Promise<Record<string, string> | undefined> {
  try {
    return await listTags(r.list, r.sagemaker, arn);
  } catch (err) {
    r.failed(
      'sagemaker:ListTags',
      endpoint,
      err,
      `the tags of ${arn} are unknown, so the tool does not change it`,
    );
    return undefined;
  }
}
