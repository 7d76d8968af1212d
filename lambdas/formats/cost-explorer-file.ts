/**
 * A saved Cost Explorer GetCostAndUsage response (`aws ce get-cost-and-usage ... > costs.json`), DAILY or MONTHLY,
 * grouped or not. Each group of each period becomes one record covering the period (UTC midnights).
 */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { formatPath } from '../core/budget.ts';
import { inputError } from '../core/errors.ts';
import { type Money, parseBillAmount, parseMoney } from '../core/money.ts';
import {
  endpointFromArn,
  hostingInstanceType,
  isHoursUnit,
  trainingInstanceType,
} from '../core/sagemaker.ts';
import type { CostRecord } from '../core/types.ts';
import type { CostLoad } from '../ports.ts';
import { Interner, NO_TAGS, normaliseTagKey, parseInstant, parseNumber, shown } from './csv.ts';
import { checkInputFile } from './input-file.ts';

const Amount = z.string().superRefine((s, ctx) => {
  const amount = parseBillAmount(s);
  if (amount === undefined || amount === 'too-large') {
    const expected =
      amount === undefined ? 'a decimal amount as a string' : 'an amount below 10^12 in magnitude';
    ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${s === '' ? '""' : shown(s)}` });
  }
});
const Instant = z.string().refine((s) => parseInstant(s) !== undefined, {
  error: (issue) => `expected a date like 2024-04-01, got ${JSON.stringify(issue.input)}`,
});
const MetricValue = z.object({ Amount, Unit: z.string().optional() });
const Metrics = z.record(z.string(), MetricValue);
/** The part of a GetCostAndUsage(WithResources) response that becomes cost records; other keys pass through. */
export const CostExplorerResponseSchema = z.object({
  GroupDefinitions: z
    .array(z.object({ Type: z.enum(['DIMENSION', 'TAG', 'COST_CATEGORY']), Key: z.string() }))
    .optional(),
  ResultsByTime: z.array(
    z.object({
      TimePeriod: z.object({ Start: Instant, End: Instant }),
      Total: Metrics.optional(),
      Groups: z.array(z.object({ Keys: z.array(z.string()), Metrics })).optional(),
      Estimated: z.boolean().optional(),
    }),
  ),
});
export type CostExplorerResponse = z.infer<typeof CostExplorerResponseSchema>;
type MetricsOf = z.infer<typeof Metrics>;

/** What one group key sets on a record. */
type Field = 'service' | 'usageType' | 'region' | 'account' | 'chargeCategory' | 'resourceId';
type KeyRole = { readonly kind: Field | 'ignored' } | { readonly kind: 'tag'; readonly key: string };

const DIMENSIONS: Readonly<Record<string, Field>> = {
  SERVICE: 'service',
  USAGE_TYPE: 'usageType',
  REGION: 'region',
  LINKED_ACCOUNT: 'account',
  RECORD_TYPE: 'chargeCategory',
  RESOURCE_ID: 'resourceId',
};

/** Names a record's service when the response is not grouped by SERVICE: the total over all of them. */
export const ALL_SERVICES = 'All services';

/**
 * Loads a saved GetCostAndUsage response. The amount is UnblendedCost (billed) or NetAmortizedCost, falling back
 * to AmortizedCost (effective). `completeThrough` is the last day before the first estimated period.
 */
export async function loadCostExplorerJson(
  file: string,
  opts: { readonly costMetric: 'billed' | 'effective' },
): Promise<CostLoad> {
  await checkInputFile(file, 'json');
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw inputError(
      file,
      `expected a Cost Explorer GetCostAndUsage response as JSON: ${(err as Error).message}`,
      {},
      err,
    );
  }
  const response = parseCostExplorerResponse(file, doc);
  if (response.ResultsByTime.length === 0) {
    return {
      records: [],
      gaps: [{ source: 'costs', scope: file, message: 'the Cost Explorer file has no periods' }],
    };
  }
  const metric = chooseMetric(file, response, opts.costMetric);
  const { records, firstEstimated, lastEnd } = recordsOfResponse(file, response, metric);
  const lastCompleteMs = firstEstimated ?? lastEnd;
  return { records, gaps: [], completeThrough: new Date(lastCompleteMs - 1).toISOString().slice(0, 10) };
}

/** Validates a GetCostAndUsage response; an `InputError` names `origin` (a file, or the API) and the JSON path. */
export function parseCostExplorerResponse(origin: string, doc: unknown): CostExplorerResponse {
  const parsed = CostExplorerResponseSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw inputError(origin, issue.message, { path: formatPath(issue.path) });
  }
  return parsed.data;
}

/**
 * One record per group of each period (or per period, from `Total`, when the response is not grouped), the amount
 * taken from `metric`. Also the start of the first estimated period and the end of the last one, epoch ms.
 * `file` names where the response came from in errors and in each record's `source`: a file, or an API call.
 */
export function recordsOfResponse(
  file: string,
  response: CostExplorerResponse,
  metric: string,
  strings = new Interner(),
): { records: CostRecord[]; firstEstimated: number | undefined; lastEnd: number } {
  const roles = response.GroupDefinitions?.map(roleOf);
  const records: CostRecord[] = [];
  let firstEstimated: number | undefined;
  let lastEnd = Number.NEGATIVE_INFINITY;

  response.ResultsByTime.forEach((result, i) => {
    const start = parseInstant(result.TimePeriod.Start) as number;
    const end = parseInstant(result.TimePeriod.End) as number;
    if (end <= start) {
      throw inputError(file, `expected an End after Start, got ${JSON.stringify(result.TimePeriod)}`, {
        path: `ResultsByTime[${i}].TimePeriod`,
      });
    }
    if (result.Estimated && (firstEstimated === undefined || start < firstEstimated)) firstEstimated = start;
    lastEnd = Math.max(lastEnd, end);
    const base = `ResultsByTime[${i}]`;
    const groups = result.Groups ?? [];
    if (groups.length === 0) {
      // A grouped response writes an empty Total; a period without groups then had no charges.
      if (result.Total?.[metric] === undefined) {
        if (result.Groups === undefined) throw missingMetric(file, `${base}.Total`, metric, result.Total);
        return;
      }
      records.push(toRecord(file, `${base}.Total`, start, end, [], result.Total, metric, roles, strings));
      return;
    }
    groups.forEach((group, j) => {
      const path = `${base}.Groups[${j}]`;
      if (roles && group.Keys.length !== roles.length) {
        throw inputError(
          file,
          `expected ${roles.length} keys as in GroupDefinitions, got ${group.Keys.length}`,
          {
            path: `${path}.Keys`,
          },
        );
      }
      records.push(toRecord(file, path, start, end, group.Keys, group.Metrics, metric, roles, strings));
    });
  });
  return { records, firstEstimated, lastEnd };
}

function chooseMetric(
  file: string,
  response: CostExplorerResponse,
  costMetric: 'billed' | 'effective',
): string {
  const present = new Set<string>();
  for (const r of response.ResultsByTime) {
    for (const name of Object.keys(r.Total ?? {})) present.add(name);
    for (const g of r.Groups ?? []) for (const name of Object.keys(g.Metrics)) present.add(name);
  }
  const wanted = costMetric === 'billed' ? ['UnblendedCost'] : ['NetAmortizedCost', 'AmortizedCost'];
  const metric = wanted.find((m) => present.has(m));
  if (metric === undefined) {
    const has = present.size > 0 ? [...present].sort().join(', ') : 'none';
    throw inputError(
      file,
      `the cost metric "${costMetric}" needs ${wanted.join(' or ')} in the response; it has ${has} (rerun get-cost-and-usage with --metrics ${wanted[0]})`,
    );
  }
  return metric;
}

function missingMetric(file: string, path: string, metric: string, metrics: MetricsOf | undefined) {
  const has = Object.keys(metrics ?? {});
  return inputError(
    file,
    `expected the metric ${metric}; found ${has.length > 0 ? has.join(', ') : 'none'}`,
    {
      path,
    },
  );
}

function roleOf(def: { readonly Type: string; readonly Key: string }): KeyRole {
  if (def.Type === 'DIMENSION') {
    const field = DIMENSIONS[def.Key];
    return field ? { kind: field } : { kind: 'ignored' };
  }
  // TAG and COST_CATEGORY keys both come back as `Name$Value`; budgets select on either as a tag.
  return { kind: 'tag', key: normaliseTagKey(def.Key) };
}

/** Without GroupDefinitions a key `team$search` is a tag (`team$` = untagged) and any other key is a service. */
function guessRole(key: string): KeyRole {
  const dollar = key.indexOf('$');
  return dollar < 0 ? { kind: 'service' } : { kind: 'tag', key: normaliseTagKey(key.slice(0, dollar)) };
}

function toRecord(
  file: string,
  path: string,
  start: number,
  end: number,
  keys: readonly string[],
  metrics: MetricsOf,
  metric: string,
  roles: readonly KeyRole[] | undefined,
  strings: Interner,
): CostRecord {
  const value = metrics[metric];
  if (value === undefined) throw missingMetric(file, `${path}.Metrics`, metric, metrics);
  if (value.Unit === undefined || value.Unit === '') {
    throw inputError(file, 'expected a currency code in Unit', { path: `${path}.Metrics.${metric}.Unit` });
  }
  const fields: Partial<Record<Field, string>> = {};
  let tags: Record<string, string> | undefined;
  keys.forEach((key, k) => {
    const role = roles?.[k] ?? guessRole(key);
    if (role.kind === 'ignored') return;
    if (role.kind === 'tag') {
      const dollar = key.indexOf('$');
      const tagValue = dollar < 0 ? key : key.slice(dollar + 1);
      if (tagValue !== '') {
        tags ??= {};
        tags[role.key] = tagValue;
      }
      return;
    }
    fields[role.kind] = key;
  });
  const usageType = strings.get(fields.usageType);
  const instanceType = strings.get(hostingInstanceType(usageType));
  const training = trainingInstanceType(usageType) !== undefined;
  const resourceId = fields.resourceId === 'NoResourceId' ? undefined : fields.resourceId;
  const quantity = metrics.UsageQuantity;
  const hours =
    instanceType !== undefined && quantity !== undefined && isHoursUnit(quantity.Unit)
      ? usageQuantity(file, `${path}.Metrics.UsageQuantity.Amount`, quantity.Amount)
      : undefined;
  const service =
    fields.service ?? (instanceType !== undefined || training ? 'Amazon SageMaker' : ALL_SERVICES);
  return {
    start,
    end,
    amount: parseMoney(value.Amount) as Money,
    currency: strings.get(value.Unit),
    service: strings.get(service),
    chargeCategory: strings.get(fields.chargeCategory),
    usageType,
    resourceId,
    region: strings.get(fields.region),
    account: strings.get(fields.account),
    endpoint: endpointFromArn(resourceId),
    instanceType,
    usageHours: hours,
    training,
    tags: tags ? Object.freeze(tags) : NO_TAGS,
    source: { file, path },
  };
}

function usageQuantity(file: string, path: string, text: string): number {
  const n = parseNumber(text);
  if (n === undefined) throw inputError(file, `expected a number, got ${JSON.stringify(text)}`, { path });
  return n;
}
