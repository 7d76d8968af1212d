import { describe, expect, it } from 'vitest';
import { type GuardContext, guard } from '../../../lambdas/core/plan/guard.ts';
import { DEFAULT_GUARDRAILS } from '../../../lambdas/core/plan/guardrails.ts';
import {
  COMPONENT_DIMENSION,
  componentResourceId,
  type Guardrails,
  MANAGED_TAG,
  NO_SCALING,
  type ScalingPlan,
  type ScalingState,
  TARGET_METRIC,
  VARIANT_DIMENSION,
  variantResourceId,
} from '../../../lambdas/core/plan/types.ts';
import type { EndpointInfo } from '../../../lambdas/core/types.ts';

const NOW = Date.parse('2026-03-10T15:00:00Z');
const HOUR = 3_600_000;

const tracking = (targetValue: number) => ({
  metric: TARGET_METRIC[VARIANT_DIMENSION],
  targetValue,
  scaleInCooldownSeconds: 300,
  scaleOutCooldownSeconds: 60,
});
const state = (min: number, max: number, targetValue = 100): ScalingState => ({
  ...NO_SCALING,
  target: { min, max },
  targetTracking: tracking(targetValue),
});

function plan(before: ScalingState, after: ScalingState, over: Partial<ScalingPlan> = {}): ScalingPlan {
  return {
    kind: 'scaling',
    budget: 'search-prod',
    resource: {
      resourceId: variantResourceId('search-a', 'AllTraffic'),
      dimension: VARIANT_DIMENSION,
      endpoint: 'search-a',
      variant: 'AllTraffic',
      instanceType: 'ml.g5.xlarge',
    },
    before,
    after,
    predicted: { spend: 100, spendBefore: 200, p99Ms: 90 },
    evidence: { hours: 336, from: '2026-02-24', to: '2026-03-09' },
    reason: 'idle at the floor',
    ...over,
  };
}

const endpoint: EndpointInfo = {
  name: 'search-a',
  instanceType: 'ml.g5.xlarge',
  tags: { [MANAGED_TAG]: 'true' },
  status: 'InService',
  variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge' }],
};

function ctx(guardrails: Partial<Guardrails> = {}, over: Partial<GuardContext> = {}): GuardContext {
  return {
    guardrails: { ...DEFAULT_GUARDRAILS, schedules: false, mode: 'enforce', ...guardrails },
    endpoint,
    observed: { state: state(4, 8), foreignPolicies: [], foreignSchedules: [] },
    now: NOW,
    timezone: 'America/New_York',
    live: true,
    ...over,
  };
}

const lower = plan(state(4, 8), state(3, 8));

describe('guard: outcomes by mode', () => {
  it('applies a change within every guardrail on a live enforce run', () => {
    const d = guard(lower, ctx());
    expect(d.outcome).toBe('apply');
    expect(d.reason).toBeUndefined();
    expect(d.plan.after).toEqual(state(3, 8));
    expect(d.clamped).toEqual([]);
  });

  it('only recommends in advise mode, before any other rule (even on an untagged endpoint)', () => {
    const d = guard(lower, ctx({ mode: 'advise' }, { endpoint: { ...endpoint, tags: {} } }));
    expect(d.outcome).toBe('recommended');
    expect(d.message).toMatch(/Advise mode/);
  });

  it('waits for approval in approve mode', () => {
    expect(guard(lower, ctx({ mode: 'approve' })).outcome).toBe('pending-approval');
  });

  it('skips a dry run with reason dry-run, and a local run with reason local-run', () => {
    expect(guard(lower, ctx({ dryRun: true }))).toMatchObject({ outcome: 'skip', reason: 'dry-run' });
    expect(guard(lower, ctx({}, { live: false }))).toMatchObject({ outcome: 'skip', reason: 'local-run' });
  });

  it('never puts to an approver a change that could not be made: dry run, then a local run, then approval', () => {
    const dry = guard(lower, ctx({ mode: 'approve', dryRun: true }, { live: false }));
    expect(dry).toMatchObject({ outcome: 'skip', reason: 'dry-run' });
    expect(dry.message).toMatch(/would wait for an approver, and is not/);
    const local = guard(lower, ctx({ mode: 'approve' }, { live: false }));
    expect(local).toMatchObject({ outcome: 'skip', reason: 'local-run' });
    expect(local.message).toMatch(/would wait for an approver/);
    expect(guard(lower, ctx({ dryRun: true }, { live: false })).reason).toBe('dry-run');
  });

  it('names the approvers and the approval time, or says that nobody is listed', () => {
    const named = guard(lower, ctx({ mode: 'approve', approvers: ['U0AAAA111'], approvalHours: 8 }));
    expect(named.message).toMatch(/waits for an approver \(U0AAAA111\) for 8 h/);
    const nobody = guard(lower, ctx({ mode: 'approve', approvers: [] }));
    expect(nobody.message).toMatch(/no approvers are listed .* it expires unapplied/);
  });
});

