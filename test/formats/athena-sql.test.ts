import { describe, expect, it } from 'vitest';
import { FocusQueryRows, focusCostQuery, sqlString } from '../../lambdas/formats/athena-sql.ts';

const SEPT = { fromMs: Date.UTC(2024, 8, 1), toMs: Date.UTC(2024, 9, 1) };
const base = { database: 'cur', table: 'focus', costMetric: 'billed' as const, tagKeys: [], ...SEPT };

describe('the Athena cost query', () => {
  it('prunes to the billing periods the range touches and bounds ChargePeriodStart by the range', () => {
    const q = focusCostQuery({ ...base, fromMs: Date.UTC(2024, 7, 31, 22), toMs: Date.UTC(2024, 8, 30, 22) });
    expect(q.billingPeriods).toEqual(['2024-08', '2024-09']);
    expect(q.sql).toContain("WHERE billing_period IN ('2024-08', '2024-09')");
    expect(q.sql).toContain("chargeperiodstart >= TIMESTAMP '2024-08-31 22:00:00.000'");
    expect(q.sql).toContain("chargeperiodstart < TIMESTAMP '2024-09-30 22:00:00.000'");
  });

  it('sums the cost column of the cost metric as an exact decimal, NULL when a charge has no amount', () => {
    const billed = focusCostQuery(base);
    expect(billed.sql).toContain(
      'CASE WHEN count(billedcost) = count(*) THEN sum(CAST(billedcost AS DECIMAL(38, 12))) END AS billedcost',
    );
    expect(billed.sql).not.toMatch(/effectivecost|DOUBLE/i);
    const effective = focusCostQuery({ ...base, costMetric: 'effective' });
    expect(effective.columnsRead).toContain('effectivecost');
    expect(effective.columnsRead).not.toContain('billedcost');
  });

  it('reads tags only for the keys asked, under both spellings, and no tags column without keys', () => {
    expect(focusCostQuery(base).columnsRead).not.toContain('tags');
    const q = focusCostQuery({ ...base, tagKeys: ['team', 'team', 'aws:createdBy'] });
    expect(q.tagKeys).toEqual(['team', 'aws:createdBy']);
    expect(q.sql).toContain(
      "COALESCE(NULLIF(element_at(tags, 'user:team'), ''), NULLIF(element_at(tags, 'team'), '')) AS tag_0",
    );
    expect(q.columnsRead).toContain('tags');
    expect(q.sql).toMatch(/GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12$/);
  });

  it('keeps a quote in a tag key inside its literal, so a key cannot inject SQL', () => {
    const key = "x') OR 1=1 --";
    const q = focusCostQuery({ ...base, tagKeys: [key] });
    expect(q.sql).toContain(`element_at(tags, 'user:x'') OR 1=1 --')`);
    // Every quote of the text pairs up: the statement's literals close where they should.
    const outsideLiterals = q.sql.replace(/'(?:[^']|'')*'/g, "''");
    expect(outsideLiterals).not.toContain('OR 1=1');
    expect(sqlString("it's")).toBe("'it''s'");
  });

  it('quotes the database and table as identifiers', () => {
    expect(focusCostQuery(base).sql).toContain('FROM "cur"."focus"');
  });

  it('gives the same text for the same input', () => {
    expect(focusCostQuery({ ...base, tagKeys: ['team'] }).sql).toBe(
      focusCostQuery({ ...base, tagKeys: ['team'] }).sql,
    );
  });

  it('refuses an empty range', () => {
    expect(() => focusCostQuery({ ...base, toMs: base.fromMs })).toThrow(/ends after it starts/);
  });
});

describe('records from the query rows', () => {
  const q = focusCostQuery({ ...base, tagKeys: ['team', 'env'] });
  const header = q.resultColumns.map((c) => c.alias);
  const cells = [
    '2024-09-18 22:00:00.000',
    '2024-09-18 23:00:00.000',
    'USD',
    'Amazon SageMaker',
    'Usage',
    'arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod',
    'us-east-1',
    '111122223333',
    'USE1-Host:ml.g5.xlarge',
    'Hrs',
    'search',
    undefined,
    '1.408000000000',
    '1.0',
  ];

  it('builds the record the file path builds: endpoint, instance hours, the tags present', () => {
    const r = new FocusQueryRows(q, 'athena', header, { costMetric: 'billed' }).record(cells, 2);
    expect(r).toMatchObject({
      start: Date.UTC(2024, 8, 18, 22),
      end: Date.UTC(2024, 8, 18, 23),
      amount: 1_408_000_000_000n,
      endpoint: 'search-prod',
      instanceType: 'ml.g5.xlarge',
      usageHours: 1,
      tags: { team: 'search' },
    });
    expect(r.tags).not.toHaveProperty('env');
  });

  it('refuses a group whose cost summed to NULL, as a file with an empty amount is refused', () => {
    const rows = new FocusQueryRows(q, 'athena', header, { costMetric: 'billed' });
    const noAmount = [...cells];
    noAmount[12] = undefined;
    expect(() => rows.record(noAmount, 7)).toThrow(/row 7.*BilledCost.*expected a decimal amount/);
  });

  it('refuses a result whose columns are not the query’s', () => {
    expect(() => new FocusQueryRows(q, 'athena', header.slice(1), { costMetric: 'billed' })).toThrow(
      /expected the result columns chargeperiodstart/,
    );
  });
});
