/** What the endpoint limits need measured, in the order a missing-data finding lists them. */
import { instanceSpec } from '../instances.ts';
import type { Measurement } from './limit.ts';

export const INVOCATIONS: Measurement = {
  name: () => 'Invocations',
  value: (r) => r.invocations,
};

export const MODEL_LATENCY_P99: Measurement = {
  name: () => 'ModelLatency p99',
  value: (r) => r.latencyP99Ms,
};

export const UTILIZATION: Measurement = {
  // utilisation is normalised by the instance's cores and GPUs: an unknown type cannot be normalised
  name: (r) =>
    r.instanceType && !instanceSpec(r.instanceType)
      ? `utilisation (unknown instance type ${r.instanceType})`
      : 'CPU/GPU utilisation',
  value: (r) => r.utilization,
};

export const MEASUREMENTS: readonly Measurement[] = [INVOCATIONS, MODEL_LATENCY_P99, UTILIZATION];
