import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import {
  CsvHeader,
  forEachCsvRecord,
  moneyCell,
  parseInstant,
  readCsvHeader,
} from '../../lambdas/formats/csv.ts';
import { scratch } from '../helpers/fixtures.ts';

const tmp = scratch();

async function records(path: string): Promise<{ line: number; fields: string[] }[]> {
  const out: { line: number; fields: string[] }[] = [];
  await forEachCsvRecord(path, (fields, line) => {
    out.push({ line, fields });
  });
  return out;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

describe('forEachCsvRecord', () => {
  it('numbers records by the line they start on across quoted line breaks, blank lines, CRLF and a BOM', async () => {
    const path = tmp.write('quoted.csv', '\uFEFFa,b\r\n1,"x\r\ny"\r\n\r\n2,"he said ""hi"""\r\n3,z\r\n');
    expect(await records(path)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', 'x\r\ny'] },
      { line: 5, fields: ['2', 'he said "hi"'] },
      { line: 6, fields: ['3', 'z'] },
    ]);
  });

  it('reads a file without quotes, blank lines and a last line without a line end', async () => {
    const path = tmp.write('plain.csv', 'a,b\n1,2\n\n3,4');
    expect(await records(path)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
  });

  it('keeps counting lines when the first quote appears after several chunks', async () => {
    const plain = Array.from({ length: 30_000 }, (_, i) => `${i},row-${i}-${'x'.repeat(20)}\r\n`).join('');
    const path = tmp.write('late-quote.csv', `n,text\r\n${plain}30000,"two\r\nlines"\r\n30001,last\r\n`);
    const all = await records(path);
    expect(all).toHaveLength(30_003);
    expect(all.filter((r) => r.fields.some((f) => f.endsWith('\r')))).toEqual([]);
    expect(all[30_001]).toEqual({ line: 30_002, fields: ['30000', 'two\r\nlines'] });
    expect(all[30_002]).toEqual({ line: 30_004, fields: ['30001', 'last'] });
  });

  it('gives back any table written with RFC 4180 quoting, with the line each record starts on', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '1') });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }).chain((width) =>
          fc.tuple(
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 12 }),
            fc.constantFrom('\n', '\r\n'),
            fc.array(fc.string({ unit: fc.constantFrom('h', 'x'), minLength: 1 }), {
              minLength: width,
              maxLength: width,
            }),
          ),
        ),
        async ([rows, eol, header]) => {
          const text = [header, ...rows].map((r) => r.map(csvField).join(',')).join(eol) + eol;
          const got = await records(tmp.write(`prop-${n++}.csv`, text));
          let line = 1;
          const expected = [header, ...rows].map((fields) => {
            const at = line;
            line += 1 + fields.reduce((n, f) => n + (f.match(/\r\n|\n/g)?.length ?? 0), 0);
            return { line: at, fields };
          });
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects a record with a different number of fields than the header, naming its row', async () => {
    const path = tmp.write('ragged.csv', 'a,b,c\n1,2,3\n4,5\n');
    await expect(records(path)).rejects.toThrow(
      /ragged\.csv, row 3: expected 3 fields as in the header, got 2/,
    );
  });

  it('reports an unclosed quote as malformed CSV', async () => {
    const path = tmp.write('unclosed.csv', 'a,b\n1,"open\n2,3\n');
    await expect(records(path)).rejects.toThrow(/unclosed\.csv, row \d+: malformed CSV: Quote Not Closed/);
  });

  it('reports a missing file as an InputError', async () => {
    const missing = `${tmp.dir}/nope.csv`;
    const err = await records(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${missing}: file not found`);
  });

  it('reads gzipped files', async () => {
    const path = tmp.write('costs.csv.gz', gzipSync('a,b\n1,"2,5"\n'));
    expect(await records(path)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2,5'] },
    ]);
  });

  it('stops reading when the visitor returns false', async () => {
    const path = tmp.write('stop.csv', 'a,b\n1,2\n3,4\n');
    expect(await readCsvHeader(path)).toEqual(['a', 'b']);
    expect(await readCsvHeader(tmp.write('empty.csv', ''))).toBeUndefined();
  });
});

describe('CsvHeader', () => {
  it('finds columns case-insensitively and names the columns it found when one is missing', () => {
    const header = new CsvHeader('costs.csv', ['billedcost', 'ChargePeriodStart']);
    expect(header.find('BilledCost')).toBe(0);
    expect(header.find('Tags')).toBe(-1);
    expect(() => header.require('ServiceName')).toThrow(
      'costs.csv, row 1, column ServiceName: missing required column; found columns: billedcost, ChargePeriodStart',
    );
  });
});

describe('moneyCell', () => {
  it('parses amounts exactly, exponents included', () => {
    expect(moneyCell('f', 2, 'c', '0.00000080000')).toBe(800_000n);
    expect(moneyCell('f', 2, 'c', '5.2E-9')).toBe(5_200n);
  });

  it('names file, row and column of a bad amount', () => {
    expect(() => moneyCell('costs.csv', 14, 'BilledCost', 'abc')).toThrow(
      'costs.csv, row 14, column BilledCost: expected a decimal amount, got "abc"',
    );
    expect(() => moneyCell('costs.csv', 3, 'BilledCost', undefined)).toThrow(/got an empty cell/);
    expect(() => moneyCell('costs.csv', 3, 'BilledCost', '1e999999999')).toThrow(
      'costs.csv, row 3, column BilledCost: expected an amount below 10^12 in magnitude, got "1e999999999"',
    );
  });
});

describe('parseInstant', () => {
  it('reads billing timestamps without a zone as UTC', () => {
    expect(parseInstant('2024-09-18 22:00:00')).toBe(Date.UTC(2024, 8, 18, 22));
    expect(parseInstant('2024-09-18T22:00:00Z')).toBe(Date.UTC(2024, 8, 18, 22));
    expect(parseInstant('2023-11-01T00:00:00.000Z')).toBe(Date.UTC(2023, 10, 1));
    expect(parseInstant('2024-04-01')).toBe(Date.UTC(2024, 3, 1));
  });

  it('applies offsets', () => {
    expect(parseInstant('2024-09-18T22:00:00+02:00')).toBe(Date.UTC(2024, 8, 18, 20));
    expect(parseInstant('2024-09-18T22:00:00-0530')).toBe(Date.UTC(2024, 8, 19, 3, 30));
  });

  it('rejects what is not a calendar time, and a missing zone when one is required', () => {
    expect(parseInstant('2024-02-30 00:00:00')).toBeUndefined();
    expect(parseInstant('2024-09-18 24:00:00')).toBeUndefined();
    expect(parseInstant('18/09/2024')).toBeUndefined();
    expect(parseInstant('2024-09-18T22:00:00', true)).toBeUndefined();
    expect(parseInstant('2024-09-18T22:00:00Z', true)).toBe(Date.UTC(2024, 8, 18, 22));
  });
});
