/** p99 ModelLatency over the window, against `latencyP99Ms`. */
import { raiseCapacity, reviewModelLatency } from '../actions.ts';
import { endpointLimit } from './limit.ts';
import { MODEL_LATENCY_P99 } from './measurements.ts';

export const latency = endpointLimit({
  kind: 'latency',
  key: 'latencyP99Ms',
  label: 'p99 latency',
  runbook: 'runbook-latency',
  needs: [MODEL_LATENCY_P99],
  breachedWhen: 'above',
  observe: (v) => v.latencyP99Ms,
  limitOf: (l) => l.latencyP99Ms,
  severity: (o, l) => (o > 1.5 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} ModelLatency p99 is ${o.toFixed(1)} ms over ${w.window} (worst hour ${(f.worstHourP99Ms ?? o).toFixed(1)} ms), above the ${l} ms ceiling.`,
  headline: (o, l) => `ModelLatency p99 ${o.toFixed(1)} ms, above its ${l} ms ceiling`,
  now: (v) => `p99 now ${v.toFixed(1)} ms`,
  describe: (l) => `p99 latency ${l} ms`,
  // more capacity when the endpoint is busy; otherwise the model itself is slow
  remedies: ({ action, observed, limit }) => ({
    actions: action ? [raiseCapacity(action) ?? reviewModelLatency(action, observed, limit)] : [],
  }),
});
