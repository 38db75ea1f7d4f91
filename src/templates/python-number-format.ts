/**
 * Number formatting shared by Python's `%` operator (the `format` filter) and `str.format`:
 * the digits of one number in one presentation type, without sign or padding (the callers
 * add those, each by its own rules).
 */

export type FloatType = 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%';
export type IntegerType = 'd' | 'x' | 'X' | 'o' | 'b';

/** Digits of |value| as a float in `type`; precision defaults to 6 as in Python. */
export function floatDigits(
  value: number,
  type: FloatType,
  precision: number | undefined,
  alternate: boolean,
): string {
  const upper = type === 'E' || type === 'F' || type === 'G';
  const magnitude = Math.abs(value);
  if (!Number.isFinite(magnitude)) {
    const text = Number.isNaN(magnitude) ? 'nan' : 'inf';
    return `${upper ? text.toUpperCase() : text}${type === '%' ? '%' : ''}`;
  }
  const digits = precision ?? 6;
  switch (type) {
    case 'f':
    case 'F':
      return fixed(magnitude, digits, alternate);
    case '%':
      return `${fixed(magnitude * 100, digits, alternate)}%`;
    case 'e':
    case 'E': {
      const text = exponential(magnitude, digits, alternate);
      return upper ? text.toUpperCase() : text;
    }
    default: {
      const text = general(magnitude, digits === 0 ? 1 : digits, alternate);
      return upper ? text.toUpperCase() : text;
    }
  }
}

/** Digits of |value| (truncated to an integer) in base 10, 16, 8 or 2, with `0x`-style prefix. */
export function integerDigits(value: number, type: IntegerType, alternate: boolean): string {
  const magnitude = BigInt(Math.trunc(Math.abs(value)));
  switch (type) {
    case 'x':
      return `${alternate ? '0x' : ''}${magnitude.toString(16)}`;
    case 'X':
      return `${alternate ? '0X' : ''}${magnitude.toString(16).toUpperCase()}`;
    case 'o':
      return `${alternate ? '0o' : ''}${magnitude.toString(8)}`;
    case 'b':
      return `${alternate ? '0b' : ''}${magnitude.toString(2)}`;
    default:
      return magnitude.toString();
  }
}

/** Insert `separator` every `every` digits of the integer part of `digits` (`1234.5` -> `1,234.5`). */
export function groupDigits(digits: string, separator: string, every = 3): string {
  const match = /^([^0-9a-fA-F]*?)([0-9a-fA-F]+)(.*)$/s.exec(digits);
  if (!match) return digits;
  const [, prefix = '', whole = '', rest = ''] = match;
  let grouped = '';
  for (let end = whole.length; end > 0; end -= every) {
    const start = Math.max(0, end - every);
    grouped = whole.slice(start, end) + (grouped === '' ? '' : separator + grouped);
  }
  return prefix + grouped + rest;
}

function fixed(magnitude: number, digits: number, alternate: boolean): string {
  const text =
    magnitude >= 1e21
      ? `${BigInt(Math.round(magnitude)).toString()}${digits > 0 ? `.${'0'.repeat(digits)}` : ''}`
      : halfToEven(magnitude.toFixed(Math.min(digits, 100)), digits, (extra) =>
          magnitude.toFixed(extra),
        );
  return alternate && digits === 0 ? `${text}.` : text;
}

function exponential(magnitude: number, digits: number, alternate: boolean): string {
  const rounded = halfToEven(magnitude.toExponential(Math.min(digits, 100)), digits, (extra) =>
    magnitude.toExponential(extra),
  );
  const [mantissa = '', exponent = '0'] = rounded.split('e');
  const power = Number(exponent);
  const point = alternate && !mantissa.includes('.') ? '.' : '';
  return `${mantissa}${point}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
}

/** Extra digits read to tell an exact tie from a value just above or below it. */
const TIE_DIGITS = 30;

/**
 * JS rounds a value exactly halfway between two outputs away from zero (`2.5` -> `3`);
 * Python rounds it to the even one (`2`). `rounded` is JS's text with `digits` decimals,
 * `precise(n)` the same value with n decimals.
 */
function halfToEven(rounded: string, digits: number, precise: (digits: number) => string): string {
  if (digits + TIE_DIGITS > 100) return rounded;
  const [body = '', exponent] = precise(digits + TIE_DIGITS).split('e');
  const point = body.indexOf('.');
  const tail = body.slice(point + digits + 1);
  const kept = body.slice(0, digits === 0 ? point : point + digits + 1);
  if (!/^50*$/.test(tail) || Number(kept.at(-1)) % 2 !== 0) return rounded;
  return exponent === undefined ? kept : `${kept}e${exponent}`;
}

/** Python's `g`: exponential when the exponent is < -4 or >= precision, trailing zeros dropped. */
function general(magnitude: number, precision: number, alternate: boolean): string {
  if (magnitude === 0) return alternate ? `0.${'0'.repeat(precision - 1)}` : '0';
  const power = Number(magnitude.toExponential(Math.min(precision - 1, 100)).split('e')[1]);
  const text =
    power < -4 || power >= precision
      ? exponential(magnitude, precision - 1, alternate)
      : fixed(magnitude, Math.max(0, precision - 1 - power), alternate);
  if (alternate) return text;
  const [body = '', exponent] = text.split('e');
  const trimmed = body.includes('.') ? body.replace(/0+$/, '').replace(/\.$/, '') : body;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}
