import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertText } from '../../../lambdas/core/alert-text.ts';
import { type Alert, planAlerts } from '../../../lambdas/core/alerts.ts';
import { evaluate } from '../../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../../lambdas/core/evaluate/types.ts';
import { alertKey } from '../../../lambdas/core/ledger-state.ts';
import {
  ALERTED_KINDS,
  alertedKind,
  ENDPOINT_LIMITS,
  isLimitFinding,
  LIMITS,
  PER_FINDING_ALERTS,
} from '../../../lambdas/core/limits/index.ts';
import type { AlertedKind } from '../../../lambdas/core/limits/limit.ts';
import type { AlertKind, FindingKind } from '../../../lambdas/core/types.ts';
import { limitsText } from '../../../lambdas/report/format.ts';
import { timeline } from '../../../lambdas/report/review.ts';
import { ROOT } from '../../helpers/cli.ts';
import { budget, file, snap, steady } from '../evaluate/fixtures.ts';
import { budgetResult } from './fixtures.ts';

// Every finding kind, sorted: a kind added to FindingKind does not compile here until it is said to be a limit or not.
const FINDING_KINDS: Record<FindingKind, 'limit' | 'not a limit'> = {
  'spend-breach': 'limit',
  'spend-forecast': 'limit',
  'unit-cost': 'limit',
  latency: 'limit',
  'error-rate': 'limit',
  'utilization-low': 'limit',
  'utilization-high': 'limit',
  'max-instances': 'limit',
  'exit-criteria': 'limit',
  'exception-expired': 'not a limit',
  'incomplete-data': 'not a limit',
  'unbudgeted-spend': 'not a limit',
  'overlapping-budgets': 'not a limit',
  'change-rolled-back': 'not a limit',
  'change-pending-approval': 'not a limit',
};

