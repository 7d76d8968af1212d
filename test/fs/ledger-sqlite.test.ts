import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../lambdas/fs/ledger-sqlite.ts';
import { alert, cycle, launchWeek, OCT, variantDay } from '../helpers/ledger.ts';

let dir: string;
let path: string;
const open: SqliteLedger[] = [];
const ledger = () => {
  const l = new SqliteLedger(path);
  open.push(l);
  return l;
};

/** Ends a run: closes its ledger before the next one opens the same file. */
const closeLedger = async (l: SqliteLedger) => {
  open.splice(open.indexOf(l), 1);
  await l.close();
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'perf-budgets-ledger-'));
  path = join(dir, 'state', 'ledger.db');
});

afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteLedger', () => {
  it('returns every alert of a first cycle as new', async () => {
    const l = ledger();
    const fresh = await l.commit(
      cycle({ alerts: [alert('spend-forecast|search-prod|0.8'), alert('latency|search-prod')] }),
    );
    expect(fresh.map((a) => a.key)).toEqual(['spend-forecast|search-prod|0.8', 'latency|search-prod']);
  });

  it('returns only the alerts not recorded before in the same state', async () => {
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a'), alert('b')] }));
    const fresh = await l.commit(cycle({ alerts: [alert('a'), alert('b'), alert('c')] }, '2026-10-11'));
    expect(fresh.map((a) => a.key)).toEqual(['c']);
  });

  it('forgets alerts no channel delivered, so the next cycle records them again; keeps summary and as-of', async () => {
    const l = ledger();
    await l.commit(
      cycle({ alerts: [{ ...alert('a'), summary: 'a crossed', asOf: '2026-10-09' }, alert('b')] }),
    );
    expect((await l.alerts(OCT)).find((x) => x.key === 'a')).toMatchObject({
      summary: 'a crossed',
      asOf: '2026-10-09',
    });
    await l.forget([{ period: OCT, key: 'a', state: 'warning' }]);
    expect((await l.alerts(OCT)).map((x) => x.key)).toEqual(['b']);
    const fresh = await l.commit(cycle({ alerts: [alert('a'), alert('b')] }, '2026-10-11'));
    expect(fresh.map((x) => x.key)).toEqual(['a']);
  });

  it('writes an alert with its pending deliveries, and none of them when it was recorded before', async () => {
    const l = ledger();
    const pending = ['warning>sns>opened', 'warning>slack>opened'];
    expect(await l.commit(cycle({ alerts: [{ ...alert('latency|search-prod'), pending }] }))).toHaveLength(1);
    expect((await l.alerts(OCT)).map((a) => a.state).sort()).toEqual([
      'warning',
      'warning>slack>opened',
      'warning>sns>opened',
    ]);
    await l.forget([{ period: OCT, key: 'latency|search-prod', state: 'warning>sns>opened' }]);
    expect(await l.commit(cycle({ alerts: [{ ...alert('latency|search-prod'), pending }] }))).toEqual([]);
    expect((await l.alerts(OCT)).map((a) => a.state).sort()).toEqual(['warning', 'warning>slack>opened']);
  });

  it('adds the summary and as-of columns to a ledger written before they were kept', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'state'), { recursive: true });
    const old = new Database(path);
    old.exec(
      'CREATE TABLE alerts (period TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, sent_at TEXT NOT NULL, PRIMARY KEY (period, key, state))',
    );
    old
      .prepare('INSERT INTO alerts VALUES (?, ?, ?, ?)')
      .run(OCT, 'legacy', 'warning', '2026-10-01T06:00:00.000Z');
    old.close();
    const l = ledger();
    expect(await l.alerts(OCT)).toEqual([
      { period: OCT, key: 'legacy', state: 'warning', sentAt: '2026-10-01T06:00:00.000Z' },
    ]);
    await l.commit(cycle({ alerts: [{ ...alert('new'), summary: 's', asOf: '2026-10-10' }] }));
    expect((await l.alerts(OCT)).find((x) => x.key === 'new')).toMatchObject({
      summary: 's',
      asOf: '2026-10-10',
    });
  });

  it('returns an alert listed twice in one cycle once', async () => {
    const fresh = await ledger().commit(cycle({ alerts: [alert('a'), alert('a')] }));
    expect(fresh).toHaveLength(1);
  });

  it('treats the same key at a new severity as a new alert (an escalation)', async () => {
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a', 'warning')] }));
    const fresh = await l.commit(cycle({ alerts: [alert('a', 'critical')] }, '2026-10-11'));
    expect(fresh).toEqual([alert('a', 'critical')]);
  });

  it('treats the same key in a new period as a new alert', async () => {
    const l = ledger();
    await l.commit(cycle({ alerts: [alert('a', 'warning', '2026-09-01')] }));
    const fresh = await l.commit(cycle({ alerts: [alert('a', 'warning', OCT)] }));
    expect(fresh).toHaveLength(1);
  });

  it("lets a second ledger on the same file see the first one's alerts", async () => {
    const first = ledger();
    await first.commit(cycle({ alerts: [alert('a')] }));
    await closeLedger(first);
    expect((await ledger().alerts(OCT)).map((a) => a.key)).toEqual(['a']);
  });

  it('sends nothing twice when a second run on the same file commits the same alerts', async () => {
    const first = ledger();
    await first.commit(cycle({ alerts: [alert('a')] }));
    await closeLedger(first);
    expect(await ledger().commit(cycle({ alerts: [alert('a')] }))).toEqual([]);
  });

  it('lists the alerts of the period asked for only', async () => {
    const l = ledger();
    const periods = ['2026-09-01', OCT, '2026-11-01'];
    await l.commit(cycle({ alerts: periods.map((p) => alert(`spend|${p}`, 'warning', p)) }));
    expect(await l.alerts(OCT)).toEqual([alert(`spend|${OCT}`, 'warning', OCT)]);
  });

  it('replaces the amount of a closed day committed again', async () => {
    const l = ledger();
    await l.commit(
      cycle({ closedDays: [{ budget: 'search-prod', day: '2026-10-02', amount: '10.0000000000' }] }),
    );
    await l.commit(
      cycle({ closedDays: [{ budget: 'search-prod', day: '2026-10-02', amount: '12.5000000000' }] }),
    );
    expect(await l.dailySpend('search-prod', OCT, '2026-11-01')).toEqual([
      { budget: 'search-prod', day: '2026-10-02', amount: '12.5000000000' },
    ]);
  });

  it('lists the closed days of one budget from the first day up to, not including, the last', async () => {
    const l = ledger();
    const day = (budget: string, d: string) => ({ budget, day: d, amount: '1.0000000000' });
    await l.commit(
      cycle({
        closedDays: [
          day('search-prod', '2026-10-01'),
          day('search-prod', '2026-10-02'),
          day('search-prod', '2026-10-03'),
          day('embed-prod', '2026-10-01'),
        ],
      }),
    );
    expect((await l.dailySpend('search-prod', OCT, '2026-10-03')).map((d) => d.day)).toEqual([
      '2026-10-01',
      '2026-10-02',
    ]);
  });

  describe('exceptions seen', () => {
    const seen = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT first_seen AS firstSeen, last_seen AS lastSeen FROM exceptions_seen').all();
      } finally {
        db.close();
      }
    };

    it('keeps the day an exception was first seen and advances the day it was last seen', async () => {
      const l = ledger();
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-05'));
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-09'));
      expect(seen()).toEqual([{ firstSeen: '2026-10-05', lastSeen: '2026-10-09' }]);
    });

    it('does not move the day last seen back when an earlier day is replayed', async () => {
      const l = ledger();
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-05'));
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-09'));
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-07'));
      expect(seen()).toEqual([{ firstSeen: '2026-10-05', lastSeen: '2026-10-09' }]);
    });

    it('moves the day first seen back when an earlier day is replayed after a later one', async () => {
      const l = ledger();
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-09'));
      await l.commit(cycle({ exceptions: [launchWeek] }, '2026-10-02'));
      expect(seen()).toEqual([{ firstSeen: '2026-10-02', lastSeen: '2026-10-09' }]);
    });
  });

  it('writes nothing of a cycle that fails part-way', async () => {
    const l = ledger();
    const broken = { budget: 'search-prod', day: '2026-10-02', amount: null as unknown as string };
    await expect(l.commit(cycle({ alerts: [alert('a')], closedDays: [broken] }))).rejects.toThrow(/NOT NULL/);
    expect(await l.alerts(OCT)).toEqual([]);
  });
});

