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
