/** Mean utilisation over the window below the band's floor (`utilization.min`): capacity sits idle. */
import { lowerMinInstances, retireIdleEndpoint, rightSizeInstance, scheduleScaleDown } from '../actions.ts';
import { endpointLimit, pct, viable } from './limit.ts';
import { UTILIZATION } from './measurements.ts';

export const utilizationLow = endpointLimit({
  kind: 'utilization-low',
  key: 'utilization',
  label: 'utilisation below floor',
  runbook: 'runbook-utilisation',
  needs: [UTILIZATION],
  breachedWhen: 'below',
  observe: (v) => v.utilization,
  limitOf: (l) => l.utilization?.min,
  severity: (o, l) => (o < l / 3 ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} runs at ${pct(o)} utilisation over ${w.window}, below the ${pct(l)} floor: capacity sits idle.`,
  headline: (o, l) => `${pct(o)} utilisation, below its ${pct(l)} floor`,
  now: (v) => `utilisation now ${Math.round(v * 100)}%`,
  describe: (l) => `utilisation at least ${pct(l, 1)}`,
  // the cause is the measured split: idle capacity when spend is flat (utilisation under the floor says so) or
  // when idle capacity holds the largest part of the change, never stated over a larger driver
  remedies: ({ action, cause }) => ({
    actions: action
      ? viable(
          retireIdleEndpoint(action),
          lowerMinInstances(action),
          scheduleScaleDown(action),
          rightSizeInstance(action),
        )
      : [],
    cause: cause(),
  }),
});
