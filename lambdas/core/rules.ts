import type { Limits } from './budget.ts';
import { displayUnitPrice } from './money.ts';
import type { FindingKind, Severity } from './types.ts';

/** What a rule knows of one endpoint over the judging window (null: not measured). */
export interface EndpointFacts {
  readonly name: string;
  readonly costPer1k: number | null;
  readonly latencyP99Ms: number | null;
  readonly worstHourP99Ms: number | null;
  readonly errorRate: number | null;
  readonly utilization: number | null;
  readonly peakInstances: number | null;
}

/** A rule's answer: judged fine, breached (with the numbers), or not applicable (no limit, or no data for it). */
export type Verdict =
  | { readonly status: 'ok' }
  | { readonly status: 'not-applicable' }
  | { readonly status: 'breached'; readonly observed: number; readonly limit: number };

/** How a breach reads; kept apart from the judgement so that alert text can change without touching a rule. */
export interface Wording {
  readonly window: string;
  readonly currency: string;
}

export interface EndpointRule {
  readonly kind: FindingKind;
  check(facts: EndpointFacts, limits: Limits): Verdict;
  severity(observed: number, limit: number): Severity;
  message(facts: EndpointFacts, observed: number, limit: number, w: Wording): string;
}

const OK: Verdict = { status: 'ok' };
const NA: Verdict = { status: 'not-applicable' };

function above(observed: number | null, limit: number | undefined): Verdict {
  if (limit === undefined || observed === null) return NA;
  return observed > limit ? { status: 'breached', observed, limit } : OK;
}

function below(observed: number | null, limit: number | undefined): Verdict {
  if (limit === undefined || observed === null) return NA;
  return observed < limit ? { status: 'breached', observed, limit } : OK;
}

const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)}%`;

export const unitCostRule: EndpointRule = {
  kind: 'unit-cost',
  check: (f, l) => above(f.costPer1k, l.costPer1kInferences),
  severity: (o, l) => (o > 1.5 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} costs ${displayUnitPrice(o, w.currency)} per 1k inferences over ${w.window}, above the ${displayUnitPrice(l, w.currency)} limit.`,
};

export const latencyRule: EndpointRule = {
  kind: 'latency',
  check: (f, l) => above(f.latencyP99Ms, l.latencyP99Ms),
  severity: (o, l) => (o > 1.5 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} ModelLatency p99 is ${o.toFixed(1)} ms over ${w.window} (worst hour ${(f.worstHourP99Ms ?? o).toFixed(1)} ms), above the ${l} ms ceiling.`,
};

export const errorRateRule: EndpointRule = {
  kind: 'error-rate',
  check: (f, l) => above(f.errorRate, l.errorRate),
  severity: (o, l) => (o > 2 * l ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} fails ${pct(o, 2)} of invocations (4XX+5XX) over ${w.window}, above the ${pct(l, 2)} limit.`,
};

export const utilizationLowRule: EndpointRule = {
  kind: 'utilization-low',
  check: (f, l) => below(f.utilization, l.utilization?.min),
  severity: (o, l) => (o < l / 3 ? 'critical' : 'warning'),
  message: (f, o, l, w) =>
    `${f.name} runs at ${pct(o)} utilisation over ${w.window}, below the ${pct(l)} floor: capacity sits idle.`,
};

export const utilizationHighRule: EndpointRule = {
  kind: 'utilization-high',
  check: (f, l) => above(f.utilization, l.utilization?.max),
  severity: () => 'warning',
  message: (f, o, l, w) =>
    `${f.name} runs at ${pct(o)} utilisation over ${w.window}, above the ${pct(l)} ceiling: latency is at risk.`,
};

export const maxInstancesRule: EndpointRule = {
  kind: 'max-instances',
  check: (f, l) => above(f.peakInstances, l.maxInstances),
  severity: () => 'warning',
  message: (f, o, l, w) => `${f.name} ran ${o} instances in ${w.window}, above the limit of ${l}.`,
};

/** Every limit judged per endpoint over the window, in the order findings are listed. */
export const ENDPOINT_RULES: readonly EndpointRule[] = [
  unitCostRule,
  latencyRule,
  errorRateRule,
  utilizationLowRule,
  utilizationHighRule,
  maxInstancesRule,
];
