/**
 * The SageMaker inventory of one account and region: every endpoint with its variants (instance type and count,
 * inference components), tags, status, Application Auto Scaling limits and target, and the instance-hours each
 * endpoint ran per billing day and instance type, which estimated attribution splits a usage type's spend by.
 *
 * Requests (all counted in ApiUsage, all free): ListEndpoints once per page of 100; per endpoint DescribeEndpoint,
 * ListTags (one page unless it has more tags than a page holds) and DescribeEndpointConfig (once per distinct config);
 * ListInferenceComponents once per page of 100 for the whole account, only when some variant has no model of its own
 * (the mark of an endpoint served by inference components), then per component DescribeInferenceComponent and, for
 * the components of endpoints tagged perf-budgets:managed=true, ListTags (sagemaker-components.ts); DescribeScalableTargets per page of 50,
 * DescribeScalingPolicies per page of 10 and, with a history window, DescribeScalingActivities per page of 50, all
 * for the whole `sagemaker` namespace rather than per variant. At most `concurrency` requests are in flight at once,
 * over both clients together. Throttling is retried by the SDK's retry strategy (see clients.ts); what fails after
 * that fails only the endpoint (or the auto-scaling part) it belongs to, and comes back as a gap.
 */
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  type DescribeEndpointConfigOutput,
  type DescribeEndpointOutput,
  type EndpointSummary,
  type ProductionVariant,
  type ProductionVariantSummary,
  paginateListEndpoints,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { ApiUsage } from '../core/api-usage.ts';
import { type AwsFailureKind, InputError } from '../core/errors.ts';
import { addDays, DayClock, dayStartMs, daysOf, InvalidDateError, parseDay } from '../core/period.ts';
import type { ComponentInfo, DataGap, EndpointInfo, VariantInfo } from '../core/types.ts';
import type { InventoryHistory, InventorySource } from '../ports.ts';
import { type Limit, limiter } from './concurrency.ts';
import { type ConfigChange, configChangesOrGaps, LOOKUP_EVENTS } from './endpoint-history.ts';
import { sourceError } from './errors.ts';
import { type NextTokenPages, nextTokenPages } from './paging.ts';
import { endpointTypes, endpointVariants } from './recorded-types.ts';
import { checkConfig, checkEndpoint, listTags } from './sagemaker-checks.ts';
import { readComponents } from './sagemaker-components.ts';
import { type HoursWindow, instanceHours, type TypeChange, variantResourceId } from './sagemaker-hours.ts';
import {
  type AutoScaling,
  readAutoScaling,
  type ScalingLimits,
  type ScalingReader,
} from './sagemaker-scaling.ts';

export interface SageMakerInventoryOptions {
  readonly sagemaker: SageMakerClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  /** With a history window, the config changes of the last 90 days are read from it: instance-type history. */
  readonly cloudtrail?: CloudTrailClient;
  readonly usage: ApiUsage;
  readonly region: string;
  /** Billing time zone (IANA): `createdAt` and the days of `instanceHours` are days in it. */
  readonly timezone: string;
  /**
   * First billing day (YYYY-MM-DD) to reconstruct instance-hours for. Without it no scaling history is read and
   * `instanceHours` is left out.
   */
  readonly historyFrom?: string;
  /** Last billing day (inclusive) of the instance-hours. Default: the day `now` falls on. Hours never run past `now`. */
  readonly asOf?: string;
  /**
   * The inventory days earlier cycles recorded (the ledger): the instance types of the times CloudTrail cannot
   * date. Without it those times are counted on the type CloudTrail or the inventory knows, and said to be unknown.
   */
  readonly history?: InventoryHistory;
  /** Requests in flight at most, both clients together. Default 8. */
  readonly concurrency?: number;
  /** The instant the current counts are read at, epoch ms. Default: the system clock. */
  readonly now?: () => number;
}

/** A part of the inventory that could not be read: which API, how it failed, and what is unknown because of it. */
export interface InventoryGap extends DataGap {
  readonly source: 'inventory';
  readonly api: string;
  readonly kind: AwsFailureKind;
}

/** A variant as SageMaker reports it: the core's view plus the inference components it hosts. */
export interface SageMakerVariant extends VariantInfo {
  readonly inferenceComponents?: readonly string[];
}

