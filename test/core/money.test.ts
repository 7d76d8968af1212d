import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  displayMoney,
  exactMoneyText,
  formatMoney,
  moneyFromNumber,
  parseBillAmount,
  parseMoney,
  roundTo,
  scaleMoney,
  sumMoney,
} from '../../lambdas/core/money.ts';

describe('money', () => {
  it('parses billing decimals exactly, including exponents and signs', () => {
    expect(formatMoney(parseMoney('0.00000080000') as bigint, 11)).toBe('0.00000080000');
    expect(formatMoney(parseMoney('1.2E-5') as bigint, 6)).toBe('0.000012');
    expect(formatMoney(parseMoney('-3.5') as bigint, 2)).toBe('-3.50');
    expect(formatMoney(parseMoney('.5') as bigint, 1)).toBe('0.5');
  });

  it('writes an amount with every decimal it holds and no trailing zero, text that parses back to it', () => {
    expect(exactMoneyText(parseMoney('1.4080000000') as bigint)).toBe('1.408');
    expect(exactMoneyText(parseMoney('0.0000240') as bigint)).toBe('0.000024');
    expect(exactMoneyText(parseMoney('12') as bigint)).toBe('12');
    expect(exactMoneyText(1n)).toBe('0.000000000001');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (m) => {
        expect(parseMoney(exactMoneyText(m))).toBe(m);
      }),
    );
  });

  it('rejects what is not a number', () => {
    for (const bad of ['', 'abc', '1.2.3', '$5', 'NaN', '1e', '.']) expect(parseMoney(bad)).toBeUndefined();
  });

  it('sums ten thousand cents without the drift floats show', () => {
    const cents = Array.from({ length: 10_000 }, () => parseMoney('0.01') as bigint);
    expect(formatMoney(sumMoney(cents))).toBe('100.00');
    let float = 0;
    for (let i = 0; i < 10_000; i++) float += 0.1;
    expect(float).not.toBe(1000); // the reason money is not a float
  });

  it('rounds half away from zero to the cent for output', () => {
    expect(roundTo(parseMoney('2.345') as bigint)).toBe(2.35);
    expect(roundTo(parseMoney('-2.345') as bigint)).toBe(-2.35);
    expect(formatMoney(parseMoney('0.005') as bigint)).toBe('0.01');
  });

  it('displays with grouping and the currency', () => {
    expect(displayMoney(parseMoney('1234567.891') as bigint)).toBe('$1,234,567.89');
    expect(displayMoney(parseMoney('-5') as bigint, 'EUR')).toBe('-EUR 5.00');
  });

  it('scales by a factor with half-even rounding at the last place', () => {
    expect(formatMoney(scaleMoney(parseMoney('10') as bigint, 0.25))).toBe('2.50');
    expect(formatMoney(moneyFromNumber(1.408), 3)).toBe('1.408');
  });

  it('sums are exact: the total of any decimal strings equals the sum of their integer cents (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), { maxLength: 200 }),
        (units) => {
          // units are amounts in 1e-10; render them as decimal text, parse, sum, compare with bigint arithmetic
          const texts = units.map((u) => {
            const neg = u < 0n;
            const s = (neg ? -u : u).toString().padStart(11, '0');
            return `${neg ? '-' : ''}${s.slice(0, -10)}.${s.slice(-10)}`;
          });
          const total = sumMoney(texts.map((t) => parseMoney(t) as bigint));
          const expected = units.reduce((a, b) => a + b, 0n) * 100n;
          expect(total).toBe(expected);
        },
      ),
    );
  });
});

describe('parseBillAmount', () => {
  it('refuses an amount of 10^12 or more in either sign, without building its bigint', () => {
    expect(parseBillAmount('999999999999.99')).toBe(999_999_999_999_990_000_000_000n);
    expect(parseBillAmount('-999999999999.99')).toBe(-999_999_999_999_990_000_000_000n);
    for (const text of [
      '1000000000000',
      '-1e12',
      '0.001e15',
      `1${'0'.repeat(309)}`,
      '1e400',
      '1E999999999',
    ]) {
      expect(parseBillAmount(text), text).toBe('too-large');
    }
  });

  it('reads amounts too small to count as zero, and refuses text too long to be an amount', () => {
    expect(parseBillAmount('1e-400')).toBe(0n);
    expect(parseBillAmount('0e999999999')).toBe(0n);
    expect(parseBillAmount('-0.000e-99999999999')).toBe(0n);
    expect(parseBillAmount('0.0000000000004')).toBe(0n);
    expect(parseBillAmount('0.000000000001')).toBe(1n);
    expect(parseBillAmount(`0.${'0'.repeat(300)}1`)).toBeUndefined();
    expect(parseBillAmount('12abc')).toBeUndefined();
  });
});
