import type { EndpointResult } from '../../lambdas/core/evaluate/types.ts';

/** An endpoint as evaluation reports it: measured on every metric, within ordinary limits. */
export const endpointResult = (name: string, over: Partial<EndpointResult> = {}): EndpointResult => ({
  name,
  attribution: 'resource',
  instanceType: 'ml.g5.xlarge',
  peakInstances: 2,
  spendToDate: 500,
  invocations: 1_000_000,
  costPer1k: 0.5,
  latencyP99Ms: 40,
  errorRate: 0.001,
  utilization: 0.5,
  ...over,
});
