/**
 * SageMaker hosting instance types: vCPUs, accelerators, memory and the on-demand hourly price for real-time
 * inference in us-east-1. Prices are AWS list prices as published on the SageMaker pricing page; they are used
 * only where billing rows carry no rate (savings estimates, right-sizing). Billed rates always win.
 */
export const INSTANCE_TABLE_DATE = '2025-06-01';
export const INSTANCE_TABLE_REGION = 'us-east-1';

export interface InstanceSpec {
  readonly vcpu: number;
  /** GPUs (or Inferentia/Trainium devices); 0 for CPU instances. */
  readonly gpus: number;
  readonly memoryGiB: number;
  readonly hourlyUsd: number;
  readonly family: string;
}

const spec = (
  vcpu: number,
  gpus: number,
  memoryGiB: number,
  hourlyUsd: number,
  family: string,
): InstanceSpec => ({
  vcpu,
  gpus,
  memoryGiB,
  hourlyUsd,
  family,
});

export const INSTANCES: Readonly<Record<string, InstanceSpec>> = {
  'ml.t2.medium': spec(2, 0, 4, 0.056, 't2'),
  'ml.m5.large': spec(2, 0, 8, 0.115, 'm5'),
  'ml.m5.xlarge': spec(4, 0, 16, 0.23, 'm5'),
  'ml.m5.2xlarge': spec(8, 0, 32, 0.461, 'm5'),
  'ml.m5.4xlarge': spec(16, 0, 64, 0.922, 'm5'),
  'ml.m5.12xlarge': spec(48, 0, 192, 2.765, 'm5'),
  'ml.c5.large': spec(2, 0, 4, 0.102, 'c5'),
  'ml.c5.xlarge': spec(4, 0, 8, 0.204, 'c5'),
  'ml.c5.2xlarge': spec(8, 0, 16, 0.408, 'c5'),
  'ml.c5.4xlarge': spec(16, 0, 32, 0.816, 'c5'),
  'ml.c5.9xlarge': spec(36, 0, 72, 1.836, 'c5'),
  'ml.r5.large': spec(2, 0, 16, 0.151, 'r5'),
  'ml.r5.xlarge': spec(4, 0, 32, 0.302, 'r5'),
  'ml.r5.2xlarge': spec(8, 0, 64, 0.605, 'r5'),
  'ml.g4dn.xlarge': spec(4, 1, 16, 0.736, 'g4dn'),
  'ml.g4dn.2xlarge': spec(8, 1, 32, 0.94, 'g4dn'),
  'ml.g4dn.4xlarge': spec(16, 1, 64, 1.505, 'g4dn'),
  'ml.g4dn.12xlarge': spec(48, 4, 192, 4.89, 'g4dn'),
  'ml.g5.xlarge': spec(4, 1, 16, 1.408, 'g5'),
  'ml.g5.2xlarge': spec(8, 1, 32, 1.515, 'g5'),
  'ml.g5.4xlarge': spec(16, 1, 64, 2.03, 'g5'),
  'ml.g5.8xlarge': spec(32, 1, 128, 3.06, 'g5'),
  'ml.g5.12xlarge': spec(48, 4, 192, 7.09, 'g5'),
  'ml.g5.24xlarge': spec(96, 4, 384, 10.18, 'g5'),
  'ml.g5.48xlarge': spec(192, 8, 768, 20.36, 'g5'),
  'ml.g6.xlarge': spec(4, 1, 16, 1.0064, 'g6'),
  'ml.g6.2xlarge': spec(8, 1, 32, 1.222, 'g6'),
  'ml.g6.12xlarge': spec(48, 4, 192, 5.752, 'g6'),
  'ml.g6.16xlarge': spec(64, 1, 256, 4.246, 'g6'),
  'ml.g6.24xlarge': spec(96, 4, 384, 8.344, 'g6'),
  'ml.g6.48xlarge': spec(192, 8, 768, 16.688, 'g6'),
  'ml.inf2.xlarge': spec(4, 1, 16, 0.99, 'inf2'),
  'ml.inf2.8xlarge': spec(32, 1, 128, 2.36, 'inf2'),
  'ml.inf2.24xlarge': spec(96, 6, 384, 7.79, 'inf2'),
  'ml.inf2.48xlarge': spec(192, 12, 768, 15.58, 'inf2'),
  'ml.p3.2xlarge': spec(8, 1, 61, 3.825, 'p3'),
  'ml.p4d.24xlarge': spec(96, 8, 1152, 37.688, 'p4d'),
  'ml.p5.48xlarge': spec(192, 8, 2048, 113.068, 'p5'),
};

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
