import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  type AlertPlan,
  type AlertState,
  freshAlerts,
  planAlerts,
} from '../../lambdas/core/alerts.ts';
import type { BudgetResult, CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { CRITICAL_WITHIN_DAYS } from '../../lambdas/core/limits/spend.ts';
import { addDays } from '../../lambdas/core/period.ts';
import type { Action, Cause, Finding, FindingKind, Severity } from '../../lambdas/core/types.ts';
import { endpointResult } from '../helpers/results.ts';

const PERIOD = { start: '2026-10-01', end: '2026-11-01' };
const AS_OF = '2026-10-10';
const SENT_AT = '2026-10-10T06:00:00.000Z';
const ALERT_AT = [0.5, 0.8, 1.0];

const cause: Cause = {
  primary: 'idle-capacity',
  change: 900,
  parts: { traffic: 100, 'idle-capacity': 800, 'instance-change': 0, price: 0, 'new-endpoint': 0, other: 0 },
  baseline: { from: '2026-09-01', to: '2026-10-01', dailySpend: 70 },
  current: { from: '2026-10-04', to: '2026-10-11', dailySpend: 100 },
  summary: 'Idle capacity at night.',
};

const lowerMin: Action = {
  type: 'lower-min-instances',
  endpoint: 'chat-a',
  estimatedSavings: 400,
  risk: 'medium',
  description: 'Lower the autoscaling minimum of chat-a from 4 to 1.',
};

function finding(kind: FindingKind, over: Partial<Finding> = {}): Finding {
  return {
    kind,
    budget: 'chat-prod',
    severity: 'warning',
    message: `${kind} finding.`,
    actions: [],
    key: `${kind}|chat-prod|${over.endpoint ?? ''}`,
    ...over,
  };
}

const latencyBreach = (endpointName = 'chat-a', over: Partial<Finding> = {}): Finding =>
  finding('latency', {
    endpoint: endpointName,
    message: `${endpointName} ModelLatency p99 is 130.0 ms, above the 100 ms ceiling.`,
    observed: 130,
    limit: 100,
    ...over,
  });

interface SpendShape {
  /** Spend to date as a fraction of the cap (null: the cost data is missing). */
  readonly spent?: number | null;
  /** Forecast as a fraction of the cap. */
  readonly expected?: number;
  /** Low end of the forecast as a fraction of the cap (default a little under the expected). */
  readonly low?: number;
  readonly crossesCapOn?: string | null;
  readonly cap?: number | null;
}

/** A budget result whose thresholds follow from its spend the way evaluate derives them from alertAt. */
function budget(name = 'chat-prod', shape: SpendShape = {}, over: Partial<BudgetResult> = {}): BudgetResult {
  const cap = shape.cap === undefined ? 3000 : shape.cap;
  const spentFraction = shape.spent === undefined ? 0.3 : shape.spent;
  const expectedFraction = shape.expected ?? 0.7;
  const base = cap ?? 3000;
  const spent = spentFraction === null ? null : round(spentFraction * base);
  const expected = spentFraction === null ? null : round(expectedFraction * base);
  const low = expected === null ? null : round((shape.low ?? expectedFraction - 0.05) * base);
  return {
    name,
    owner: `${name}-team@example.com`,
    tier: 'production',
    mode: 'approve',
    environment: 'prod',
    status: 'ok',
    cap,
    spendToDate: spent,
    spendToDateExact: spent === null ? null : spent.toFixed(10),
    forecast: { expected, low, high: expected === null ? null : round(expected * 1.05), method: 'test' },
    thresholds: {
      actual: cap === null || spent === null ? [] : ALERT_AT.filter((f) => spent >= f * cap),
      forecast: cap === null || expected === null ? [] : ALERT_AT.filter((f) => expected >= f * cap),
    },
    cause: spent === null ? null : cause,
    actions: [lowerMin],
    crossesCapOn: shape.crossesCapOn ?? null,
    limits: {},
    exceptions: [],
    endpoints: [endpointResult('chat-a'), endpointResult('chat-b')],
    findings: [],
    ...over,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

function cycle(budgets: BudgetResult[], asOf = AS_OF): CycleResult {
  return {
    asOf,
    period: PERIOD,
    currency: 'USD',
    window: { start: addDays(asOf, -6), end: addDays(asOf, 1) },
    data: { costsFrom: '2026-09-01', costsThrough: asOf, metrics: true },
    budgets,
  };
}

/** An in-memory ledger: a Set of period|key|state, recording each once, as the SQLite and DynamoDB ledgers do. */
class MemoryLedger {
  readonly rows = new Set<string>();
  readonly sent: Alert[] = [];

  previous(period: string): AlertState[] {
    return [...this.rows]
      .map((r) => r.split('|'))
      .filter(([p]) => p === period)
      .map(([, kind, budgetName, subject, state]) => ({ key: `${kind}|${budgetName}|${subject}`, state }))
      .filter((s): s is AlertState => s.state !== undefined);
  }

  /** Plans, commits and "sends" one cycle; answers the plan and what was sent. */
  run(result: CycleResult, sentAt = SENT_AT): { plan: AlertPlan; sent: Alert[] } {
    const plan = planAlerts(result, this.previous(result.period.start), sentAt);
    const fresh: AlertState[] = [];
    for (const r of plan.records) {
      const row = `${r.period}|${r.key}|${r.state}`;
      if (this.rows.has(row)) continue;
      this.rows.add(row);
      fresh.push(r);
    }
    const sent = freshAlerts(plan, fresh);
    this.sent.push(...sent);
    return { plan, sent };
  }
}

const summary = (alerts: readonly Alert[]) => alerts.map((a) => `${a.transition} ${a.key} ${a.state}`);
const states = (plan: AlertPlan): AlertState[] => plan.records.map(({ key, state }) => ({ key, state }));

describe('planAlerts', () => {
  it('opens one alert per threshold crossing and per endpoint breach on the first cycle', () => {
    const b = budget(
      'chat-prod',
      { spent: 0.55, expected: 1.1, low: 0.97, crossesCapOn: '2026-10-25' },
      { findings: [latencyBreach('chat-a', { actions: [lowerMin] })] },
    );
    const plan = planAlerts(cycle([b]), [], SENT_AT);
    expect(summary(plan.alerts)).toEqual([
      'opened latency|chat-prod|chat-a warning@0#1',
      'opened spend|chat-prod|forecast warning@1#1',
      'opened spend|chat-prod|actual info@0.5#1',
    ]);
    expect(plan.unchanged).toBe(0);
    expect(states(plan)).toEqual(
      expect.arrayContaining(plan.alerts.map(({ key, state }) => ({ key, state }))),
    );
    expect(plan.records).toHaveLength(3);

    const forecast = plan.alerts.find((a) => a.key === 'spend|chat-prod|forecast') as Alert;
    expect(forecast).toMatchObject({
      crossing: 1,
      kind: 'spend',
      budget: 'chat-prod',
      owner: 'chat-prod-team@example.com',
      asOf: AS_OF,
      period: PERIOD,
      spend: {
        basis: 'forecast',
        fraction: 1,
        amount: 3300,
        low: 2910,
        cap: 3000,
        spendToDate: 1650,
        crossesOn: '2026-10-25',
      },
      observed: 3300,
      limit: 3000,
      cause,
      actions: [lowerMin],
    });
    expect(forecast.message).toBe(
      'chat-prod is forecast to spend $3,300.00, 110% of its $3,000.00 cap, crossing it on 2026-10-25.',
    );
    const actual = plan.alerts.find((a) => a.key === 'spend|chat-prod|actual') as Alert;
    expect(actual.spend).toEqual({
      basis: 'actual',
      fraction: 0.5,
      amount: 1650,
      cap: 3000,
      spendToDate: 1650,
    });
    expect(actual.message).toBe(
      'chat-prod has spent $1,650.00, 55% of its $3,000.00 cap for the period (alert at 50%).',
    );
    const latency = plan.alerts.find((a) => a.kind === 'latency') as Alert;
    expect(latency).toMatchObject({ endpoint: 'chat-a', observed: 130, limit: 100, actions: [lowerMin] });
    expect(latency.findings).toHaveLength(1);
  });

  it('does not alert on a forecast below the cap: a forecast at half the cap is the plan', () => {
    const plan = planAlerts(cycle([budget('chat-prod', { spent: 0.3, expected: 0.9 })]), [], SENT_AT);
    expect(plan.alerts).toEqual([]);
    expect(plan.records).toEqual([]);
  });

  it('sends nothing for the same cycle again, counting the alerts as unchanged', () => {
    const result = cycle([
      budget('chat-prod', { spent: 0.55, expected: 1.1, low: 0.97 }, { findings: [latencyBreach()] }),
    ]);
    const first = planAlerts(result, [], SENT_AT);
    expect(first.alerts).toHaveLength(3);
    const again = planAlerts(result, states(first), '2026-10-10T07:00:00.000Z');
    expect(again.alerts).toEqual([]);
    expect(again.records).toEqual([]);
    expect(again.unchanged).toBe(3);
  });

  it('escalates actual spend from the 50% to the 80% threshold within the same crossing', () => {
    const first = planAlerts(cycle([budget('chat-prod', { spent: 0.55 })]), [], SENT_AT);
    expect(summary(first.alerts)).toEqual(['opened spend|chat-prod|actual info@0.5#1']);
    const later = planAlerts(
      cycle([budget('chat-prod', { spent: 0.82 })], '2026-10-20'),
      states(first),
      SENT_AT,
    );
    expect(summary(later.alerts)).toEqual(['escalated spend|chat-prod|actual warning@0.8#1']);
    expect(later.alerts[0]).toMatchObject({ crossing: 1, severity: 'warning', spend: { fraction: 0.8 } });
    expect(states(later)).toEqual([{ key: 'spend|chat-prod|actual', state: 'warning@0.8#1' }]);

    const full = planAlerts(
      cycle([budget('chat-prod', { spent: 1.01, expected: 1.2 })], '2026-10-25'),
      [...states(first), ...states(later)],
      SENT_AT,
    );
    expect(summary(full.alerts)).toEqual(['escalated spend|chat-prod|actual critical@1#1']);
  });

  it(`makes a forecast critical when the cap is crossed within ${CRITICAL_WITHIN_DAYS} days, and escalates it`, () => {
    const warning = planAlerts(
      cycle([budget('chat-prod', { spent: 0.4, expected: 1.1, low: 0.95, crossesCapOn: '2026-10-18' })]),
      [],
      SENT_AT,
    );
    // 8 days ahead of 2026-10-10: still a warning
    expect(summary(warning.alerts)).toEqual(['opened spend|chat-prod|forecast warning@1#1']);

    const soon = planAlerts(
      cycle([budget('chat-prod', { spent: 0.4, expected: 1.1, low: 0.95, crossesCapOn: '2026-10-17' })]),
      states(warning),
      SENT_AT,
    );
    expect(summary(soon.alerts)).toEqual(['escalated spend|chat-prod|forecast critical@1#1']);
    expect(soon.alerts[0]).toMatchObject({
      transition: 'escalated',
      crossing: 1,
      severity: 'critical',
      spend: { crossesOn: '2026-10-17' },
    });
  });

  it('makes a forecast critical when even its low end is above the cap, and escalates it', () => {
    const warning = planAlerts(
      cycle([budget('chat-prod', { spent: 0.4, expected: 1.1, low: 0.99 })]),
      [],
      SENT_AT,
    );
    expect(summary(warning.alerts)).toEqual(['opened spend|chat-prod|forecast warning@1#1']);
    const sure = planAlerts(
      cycle([budget('chat-prod', { spent: 0.45, expected: 1.1, low: 1.0 })], '2026-10-11'),
      states(warning),
      SENT_AT,
    );
    expect(summary(sure.alerts)).toEqual(['escalated spend|chat-prod|forecast critical@1#1']);
    expect(sure.alerts[0]?.spend).toMatchObject({ low: 3000, cap: 3000 });

    // better again (warning) is no news within the crossing
    const calmer = planAlerts(
      cycle([budget('chat-prod', { spent: 0.45, expected: 1.1, low: 0.99 })], '2026-10-12'),
      [...states(warning), ...states(sure)],
      SENT_AT,
    );
    expect(calmer.alerts).toEqual([]);
    expect(calmer.unchanged).toBe(1);
  });

  it('sends a resolved notice when the forecast recovers below the cap, and a new crossing when it crosses again', () => {
    const ledger = new MemoryLedger();
    const crossed = budget('chat-prod', { spent: 0.4, expected: 1.1, low: 0.98 });
    expect(summary(ledger.run(cycle([crossed])).sent)).toEqual([
      'opened spend|chat-prod|forecast warning@1#1',
    ]);

    const { plan, sent } = ledger.run(
      cycle([budget('chat-prod', { spent: 0.45, expected: 0.95 })], '2026-10-12'),
    );
    expect(summary(sent)).toEqual(['resolved spend|chat-prod|forecast resolved#1']);
    expect(plan.records).toEqual([
      {
        key: 'spend|chat-prod|forecast',
        period: '2026-10-01',
        state: 'resolved#1',
        sentAt: SENT_AT,
        asOf: '2026-10-12',
        summary:
          "chat-prod's forecast is back under its alert threshold: $2,850.00 against its $3,000.00 cap.",
      },
    ]);
    expect(sent[0]).toMatchObject({
      transition: 'resolved',
      crossing: 1,
      severity: 'warning',
      kind: 'spend',
      observed: 2850,
      limit: 3000,
      actions: [],
      findings: [],
      message: "chat-prod's forecast is back under its alert threshold: $2,850.00 against its $3,000.00 cap.",
    });

    // still recovered: nothing
    expect(
      ledger.run(cycle([budget('chat-prod', { spent: 0.47, expected: 0.96 })], '2026-10-13')).sent,
    ).toEqual([]);

    const again = ledger.run(
      cycle([budget('chat-prod', { spent: 0.5, expected: 1.05, low: 0.9 })], '2026-10-14'),
    ).sent;
    expect(summary(again)).toEqual([
      'opened spend|chat-prod|forecast warning@1#2',
      'opened spend|chat-prod|actual info@0.5#1',
    ]);
    expect(again[0]?.crossing).toBe(2);
  });

  it('resolves a latency breach once the endpoint is back within its limit', () => {
    const open = planAlerts(cycle([budget('chat-prod', {}, { findings: [latencyBreach()] })]), [], SENT_AT);
    expect(summary(open.alerts)).toEqual(['opened latency|chat-prod|chat-a warning@0#1']);

    const back = planAlerts(
      cycle([budget('chat-prod', {}, { endpoints: [endpointResult('chat-a', { latencyP99Ms: 42 })] })]),
      states(open),
      SENT_AT,
    );
    expect(summary(back.alerts)).toEqual(['resolved latency|chat-prod|chat-a resolved#1']);
    expect(back.alerts[0]).toMatchObject({
      endpoint: 'chat-a',
      severity: 'warning',
      message: 'chat-a is back within its latency limit (p99 now 42.0 ms).',
    });
  });

  it('does not resolve a latency breach while the budget or the endpoint lacks data, only once it is known', () => {
    const open = planAlerts(cycle([budget('chat-prod', {}, { findings: [latencyBreach()] })]), [], SENT_AT);
    const previous = states(open);
    const noMetrics = finding('incomplete-data', { message: 'chat-prod: no metrics given.' });
    const endpointGap = finding('incomplete-data', {
      endpoint: 'chat-a',
      message: 'chat-a: no ModelLatency p99.',
    });
    const otherGap = finding('incomplete-data', {
      endpoint: 'chat-b',
      message: 'chat-b: no ModelLatency p99.',
    });

    const budgetWide = planAlerts(
      cycle([budget('chat-prod', {}, { findings: [noMetrics] })]),
      previous,
      SENT_AT,
    );
    expect(summary(budgetWide.alerts)).toEqual(['opened incomplete-data|chat-prod|* warning@0#1']);
    expect(budgetWide.records.map((r) => r.key)).not.toContain('latency|chat-prod|chat-a');

    const ofEndpoint = planAlerts(
      cycle([budget('chat-prod', {}, { findings: [endpointGap] })]),
      previous,
      SENT_AT,
    );
    expect(summary(ofEndpoint.alerts)).toEqual(['opened incomplete-data|chat-prod|chat-a warning@0#1']);
    expect(ofEndpoint.records.map((r) => r.key)).not.toContain('latency|chat-prod|chat-a');

    // a gap of another endpoint says nothing about chat-a: its recovery is known
    const ofOther = planAlerts(cycle([budget('chat-prod', {}, { findings: [otherGap] })]), previous, SENT_AT);
    expect(summary(ofOther.alerts)).toEqual([
      'opened incomplete-data|chat-prod|chat-b warning@0#1',
      'resolved latency|chat-prod|chat-a resolved#1',
    ]);

    // the data gap itself resolves when the data is back
    const gapOpen = [...previous, ...states(budgetWide)];
    const complete = planAlerts(cycle([budget('chat-prod')]), gapOpen, SENT_AT);
    expect(summary(complete.alerts)).toEqual([
      'resolved incomplete-data|chat-prod|* resolved#1',
      'resolved latency|chat-prod|chat-a resolved#1',
    ]);
    expect(complete.alerts[0]?.message).toBe("chat-prod's cost and metric data is complete again.");
  });

  it('does not resolve a latency breach of an endpoint still in the budget but not measured this cycle', () => {
    const open = planAlerts(cycle([budget('chat-prod', {}, { findings: [latencyBreach()] })]), [], SENT_AT);
    // an idle endpoint has no ModelLatency and, spending nothing in the window, no incomplete-data finding
    const unmeasured = planAlerts(
      cycle([budget('chat-prod', {}, { endpoints: [endpointResult('chat-a', { latencyP99Ms: null })] })]),
      states(open),
      SENT_AT,
    );
    expect(unmeasured.alerts).toEqual([]);
    expect(unmeasured.records).toEqual([]);
    // an endpoint gone from the budget has recovered by leaving
    const gone = planAlerts(
      cycle([budget('chat-prod', {}, { endpoints: [endpointResult('chat-b')] })]),
      states(open),
      SENT_AT,
    );
    expect(summary(gone.alerts)).toEqual(['resolved latency|chat-prod|chat-a resolved#1']);
    expect(gone.alerts[0]?.message).toBe(
      'chat-a is no longer part of chat-prod; its latency alert is closed.',
    );
  });

  it('closes the spend alerts of a budget whose cap was removed, saying so', () => {
    const open = planAlerts(
      cycle([budget('chat-prod', { spent: 0.6, expected: 1.2, crossesCapOn: '2026-10-20' })]),
      [],
      SENT_AT,
    );
    expect(open.alerts.map((a) => a.key).sort()).toEqual([
      'spend|chat-prod|actual',
      'spend|chat-prod|forecast',
    ]);
    const uncapped = planAlerts(cycle([budget('chat-prod', { cap: null })]), states(open), SENT_AT);
    expect(uncapped.alerts.map((a) => a.message).sort()).toEqual([
      'chat-prod no longer has a spend cap; its forecast alert is closed.',
      'chat-prod no longer has a spend cap; its spend alert is closed.',
    ]);
  });

  it('does not resolve spend alerts while the budget has no cost data', () => {
    const open = planAlerts(cycle([budget('chat-prod', { spent: 0.6, expected: 1.2 })]), [], SENT_AT);
    expect(open.alerts).toHaveLength(2);
    const blind = planAlerts(cycle([budget('chat-prod', { spent: null })]), states(open), SENT_AT);
    expect(blind.alerts).toEqual([]);
    expect(blind.records).toEqual([]);
  });

  it('resolves nothing of a budget that is gone from the result', () => {
    const open = planAlerts(
      cycle([
        budget('chat-prod', { spent: 0.6, expected: 1.2 }, { findings: [latencyBreach()] }),
        budget('rank-prod', { spent: 0.1 }),
      ]),
      [],
      SENT_AT,
    );
    expect(open.alerts).toHaveLength(3);
    const gone = planAlerts(cycle([budget('rank-prod', { spent: 0.1 })]), states(open), SENT_AT);
    expect(gone.alerts).toEqual([]);
    expect(gone.records).toEqual([]);
  });

  it('closes an open forecast alert quietly when actual spend overtakes it', () => {
    const ledger = new MemoryLedger();
    ledger.run(cycle([budget('chat-prod', { spent: 0.85, expected: 1.1, low: 1.0 })]));
    const { plan, sent } = ledger.run(
      cycle([budget('chat-prod', { spent: 1.02, expected: 1.15, low: 1.1 })], '2026-10-26'),
      '2026-10-26T06:00:00.000Z',
    );
    expect(summary(sent)).toEqual(['escalated spend|chat-prod|actual critical@1#1']);
    expect(plan.records).toEqual(
      expect.arrayContaining([
        {
          key: 'spend|chat-prod|forecast',
          period: '2026-10-01',
          state: 'resolved#1',
          sentAt: '2026-10-26T06:00:00.000Z',
          asOf: '2026-10-26',
          summary: "chat-prod's actual spend reached the level its forecast had alerted on.",
        },
      ]),
    );
    expect(plan.alerts.some((a) => a.transition === 'resolved')).toBe(false);
  });

  it('records every state with the period start, the time it was sent, the day judged and its sentence', () => {
    const plan = planAlerts(
      cycle(
        [budget('chat-prod', { spent: 0.9, expected: 1.3 }, { findings: [latencyBreach()] })],
        '2026-10-21',
      ),
      [],
      '2026-10-21T05:04:03.000Z',
    );
    expect(plan.records.length).toBe(3);
    for (const r of plan.records) {
      expect(r.period).toBe('2026-10-01');
      expect(r.sentAt).toBe('2026-10-21T05:04:03.000Z');
      expect(r.asOf).toBe('2026-10-21');
      expect(r.summary).toBe(plan.alerts.find((a) => a.key === r.key && a.state === r.state)?.message);
    }
    expect(plan.records.map((r) => r.state).sort()).toEqual(['critical@1#1', 'warning@0#1', 'warning@0.8#1']);
  });

  it('orders critical before warning before info, then by budget and key', () => {
    const plan = planAlerts(
      cycle([
        budget('zeta-prod', { spent: 0.55 }),
        budget('rank-prod', { spent: 0.6, expected: 1.2, low: 1.1 }, { findings: [latencyBreach('rank-a')] }),
        budget(
          'alpha-prod',
          { spent: 0.85 },
          { findings: [latencyBreach('alpha-a', { severity: 'critical' })] },
        ),
      ]),
      [],
      SENT_AT,
    );
    expect(plan.alerts.map((a) => `${a.severity} ${a.key}`)).toEqual([
      'critical latency|alpha-prod|alpha-a',
      'critical spend|rank-prod|forecast',
      'warning spend|alpha-prod|actual',
      'warning latency|rank-prod|rank-a',
      'info spend|rank-prod|actual',
      'info spend|zeta-prod|actual',
    ]);
  });

  it('gives one alert per endpoint and kind, with the worst severity of its findings', () => {
    const plan = planAlerts(
      cycle([
        budget(
          'chat-prod',
          {},
          {
            findings: [
              finding('error-rate', { endpoint: 'chat-a', severity: 'warning', actions: [lowerMin] }),
              finding('error-rate', { endpoint: 'chat-a', severity: 'critical', actions: [lowerMin] }),
              finding('error-rate', { endpoint: 'chat-b', severity: 'info' }),
            ],
          },
        ),
      ]),
      [],
      SENT_AT,
    );
    expect(summary(plan.alerts)).toEqual([
      'opened error-rate|chat-prod|chat-a critical@0#1',
      'opened error-rate|chat-prod|chat-b info@0#1',
    ]);
    expect(plan.alerts[0]?.actions).toEqual([lowerMin]);
    expect(plan.alerts[0]?.message).toBe('error-rate finding. error-rate finding.');
  });

  it('makes no alert of its own for expired exceptions or the spend findings', () => {
    const findings = [
      finding('exception-expired', { severity: 'info' }),
      finding('spend-breach', { severity: 'critical' }),
      finding('spend-forecast', { severity: 'critical' }),
    ];
    const noCap = planAlerts(cycle([budget('chat-prod', { cap: null }, { findings })]), [], SENT_AT);
    expect(noCap.alerts).toEqual([]);
    expect(noCap.records).toEqual([]);

    // with a cap, the spend findings travel inside the spend alerts
    const withCap = planAlerts(
      cycle([budget('chat-prod', { spent: 1.05, expected: 1.3 }, { findings })]),
      [],
      SENT_AT,
    );
    expect(summary(withCap.alerts)).toEqual(['opened spend|chat-prod|actual critical@1#1']);
    expect(withCap.alerts[0]?.findings.map((f) => f.kind)).toEqual(['spend-breach']);
  });
});

describe('freshAlerts', () => {
  it('keeps only the alerts whose state the ledger recorded as new', () => {
    const plan = planAlerts(
      cycle([budget('chat-prod', { spent: 0.55, expected: 1.1 }, { findings: [latencyBreach()] })]),
      [],
      SENT_AT,
    );
    expect(plan.alerts).toHaveLength(3);
    const fresh = freshAlerts(plan, [
      { key: 'latency|chat-prod|chat-a', state: 'warning@0#1' },
      // recorded by a concurrent cycle in another state: not this plan's alert
      { key: 'spend|chat-prod|actual', state: 'warning@0.8#1' },
    ]);
    expect(summary(fresh)).toEqual(['opened latency|chat-prod|chat-a warning@0#1']);
    expect(freshAlerts(plan, [])).toEqual([]);
    expect(freshAlerts(plan, states(plan))).toEqual(plan.alerts);
  });
});

describe('alerts over random sequences of cycles', () => {
  const severity = fc.constantFrom<Severity>('info', 'warning', 'critical');
  const budgetState = fc.record({
    present: fc.boolean(),
    spent: fc.oneof(
      fc.constant(null),
      fc.integer({ min: 0, max: 130 }).map((x) => x / 100),
    ),
    expected: fc.integer({ min: 0, max: 160 }).map((x) => x / 100),
    lowBelow: fc.integer({ min: 0, max: 20 }).map((x) => x / 100),
    crossesIn: fc.option(fc.integer({ min: 0, max: 20 })),
    cap: fc.constantFrom(3000, 3000, 3000, 4000),
    latency: fc.option(severity),
    gap: fc.constantFrom<'none' | 'budget' | 'chat-a' | 'chat-b'>(
      'none',
      'none',
      'budget',
      'chat-a',
      'chat-b',
    ),
  });
  const cycles = fc.array(fc.tuple(budgetState, budgetState), { minLength: 1, maxLength: 12 });

  type BudgetState = typeof budgetState extends fc.Arbitrary<infer T> ? T : never;

  function resultOf(day: number, states: readonly BudgetState[]): CycleResult {
    const asOf = addDays(PERIOD.start, day);
    const budgets = states.flatMap((s, i) => {
      if (!s.present) return [];
      const name = i === 0 ? 'chat-prod' : 'rank-prod';
      const expected = Math.max(s.expected, s.spent ?? 0);
      const findings: Finding[] = [];
      if (s.latency) findings.push(latencyBreach('chat-a', { budget: name, severity: s.latency }));
      if (s.gap !== 'none') {
        findings.push(
          finding('incomplete-data', {
            budget: name,
            ...(s.gap === 'budget' ? {} : { endpoint: s.gap }),
          }),
        );
      }
      return [
        budget(
          name,
          {
            spent: s.spent,
            expected,
            low: expected - s.lowBelow,
            cap: s.cap,
            crossesCapOn: s.crossesIn === null ? null : addDays(asOf, s.crossesIn),
          },
          { findings },
        ),
      ];
    });
    return cycle(budgets, asOf);
  }

  it('never sends a (key, state) twice, and sends a resolved notice only after its crossing opened', () => {
    fc.assert(
      fc.property(cycles, (seq) => {
        const ledger = new MemoryLedger();
        seq.forEach((states, day) => {
          ledger.run(resultOf(day, states), `2026-10-${String(day + 1).padStart(2, '0')}T06:00:00.000Z`);
        });
        const seen = new Set<string>();
        const opened = new Set<string>();
        for (const a of ledger.sent) {
          const id = `${a.key}|${a.state}`;
          expect(seen.has(id), `${id} sent twice`).toBe(false);
          seen.add(id);
          expect(a.state.endsWith(`#${a.crossing}`)).toBe(true);
          if (a.transition === 'opened') {
            expect(opened.has(`${a.key}#${a.crossing}`)).toBe(false);
            opened.add(`${a.key}#${a.crossing}`);
          } else {
            // an escalation or a resolved notice belongs to a crossing that was opened (and told) before
            expect(opened.has(`${a.key}#${a.crossing}`), `${a.transition} ${id} without its opening`).toBe(
              true,
            );
          }
          if (a.transition === 'resolved') expect(a.state).toBe(`resolved#${a.crossing}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
