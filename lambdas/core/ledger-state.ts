/**
 * How alerts are written in the ledger, in one place: the key of what is alerted on (`kind|budget|subject`) and the
 * state recorded for it. A state is `severity@level#crossing` while an alert is open (the level is the alertAt
 * fraction of a spend alert, 0 for the others), `resolved#crossing` once it recovered, and
 * `state>channel>transition` for a channel still owed an alert that reached the others.
 */
import type { AlertTransition, Severity } from './types.ts';

export type LedgerState =
  | {
      readonly kind: 'open';
      readonly severity: Severity;
      readonly level: number;
      /** 1 for the first crossing in the period; a recovery and a new crossing count up. */
      readonly crossing: number;
    }
  | { readonly kind: 'resolved'; readonly crossing: number }
  | {
      readonly kind: 'owed';
      /** The encoded state the channel is owed. */
      readonly state: string;
      /** Lower-case letters: `sns`, `slack`. */
      readonly channel: string;
      readonly transition: AlertTransition;
    };

// a level is a JavaScript number as `${level}` writes it: 0.5, 1, 2.25, 1e-7
const OPEN = /^(info|warning|critical)@(\d+(?:\.\d+)?(?:e[+-]?\d+)?)#(\d+)$/;
const RESOLVED = /^resolved#(\d+)$/;
const OWED = /^(.+)>([a-z]+)>(opened|escalated|resolved)$/;

export function encodeState(s: LedgerState): string {
  switch (s.kind) {
    case 'open':
      return `${s.severity}@${s.level}#${s.crossing}`;
    case 'resolved':
      return `resolved#${s.crossing}`;
    case 'owed':
      return `${s.state}>${s.channel}>${s.transition}`;
  }
}

/** The state a ledger record holds; undefined for a text no version of the planner wrote. */
export function decodeState(text: string): LedgerState | undefined {
  const open = OPEN.exec(text);
  if (open) {
    return {
      kind: 'open',
      severity: open[1] as Severity,
      level: Number(open[2]),
      crossing: Number(open[3]),
    };
  }
  const resolved = RESOLVED.exec(text);
  if (resolved) return { kind: 'resolved', crossing: Number(resolved[1]) };
  const owed = OWED.exec(text);
  if (owed) {
    return {
      kind: 'owed',
      state: owed[1] as string,
      channel: owed[2] as string,
      transition: owed[3] as AlertTransition,
    };
  }
  return undefined;
}

/** What an alert key names: the alert kind, the budget, and an endpoint (`*`: the whole budget) or a spend basis. */
export interface AlertKeyParts {
  readonly kind: string;
  readonly budget: string;
  readonly subject: string | undefined;
}

export function alertKey(kind: string, budget: string, subject: string): string {
  return `${kind}|${budget}|${subject}`;
}

export function parseAlertKey(key: string): AlertKeyParts {
  const [kind = key, budget = '', subject] = key.split('|');
  return { kind, budget, subject };
}
