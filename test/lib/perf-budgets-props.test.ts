import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { REPORT_LINK_SECONDS } from '../../lambdas/cycle/contract.ts';
import { DEMO_BUDGETS, editedBudgets, synthStack } from './helpers.ts';

describe('PerfBudgets validation', () => {
  it('fails synth on a bad budget file with the path in the file, its line and what was expected', () => {
    const path = editedBudgets((t) => t.replace('spendPerPeriod: 3000', 'spendPerPeriod: lots'));
    expect(() => synthStack({ budgetsFile: path })).toThrow(
      new RegExp(`${path}:22: budgets\\[0\\]\\.limits\\.spendPerPeriod: .*number`),
    );
  });

  it('fails synth on a missing budget file', () => {
    expect(() => synthStack({ budgetsFile: 'nope/budgets.yaml' })).toThrow(
      'nope/budgets.yaml: (file): file not found',
    );
  });

  it('fails synth on a budget file that is not a regular file, before reading it', () => {
    expect(() => synthStack({ budgetsFile: '/dev/zero' })).toThrow(
      '/dev/zero: (file): expected a regular file',
    );
  });

  it.each([
    [
      { scheduleExpression: 'daily' },
      /scheduleExpression "daily" is not a Scheduler expression; use cron\(...\)/,
    ],
    [{ reportScheduleExpression: '0 7 * * 1' }, /reportScheduleExpression "0 7 \* \* 1" is not a Scheduler/],
    [{ timeZone: 'Mars/Olympus' }, /timeZone "Mars\/Olympus" is not an IANA time zone; use e.g. "UTC"/],
    [{ alarmEmail: 'finops' }, /alarmEmail "finops" is not an email address/],
    [{ logRetention: RetentionDays.ONE_DAY }, /logRetention 1 is not allowed; use a period from ONE_WEEK/],
    [{ budgetsFile: ' ' }, /budgetsFile " " is empty; give the path of a budget file/],
  ] as const)('refuses %o with the value and the fix', (props, message) => {
    expect(() => synthStack({ budgetsFile: DEMO_BUDGETS, ...props })).toThrow(message);
  });

  it('names the report link limits of the contract when reportLinkSeconds is out of range', () => {
    const { min, max } = REPORT_LINK_SECONDS;
    for (const reportLinkSeconds of [min - 1, max + 1]) {
      expect(() => synthStack({ reportLinkSeconds })).toThrow(
        `reportLinkSeconds ${reportLinkSeconds} is out of range; use whole seconds from ${min} to ${max} (7 days,`,
      );
    }
    expect(() => synthStack({ reportLinkSeconds: min })).not.toThrow();
    expect(() => synthStack({ reportLinkSeconds: max })).not.toThrow();
  });
});
