/**
 * SageMaker hosting instance types: vCPUs, accelerators, memory and the on-demand hourly price for real-time
 * inference in us-east-1. The prices are the shipped price table's (prices.ts), the one source of list prices; they
 * are used only where billing rows carry no rate (savings estimates, right-sizing). Billed rates always win.
 */
import { toNumber } from './money.ts';
import { SHIPPED_PRICES } from './prices.ts';

export const INSTANCE_TABLE_REGION = 'us-east-1';

export interface InstanceSpec {
  readonly vcpu: number;
  /** GPUs (or Inferentia/Trainium devices); 0 for CPU instances. */
  readonly gpus: number;
  readonly memoryGiB: number;
  readonly hourlyUsd: number;
  readonly family: string;
}

type Shape = Omit<InstanceSpec, 'hourlyUsd'>;

const spec = (vcpu: number, gpus: number, memoryGiB: number, family: string): Shape => ({
  vcpu,
  gpus,
  memoryGiB,
  family,
});

const SHAPES: Readonly<Record<string, Shape>> = {
  'ml.t2.medium': spec(2, 0, 4, 't2'),
  'ml.m5.large': spec(2, 0, 8, 'm5'),
  'ml.m5.xlarge': spec(4, 0, 16, 'm5'),
  'ml.m5.2xlarge': spec(8, 0, 32, 'm5'),
  'ml.m5.4xlarge': spec(16, 0, 64, 'm5'),
  'ml.m5.12xlarge': spec(48, 0, 192, 'm5'),
  'ml.c5.large': spec(2, 0, 4, 'c5'),
  'ml.c5.xlarge': spec(4, 0, 8, 'c5'),
  'ml.c5.2xlarge': spec(8, 0, 16, 'c5'),
  'ml.c5.4xlarge': spec(16, 0, 32, 'c5'),
  'ml.c5.9xlarge': spec(36, 0, 72, 'c5'),
  'ml.r5.large': spec(2, 0, 16, 'r5'),
  'ml.r5.xlarge': spec(4, 0, 32, 'r5'),
  'ml.r5.2xlarge': spec(8, 0, 64, 'r5'),
  'ml.g4dn.xlarge': spec(4, 1, 16, 'g4dn'),
  'ml.g4dn.2xlarge': spec(8, 1, 32, 'g4dn'),
  'ml.g4dn.4xlarge': spec(16, 1, 64, 'g4dn'),
  'ml.g4dn.12xlarge': spec(48, 4, 192, 'g4dn'),
  'ml.g5.xlarge': spec(4, 1, 16, 'g5'),
  'ml.g5.2xlarge': spec(8, 1, 32, 'g5'),
  'ml.g5.4xlarge': spec(16, 1, 64, 'g5'),
  'ml.g5.8xlarge': spec(32, 1, 128, 'g5'),
  'ml.g5.12xlarge': spec(48, 4, 192, 'g5'),
  'ml.g5.24xlarge': spec(96, 4, 384, 'g5'),
  'ml.g5.48xlarge': spec(192, 8, 768, 'g5'),
  'ml.g6.xlarge': spec(4, 1, 16, 'g6'),
  'ml.g6.2xlarge': spec(8, 1, 32, 'g6'),
  'ml.g6.12xlarge': spec(48, 4, 192, 'g6'),
  'ml.g6.16xlarge': spec(64, 1, 256, 'g6'),
  'ml.g6.24xlarge': spec(96, 4, 384, 'g6'),
  'ml.g6.48xlarge': spec(192, 8, 768, 'g6'),
  'ml.inf2.xlarge': spec(4, 1, 16, 'inf2'),
  'ml.inf2.8xlarge': spec(32, 1, 128, 'inf2'),
  'ml.inf2.24xlarge': spec(96, 6, 384, 'inf2'),
  'ml.inf2.48xlarge': spec(192, 12, 768, 'inf2'),
  'ml.p3.2xlarge': spec(8, 1, 61, 'p3'),
  'ml.p4d.24xlarge': spec(96, 8, 1152, 'p4d'),
  'ml.p5.48xlarge': spec(192, 8, 2048, 'p5'),
};

/** A shape the price table has no us-east-1 price for is a broken build, not a free instance. */
function priced(type: string, shape: Shape): InstanceSpec {
  const price = SHIPPED_PRICES.regions[INSTANCE_TABLE_REGION]?.hosting[type];
  if (!price)
    throw new Error(
      `instances.ts: the shipped price table has no ${INSTANCE_TABLE_REGION} price for ${type}`,
    );
  return { ...shape, hourlyUsd: toNumber(price.amount) };
}

export const INSTANCES: Readonly<Record<string, InstanceSpec>> = Object.fromEntries(
  Object.entries(SHAPES).map(([type, shape]) => [type, priced(type, shape)]),
);

/** The day of the price table the prices above come from. */
export const INSTANCE_TABLE_DATE: string = SHIPPED_PRICES.date;

export function instanceSpec(type: string): InstanceSpec | undefined {
  return INSTANCES[type];
}

/** Smaller instance types of the same family, cheapest first (right-sizing candidates). */
export function smallerInFamily(type: string): { type: string; spec: InstanceSpec }[] {
  const cur = INSTANCES[type];
  if (!cur) return [];
  return Object.entries(INSTANCES)
    .filter(
      ([t, s]) => t !== type && s.family === cur.family && s.hourlyUsd < cur.hourlyUsd && s.gpus <= cur.gpus,
    )
    .filter(([, s]) => (cur.gpus > 0 ? s.gpus > 0 : true))
    .map(([t, s]) => ({ type: t, spec: s }))
    .sort((a, b) => b.spec.hourlyUsd - a.spec.hourlyUsd);
}
