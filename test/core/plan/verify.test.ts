import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ActionRecord, NO_SCALING, variantResourceId } from '../../../lambdas/core/plan/types.ts';
import {
  LATENCY_WORSE_TOLERANCE,
  MISSING_LIMIT_FACTOR,
  type VerifyContext,
  type VerifyHour,
  verifyAction,
} from '../../../lambdas/core/plan/verify.ts';

const H = 3_600_000;
const APPLIED = Date.parse('2026-03-10T12:20:00Z');
const CHANGE_HOUR = Date.parse('2026-03-10T12:00:00Z');

const record: ActionRecord = {
  id: 'act-0123456789abcdef',
  budget: 'search-prod',
  kind: 'scaling',
  resource: {
    resourceId: variantResourceId('search-a', 'AllTraffic'),
    dimension: 'sagemaker:variant:DesiredInstanceCount',
    endpoint: 'search-a',
  },
  status: 'applied',
  before: { ...NO_SCALING, target: { min: 4, max: 8 } },
  after: { ...NO_SCALING, target: { min: 2, max: 8 } },
  predicted: { spend: 100, p99Ms: 90 },
  evidence: { hours: 168, from: '2026-03-03', to: '2026-03-09' },
  asOf: '2026-03-10',
  createdAt: '2026-03-10T12:00:00Z',
  appliedAt: new Date(APPLIED).toISOString(),
  history: [],
};

type Sample = Omit<VerifyHour, 't'>;
const steady: Sample = { p99Ms: 80, errors5xx: 1, noCapacity: 0, instances: 4, invocations: 1000 };

/** `before` for each of the n hours before the change hour, the change hour itself, `after` for n hours after it. */
function series(n: number, before: Sample, after: Sample): VerifyHour[] {
  const out: VerifyHour[] = [];
  for (let i = n; i >= 1; i--) out.push({ t: CHANGE_HOUR - i * H, ...before });
  out.push({ t: CHANGE_HOUR, ...before });
  for (let i = 1; i <= n; i++) out.push({ t: CHANGE_HOUR + i * H, ...after });
  return out;
}

/** `now` when `hours` complete hours have passed since the change hour ended. */
const nowAfter = (hours: number) => CHANGE_HOUR + H + hours * H;

const ctx = (hours: VerifyHour[], now: number, extra: Partial<VerifyContext> = {}): VerifyContext => ({
  hours,
  now,
  latencyCeilingMs: 120,
  guardrails: { verifyHours: 24, errorTolerance: { ratio: 2, absolute: 5 } },
  ...extra,
});

