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
  label: 'scaling change rolled back',
  runbook: 'runbook-change-rolled-back',
  headline: (a) => a.message.replace(/\.$/, ''),
  recoveryKnown: () => false,
  what: (subject) => endpointWhat('scaling change rolled back', subject),
};
