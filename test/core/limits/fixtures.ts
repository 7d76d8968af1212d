import type { BudgetResult } from '../../../lambdas/core/evaluate/types.ts';
import type { EndpointFacts, RemedyInput, Wording } from '../../../lambdas/core/limits/limit.ts';
import type { Cause, Finding } from '../../../lambdas/core/types.ts';
import { endpointResult } from '../../helpers/results.ts';

export const WORDING: Wording = { window: '2026-10-09..2026-10-15', currency: 'USD' };

/** One endpoint's facts over the window; nothing measured unless given. */
export const facts = (f: Partial<EndpointFacts> = {}): EndpointFacts => ({
  name: 'e',
  costPer1k: null,
  latencyP99Ms: null,
  worstHourP99Ms: null,
  errorRate: null,
  utilization: null,
  peakInstances: null,
  ...f,
});

export const budgetResult = (over: Partial<BudgetResult> = {}): BudgetResult => ({
  name: 'chat-prod',
  owner: 'chat@example.com',
  tier: 'production',
  mode: 'approve',
  environment: 'prod',
  status: 'ok',
  cap: 3000,
  spendToDate: 1500,
  spendToDateExact: '1500.0000000000',
  forecast: { expected: 2800, low: 2600, high: 3000, method: 'test' },
  thresholds: { actual: [0.5], forecast: [0.5, 0.8] },
  cause: null,
  actions: [],
  crossesCapOn: null,
  limits: {},
  exceptions: [],
  endpoints: [endpointResult('chat-a')],
  findings: [],
  ...over,
});

export const gap = (endpoint?: string): Finding => ({
  kind: 'incomplete-data',
  budget: 'chat-prod',
  endpoint,
  severity: 'warning',
  message: 'no metrics',
  actions: [],
  key: 'incomplete-data|chat-prod',
});

export const CAUSE: Cause = {
  primary: 'traffic',
  change: 100,
  parts: { traffic: 80, 'idle-capacity': 20, 'instance-change': 0, price: 0, 'new-endpoint': 0, other: 0 },
  baseline: { from: '2026-09-01', to: '2026-10-01', dailySpend: 10 },
  current: { from: '2026-10-09', to: '2026-10-16', dailySpend: 13 },
  summary: 'More traffic.',
};

/** A breach of an endpoint without cost rows (no action can be sized on it), with a cause when given. */
export const remedyInput = (observed: number, limit: number, cause?: Cause): RemedyInput => ({
  endpoint: 'e',
  observed,
  limit,
  action: undefined,
  cause: () => cause,
});
