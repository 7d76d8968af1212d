/**
 * The guardrails in force for one budget: the defaults, then its tier's, then the budget's own `scaling` overrides.
 */
import { type Budget, type BudgetFile, globToRegExp } from '../budget.ts';
import type { Guardrails } from './types.ts';

/** Environments where off-hours schedules are off unless a tier or budget turns them on. */
const PRODUCTION = new Set(['prod', 'production']);

export const DEFAULT_GUARDRAILS = {
  mode: 'advise',
  dryRun: false,
  cooldownHours: 24,
  maxStepPercent: 50,
  freeze: [],
  allow: [],
  minInstances: 1,
  minInstancesByEndpoint: {},
  scaleToZero: false,
  latencyMarginPercent: 20,
  verifyHours: 24,
  approvalHours: 24,
  approvers: [],
  errorTolerance: { ratio: 1.5, absolute: 10 },
} as const satisfies Omit<Guardrails, 'schedules'>;

export function resolveGuardrails(file: BudgetFile, budget: Budget): Guardrails {
  const tier = Object.hasOwn(file.tiers, budget.tier) ? file.tiers[budget.tier] : undefined;
  const t = tier?.guardrails ?? {};
  const b = budget.scaling ?? {};
  const d = DEFAULT_GUARDRAILS;
  const cooldownHours =
    b.cooldownHours ??
    (b.cooldownMinutes !== undefined ? b.cooldownMinutes / 60 : undefined) ??
    t.cooldownHours ??
    d.cooldownHours;
  const maxInstances = b.maxInstances ?? budget.limits.maxInstances;
  return {
    mode: b.mode ?? tier?.mode ?? d.mode,
    dryRun: b.dryRun ?? tier?.dryRun ?? d.dryRun,
    cooldownHours,
    maxStepPercent: b.maxStepPercent ?? t.maxStepPercent ?? d.maxStepPercent,
    freeze: b.freeze ?? t.freeze ?? d.freeze,
    allow: b.allow ?? t.allow ?? d.allow,
    minInstances: b.minInstances ?? t.minInstances ?? d.minInstances,
    minInstancesByEndpoint: b.minInstancesByEndpoint ?? d.minInstancesByEndpoint,
    ...(maxInstances !== undefined ? { maxInstances } : {}),
    schedules: b.schedules ?? t.schedules ?? !PRODUCTION.has(budget.environment.toLowerCase()),
    scaleToZero: b.scaleToZero ?? t.scaleToZero ?? d.scaleToZero,
    latencyMarginPercent: b.latencyMarginPercent ?? t.latencyMarginPercent ?? d.latencyMarginPercent,
    verifyHours: b.verifyHours ?? t.verifyHours ?? d.verifyHours,
    approvalHours: b.approvalHours ?? t.approvalHours ?? d.approvalHours,
    approvers: budget.approvers ?? tier?.approvers ?? d.approvers,
    errorTolerance: { ...d.errorTolerance, ...t.errorTolerance, ...b.errorTolerance },
  };
}

/**
 * The latency-safe floor of one endpoint: the highest of the budget's per-endpoint floors whose glob matches its
 * name, else the budget's (or tier's) minInstances.
 */
export function floorFor(g: Guardrails, endpoint: string): number {
  const matching = Object.entries(g.minInstancesByEndpoint)
    .filter(([glob]) => globToRegExp(glob).test(endpoint))
    .map(([, n]) => n);
  return matching.length > 0 ? Math.max(...matching) : g.minInstances;
}
