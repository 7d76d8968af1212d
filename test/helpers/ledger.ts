import type { AlertRecord, DailySpend, ExceptionSeen } from '../../lambdas/ports.ts';

/** Fixtures every Ledger implementation is tested with (SQLite locally, DynamoDB deployed). */
export const OCT = '2026-10-01';

export const alert = (key: string, state = 'warning', period = OCT): AlertRecord => ({
  key,
  period,
  state,
  sentAt: '2026-10-10T06:00:00.000Z',
});

export const cycle = (
  parts: { alerts?: AlertRecord[]; closedDays?: DailySpend[]; exceptions?: ExceptionSeen[] },
  asOf = '2026-10-10',
) => ({ alerts: [], closedDays: [], exceptions: [], ...parts, asOf });

export const launchWeek: ExceptionSeen = {
  budget: 'search-prod',
  reason: 'Launch week',
  approvedBy: 'cfo@example.com',
  expires: '2026-12-31',
};
