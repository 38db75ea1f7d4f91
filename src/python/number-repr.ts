/**
 * How Python prints a number that came from JSON or YAML data. A JS number does not know
 * whether it was written `2` or `2.0`, so integral values print as Python ints (`2`) and
 * others as Python floats (`0.5`, `1e-05`). Shared by the template renderer (`str()`,
 * `repr()`, `tojson`) and anything else that prints data as Python would (json-dumps.ts).
 */

/** A number as Python prints it: integral values below 1e16 as ints, others as `repr(float)`
 *  (JSON's `1e16` is a float in Python; larger ints lost their digits in JS anyway). */
export function pythonNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value === 0 ? 0 : value);
  return pythonFloat(value);
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (JS finds the same ones),
 * positional for exponents -4..15, else `d.ddde±XX`; integral values end in `.0`.
 */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0] ?? ''}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}