describe('guard: what is never written', () => {
  it('skips an endpoint not tagged perf-budgets:managed=true, naming the tag', () => {
    const variants: Record<string, string>[] = [{}, { [MANAGED_TAG]: 'false' }, { [MANAGED_TAG]: 'TRUE' }];
    for (const tags of variants) {
      const d = guard(lower, ctx({}, { endpoint: { ...endpoint, tags } }));
      expect(d).toMatchObject({ outcome: 'skip', reason: 'not-managed' });
      expect(d.message).toContain(`${MANAGED_TAG}=true`);
    }
  });

  it('skips an endpoint that is not InService, or whose status is unknown', () => {
    const updating = guard(lower, ctx({}, { endpoint: { ...endpoint, status: 'Updating' } }));
    expect(updating).toMatchObject({ outcome: 'skip', reason: 'not-in-service' });
    expect(updating.message).toContain('Updating');
    const { status: _, ...unknown } = endpoint;
    expect(guard(lower, ctx({}, { endpoint: unknown })).reason).toBe('not-in-service');
    // files hold no status: a local run judges the rest, and holds the change as local-run
    expect(guard(lower, ctx({}, { endpoint: unknown, live: false })).reason).toBe('local-run');
    expect(guard(lower, ctx({}, { endpoint: { ...endpoint, status: 'Updating' }, live: false })).reason).toBe(
      'not-in-service',
    );
  });

  it('skips burstable ml.t* instances', () => {
    const t = { ...lower, resource: { ...lower.resource, instanceType: 'ml.t2.medium' } };
    const e = {
      ...endpoint,
      instanceType: 'ml.t2.medium',
      variants: [{ name: 'AllTraffic', instanceType: 'ml.t2.medium' }],
    };
    expect(guard(t, ctx({}, { endpoint: e }))).toMatchObject({
      outcome: 'skip',
      reason: 'burstable-instance',
    });
  });

  it('refuses an instance-type change, a deregistration, another metric and a foreign schedule name', () => {
    const other = { ...lower, resource: { ...lower.resource, instanceType: 'ml.g5.2xlarge' } };
    expect(guard(other, ctx()).reason).toBe('unsupported');
    expect(guard(other, ctx()).message).toMatch(/instance-type change/);
    expect(guard(plan(state(4, 8), { ...state(4, 8), target: null }), ctx()).reason).toBe('unsupported');
    const metric = { ...state(3, 8), targetTracking: { ...tracking(100), metric: 'CPUUtilization' } };
    expect(guard(plan(state(4, 8), metric), ctx()).reason).toBe('unsupported');
    const sched = { name: 'nightly', schedule: 'cron(0 20 ? * MON-FRI *)', timezone: 'UTC', min: 1, max: 2 };
    const foreign = guard(
      plan(state(4, 8), { ...state(4, 8), schedules: [sched] }),
      ctx({ schedules: true }),
    );
    expect(foreign.reason).toBe('unsupported');
  });

  it('refuses new off-hours schedules where the guardrails turn them off', () => {
    const sched = {
      name: 'perf-budgets-off-hours-start',
      schedule: 'cron(0 20 ? * MON-FRI *)',
      timezone: 'UTC',
      min: 1,
      max: 2,
    };
    const p = plan(state(4, 8), { ...state(4, 8), schedules: [sched] });
    expect(guard(p, ctx({ schedules: false })).reason).toBe('unsupported');
    expect(guard(p, ctx({ schedules: true })).outcome).toBe('apply');
  });

  it('holds a change of target tracking while a foreign target-tracking policy is on the resource', () => {
    const observed = {
      state: state(4, 8),
      foreignPolicies: [{ name: 'team-tt', type: 'TargetTrackingScaling' }],
      foreignSchedules: [],
    };
    const retarget = plan(state(4, 8), state(4, 8, 150));
    const d = guard(retarget, ctx({}, { observed }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'foreign-policy' });
    expect(d.message).toContain('team-tt');
    // a min/max change that leaves the tool's tracking as it is does not compete with it
    expect(guard(lower, ctx({}, { observed })).outcome).toBe('apply');
    // a step policy of another owner is not a competing target tracking
    const step = { ...observed, foreignPolicies: [{ name: 'team-step', type: 'StepScaling' }] };
    expect(guard(retarget, ctx({}, { observed: step })).outcome).toBe('apply');
  });
});

