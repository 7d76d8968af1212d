import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReview, timeline } from '../../lambdas/report/review.ts';
import { cli, ROOT } from '../helpers/cli.ts';

const BUDGETS = join(ROOT, 'examples/demo/budgets.yaml');

describe('timeline', () => {
  it('reads the first state of a crossing as opened, later ones as escalated, and a close as resolved', () => {
    const rows = timeline([
      {
        period: '2026-10-01',
        key: 'spend|b|forecast',
        state: 'critical@1#1',
        sentAt: '2026-10-09T06:00:00Z',
        asOf: '2026-10-08',
      },
      {
        period: '2026-10-01',
        key: 'spend|b|forecast',
        state: 'warning@1#1',
        sentAt: '2026-10-03T06:00:00Z',
        asOf: '2026-10-02',
      },
      {
        period: '2026-10-01',
        key: 'spend|b|forecast',
        state: 'resolved#1',
        sentAt: '2026-10-12T06:00:00Z',
        asOf: '2026-10-11',
      },
      {
        period: '2026-10-01',
        key: 'spend|b|forecast',
        state: 'warning@1#2',
        sentAt: '2026-10-20T06:00:00Z',
        asOf: '2026-10-19',
      },
      { period: '2026-10-01', key: 'latency|b|ep-1', state: 'warning', sentAt: '2026-10-04T06:00:00Z' },
    ]);
    expect(rows.map((r) => [r.asOf, r.event, r.what, r.severity, r.crossing])).toEqual([
      ['2026-10-02', 'opened', 'spend (forecast)', 'warning', 1],
      [null, 'recorded', 'p99 latency: ep-1', 'warning', null],
      ['2026-10-08', 'escalated', 'spend (forecast)', 'critical', 1],
      ['2026-10-11', 'resolved', 'spend (forecast)', '—', 1],
      ['2026-10-19', 'opened', 'spend (forecast)', 'warning', 2],
    ]);
  });

  it('lists what is still open and escapes table cells', () => {
    const md = renderReview({
      budget: 'b',
      period: '2026-10-01',
      alerts: [
        {
          period: '2026-10-01',
          key: 'latency|b|ep-1',
          state: 'warning@0#1',
          sentAt: '2026-10-04T06:00:00Z',
          asOf: '2026-10-03',
          summary: 'p99 | 63 ms',
        },
      ],
      exceptions: [],
      generatedAt: '2026-10-20T08:00:00.000Z',
      source: 'a test',
    });
    expect(md).toContain('- Still open at the last cycle: p99 latency: ep-1');
    expect(md).toContain(
      '| 2026-10-03 | 2026-10-04 06:00 UTC | opened | p99 latency: ep-1 | warning | 1 | p99 \\| 63 ms |',
    );
  });
});

describe('perf-budgets review', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-review-'));
    for (const asOf of ['2026-10-08', '2026-10-12', '2026-10-15']) {
      const r = cli(['run', '--demo', '--state', join(dir, 'state'), '--as-of', asOf]);
      expect(r.code).toBe(0);
    }
  });

  it('writes the timeline of a budget from the ledger of consecutive cycles', () => {
    const out = join(dir, 'reviews', 'canary.md');
    const r = cli([
      'review',
      '--budget',
      'exp-llm-canary',
      '--state',
      join(dir, 'state'),
      '--budgets',
      BUDGETS,
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# Post-incident review: exp-llm-canary, period from 2026-10-01\n/);
    expect(md).toContain('- Budget: exp-llm-canary (experiment, enforce mode)');
    const rows = md.split('\n').filter((l) => /^\| 2026-10-\d\d \|/.test(l));
    // the new endpoint had no cost rows on the 8th; by the 12th it had, and met its exit criteria
    expect(rows[0]).toMatch(/^\| 2026-10-08 \| .* \| opened \| incomplete data \| warning \| 1 \|/);
    expect(rows.some((l) => /^\| 2026-10-12 \| .* \| resolved \| incomplete data \|/.test(l))).toBe(true);
    expect(
      rows.some((l) => /^\| 2026-10-12 \| .* \| opened \| exit criteria: exp-llm-canary \|/.test(l)),
    ).toBe(true);
    // as-of days never go backwards down the table
    const days = rows.map((l) => l.slice(2, 12));
    expect([...days].sort()).toEqual(days);
  });

  it('exits 2 with one line for an unknown budget or a missing ledger', () => {
    const unknown = cli(['review', '--budget', 'nope', '--state', join(dir, 'state')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('holds no alert of nope');
    const missing = cli(['review', '--budget', 'chat-prod', '--state', join(dir, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no ledger at');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});
