/** Peak instances in the window, from billing, against `maxInstances`. */
import { endpointLimit } from './limit.ts';

export const maxInstances = endpointLimit({
  kind: 'max-instances',
  key: 'maxInstances',
  label: 'instance ceiling',
  runbook: 'runbook-instance-ceiling',
  // judged on billing's instance-hours, not on metrics
  needs: [],
  breachedWhen: 'above',
  observe: (v) => v.peakInstances,
  limitOf: (l) => l.maxInstances,
  severity: () => 'warning',
  message: (f, o, l, w) => `${f.name} ran ${o} instances in ${w.window}, above the limit of ${l}.`,
  headline: (o, l) => `ran ${o} instances, above its limit of ${l}`,
  now: (v) => `peak now ${v} instances`,
  describe: (l) => `at most ${l} instances`,
  remedies: ({ endpoint, observed, limit }) => ({
    actions: [
      {
        type: 'lower-max-instances',
        endpoint,
        estimatedSavings: 0,
        risk: 'medium',
        description: `Set the autoscaling maximum of ${endpoint} to ${limit}, or raise the limit with an approved exception.`,
        change: { maxInstances: { from: observed, to: limit } },
      },
    ],
  }),
});
