import { describe, expect, it } from 'vitest';
import { BudgetSchema } from '../../../lambdas/core/budget.ts';
import { exceptionResults, expiredExceptionFindings } from '../../../lambdas/core/evaluate/exceptions.ts';
import { budget } from './fixtures.ts';

const exception = (expires: string, endpoints?: string[]) => ({
  reason: `until ${expires}`,
  approvedBy: 'cfo@example.com',
  expires,
  limits: { spendPerPeriod: 1000 },
  ...(endpoints ? { endpoints } : {}),
});
const withExceptions = (...xs: ReturnType<typeof exception>[]) =>
  BudgetSchema.parse(budget({ spendPerPeriod: 100 }, { exceptions: xs }));

describe('exceptions in force', () => {
  it('counts an exception through its expiry day', () => {
    const b = withExceptions(exception('2026-10-10'), exception('2026-10-09'));
    expect(exceptionResults(b, '2026-10-10').map((x) => x.inForce)).toEqual([true, false]);
  });

  it('keeps the scope of an exception on some endpoints, and none of a budget-wide one', () => {
    const [scoped, wide] = exceptionResults(
      withExceptions(exception('2026-12-31', ['api-a']), exception('2026-12-31')),
      '2026-10-10',
    );
    expect(scoped).toEqual({
      reason: 'until 2026-12-31',
      approvedBy: 'cfo@example.com',
      expires: '2026-12-31',
      inForce: true,
      endpoints: ['api-a'],
      limits: { spendPerPeriod: 1000 },
    });
    expect(wide && 'endpoints' in wide).toBe(false);
  });
});

describe('expired exceptions', () => {
  const findings = (asOf: string, ...expires: string[]) =>
    expiredExceptionFindings(
      'api',
      exceptionResults(withExceptions(...expires.map((e) => exception(e))), asOf),
      '2026-10-01',
    );

  it('tell that the budget limits apply again, from the day before the period on', () => {
    expect(findings('2026-10-10', '2026-09-30')).toEqual([
      {
        kind: 'exception-expired',
        budget: 'api',
        severity: 'info',
        message:
          'The exception "until 2026-09-30" (approved by cfo@example.com) expired on 2026-09-30; the budget\'s own limits apply again.',
        actions: [],
        key: 'exception-expired|api|2026-09-30|until 2026-09-30',
      },
    ]);
  });

  it('leave out older expiries and exceptions still in force', () => {
    expect(findings('2026-10-10', '2026-09-29', '2026-10-10', '2026-12-31')).toEqual([]);
  });
});
