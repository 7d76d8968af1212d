/**
 * A scaling change waiting for approval (approve mode) is not a limit: it is a question to the budget's approvers,
 * asked once per change. Slack carries Approve and Reject buttons for it, every channel the command that answers
 * it. It never "resolves": the answer (or the change's expiry) is recorded on the action, not as an alert.
 */
import { type AlertedKind, endpointWhat } from './limit.ts';

export const changePendingApproval: AlertedKind = {
  alert: 'change-pending-approval',
  findings: ['change-pending-approval'],
  alertPerFinding: true,
  subject: 'endpoint',
  // one alert per change: a second change of the same endpoint asks its approvers again
  subjectOf: (f) => f.approval?.actionId ?? f.endpoint ?? '*',
  label: 'scaling change waiting for approval',
  runbook: 'runbook-scaling-change-waiting-for-approval',
  headline: (a) => a.message.replace(/\.$/, '').split('. ')[0] ?? a.message,
  recoveryKnown: () => false,
  resolved: (_b, subject) => ({
    message: `The change of ${subject ?? 'the budget'} waiting for approval needs nothing more.`,
  }),
  what: (subject) => endpointWhat('scaling change waiting for approval', subject),
};
