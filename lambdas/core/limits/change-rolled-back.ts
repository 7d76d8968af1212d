/**
 * A scaling change the tool rolled back is not a limit: it is what a budget's owners must hear when a change made
 * in their name hurt latency or errors and was undone. It is alerted once per rollback and never "resolves": the
 * rollback is the fix, and the alert stands until the period ends.
 */
import { type AlertedKind, endpointWhat } from './limit.ts';

export const changeRolledBack: AlertedKind = {
  alert: 'change-rolled-back',
  findings: ['change-rolled-back'],
  alertPerFinding: true,
  subject: 'endpoint',
  // one alert per rollback: a second rollback of the same endpoint in a period is told too
  subjectOf: (f) => f.key.split('|').at(-1) ?? f.endpoint ?? '*',
  label: 'scaling change rolled back',
  runbook: 'runbook-scaling-change-rolled-back',
  headline: (a) => a.message.replace(/\.$/, ''),
  recoveryKnown: () => false,
  // never called while recoveryKnown says no; the words for a close, should a later version close it
  resolved: (_b, subject) => ({
    message: `The rolled-back change of ${subject ?? 'the budget'} needs nothing more: the recorded state is in place.`,
  }),
  what: (subject) => endpointWhat('scaling change rolled back', subject),
};