describe('guard: cooldown and windows', () => {
  it('holds a change within the cooldown after the last applied one, and lets it through after', () => {
    const d = guard(lower, ctx({ cooldownHours: 24 }, { lastAppliedAt: NOW - 23 * HOUR }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'cooldown' });
    expect(d.message).toContain('2026-03-10T16:00Z');
    expect(guard(lower, ctx({ cooldownHours: 24 }, { lastAppliedAt: NOW - 24 * HOUR })).outcome).toBe(
      'apply',
    );
  });

  it('holds a change while a freeze window is open (cron in the billing time zone)', () => {
    // 15:00Z on 10 March 2026 is 11:00 in New York (EDT since 8 March)
    const freeze = [{ cron: '0 9 * * *', durationHours: 3 }];
    const d = guard(lower, ctx({ freeze }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'freeze' });
    expect(d.message).toContain('2026-03-10T16:00Z');
    expect(guard(lower, ctx({ freeze: [{ cron: '0 9 * * *', durationHours: 1 }] })).outcome).toBe('apply');
  });

  it('holds a change outside every allow window and says when the next opens', () => {
    const allow = [{ cron: '0 13 * * 1-5', durationHours: 2 }];
    const d = guard(lower, ctx({ allow }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'outside-window' });
    expect(d.message).toContain('2026-03-10T17:00Z');
    expect(guard(lower, ctx({ allow: [{ cron: '0 10 * * 1-5', durationHours: 2 }] })).outcome).toBe('apply');
  });

  it('checks the rules in order: managed, in service, burstable, foreign policy, cooldown, freeze, window', () => {
    const observed = {
      state: state(4, 8),
      foreignPolicies: [{ name: 'x', type: 'TargetTrackingScaling' }],
      foreignSchedules: [],
    };
    const retarget = plan(state(4, 8), state(3, 8, 150));
    const all = {
      endpoint: { ...endpoint, tags: {}, status: 'Updating', instanceType: 'ml.t3.large', variants: [] },
      observed,
      lastAppliedAt: NOW - HOUR,
    };
    const g = {
      freeze: [{ cron: '0 * * * *', durationHours: 2 }],
      allow: [{ cron: '0 0 1 1 *', durationHours: 1 }],
    };
    const fix = (c: GuardContext, endpointFix: Partial<EndpointInfo>): GuardContext => ({
      ...c,
      endpoint: { ...c.endpoint, ...endpointFix },
    });
    const steps: ((c: GuardContext) => GuardContext)[] = [
      (c) => fix(c, { tags: { [MANAGED_TAG]: 'true' } }),
      (c) => fix(c, { status: 'InService' }),
      (c) => fix(c, { instanceType: 'ml.g5.xlarge' }),
      (c) => ({ ...c, observed: { ...observed, foreignPolicies: [] } }),
      ({ lastAppliedAt: _, ...c }) => c,
      (c) => ({ ...c, guardrails: { ...c.guardrails, freeze: [] } }),
    ];
    const { instanceType: _, ...untyped } = retarget.resource;
    const p = { ...retarget, resource: untyped };
    let c = ctx(g, all);
    const reasons = [guard(p, c).reason];
    for (const step of steps) {
      c = step(c);
      reasons.push(guard(p, c).reason);
    }
    expect(reasons).toEqual([
      'not-managed',
      'not-in-service',
      'burstable-instance',
      'foreign-policy',
      'cooldown',
      'freeze',
      'outside-window',
    ]);
  });
});