export interface SageMakerEndpoint extends EndpointInfo {
  readonly variants?: readonly SageMakerVariant[];
}

export interface InventoryLoad {
  readonly endpoints: readonly SageMakerEndpoint[];
  readonly gaps: readonly InventoryGap[];
}

const DEFAULT_CONCURRENCY = 8;

/** One endpoint as read, before auto scaling and inference components are joined in. */
interface Described {
  readonly summary: EndpointSummary & { EndpointName: string };
  readonly endpoint?: DescribeEndpointOutput;
  readonly config?: DescribeEndpointConfigOutput;
  readonly tags?: Record<string, string>;
}

export class SageMakerInventory implements InventorySource {
  private readonly limit: Limit;
  /** Every page of a listing, each a counted request under the inventory's limit, NextToken followed once. */
  private readonly list: NextTokenPages;
  private readonly clock: DayClock;
  private readonly now: () => number;

  constructor(private readonly opts: SageMakerInventoryOptions) {
    const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InputError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
    }
    for (const [key, day] of [
      ['historyFrom', opts.historyFrom],
      ['asOf', opts.asOf],
    ] as const) {
      if (day === undefined) continue;
      try {
        parseDay(day, opts.timezone);
      } catch (err) {
        if (err instanceof InvalidDateError) throw new InputError(`${key}: ${err.message}`, { path: key });
        throw err;
      }
    }
    if (opts.historyFrom && opts.asOf && opts.historyFrom > opts.asOf) {
      throw new InputError(`historyFrom (${opts.historyFrom}) is after asOf (${opts.asOf})`, {
        path: 'historyFrom',
      });
    }
    this.limit = limiter(concurrency);
    this.list = nextTokenPages(opts.usage, this.limit);
    this.clock = new DayClock(opts.timezone);
    this.now = opts.now ?? Date.now;
  }

  /** The port: the endpoints alone. Use `endpointsWithGaps` to learn what could not be read. */
  async endpoints(): Promise<readonly SageMakerEndpoint[]> {
    return (await this.endpointsWithGaps()).endpoints;
  }

  /**
   * Every endpoint ListEndpoints returns, whatever its status. An endpoint whose details could not be read is still
   * listed (name, ARN, status, creation day, and tags if those were read) next to a gap that says what is missing.
   * Throws an AwsAccessError when ListEndpoints itself fails: then nothing is known, and an empty list would lie.
   */
  async endpointsWithGaps(): Promise<InventoryLoad> {
    const now = this.now();
    const gaps: InventoryGap[] = [];
    const summaries = await this.listEndpoints(gaps);
    if (summaries.length === 0) return { endpoints: [], gaps };

    const window = this.window(now);
    const configs = new Map<string, Promise<DescribeEndpointConfigOutput>>();
    const [described, scaling, changes] = await Promise.all([
      Promise.all(summaries.map((s) => this.describe(s, configs, gaps))),
      readAutoScaling(this.scalingReader(gaps), window),
      window ? this.configChanges(now, gaps) : undefined,
    ]);
    const components = described.some(servedByComponents)
      ? await this.inferenceComponents(described, gaps)
      : undefined;
    const types = window
      ? await this.variantTypes(described, changes, configs, now, window, gaps)
      : undefined;
    const endpoints = described.map((d) =>
      this.assemble(d, scaling, components, window, types?.get(d.summary.EndpointName)),
    );
    // Requests finish in any order; the gaps should not.
    gaps.sort((a, b) => (a.scope ?? '').localeCompare(b.scope ?? '') || a.api.localeCompare(b.api));
    return { endpoints, gaps };
  }

  private call<T>(api: string, send: () => Promise<T>): Promise<T> {
    return this.limit(() => {
      this.opts.usage.count(api);
      return send();
    });
  }

  private async listEndpoints(gaps: InventoryGap[]): Promise<(EndpointSummary & { EndpointName: string })[]> {
    const api = 'sagemaker:ListEndpoints';
    const out: (EndpointSummary & { EndpointName: string })[] = [];
    const names = new Set<string>();
    try {
      for await (const page of this.list(api, paginateListEndpoints, this.opts.sagemaker, {
        MaxResults: 100,
      })) {
        for (const s of page.Endpoints ?? []) {
          if (typeof s.EndpointName === 'string' && s.EndpointName !== '') {
            // An endpoint created while paging pushes the newest-first listing along: one may show up twice.
            if (names.has(s.EndpointName)) continue;
            names.add(s.EndpointName);
            out.push(s as EndpointSummary & { EndpointName: string });
          } else {
            gaps.push(
              gap(api, 'malformed', undefined, `${api} returned an endpoint without a name; it is left out`),
            );
          }
        }
      }
    } catch (err) {
      throw sourceError('inventory', api, err);
    }
    return out;
  }

  private async describe(
    summary: EndpointSummary & { EndpointName: string },
    configs: Map<string, Promise<DescribeEndpointConfigOutput>>,
    gaps: InventoryGap[],
  ): Promise<Described> {
    const name = summary.EndpointName;
    const [endpoint, tags] = await Promise.all([
      this.describeEndpoint(name, gaps),
      this.tags(name, summary.EndpointArn, gaps),
    ]);
    if (!endpoint) return { summary, ...(tags ? { tags } : {}) };

    const configName = endpoint.EndpointConfigName;
    let config: DescribeEndpointConfigOutput | undefined;
    if (configName) {
      try {
        config = await this.describeConfig(configName, configs);
      } catch (err) {
        const api = 'sagemaker:DescribeEndpointConfig';
        gaps.push(endpointGap(api, name, err, 'its instance types are unknown, so it has no instance-hours'));
      }
    }
    return { summary, endpoint, ...(config ? { config } : {}), ...(tags ? { tags } : {}) };
  }

  /** One DescribeEndpointConfig per distinct config, shared by every endpoint and history that names it. */
  private describeConfig(
    name: string,
    configs: Map<string, Promise<DescribeEndpointConfigOutput>>,
  ): Promise<DescribeEndpointConfigOutput> {
    let pending = configs.get(name);
    if (!pending) {
      pending = this.call('sagemaker:DescribeEndpointConfig', () =>
        this.opts.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })),
      ).then(checkConfig);
      configs.set(name, pending);
    }
    return pending;
  }

  /** The config changes of the last 90 days, or undefined (and a gap) without CloudTrail. */
  private async configChanges(
    now: number,
    gaps: InventoryGap[],
  ): Promise<ReadonlyMap<string, ConfigChange[]> | undefined> {
    if (!this.opts.cloudtrail) return undefined;
    const read = await configChangesOrGaps(this.opts.cloudtrail, this.list, now);
    for (const p of read.problems) gaps.push(gap(LOOKUP_EVENTS, p.kind, undefined, p.message));
    return read.byEndpoint;
  }

  /**
   * The types every endpoint's variants ran over the window: CloudTrail's config changes (each config described
   * once; deleted ones are unknown), and the ledger's recorded days where CloudTrail is silent.
   */
  private async variantTypes(
    described: readonly Described[],
    changes: ReadonlyMap<string, readonly ConfigChange[]> | undefined,
    configs: Map<string, Promise<DescribeEndpointConfigOutput>>,
    now: number,
    window: HoursWindow,
    gaps: InventoryGap[],
  ): Promise<Map<string, Map<string, TypeChange[]>>> {
    const endpoints = described.flatMap((d) =>
      d.endpoint ? [endpointVariants(d.summary.EndpointName, d.endpoint, d.config, createdMsOf(d))] : [],
    );
    const { types, unknown } = await endpointTypes({
      endpoints,
      changes,
      describe: (c) => this.describeConfig(c, configs),
      now,
      window,
      ledger: this.opts.history,
      timezone: this.opts.timezone,
      concurrency: this.opts.concurrency ?? DEFAULT_CONCURRENCY,
    });
    for (const u of unknown)
      gaps.push({ ...gap(u.api, 'failed', u.endpoint, u.message), endpoint: u.endpoint });
    return types;
  }

  private async describeEndpoint(
    name: string,
    gaps: InventoryGap[],
  ): Promise<DescribeEndpointOutput | undefined> {
    const api = 'sagemaker:DescribeEndpoint';
    try {
      const out = await this.call(api, () =>
        this.opts.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })),
      );
      return checkEndpoint(out);
    } catch (err) {
      gaps.push(endpointGap(api, name, err, 'its variants, instance type and count are unknown'));
      return undefined;
    }
  }

  private async tags(
    name: string,
    arn: string | undefined,
    gaps: InventoryGap[],
  ): Promise<Record<string, string> | undefined> {
    const api = 'sagemaker:ListTags';
    if (!arn) {
      gaps.push(
        gap(api, 'malformed', name, `endpoint ${name}: ListEndpoints gave no ARN, so its tags are unknown`),
      );
      return undefined;
    }
    try {
      return await listTags(this.list, this.opts.sagemaker, arn);
    } catch (err) {
      gaps.push(endpointGap(api, name, err, 'its tags are unknown, so no tag selector can match it', false));
      return undefined;
    }
  }

  private inferenceComponents(
    described: readonly Described[],
    gaps: InventoryGap[],
  ): Promise<Map<string, ComponentInfo[]> | undefined> {
    return readComponents({
      sagemaker: this.opts.sagemaker,
      list: this.list,
      call: (api, send) => this.call(api, send),
      endpoints: new Map(described.map((d) => [d.summary.EndpointName, d.tags])),
      failed: (api, endpoint, err, unknown) => {
        if (endpoint !== undefined) {
          gaps.push(endpointGap(api, endpoint, err, unknown));
          return;
        }
        const se = sourceError('inventory', api, err);
        gaps.push(gap(api, se.kind, undefined, `${se.message}; ${unknown}`));
      },
    });
  }

  private scalingReader(gaps: InventoryGap[]): ScalingReader {
    return {
      client: this.opts.autoscaling,
      list: this.list,
      failed: (api, err, unknown) => {
        const se = sourceError('inventory', api, err);
        gaps.push(gap(api, se.kind, undefined, `${se.message}; ${unknown}`));
      },
    };
  }

  /** The instants of the history window, or undefined without `historyFrom`. */
  private window(now: number): HoursWindow | undefined {
    const { historyFrom, timezone } = this.opts;
    if (!historyFrom) return undefined;
    const last = this.opts.asOf ?? this.clock.dayOf(now);
    const days = daysOf(historyFrom, addDays(last, 1)).map((day) => ({
      day,
      start: dayStartMs(day, timezone),
      end: dayStartMs(addDays(day, 1), timezone),
    }));
    const from = days[0]?.start ?? now;
    const to = Math.min(days[days.length - 1]?.end ?? now, now);
    return { from, to, days };
  }

  private assemble(
    d: Described,
    scaling: AutoScaling,
    components: Map<string, ComponentInfo[]> | undefined,
    window: HoursWindow | undefined,
    types?: ReadonlyMap<string, readonly TypeChange[]>,
  ): SageMakerEndpoint {
    const { summary, endpoint, config } = d;
    const name = summary.EndpointName;
    const arn = endpoint?.EndpointArn ?? summary.EndpointArn;
    const account = arn ? accountOf(arn) : undefined;
    const createdMs = createdMsOf(d);
    const status = endpoint?.EndpointStatus ?? summary.EndpointStatus;
    const base: SageMakerEndpoint = {
      name,
      ...(arn ? { arn } : {}),
      region: this.opts.region,
      ...(account ? { account } : {}),
      tags: d.tags ?? {},
      ...(createdMs === undefined ? {} : { createdAt: this.clock.dayOf(createdMs) }),
      ...(status ? { status } : {}),
    };
    if (!endpoint) return base;

    const configVariants = new Map<string, ProductionVariant>();
    for (const v of [...(config?.ProductionVariants ?? []), ...(config?.ShadowProductionVariants ?? [])]) {
      if (v.VariantName) configVariants.set(v.VariantName, v);
    }
    const ics = components?.get(name);
    const variant = (vname: string, s: ProductionVariantSummary | undefined): SageMakerVariant => {
      const cfg = configVariants.get(vname);
      const count = s?.CurrentInstanceCount ?? s?.DesiredInstanceCount;
      const limits = scaling.targets.get(variantResourceId(name, vname)) ?? managedScaling(s, cfg);
      const hosted = ics?.filter((c) => c.variant === vname).map((c) => c.name);
      return {
        name: vname,
        ...(cfg?.InstanceType ? { instanceType: cfg.InstanceType } : {}),
        ...(count === undefined ? {} : { instanceCount: count }),
        ...(limits ? { scaling: limits } : {}),
        ...(hosted?.length ? { inferenceComponents: hosted } : {}),
      };
    };
    const reported = new Set((endpoint.ProductionVariants ?? []).map((v) => v.VariantName));
    const production = [
      ...(endpoint.ProductionVariants ?? []).map((v) => variant(v.VariantName as string, v)),
      // A variant being created is in the config before DescribeEndpoint reports it: listed with its type, no count.
      ...(config?.ProductionVariants ?? [])
        .filter((v) => v.VariantName && !reported.has(v.VariantName))
        .map((v) => variant(v.VariantName as string, undefined)),
    ];
    const shadows = (endpoint.ShadowProductionVariants ?? []).map((v) => variant(v.VariantName as string, v));
    const variants = [...production, ...shadows];

    // The main variant is the production variant with the most instances (the first listed on a tie).
    let main: SageMakerVariant | undefined;
    for (const v of production) {
      if (!main || (v.instanceCount ?? 0) > (main.instanceCount ?? 0)) main = v;
    }
    const counted = variants.filter((v) => v.instanceCount !== undefined);
    const asynchronous = Boolean(endpoint.AsyncInferenceConfig ?? config?.AsyncInferenceConfig);
    const out: SageMakerEndpoint = {
      ...base,
      ...(main?.instanceType ? { instanceType: main.instanceType } : {}),
      ...(counted.length ? { instanceCount: counted.reduce((s, v) => s + (v.instanceCount ?? 0), 0) } : {}),
      ...(main?.scaling ? { scaling: main.scaling } : {}),
      variants,
      ...(ics?.length ? { components: ics } : {}),
      ...(config || endpoint.AsyncInferenceConfig ? { asynchronous } : {}),
    };
    // Hours need every variant's instance type: without the config they would land on no usage type at all.
    if (!window || !config) return out;
    const hours = instanceHours(name, variants, scaling.changes, createdMs, window, types);
    return { ...out, instanceHours: hours };
  }
}

