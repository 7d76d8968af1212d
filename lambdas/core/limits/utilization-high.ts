/** Mean utilisation over the window above the band's ceiling (`utilization.max`): latency is at risk. */
import { raiseCapacity } from '../actions.ts';
import { endpointLimit, pct, viable } from './limit.ts';
import { UTILIZATION } from './measurements.ts';

export const utilizationHigh = endpointLimit({
  kind: 'utilization-high',
  key: 'utilization',
  label: 'utilisation above ceiling',
  runbook: 'runbook-utilisation',
  needs: [UTILIZATION],
  breachedWhen: 'above',
  observe: (v) => v.utilization,
  limitOf: (l) => l.utilization?.max,
  severity: () => 'warning',
  message: (f, o, l, w) =>
    `${f.name} runs at ${pct(o)} utilisation over ${w.window}, above the ${pct(l)} ceiling: latency is at risk.`,
  headline: (o, l) => `${pct(o)} utilisation, above its ${pct(l)} ceiling`,
  now: (v) => `utilisation now ${Math.round(v * 100)}%`,
  describe: (l) => `utilisation at most ${pct(l, 1)}`,
  remedies: ({ action }) => ({ actions: action ? viable(raiseCapacity(action)) : [] }),
});
