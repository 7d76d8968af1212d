import {
  NO_SCALING,
  type ObservedScaling,
  type ScalableResource,
  type ScalingState,
} from '../../lambdas/core/plan/types.ts';
import type { Scaler } from '../../lambdas/ports.ts';

/** An in-memory Application Auto Scaling: what is written is what is read back, and every write is kept. */
export class MemoryScaler implements Scaler {
  readonly states = new Map<string, ScalingState>();
  readonly writes: { resourceId: string; from: ScalingState; to: ScalingState }[] = [];
  failRead = false;
  async read(resources: readonly ScalableResource[]): Promise<ReadonlyMap<string, ObservedScaling>> {
    if (this.failRead)
      throw new Error('application-autoscaling:DescribeScalableTargets: AccessDeniedException');
    return new Map(
      resources.map((r) => [
        r.resourceId,
        { state: this.states.get(r.resourceId) ?? NO_SCALING, foreignPolicies: [], foreignSchedules: [] },
      ]),
    );
  }
  async write(r: ScalableResource, from: ScalingState, to: ScalingState): Promise<readonly string[]> {
    this.writes.push({ resourceId: r.resourceId, from, to });
    this.states.set(r.resourceId, to);
    return ['RegisterScalableTarget'];
  }
}
