import { DEFAULT_GUARDRAILS } from '../../lambdas/core/plan/guardrails.ts';
import type { Guardrails } from '../../lambdas/core/plan/types.ts';

/**
 * The defaults in an enforce tier without schedules, at a 10% latency margin: what planner tests and the efficacy
 * bench plan under.
 */
export const ENFORCE_GUARDRAILS: Guardrails = {
  ...DEFAULT_GUARDRAILS,
  mode: 'enforce',
  schedules: false,
  latencyMarginPercent: 10,
};
