import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseBudgetFile } from '../../lambdas/core/budget.ts';
import { problemsAfter } from '../helpers/budget-problems.ts';

const valid = `
version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: America/New_York }
tiers:
  production:
    mode: approve
    guardrails:
      cooldownHours: 48
      maxStepPercent: 25
      freeze: [{ cron: "0 18 * * 5", durationHours: 63 }]
      allow: [{ cron: "0 10 * * 1-4", durationHours: 6 }]
      minInstances: 2
      latencyMarginPercent: 30
      verifyHours: 48
      errorTolerance: { ratio: 1.2, absolute: 5 }
  experiment: { mode: enforce, dryRun: true, guardrails: { scaleToZero: true, schedules: true } }
budgets:
  - { name: search-prod, owner: search-team@example.com, tier: production, environment: prod,
      selector: { endpoints: ["search-*"] }, limits: { latencyP99Ms: 120, maxInstances: 16 } }
overrides:
  mode: enforce
  dryRun: false
  minInstances: 1
  maxInstances: 20
  maxStepPercent: 50
  cooldownMinutes: 30
  minInstancesByEndpoint: { "search-canary": 1, "search-main*": 3 }
`;

// biome-ignore lint/suspicious/noExplicitAny: the tests break arbitrary paths of a parsed YAML document
const problems = (mutate: (doc: any) => void) =>
  problemsAfter(valid, (d) => {
    // the budget's scaling is kept apart in the text so that the budget itself reads as one line
    d.budgets[0].scaling = d.overrides;
    delete d.overrides;
    mutate(d);
  });

describe('budget file: guardrails', () => {
  it('accepts tier guardrails and budget overrides, with the scaling keys read as before', () => {
    const doc = parse(valid);
    doc.budgets[0].scaling = doc.overrides;
    delete doc.overrides;
    const r = parseBudgetFile(doc);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.file.tiers.production?.guardrails?.freeze).toEqual([{ cron: '0 18 * * 5', durationHours: 63 }]);
    expect(r.file.budgets[0]?.scaling).toMatchObject({
      mode: 'enforce',
      cooldownMinutes: 30,
      maxInstances: 20,
    });
  });

  it('accepts a file without any guardrails, as before', () => {
    expect(
      problems((d) => {
        d.tiers = { production: { mode: 'advise' }, experiment: {} };
        delete d.budgets[0].scaling;
      }),
    ).toEqual([]);
  });

  it('refuses a step over 50% on a tier and on a budget, naming the path', () => {
    expect(problems((d) => (d.tiers.production.guardrails.maxStepPercent = 60))).toEqual([
      'tiers.production.guardrails.maxStepPercent: at most 50: one change never removes more than half the capacity',
    ]);
    expect(problems((d) => (d.budgets[0].scaling.maxStepPercent = 75))).toEqual([
      'budgets[0].scaling.maxStepPercent: at most 50: one change never removes more than half the capacity',
    ]);
  });

  it('refuses a cron that is not five fields or not valid, naming the window', () => {
    expect(problems((d) => (d.tiers.production.guardrails.freeze[0].cron = '0 18 * * 5 2026'))).toEqual([
      'tiers.production.guardrails.freeze[0].cron: expected a five-field cron (minute hour day-of-month month day-of-week) such as "0 18 * * 5", got "0 18 * * 5 2026"',
    ]);
    const [bad] = problems((d) => (d.tiers.production.guardrails.allow[0].cron = '0 10 * * 1-9'));
    expect(bad).toMatch(/^tiers\.production\.guardrails\.allow\[0\]\.cron: invalid cron "0 10 \* \* 1-9"/);
    expect(
      problems((d) => (d.budgets[0].scaling.freeze = [{ cron: '0 0 30 2 *', durationHours: 1 }])),
    ).toEqual(['budgets[0].scaling.freeze[0].cron: the cron "0 0 30 2 *" never fires (no such date)']);
  });

  it('refuses a window duration of zero or over a week', () => {
    expect(problems((d) => (d.tiers.production.guardrails.freeze[0].durationHours = 0))).toEqual([
      'tiers.production.guardrails.freeze[0].durationHours: durationHours must be above 0',
    ]);
    expect(problems((d) => (d.tiers.production.guardrails.freeze[0].durationHours = 169))).toEqual([
      'tiers.production.guardrails.freeze[0].durationHours: durationHours must be at most 168 (a week)',
    ]);
  });

  it('refuses unknown guardrail keys, a bad mode override and a window without its duration', () => {
    expect(problems((d) => (d.tiers.production.guardrails.cooldown = 4))).toEqual([
      'tiers.production.guardrails: Unrecognized key: "cooldown"',
    ]);
    expect(problems((d) => (d.budgets[0].scaling.mode = 'auto'))).toHaveLength(1);
    expect(problems((d) => (d.budgets[0].scaling.mode = 'auto'))[0]).toMatch(
      /^budgets\[0\]\.scaling\.mode: /,
    );
    expect(problems((d) => delete d.tiers.production.guardrails.freeze[0].durationHours)[0]).toMatch(
      /^tiers\.production\.guardrails\.freeze\[0\]\.durationHours: /,
    );
  });

  it('refuses cooldownHours with cooldownMinutes, and floors above the maximum', () => {
    expect(problems((d) => (d.budgets[0].scaling.cooldownHours = 2))).toEqual([
      'budgets[0].scaling.cooldownMinutes: give cooldownHours or cooldownMinutes, not both',
    ]);
    expect(problems((d) => (d.budgets[0].scaling.minInstances = 21))).toEqual([
      'budgets[0].scaling.minInstances: minInstances 21 is above maxInstances 20',
    ]);
    expect(problems((d) => (d.budgets[0].scaling.minInstancesByEndpoint['search-main*'] = 30))).toEqual([
      'budgets[0].scaling.minInstancesByEndpoint.search-main*: floor 30 is above maxInstances 20',
    ]);
  });

  it('refuses an error tolerance ratio under 1 and a negative absolute', () => {
    expect(
      problems((d) => (d.tiers.production.guardrails.errorTolerance = { ratio: 0.5, absolute: -1 })),
    ).toHaveLength(2);
  });
});