const ALERT_KINDS: Record<AlertKind, true> = {
  spend: true,
  'unit-cost': true,
  latency: true,
  'error-rate': true,
  'utilization-low': true,
  'utilization-high': true,
  'max-instances': true,
  'exit-criteria': true,
  'incomplete-data': true,
  'change-rolled-back': true,
  'change-pending-approval': true,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the limit registry', () => {
  it('has exactly one entry for every finding kind that is a limit, and none for the others', () => {
    for (const [kind, what] of Object.entries(FINDING_KINDS) as [FindingKind, string][]) {
      const entries = LIMITS.filter((l) => l.findings.includes(kind));
      expect(entries, kind).toHaveLength(what === 'limit' ? 1 : 0);
      expect(isLimitFinding(kind), kind).toBe(what === 'limit');
    }
  });

  it('has exactly one alerted kind for every alert kind, and no other', () => {
    for (const kind of Object.keys(ALERT_KINDS)) {
      expect(
        ALERTED_KINDS.filter((k) => k.alert === kind),
        kind,
      ).toHaveLength(1);
    }
    expect(ALERTED_KINDS.map((k) => k.alert).sort()).toEqual(Object.keys(ALERT_KINDS).sort());
  });

  it('judges each endpoint limit under its own finding kind, alerted one by one', () => {
    const kinds = ENDPOINT_LIMITS.map((l) => l.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const l of ENDPOINT_LIMITS) {
      expect(l.findings).toEqual([l.kind]);
      expect(l.alert).toBe(l.kind);
      expect(PER_FINDING_ALERTS.has(l.kind)).toBe(true);
    }
    expect([...PER_FINDING_ALERTS].sort()).toEqual(
      [...kinds, 'exit-criteria', 'incomplete-data', 'change-rolled-back', 'change-pending-approval'].sort(),
    );
  });

  it('points every alert kind at a runbook section the README has', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const anchors = new Set(
      [...readme.matchAll(/^#+ (Runbook: .+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const k of ALERTED_KINDS) expect(anchors.has(k.runbook), k.runbook).toBe(true);
  });
});

/** A cycle of one budget whose only endpoint, api-a, has cost rows and no limit of its own. */
const oneEndpointCycle = () => evaluate(snap(steady, '2026-10-10'), file([budget({})]));

function alertOf(k: AlertedKind): Alert {
  return {
    key: alertKey(k.alert, 'chat-prod', k.subject === 'basis' ? 'actual' : 'chat-a'),
    state: 'warning@0#1',
    crossing: 1,
    transition: 'opened',
    severity: 'warning',
    kind: k.alert,
    budget: 'chat-prod',
    tier: 'production',
    mode: 'approve',
    environment: 'prod',
    owner: 'chat@example.com',
    ...(k.subject === 'endpoint' ? { endpoint: 'chat-a' } : {}),
    asOf: '2026-10-15',
    period: { start: '2026-10-01', end: '2026-11-01' },
    currency: 'USD',
    message: 'A finding.',
    actions: [],
    exceptions: [],
    findings: [],
  };
}

describe('consumers take their per-kind facts from the registry', () => {
  it('evaluation judges every registered endpoint limit and words its finding', () => {
    for (const limit of ENDPOINT_LIMITS) {
      vi.restoreAllMocks();
      for (const other of ENDPOINT_LIMITS)
        vi.spyOn(other, 'check').mockReturnValue({ status: 'not-applicable' });
      vi.spyOn(limit, 'check').mockReturnValue({ status: 'breached', observed: 7, limit: 3 });
      vi.spyOn(limit, 'message').mockReturnValue(`judged by ${limit.kind}`);
      const b = oneEndpointCycle().budgets[0];
      expect(b?.status, limit.kind).toBe('breached');
      expect(b?.findings.map((f) => [f.kind, f.message, f.observed, f.limit])).toEqual([
        [limit.kind, `judged by ${limit.kind}`, 7, 3],
      ]);
    }
  });

  it('alert planning asks each kind whether a recovery can be seen, and its words for the notice', () => {
    for (const k of ALERTED_KINDS) {
      vi.restoreAllMocks();
      const alert = alertOf(k);
      const result: CycleResult = {
        asOf: '2026-10-15',
        period: { start: '2026-10-01', end: '2026-11-01' },
        currency: 'USD',
        window: { start: '2026-10-09', end: '2026-10-16' },
        data: { costsFrom: '2026-09-01', costsThrough: '2026-10-15', metrics: true },
        budgets: [budgetResult({ thresholds: { actual: [], forecast: [] } })],
      };
      const previous = [{ key: alert.key, state: alert.state }];
      vi.spyOn(k, 'recoveryKnown').mockReturnValue(false);
      expect(planAlerts(result, previous, 'now').alerts, k.alert).toEqual([]);
      vi.spyOn(k, 'recoveryKnown').mockReturnValue(true);
      if (k.resolved) vi.spyOn(k, 'resolved').mockReturnValue({ message: `${k.alert} recovered.` });
      if (k.now) vi.spyOn(k, 'now').mockReturnValue(`${k.alert} now`);
      const [resolved] = planAlerts(result, previous, 'now').alerts;
      expect(resolved?.transition, k.alert).toBe('resolved');
      expect(resolved?.message, k.alert).toContain(k.resolved ? `${k.alert} recovered.` : `(${k.alert} now)`);
    }
  });

  it('alert text takes the headline and the runbook section of the alert kind', () => {
    for (const k of ALERTED_KINDS) {
      vi.spyOn(k, 'headline').mockReturnValue(`what ${k.alert} says`);
      const mutable = k as { runbook: string };
      const runbook = mutable.runbook;
      mutable.runbook = `runbook-of-${k.alert}`;
      try {
        const t = alertText(alertOf(k));
        expect(t.headline).toBe(
          `${k.subject === 'endpoint' ? 'chat-prod/chat-a' : 'chat-prod'}: what ${k.alert} says`,
        );
        expect(t.plain).toContain(`Runbook: README.md#runbook-of-${k.alert}\n`);
      } finally {
        mutable.runbook = runbook;
      }
    }
  });

  it('the review names each alert as its kind does, the report states each limit as it does', () => {
    for (const k of ALERTED_KINDS) {
      vi.spyOn(k, 'what').mockReturnValue(`the ${k.alert} alert`);
      const [entry] = timeline([{ ...alertOf(k), period: '2026-10-01', sentAt: '2026-10-15T06:00:00.000Z' }]);
      expect(entry?.what).toBe(`the ${k.alert} alert`);
    }
    const stated = LIMITS.filter((l) => l.describe);
    for (const l of stated) vi.spyOn(l, 'describe').mockReturnValue(`${l.alert} stated`);
    expect(limitsText({}, 'USD')).toBe(stated.map((l) => `${l.alert} stated`).join(', '));
    expect(alertedKind('no-such-kind')).toBeUndefined();
  });
});
