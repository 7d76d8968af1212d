/** Cost per 1k inferences: the window's spend over its invocations, against `costPer1kInferences`. */
import { lowerMinInstances, raiseScalingTarget, retireIdleEndpoint, rightSizeInstance } from '../actions.ts';
import { displayUnitPrice } from '../money.ts';
import { endpointLimit, viable } from './limit.ts';
import { INVOCATIONS } from './measurements.ts';

export const unitCost = endpointLimit({
  kind: 'unit-cost',
  key: 'costPer1kInferences',
  label: 'cost per 1k inferences',
  runbook: 'runbook-unit-cost',
  needs: [INVOCATIONS],
  breachedWhen: 'above',
  observe: (v) => v.costPer1k,
  limitOf: (l) => l.costPer1kInferences,
  severity: (o, l) => (o > 1.5 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} costs ${displayUnitPrice(o, w.currency)} per 1k inferences over ${w.window}, above the ${displayUnitPrice(l, w.currency)} limit.`,
  headline: (o, l, c) =>
    `${displayUnitPrice(o, c)} per 1k inferences, above its ${displayUnitPrice(l, c)} limit`,
  now: (v, c) => `now ${displayUnitPrice(v, c)} per 1k inferences`,
  describe: (l, c) => `cost per 1k ${displayUnitPrice(l, c)}`,
  remedies: ({ action, cause }) => ({
    actions: action
      ? viable(
          retireIdleEndpoint(action),
          lowerMinInstances(action),
          raiseScalingTarget(action),
          rightSizeInstance(action),
        )
      : [],
    cause: cause(),
  }),
});
