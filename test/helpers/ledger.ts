import { type ActionRecord, VARIANT_DIMENSION, variantResourceId } from '../../lambdas/core/plan/types.ts';
import type { AlertRecord, DailySpend, ExceptionSeen, InventoryDay } from '../../lambdas/ports.ts';

/** Fixtures every Ledger implementation is tested with (SQLite locally, DynamoDB deployed). */
export const OCT = '2026-10-01';

export const alert = (key: string, state = 'warning', period = OCT): AlertRecord => ({
  key,
  period,
  state,
  sentAt: '2026-10-10T06:00:00.000Z',
});

export const cycle = (
  parts: {
    alerts?: AlertRecord[];
    closedDays?: DailySpend[];
    exceptions?: ExceptionSeen[];
    inventory?: InventoryDay[];
  },
  asOf = '2026-10-10',
) => ({ alerts: [], closedDays: [], exceptions: [], ...parts, asOf });

/** search-prod's primary variant on `day`: 2 instances of `instanceType`. */
export const variantDay = (day: string, instanceType: string, variant = 'primary'): InventoryDay => ({
  day,
  endpoint: 'search-prod',
  variant,
  instanceType,
  count: 2,
});

export const launchWeek: ExceptionSeen = {
  budget: 'search-prod',
  reason: 'Launch week',
  approvedBy: 'cfo@example.com',
  expires: '2026-12-31',
};

/**
 * An applied change of one variant of `endpoint`, with everything a record can hold (a recorded `before`, a
 * schedule, history, measurements), so that a round trip that loses any part of it shows.
 */
export const action = (
  id: string,
  parts: Partial<ActionRecord> = {},
  endpoint = 'search-prod',
): ActionRecord => ({
  id,
  budget: 'search-prod',
  kind: 'scaling',
  resource: {
    resourceId: variantResourceId(endpoint, 'primary'),
    dimension: VARIANT_DIMENSION,
    endpoint,
    variant: 'primary',
    instanceType: 'ml.g5.xlarge',
  },
  status: 'applied',
  before: {
    target: { min: 4, max: 8 },
    targetTracking: {
      metric: 'SageMakerVariantInvocationsPerInstance',
      targetValue: 120.5,
      scaleInCooldownSeconds: 300,
      scaleOutCooldownSeconds: 60,
    },
    wakeOnRequest: false,
    schedules: [],
  },
  after: {
    target: { min: 2, max: 6 },
    targetTracking: null,
    wakeOnRequest: false,
    schedules: [
      {
        name: 'perf-budgets-off-hours-start',
        schedule: 'cron(0 20 ? * MON-FRI *)',
        timezone: 'Europe/Berlin',
        min: 1,
        max: 2,
      },
    ],
  },
  predicted: { spend: 1234.56, p99Ms: null },
  evidence: { hours: 336, from: '2026-09-26', to: '2026-10-10' },
  measured: {
    hours: 24,
    before: { p99Ms: 88.25, errors5xx: 0, noCapacity: null, instanceHours: 96 },
    after: { p99Ms: 91.5, errors5xx: 2, noCapacity: 0, instanceHours: 48 },
    saving: 60.48,
  },
  asOf: '2026-10-10',
  createdAt: '2026-10-10T06:00:00.000Z',
  appliedAt: '2026-10-10T06:00:05.000Z',
  history: [
    { status: 'recommended', at: '2026-10-10T06:00:00.000Z' },
    { status: 'applied', at: '2026-10-10T06:00:05.000Z', reason: 'enforce', by: 'perf-budgets' },
  ],
  ...parts,
});

/** `record` moved to `status`, with the move in its history. */
export const moved = (record: ActionRecord, status: ActionRecord['status'], at: string): ActionRecord => ({
  ...record,
  status,
  history: [...record.history, { status, at }],
});