describe('guard: capacity clamps', () => {
  it('clamps a minimum that would lose more than maxStepPercent, and says so', () => {
    const d = guard(plan(state(10, 20), state(2, 20)), ctx());
    expect(d.outcome).toBe('apply');
    expect(d.plan.after.target).toEqual({ min: 5, max: 20 });
    expect(d.clamped).toHaveLength(1);
    expect(d.message).toContain('lowered to 5, not 2');
  });

  it('clamps the maximum the same way, with a smaller step when configured', () => {
    const d = guard(plan(state(2, 10), state(2, 4)), ctx({ maxStepPercent: 30 }));
    expect(d.plan.after.target).toEqual({ min: 2, max: 7 });
  });

  it('keeps the rest of the plan as it was when clamping', () => {
    const p = plan(state(10, 20, 100), state(2, 20, 140));
    const d = guard(p, ctx());
    expect(d.plan.after.targetTracking).toEqual(p.after.targetTracking);
    expect(d.plan.predicted).toEqual(p.predicted);
    expect(p.after.target).toEqual({ min: 2, max: 20 });
  });

  it('never goes from one instance to zero on a production variant', () => {
    const d = guard(plan(state(1, 4), state(0, 4)), ctx({ minInstances: 0 }));
    expect(d).toMatchObject({ outcome: 'skip', reason: 'no-change' });
    expect(d.message).toMatch(/lowered to 1, not 0/);
  });

  it('raises a minimum to the latency-safe floor, the highest matching endpoint floor winning', () => {
    const d = guard(
      plan(state(4, 8), state(3, 8)),
      ctx({ minInstances: 1, minInstancesByEndpoint: { 'search-*': 2, 'search-a': 4, 'other-*': 9 } }),
    );
    expect(d).toMatchObject({ outcome: 'skip', reason: 'no-change' });
    expect(d.message).toContain('latency-safe floor');
    const floor2 = guard(plan(state(4, 8), state(2, 8)), ctx({ minInstances: 3 }));
    expect(floor2.plan.after.target).toEqual({ min: 3, max: 8 });
  });

  it('never raises a maximum above maxInstances, and does not force an existing higher one down', () => {
    expect(guard(plan(state(2, 6), state(2, 12)), ctx({ maxInstances: 8 })).plan.after.target).toEqual({
      min: 2,
      max: 8,
    });
    // already above the cap: held where it is rather than raised, a reduction passes
    expect(guard(plan(state(2, 20), state(2, 25)), ctx({ maxInstances: 8 })).reason).toBe('no-change');
    expect(guard(plan(state(2, 20), state(2, 12)), ctx({ maxInstances: 8 })).plan.after.target).toEqual({
      min: 2,
      max: 12,
    });
  });

  it('keeps the maximum at least the minimum after the clamps', () => {
    const d = guard(plan(state(1, 2), state(1, 1)), ctx({ minInstances: 3 }));
    expect(d.plan.after.target).toEqual({ min: 3, max: 3 });
  });

  it('lets a permitted inference component reach zero copies from one, woken on request', () => {
    const resource = {
      resourceId: componentResourceId('llm-ic'),
      dimension: COMPONENT_DIMENSION,
      endpoint: 'search-a',
      component: 'llm-ic',
    } as const;
    const ic = (min: number, wake: boolean): ScalingState => ({
      ...NO_SCALING,
      target: { min, max: 4 },
      targetTracking: { ...tracking(5), metric: TARGET_METRIC[COMPONENT_DIMENSION] },
      wakeOnRequest: wake,
    });
    const toZero = (from: number) => plan(ic(from, false), ic(0, true), { kind: 'scale-to-zero', resource });
    expect(guard(toZero(1), ctx({ scaleToZero: true })).plan.after.target).toEqual({ min: 0, max: 4 });
    // from more than one, the largest step still holds: halfway first
    expect(guard(toZero(4), ctx({ scaleToZero: true })).plan.after.target).toEqual({ min: 2, max: 4 });
    // a tier without scale to zero keeps the floor
    expect(guard(toZero(1), ctx({ scaleToZero: false })).plan.after.target).toEqual({ min: 1, max: 4 });
    // an experiment past its exit criteria is held at zero copies where its tier allows it, never deleted
    const held = plan(
      ic(1, false),
      { ...NO_SCALING, target: { min: 0, max: 0 } },
      {
        kind: 'experiment-floor',
        resource,
      },
    );
    expect(guard(held, ctx({ scaleToZero: true })).plan.after.target?.min).toBe(0);
    expect(guard(held, ctx({ scaleToZero: false })).plan.after.target?.min).toBe(1);
  });

  it('refuses wake-on-request on a production variant', () => {
    const p = plan(state(1, 4), { ...state(0, 4), wakeOnRequest: true });
    expect(guard(p, ctx({ scaleToZero: true })).reason).toBe('unsupported');
  });

  it('skips a plan that changes nothing, as planned or once clamped', () => {
    expect(guard(plan(state(4, 8), state(4, 8)), ctx())).toMatchObject({
      outcome: 'skip',
      reason: 'no-change',
    });
  });
});
