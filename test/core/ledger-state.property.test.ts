import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertKey,
  decodeState,
  encodeState,
  type LedgerState,
  parseAlertKey,
} from '../../lambdas/core/ledger-state.ts';

const severity = fc.constantFrom('info' as const, 'warning' as const, 'critical' as const);
// an alertAt fraction is positive and at most 10 (the budget schema); 0 is the level of every non-spend alert
const level = fc.oneof(fc.constant(0), fc.double({ min: Number.MIN_VALUE, max: 10, noNaN: true }));
const crossing = fc.integer({ min: 1, max: 1_000_000 });
const open = fc.record({ kind: fc.constant('open' as const), severity, level, crossing });
const resolved = fc.record({ kind: fc.constant('resolved' as const), crossing });
const owed = fc.record({
  kind: fc.constant('owed' as const),
  state: fc.oneof(open, resolved).map(encodeState),
  channel: fc.stringMatching(/^[a-z]{1,12}$/),
  transition: fc.constantFrom('opened' as const, 'escalated' as const, 'resolved' as const),
});
const state: fc.Arbitrary<LedgerState> = fc.oneof(open, resolved, owed);

describe('ledger state encoding', () => {
  it('decodes what it encodes (property)', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(decodeState(encodeState(s))).toEqual(s);
      }),
    );
  });

  it('writes the formats ledgers already hold', () => {
    expect(encodeState({ kind: 'open', severity: 'warning', level: 0.8, crossing: 2 })).toBe('warning@0.8#2');
    expect(encodeState({ kind: 'open', severity: 'critical', level: 1, crossing: 1 })).toBe('critical@1#1');
    expect(encodeState({ kind: 'resolved', crossing: 3 })).toBe('resolved#3');
    expect(encodeState({ kind: 'owed', state: 'info@0.5#1', channel: 'slack', transition: 'opened' })).toBe(
      'info@0.5#1>slack>opened',
    );
  });

  it('reads an owed resolved notice, whose state has no severity', () => {
    expect(decodeState('resolved#2>sns>resolved')).toEqual({
      kind: 'owed',
      state: 'resolved#2',
      channel: 'sns',
      transition: 'resolved',
    });
  });

  it('reads nothing from a text no planner wrote', () => {
    for (const text of [
      '',
      'open',
      'fatal@1#1',
      'warning@x#1',
      'warning@1#',
      'resolved#',
      'a>b>c',
      'x>SNS>opened',
    ]) {
      expect(decodeState(text), text).toBeUndefined();
    }
  });
});

describe('alert keys', () => {
  const part = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._*-]{0,20}$/);

  it('parses what it builds (property)', () => {
    fc.assert(
      fc.property(part, part, part, (kind, budget, subject) => {
        expect(parseAlertKey(alertKey(kind, budget, subject))).toEqual({ kind, budget, subject });
      }),
    );
  });

  it('reads a key without a subject', () => {
    expect(parseAlertKey('latency|chat-prod')).toEqual({
      kind: 'latency',
      budget: 'chat-prod',
      subject: undefined,
    });
  });
});
