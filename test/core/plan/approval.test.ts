import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  approvalExpiresAt,
  approvalId,
  approvalRecord,
  isApprover,
  isExpired,
  judgeApproval,
} from '../../../lambdas/core/plan/approval.ts';
import { type ActionRecord, NO_SCALING, variantResourceId } from '../../../lambdas/core/plan/types.ts';

const H = 3_600_000;
const PENDING_AT = '2026-03-10T06:00:00.000Z';
const T0 = Date.parse(PENDING_AT);

const pending: ActionRecord = {
  id: 'act-0123456789abcdef',
  budget: 'chat-prod',
  kind: 'scaling',
  resource: {
    resourceId: variantResourceId('chat-a', 'AllTraffic'),
    dimension: 'sagemaker:variant:DesiredInstanceCount',
    endpoint: 'chat-a',
    variant: 'AllTraffic',
  },
  status: 'pending-approval',
  before: { ...NO_SCALING, target: { min: 4, max: 8 } },
  after: { ...NO_SCALING, target: { min: 2, max: 8 } },
  predicted: { spend: 100, p99Ms: 90 },
  evidence: { hours: 168, from: '2026-03-03', to: '2026-03-09' },
  asOf: '2026-03-10',
  createdAt: PENDING_AT,
  history: [
    { status: 'recommended', at: PENDING_AT },
    { status: 'pending-approval', at: PENDING_AT, reason: 'approve mode' },
  ],
};
const g = { approvers: ['U0AAAA111', 'Alice@Example.com'], approvalHours: 24 };

describe('who may approve', () => {
  it('matches Slack member ids exactly and emails without regard to case', () => {
    expect(isApprover(g, 'U0AAAA111')).toBe(true);
    expect(isApprover(g, 'u0aaaa111')).toBe(false);
    expect(isApprover(g, 'alice@example.COM')).toBe(true);
    expect(isApprover(g, 'bob@example.com')).toBe(false);
    expect(isApprover(g, '')).toBe(false);
    expect(isApprover({ approvers: [] }, 'U0AAAA111')).toBe(false);
  });
});

describe('until when', () => {
  it('expires approvalHours after the action started waiting, not after it was created', () => {
    const again = {
      ...pending,
      history: [...pending.history, { status: 'pending-approval' as const, at: '2026-03-10T12:00:00.000Z' }],
    };
    expect(approvalExpiresAt(pending, g)).toBe(T0 + 24 * H);
    expect(approvalExpiresAt(again, g)).toBe(Date.parse('2026-03-11T12:00:00.000Z'));
    expect(isExpired(pending, g, T0 + 24 * H)).toBe(false);
    expect(isExpired(pending, g, T0 + 24 * H + 1)).toBe(true);
    expect(isExpired({ ...pending, status: 'approved' }, g, T0 + 48 * H)).toBe(false);
  });
});

describe('judgeApproval', () => {
  const now = T0 + H;

  it('moves a pending action to approved with who and when in its history', () => {
    const j = judgeApproval(pending, 'approve', 'U0AAAA111', g, now, pending.id);
    expect(j.ok).toBe(true);
    if (!j.ok) return;
    expect(j.next.status).toBe('approved');
    expect(j.next.history.at(-1)).toMatchObject({
      status: 'approved',
      by: 'U0AAAA111',
      at: new Date(now).toISOString(),
    });
    expect(j.next.before).toEqual(pending.before);
    expect(j.next.after).toEqual(pending.after);
  });

  it('moves it to rejected on a rejection', () => {
    const j = judgeApproval(pending, 'reject', 'alice@example.com', g, now, pending.id);
    expect(j.ok && j.next.status).toBe('rejected');
  });

  it('refuses an unknown action, one not pending, one past its time and a person who is not an approver', () => {
    expect(judgeApproval(undefined, 'approve', 'U0AAAA111', g, now, 'act-ffffffffffffffff')).toMatchObject({
      ok: false,
      reason: 'unknown-action',
    });
    const approved = judgeApproval(pending, 'approve', 'U0AAAA111', g, now, pending.id);
    if (!approved.ok) throw new Error('expected an approval');
    const again = judgeApproval(approved.next, 'approve', 'U0AAAA111', g, now + 1, pending.id);
    expect(again).toMatchObject({ ok: false, reason: 'not-pending' });
    expect(again.ok ? '' : again.detail).toContain('approved by U0AAAA111');
    expect(judgeApproval(pending, 'approve', 'U0BBBB222', g, now, pending.id)).toMatchObject({
      ok: false,
      reason: 'not-approver',
    });
    expect(judgeApproval(pending, 'approve', 'U0AAAA111', undefined, now, pending.id)).toMatchObject({
      ok: false,
      reason: 'not-approver',
    });
    const late = judgeApproval(pending, 'approve', 'U0AAAA111', g, T0 + 25 * H, pending.id);
    expect(late).toMatchObject({ ok: false, reason: 'expired' });
    expect(late.ok ? undefined : late.expired?.status).toBe('expired');
  });

  it('says so when a budget lists no approvers', () => {
    const j = judgeApproval(pending, 'approve', 'U0AAAA111', { ...g, approvers: [] }, now, pending.id);
    expect(j.ok ? '' : j.detail).toContain('lists no approvers');
  });

  it('never approves for anyone off the list, whatever the list and the name', () => {
    const id = fc.stringMatching(/^[UW][A-Z0-9]{2,10}$/);
    fc.assert(
      fc.property(fc.uniqueArray(id, { minLength: 1, maxLength: 5 }), id, (approvers, who) => {
        const j = judgeApproval(pending, 'approve', who, { approvers, approvalHours: 24 }, now, pending.id);
        expect(j.ok).toBe(approvers.includes(who));
      }),
    );
  });
});

describe('the audit record', () => {
  it('is keyed by the request, so the same request gives the same id and another one another', () => {
    expect(approvalId('slack|1700000000|v0=abc')).toMatch(/^apr-[0-9a-f]{16}$/);
    expect(approvalId('slack|1700000000|v0=abc')).toBe(approvalId('slack|1700000000|v0=abc'));
    expect(approvalId('slack|1700000000|v0=abc')).not.toBe(approvalId('slack|1700000001|v0=abc'));
    const r = approvalRecord({
      key: 'k',
      outcome: 'approved',
      action: pending,
      by: 'U0AAAA111',
      via: 'slack',
      now: T0,
      detail: 'Approved.',
    });
    expect(r).toEqual({
      id: approvalId('k'),
      outcome: 'approved',
      actionId: pending.id,
      budget: 'chat-prod',
      endpoint: 'chat-a',
      by: 'U0AAAA111',
      via: 'slack',
      at: PENDING_AT,
      detail: 'Approved.',
    });
  });
});