describe('verifyAction', () => {
  it('waits while no hour after the change is complete', () => {
    const d = verifyAction(record, ctx(series(5, steady, steady), CHANGE_HOUR + H + 30 * 60_000));
    expect(d.outcome).toBe('wait');
    expect(d.measured.hours).toBe(0);
  });

  it('waits through the verification window while nothing got worse, then verifies', () => {
    const hours = series(30, steady, steady);
    const early = verifyAction(record, ctx(hours, nowAfter(10)));
    expect(early.outcome).toBe('wait');
    expect(early.reason).toContain('10 of 24 h');
    const done = verifyAction(record, ctx(hours, nowAfter(24)));
    expect(done.outcome).toBe('verified');
    expect(done.measured.hours).toBe(24);
  });

  it('rolls back as soon as one hour after the change is over a ceiling the hours before kept', () => {
    const hours = series(3, steady, { ...steady, p99Ms: 150 });
    const d = verifyAction(record, ctx(hours, nowAfter(1)));
    expect(d.outcome).toBe('roll-back');
    expect(d.reason).toContain('150 ms, over the 120 ms ceiling');
    expect(d.measured.after.p99Ms).toBe(150);
    expect(d.measured.before.p99Ms).toBe(80);
  });

  it('judges the worst hour, not the average, against the ceiling', () => {
    const hours = series(24, steady, steady).map((h) =>
      h.t === CHANGE_HOUR + 5 * H ? { ...h, p99Ms: 130 } : h,
    );
    expect(verifyAction(record, ctx(hours, nowAfter(24))).outcome).toBe('roll-back');
  });

  it('ignores the hour the change was applied in', () => {
    const hours = series(24, steady, steady).map((h) =>
      h.t === CHANGE_HOUR ? { ...h, p99Ms: 500, errors5xx: 900 } : h,
    );
    expect(verifyAction(record, ctx(hours, nowAfter(24))).outcome).toBe('verified');
  });

  it('keeps a change when the ceiling was already broken before and latency got no more than the tolerance worse', () => {
    const worse = 150 * (1 + LATENCY_WORSE_TOLERANCE);
    const within = series(24, { ...steady, p99Ms: 150 }, { ...steady, p99Ms: worse - 1 });
    expect(verifyAction(record, ctx(within, nowAfter(24))).outcome).toBe('verified');
    const beyond = series(24, { ...steady, p99Ms: 150 }, { ...steady, p99Ms: worse + 1 });
    expect(verifyAction(record, ctx(beyond, nowAfter(24))).outcome).toBe('roll-back');
  });

  it('rolls back when 5XX errors per hour rise beyond both the ratio and the absolute tolerance', () => {
    // before 4/h: allowed max(4*2, 4+5) = 9
    const ok = series(24, { ...steady, errors5xx: 4 }, { ...steady, errors5xx: 9 });
    expect(verifyAction(record, ctx(ok, nowAfter(24))).outcome).toBe('verified');
    const bad = series(24, { ...steady, errors5xx: 4 }, { ...steady, errors5xx: 9.5 });
    const d = verifyAction(record, ctx(bad, nowAfter(24)));
    expect(d.outcome).toBe('roll-back');
    expect(d.reason).toContain('5XX errors rose to 9.5 an hour from 4');
  });

  it('rolls back when NoCapacityInvocationFailures appear after a scale-in', () => {
    const d = verifyAction(record, ctx(series(2, steady, { ...steady, noCapacity: 40 }), nowAfter(2)));
    expect(d.outcome).toBe('roll-back');
    expect(d.reason).toContain('NoCapacityInvocationFailures');
  });

  it('takes an error baseline that was never measured as zero, so it cannot excuse errors after', () => {
    const d = verifyAction(
      record,
      ctx(series(3, { ...steady, errors5xx: null }, { ...steady, errors5xx: 6 }), nowAfter(3)),
    );
    expect(d.outcome).toBe('roll-back');
  });

  it('does not verify hours without latency or traffic data: waits, then rolls back at the limit', () => {
    const limit = MISSING_LIMIT_FACTOR * 24;
    const blank: Sample = {
      p99Ms: null,
      errors5xx: null,
      noCapacity: null,
      instances: null,
      invocations: null,
    };
    const hours = series(limit + 5, steady, blank);
    const waiting = verifyAction(record, ctx(hours, nowAfter(30)));
    expect(waiting.outcome).toBe('wait');
    expect(waiting.reason).toContain('0 of the 24 h needed');
    expect(waiting.measured.after.p99Ms).toBeNull();
    const late = verifyAction(record, ctx(hours, nowAfter(limit)));
    expect(late.outcome).toBe('roll-back');
    expect(late.reason).toContain('Could not be verified');
  });

  it('does not verify while an error metric reported before the change has gone silent', () => {
    const hours = series(30, steady, { ...steady, errors5xx: null });
    const d = verifyAction(record, ctx(hours, nowAfter(24)));
    expect(d.outcome).toBe('wait');
    expect(d.reason).toContain('5XX errors were reported before the change and not since');
  });

  it('counts an hour with no invocations as judged: there was nothing to be slow', () => {
    const idle: Sample = { p99Ms: null, errors5xx: 0, noCapacity: 0, instances: 0, invocations: 0 };
    expect(verifyAction(record, ctx(series(24, steady, idle), nowAfter(24))).outcome).toBe('verified');
  });

  it('measures the saving from the instance-hours either side, priced at the rate', () => {
    const d = verifyAction(
      record,
      ctx(series(24, steady, { ...steady, instances: 2 }), nowAfter(24), { ratePerInstanceHour: 0.23 }),
    );
    expect(d.measured.before.instanceHours).toBe(96);
    expect(d.measured.after.instanceHours).toBe(48);
    expect(d.measured.saving).toBe(11.04);
  });

  it('leaves the saving unknown without a rate or when an hour lacks its instance count', () => {
    const hours = series(24, steady, { ...steady, instances: 2 });
    expect(verifyAction(record, ctx(hours, nowAfter(24))).measured.saving).toBeNull();
    const gap = hours.map((h) => (h.t === CHANGE_HOUR + 3 * H ? { ...h, instances: null } : h));
    const d = verifyAction(record, ctx(gap, nowAfter(24), { ratePerInstanceHour: 0.23 }));
    expect(d.measured.after.instanceHours).toBeNull();
    expect(d.measured.saving).toBeNull();
  });

  it('waits, writing nothing, for a record that was never applied', () => {
    const { appliedAt: _, ...unapplied } = record;
    expect(verifyAction(unapplied, ctx(series(24, steady, steady), nowAfter(24))).outcome).toBe('wait');
  });

  const sample = fc.record({
    p99Ms: fc.double({ min: 1, max: 1000, noNaN: true }),
    errors5xx: fc.nat({ max: 500 }),
    noCapacity: fc.nat({ max: 500 }),
    instances: fc.integer({ min: 0, max: 20 }),
    invocations: fc.nat({ max: 100_000 }),
  });
  const tolerance = fc.record({
    ratio: fc.double({ min: 1, max: 5, noNaN: true }),
    absolute: fc.double({ min: 0, max: 50, noNaN: true }),
  });

  it('never rolls back a series that the change left unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.array(sample, { minLength: 1, maxLength: 72 }),
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 0, max: 200 }),
        fc.option(fc.double({ min: 1, max: 1000, noNaN: true }), { nil: undefined }),
        tolerance,
        (pattern, verifyHours, elapsed, ceiling, errorTolerance) => {
          const n = pattern.length;
          const hours: VerifyHour[] = [];
          pattern.forEach((s, i) => {
            // mirrored around the change: the k-th hour before it equals the k-th hour after it
            hours.push({ t: CHANGE_HOUR - (i + 1) * H, ...s });
            hours.push({ t: CHANGE_HOUR + (i + 1) * H, ...s });
          });
          const now = nowAfter(Math.min(elapsed, n));
          const d = verifyAction(record, {
            hours,
            now,
            latencyCeilingMs: ceiling,
            guardrails: { verifyHours, errorTolerance },
          });
          expect(d.outcome).not.toBe('roll-back');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('always rolls back once an hour after the change exceeds a ceiling no hour before did (property)', () => {
    fc.assert(
      fc.property(
        fc.array(sample, { minLength: 1, maxLength: 48 }),
        fc.array(sample, { minLength: 1, maxLength: 48 }),
        fc.double({ min: 10, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 48 }),
        tolerance,
        (before, afterHours, ceiling, verifyHours, errorTolerance) => {
          const hours: VerifyHour[] = [
            ...before.map((s, i) => ({
              t: CHANGE_HOUR - (i + 1) * H,
              ...s,
              p99Ms: Math.min(s.p99Ms, ceiling),
            })),
            ...afterHours.map((s, i) => ({ t: CHANGE_HOUR + (i + 1) * H, ...s, p99Ms: ceiling + s.p99Ms })),
          ];
          const d = verifyAction(record, {
            hours,
            now: nowAfter(afterHours.length),
            latencyCeilingMs: ceiling,
            guardrails: { verifyHours, errorTolerance },
          });
          expect(d.outcome).toBe('roll-back');
        },
      ),
      { numRuns: 300 },
    );
  });
});
