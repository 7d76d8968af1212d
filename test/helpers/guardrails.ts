import type { Guardrails } from '../../lambdas/core/plan/types.ts';

/** An enforce tier with the design's defaults and no windows: what planner tests and the efficacy bench plan under. */
export const ENFORCE_GUARDRAILS: Guardrails = {
  mode: 'enforce',
  dryRun: false,
  cooldownHours: 24,
  maxStepPercent: 50,
  freeze: [],
  allow: [],
  minInstances: 1,
  minInstancesByEndpoint: {},
  schedules: false,
  scaleToZero: false,
  latencyMarginPercent: 10,
  verifyHours: 24,
  errorTolerance: { ratio: 1.5, absolute: 5 },
};
