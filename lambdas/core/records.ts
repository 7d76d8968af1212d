/**
 * The records of a cycle as JSON carries them (between Step Functions states through S3, in the ledger's cost-day
 * cache): zod codecs that decode stored JSON into the core's types and encode them back. Money is exact decimal text
 * (bigint does not serialise), metric columns are plain arrays (typed arrays do not). Decoding checks every field, so
 * a stored record that does not have the shape it claims fails with its path instead of flowing on as a cast.
 */
import * as z from 'zod';
import { formatMoney, MONEY_DECIMALS, type Money, parseMoney } from './money.ts';
import {
  type CostRecord,
  type DataGap,
  type EndpointInfo,
  KNOWN_METRICS,
  type MetricSeries,
  type Snapshot,
} from './types.ts';

const Day = z.iso.date();

/** Exact money as decimal text ("12.500000000000") <-> bigint pico-units. */
export const MoneyText = z.codec(z.string(), z.bigint(), {
  decode: (text, ctx) => {
    const amount = parseMoney(text);
    if (amount !== undefined) return amount;
    ctx.issues.push({
      code: 'custom',
      input: text,
      message: `expected a decimal amount, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  },
  encode: (amount: Money) => formatMoney(amount, MONEY_DECIMALS),
});

const Tags = z.record(z.string(), z.string());

const SourceRef = z.strictObject({
  file: z.string(),
  row: z.number().int().optional(),
  path: z.string().optional(),
});

export const CostRecordCodec = z.strictObject({
  start: z.number(),
  end: z.number(),
  amount: MoneyText,
  currency: z.string().min(1),
  service: z.string(),
  chargeCategory: z.string().optional(),
  usageType: z.string().optional(),
  resourceId: z.string().optional(),
  region: z.string().optional(),
  account: z.string().optional(),
  endpoint: z.string().optional(),
  instanceType: z.string().optional(),
  usageHours: z.number().optional(),
  training: z.boolean().optional(),
  tags: Tags,
  source: SourceRef.optional(),
}) satisfies z.ZodType<CostRecord>;
export type StoredCostRecord = z.input<typeof CostRecordCodec>;

const Column = z.codec(
  z.array(z.number()),
  z.custom<Float64Array>((v) => v instanceof Float64Array),
  {
    decode: (values) => Float64Array.from(values),
    encode: (column) => Array.from(column),
  },
);

export const MetricSeriesCodec = z.strictObject({
  endpoint: z.string(),
  variant: z.string(),
  component: z.string().optional(),
  metric: z.enum(KNOWN_METRICS),
  stat: z.string().min(1),
  t: Column,
  v: Column,
  periodSeconds: z.number().int().positive(),
}) satisfies z.ZodType<MetricSeries>;

const Scaling = z.strictObject({
  min: z.number(),
  max: z.number(),
  targetValue: z.number().optional(),
});

export const EndpointInfoSchema = z.strictObject({
  name: z.string().min(1),
  arn: z.string().optional(),
  region: z.string().optional(),
  account: z.string().optional(),
  instanceType: z.string().optional(),
  instanceCount: z.number().optional(),
  tags: Tags,
  createdAt: z.string().optional(),
  status: z.string().optional(),
  scaling: Scaling.optional(),
  variants: z
    .array(
      z.strictObject({
        name: z.string(),
        instanceType: z.string().optional(),
        instanceCount: z.number().optional(),
        scaling: Scaling.optional(),
      }),
    )
    .readonly()
    .optional(),
  components: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        variant: z.string(),
        copies: z.number().int().nonnegative().optional(),
        status: z.string().optional(),
        acceleratorsPerCopy: z.number().positive().optional(),
        tags: Tags.optional(),
      }),
    )
    .readonly()
    .optional(),
  asynchronous: z.boolean().optional(),
  instanceHours: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  attribution: z.enum(['resource', 'tag', 'estimated']).optional(),
}) satisfies z.ZodType<EndpointInfo>;

export const DataGapSchema = z.strictObject({
  source: z.enum(['costs', 'metrics', 'inventory']),
  scope: z.string().optional(),
  endpoint: z.string().optional(),
  message: z.string(),
}) satisfies z.ZodType<DataGap>;

export const SnapshotCodec = z.strictObject({
  asOf: Day,
  currency: z.string().min(1),
  costs: z.array(CostRecordCodec).readonly(),
  metrics: z.array(MetricSeriesCodec).readonly().optional(),
  inventory: z.array(EndpointInfoSchema).readonly(),
  gaps: z.array(DataGapSchema).readonly(),
  costsCompleteThrough: Day.optional(),
}) satisfies z.ZodType<Snapshot>;
export type StoredSnapshot = z.input<typeof SnapshotCodec>;

/** A cost record as JSON carries it. */
export function storeCostRecord(r: CostRecord): StoredCostRecord {
  return z.encode(CostRecordCodec, r);
}

/** Cost records read back from a store: checked field by field, `where` names the store in an error. */
export function loadCostRecords(json: unknown, where: string): CostRecord[] {
  const r = z.array(CostRecordCodec).safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new RangeError(`${where}: stored cost records: ${issue?.path.join('.')}: ${issue?.message}`);
}

export function storeSnapshot(s: Snapshot): StoredSnapshot {
  return z.encode(SnapshotCodec, s);
}
