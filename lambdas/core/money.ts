/**
 * Exact money. Amounts are bigint counts of pico-units (1e-12 of the currency unit), so that sums over
 * millions of billing rows never drift: FOCUS and CUR carry up to 11 decimals, Cost Explorer 10.
 */
export type Money = bigint;

export const MONEY_DECIMALS = 12;
const SCALE = 10n ** BigInt(MONEY_DECIMALS);
export const ZERO: Money = 0n;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string ("0.00000080000", "-1.5", "1.2E-5") exactly; returns undefined when it is not a number. */
export function parseMoney(text: string): Money | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const [, sign, intPart = '', fracPart = '', expPart] = m;
  if (intPart === '' && fracPart === '') return undefined;
  let digits = intPart + fracPart;
  let scale = fracPart.length - (expPart ? Number(expPart) : 0);
  if (!Number.isFinite(scale)) return undefined;
  if (digits === '') digits = '0';
  let value = BigInt(digits);
  // value * 10^-scale, expressed in units of 10^-MONEY_DECIMALS
  const shift = MONEY_DECIMALS - scale;
  if (shift >= 0) value *= 10n ** BigInt(shift);
  else value = divRoundHalfEven(value, 10n ** BigInt(-shift));
  scale = 0;
  return sign === '-' ? -value : value;
}

/**
 * Bill amounts are refused at 10^12 of the currency (a trillion) or beyond, in either sign: no line of any bill comes
 * near it, and below it a double, in which the forecast and the ratios work, still resolves a ten-thousandth of
 * the unit (its spacing at 10^12 is 1.2e-4), so every cent a file holds reaches them. Text longer than
 * `MAX_AMOUNT_CHARS` is not an amount either: it would cost a huge bigint to find out.
 */
export const MAX_BILL_AMOUNT_DIGITS = 12;
export const MAX_AMOUNT_CHARS = 256;

/** A bill amount of a file, exactly; `too-large` past the bound above, undefined when the text is not a number. */
export function parseBillAmount(text: string): Money | 'too-large' | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const [, , intPart = '', fracPart = '', expPart] = m;
  if (intPart === '' && fracPart === '') return undefined;
  const digits = intPart + fracPart;
  const lead = digits.search(/[1-9]/);
  // zero whatever its exponent: `0e999999999` must not build 10^999999999 to find out
  if (lead < 0) return ZERO;
  // the power of ten of the leading digit, computed on the text so that 1e400 never becomes a bigint
  const magnitude = intPart.length - 1 - lead + (expPart ? Number(expPart) : 0);
  if (magnitude >= MAX_BILL_AMOUNT_DIGITS) return 'too-large';
  if (text.length > MAX_AMOUNT_CHARS) return undefined;
  if (magnitude < -MONEY_DECIMALS - 1) return ZERO;
  return parseMoney(text);
}

/** Converts a JS number (a price or rate, never a sum) to money, rounding at the 12th decimal. */
export function moneyFromNumber(n: number): Money {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  const parsed = parseMoney(n.toFixed(MONEY_DECIMALS));
  if (parsed === undefined) throw new RangeError(`not an amount: ${n}`);
  return parsed;
}

function divRoundHalfEven(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice < b) return q;
  if (twice > b) return a < 0n ? q - 1n : q + 1n;
  return q % 2n === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

/** Multiplies an amount by a plain factor (a share, a ratio), rounding half-even at the 12th decimal. */
export function scaleMoney(amount: Money, factor: number): Money {
  if (!Number.isFinite(factor)) throw new RangeError(`not a finite factor: ${factor}`);
  const f = parseMoney(factor.toPrecision(17));
  if (f === undefined) throw new RangeError(`not a factor: ${factor}`);
  return divRoundHalfEven(amount * f, SCALE);
}

export function sumMoney(values: Iterable<Money>): Money {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** For display and ratios only: never add the result of this to other amounts. */
export function toNumber(amount: Money): number {
  return Number(amount) / Number(SCALE);
}

/** Rounds half away from zero to `decimals` places (cents by default) and returns a number for JSON output. */
export function roundTo(amount: Money, decimals = 2): number {
  const unit = 10n ** BigInt(MONEY_DECIMALS - decimals);
  const half = unit / 2n;
  const q = amount >= 0n ? (amount + half) / unit : -((-amount + half) / unit);
  return Number(q) / 10 ** decimals;
}

/** Exact decimal text with `decimals` places (rounded half away from zero), e.g. "1234.57". */
export function formatMoney(amount: Money, decimals = 2): string {
  const unit = 10n ** BigInt(MONEY_DECIMALS - decimals);
  const half = unit / 2n;
  const neg = amount < 0n;
  const q = ((neg ? -amount : amount) + half) / unit;
  const s = q.toString().padStart(decimals + 1, '0');
  const body = decimals > 0 ? `${s.slice(0, -decimals)}.${s.slice(-decimals)}` : s;
  return neg && q !== 0n ? `-${body}` : body;
}

/** Every decimal the amount holds and no trailing zero ("1.408", "0.00002", "12"): text that parses back to it. */
export function exactMoneyText(amount: Money): string {
  const text = formatMoney(amount, MONEY_DECIMALS);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** "$1,234.57" style, for people. */
export function displayMoney(amount: Money, currency = 'USD'): string {
  const fixed = formatMoney(amount, 2);
  const neg = fixed.startsWith('-');
  const [i = '0', f = '00'] = (neg ? fixed.slice(1) : fixed).split('.');
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${neg ? '-' : ''}${symbol}${grouped}.${f}`;
}

/** A small unit price such as a cost per 1k inferences, with four decimals: "$0.0412". */
export function displayUnitPrice(value: number, currency = 'USD'): string {
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${value < 0 ? '-' : ''}${symbol}${Math.abs(value).toFixed(4)}`;
}
