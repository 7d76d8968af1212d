/** Share of invocations that fail (4XX + 5XX) over the window, against `errorRate`. */
import { endpointLimit, pct } from './limit.ts';
import { INVOCATIONS } from './measurements.ts';

export const errorRate = endpointLimit({
  kind: 'error-rate',
  key: 'errorRate',
  label: 'error rate',
  runbook: 'runbook-error-rate',
  needs: [INVOCATIONS],
  breachedWhen: 'above',
  observe: (v) => v.errorRate,
  limitOf: (l) => l.errorRate,
  severity: (o, l) => (o > 2 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} fails ${pct(o, 2)} of invocations (4XX+5XX) over ${w.window}, above the ${pct(l, 2)} limit.`,
  headline: (o, l) => `${pct(o, 2)} of invocations fail, above its ${pct(l, 2)} limit`,
  now: (v) => `errors now ${pct(v, 2)}`,
  describe: (l) => `error rate ${pct(l, 1)}`,
  remedies: ({ endpoint }) => ({
    actions: [
      {
        type: 'investigate-errors',
        endpoint,
        estimatedSavings: 0,
        risk: 'low',
        description: `Look at ${endpoint}'s Invocation4XXErrors/5XXErrors and its CloudWatch logs; 5XX with high utilisation means it needs capacity.`,
      },
    ],
  }),
});
