import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type BudgetFile, parseBudgetFile } from '../../../lambdas/core/budget.ts';
import { DEFAULT_GUARDRAILS, floorFor, resolveGuardrails } from '../../../lambdas/core/plan/guardrails.ts';

function file(
  tiers: string,
  scaling = '',
  environment = 'prod',
  limits = '{ latencyP99Ms: 100 }',
): BudgetFile {
  const r = parseBudgetFile(
    parse(`
version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers:
${tiers}
budgets:
  - name: b
    owner: o@example.com
    tier: t
    environment: ${environment}
    selector: { endpoints: ["e-*"] }
    limits: ${limits}
${scaling ? `    scaling: ${scaling}` : ''}
`),
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.file;
}
const resolve = (f: BudgetFile) => resolveGuardrails(f, f.budgets[0] as BudgetFile['budgets'][number]);

describe('resolveGuardrails', () => {
  it('gives the defaults when neither tier nor budget says anything', () => {
    expect(resolve(file('  t: {}'))).toEqual({
      mode: 'advise',
      dryRun: false,
      cooldownHours: 24,
      maxStepPercent: 50,
      freeze: [],
      allow: [],
      minInstances: 1,
      minInstancesByEndpoint: {},
      maxInstances: undefined,
      schedules: false,
      scaleToZero: false,
      latencyMarginPercent: 20,
      verifyHours: 24,
      approvalHours: 24,
      approvers: [],
      errorTolerance: { ratio: 1.5, absolute: 10 },
    });
    expect(Object.hasOwn(resolve(file('  t: {}')), 'maxInstances')).toBe(false);
  });

  it('allows off-hours schedules by default only outside prod and production, and lets the tier say either way', () => {
    for (const env of ['prod', 'production', 'Production'])
      expect(resolve(file('  t: {}', '', env)).schedules).toBe(false);
    for (const env of ['dev', 'staging', 'experiments'])
      expect(resolve(file('  t: {}', '', env)).schedules).toBe(true);
    expect(resolve(file('  t: { guardrails: { schedules: true } }', '', 'prod')).schedules).toBe(true);
    expect(resolve(file('  t: { guardrails: { schedules: false } }', '', 'dev')).schedules).toBe(false);
    expect(
      resolve(file('  t: { guardrails: { schedules: false } }', '{ schedules: true }', 'dev')).schedules,
    ).toBe(true);
  });

  it('takes the tier, then lets the budget override key by key', () => {
    const f = file(
      '  t: { mode: approve, dryRun: true, guardrails: { cooldownHours: 12, maxStepPercent: 20, minInstances: 2, scaleToZero: true, errorTolerance: { ratio: 2, absolute: 3 }, freeze: [{ cron: "0 0 * * 6", durationHours: 48 }] } }',
      '{ mode: enforce, maxStepPercent: 40, errorTolerance: { absolute: 7 }, minInstancesByEndpoint: { "e-big": 4 } }',
    );
    const g = resolve(f);
    expect(g).toMatchObject({
      mode: 'enforce',
      dryRun: true,
      cooldownHours: 12,
      maxStepPercent: 40,
      minInstances: 2,
      scaleToZero: true,
      errorTolerance: { ratio: 2, absolute: 7 },
      freeze: [{ cron: '0 0 * * 6', durationHours: 48 }],
      minInstancesByEndpoint: { 'e-big': 4 },
    });
  });

  it('reads the old cooldownMinutes as hours, over the tier', () => {
    expect(
      resolve(file('  t: { guardrails: { cooldownHours: 12 } }', '{ cooldownMinutes: 90 }')).cooldownHours,
    ).toBe(1.5);
    expect(resolve(file('  t: {}', '{ cooldownHours: 6 }')).cooldownHours).toBe(6);
  });

  it("caps the maximum at the budget's scaling.maxInstances, else at its limits.maxInstances", () => {
    expect(
      resolve(file('  t: {}', '{ maxInstances: 20 }', 'prod', '{ maxInstances: 16 }')).maxInstances,
    ).toBe(20);
    expect(resolve(file('  t: {}', '', 'prod', '{ maxInstances: 16 }')).maxInstances).toBe(16);
  });
});

describe('floorFor', () => {
  it('is the highest matching endpoint floor, else minInstances', () => {
    const g = {
      ...DEFAULT_GUARDRAILS,
      schedules: false,
      minInstances: 2,
      minInstancesByEndpoint: { 'e-*': 1, 'e-big*': 5 },
    };
    expect(floorFor(g, 'e-small')).toBe(1);
    expect(floorFor(g, 'e-big-1')).toBe(5);
    expect(floorFor(g, 'other')).toBe(2);
  });
});

describe('approvers and approval time', () => {
  const withApprovers = (tier: string, budget: string) =>
    parseBudgetFile(
      parse(`
version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers:
  t: ${tier}
budgets:
  - name: b
    owner: o@example.com
    tier: t
    environment: prod
    selector: { endpoints: ["e-*"] }
    limits: { latencyP99Ms: 100 }
${budget}
`),
    );

  it("takes the tier's approvers, and a budget's own list instead when it has one", () => {
    const tierOnly = withApprovers('{ mode: approve, approvers: [U0AAAA111, lead@example.com] }', '');
    if (!tierOnly.ok) throw new Error(JSON.stringify(tierOnly.problems));
    expect(resolve(tierOnly.file).approvers).toEqual(['U0AAAA111', 'lead@example.com']);
    const own = withApprovers(
      '{ mode: approve, approvers: [U0AAAA111], guardrails: { approvalHours: 8 } }',
      '    approvers: [W0BBBB222]\n    scaling: { approvalHours: 2 }',
    );
    if (!own.ok) throw new Error(JSON.stringify(own.problems));
    expect(resolve(own.file)).toMatchObject({ approvers: ['W0BBBB222'], approvalHours: 2 });
  });

  it('refuses an approver that is neither a Slack member id nor an email, an empty list and a week-long wait', () => {
    const cases: [string, string, RegExp][] = [
      ['{ approvers: [alice] }', '', /tiers\.t\.approvers\[0\].*Slack member id/],
      ['{ approvers: [] }', '', /tiers\.t\.approvers.*at least one approver/],
      ['{}', '    approvers: ["u0aaaa111"]', /budgets\[0\]\.approvers\[0\]/],
      ['{ guardrails: { approvalHours: 169 } }', '', /approvalHours must be at most 168/],
      ['{ guardrails: { approvalHours: 0 } }', '', /approvalHours must be above 0/],
    ];
    for (const [tier, budget, message] of cases) {
      const r = withApprovers(tier, budget);
      expect(r.ok, tier + budget).toBe(false);
      if (!r.ok) expect(JSON.stringify(r.problems)).toMatch(message);
    }
  });
});
