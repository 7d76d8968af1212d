/** The scalable resources and states the scaler's tests share. */
import {
  COMPONENT_DIMENSION,
  componentResourceId,
  type ScalableDimension,
  type ScalableResource,
  type ScalingState,
  TARGET_METRIC,
  VARIANT_DIMENSION,
  variantResourceId,
} from '../../lambdas/core/plan/types.ts';

export const variant: ScalableResource = {
  resourceId: variantResourceId('search-a', 'AllTraffic'),
  dimension: VARIANT_DIMENSION,
  endpoint: 'search-a',
  variant: 'AllTraffic',
};

export const component: ScalableResource = {
  resourceId: componentResourceId('chat-ic'),
  dimension: COMPONENT_DIMENSION,
  endpoint: 'chat',
  component: 'chat-ic',
};

/** The tool's target-tracking policy on `dimension`'s metric. */
export const tracking = (targetValue: number, dimension: ScalableDimension = VARIANT_DIMENSION) => ({
  metric: TARGET_METRIC[dimension],
  targetValue,
  scaleInCooldownSeconds: 600,
  scaleOutCooldownSeconds: 120,
});

/** An inference component allowed to scale to zero copies and woken by a request. */
export const toZero: ScalingState = {
  target: { min: 0, max: 2 },
  targetTracking: null,
  wakeOnRequest: true,
  schedules: [],
};