describe('SqliteLedger as a cost-day cache', () => {
  it('returns the cached days exactly, bigint amounts included, and nothing for days never put', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-cache-'));
    const cache = new SqliteLedger(join(dir, 'ledger.db'));
    const record = {
      start: Date.parse('2026-10-01T00:00:00Z'),
      end: Date.parse('2026-10-02T00:00:00Z'),
      amount: 123456789012345678n,
      currency: 'USD',
      service: 'Amazon SageMaker',
      usageType: 'USE1-Host:ml.g5.xlarge',
      tags: { team: 'search' },
    };
    await cache.putDays('ce:daily:UnblendedCost', new Map([['2026-10-01', [record]]]));
    const got = await cache.getDays('ce:daily:UnblendedCost', ['2026-10-01', '2026-10-02']);
    expect([...got.keys()]).toEqual(['2026-10-01']);
    expect(got.get('2026-10-01')).toEqual([record]);
    expect((await cache.getDays('ce:daily:NetAmortizedCost', ['2026-10-01'])).size).toBe(0);
    await cache.close();
  });
});

describe('SqliteLedger inventory days', () => {
  it("keeps each day's instance type per variant, a day read again replacing the day", async () => {
    const l = ledger();
    await l.commit(cycle({ inventory: [variantDay('2026-10-07', 'ml.g5.2xlarge')] }, '2026-10-07'));
    await l.commit(
      cycle(
        {
          inventory: [
            variantDay('2026-10-08', 'ml.g5.2xlarge'),
            variantDay('2026-10-08', 'ml.g5.xlarge', 'canary'),
          ],
        },
        '2026-10-08',
      ),
    );
    // the cycle of the 8th ran again after the resize: the day holds what it read last, the canary gone
    await l.commit(cycle({ inventory: [variantDay('2026-10-08', 'ml.g5.xlarge')] }, '2026-10-08'));
    expect(await l.inventory('search-prod', '2026-10-07', '2026-10-09')).toEqual([
      variantDay('2026-10-07', 'ml.g5.2xlarge'),
      variantDay('2026-10-08', 'ml.g5.xlarge'),
    ]);
    expect(await l.inventory('search-prod', '2026-10-08', '2026-10-08')).toEqual([]);
    expect(await l.inventory('chat-prod', '2026-10-01', '2026-11-01')).toEqual([]);
  });
});