function createdMsOf(d: Described): number | undefined {
  const created = d.endpoint?.CreationTime ?? d.summary.CreationTime;
  return created instanceof Date && !Number.isNaN(created.getTime()) ? created.getTime() : undefined;
}

/** Managed instance scaling (endpoints served by inference components) gives the variant's limits when enabled. */
function managedScaling(
  s: ProductionVariantSummary | undefined,
  cfg: ProductionVariant | undefined,
): ScalingLimits | undefined {
  const m = s?.ManagedInstanceScaling ?? cfg?.ManagedInstanceScaling;
  if (m?.Status !== 'ENABLED' || m.MinInstanceCount === undefined || m.MaxInstanceCount === undefined) {
    return undefined;
  }
  return { min: m.MinInstanceCount, max: m.MaxInstanceCount };
}

/** A variant that names no model of its own (or no instance type) and is not serverless hosts inference components. */
function servedByComponents(d: Described): boolean {
  return (d.config?.ProductionVariants ?? []).some(
    (v) => !v.ServerlessConfig && (v.ModelName === undefined || v.InstanceType === undefined),
  );
}

/** The account id of an ARN (arn:partition:service:region:account:resource), when it has one. */
function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

function gap(api: string, kind: AwsFailureKind, scope: string | undefined, message: string): InventoryGap {
  return { source: 'inventory', api, kind, ...(scope === undefined ? {} : { scope }), message };
}

/**
 * A hole in one endpoint's inventory. It names the endpoint (so that only the budgets selecting it are warned)
 * unless the endpoint's tags are what is missing: then no one can tell which budgets select it, and all are warned.
 */
function endpointGap(
  api: string,
  endpoint: string,
  err: unknown,
  unknown: string,
  tagsKnown = true,
): InventoryGap {
  const se = sourceError('inventory', api, err);
  const g = gap(api, se.kind, endpoint, `endpoint ${endpoint}: ${se.message}; ${unknown}`);
  return tagsKnown ? { ...g, endpoint } : g;
}
