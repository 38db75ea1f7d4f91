/**
 * Python's `text % values` (printf-style formatting), which Jinja2's `format` filter runs:
 * `"%s-%03d" | format(name, 7)`, or with keyword arguments `"%(name)s" | format(name=x)`.
 */
import { TaskflowError } from '../errors.js';
import { pythonRepr, pythonStr } from './python-repr.js';
import {
  floatDigits,
  integerDigits,
  type FloatType,
  type IntegerType,
} from './python-number-format.js';

const SPEC = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([\s\S]?)/y;

/**
 * Format `template` with positional `args`, or with `mapping` for `%(name)s` fields.
 * @throws TaskflowError 'template' as Python raises TypeError/ValueError (too few or too many
 *   arguments, a bad conversion, a value of the wrong type).
 */
export function percentFormat(
  template: string,
  args: readonly unknown[],
  mapping?: Readonly<Record<string, unknown>>,
): string {
  let output = '';
  let next = 0;
  const take = (): unknown => {
    if (mapping !== undefined && args.length === 0) return mapping;
    if (next >= args.length) throw formatError('not enough arguments for format string');
    return args[next++];
  };
  let index = 0;
  for (let percent = template.indexOf('%'); percent >= 0; percent = template.indexOf('%', index)) {
    output += template.slice(index, percent);
    SPEC.lastIndex = percent;
    const match = SPEC.exec(template);
    const [whole = '', key, flags = '', widthText, precisionText, conversion = ''] = match ?? [];
    index = percent + whole.length;
    if (conversion === '') throw formatError('incomplete format');
    if (conversion === '%') {
      output += '%';
      continue;
    }
    const width = widthText === '*' ? Number(take()) : widthText ? Number(widthText) : 0;
    const precision =
      precisionText === '*'
        ? Number(take())
        : precisionText === undefined
          ? undefined
          : Number(precisionText || 0);
    let value: unknown;
    if (key !== undefined) {
      if (mapping === undefined) throw formatError('format requires a mapping');
      if (!Object.hasOwn(mapping, key)) throw formatError(`KeyError: '${key}'`);
      value = mapping[key];
    } else {
      value = take();
    }
    output += convert(value, conversion, flags, width < 0 ? 0 : width, precision, width < 0);
  }
  output += template.slice(index);
  if (mapping === undefined && next < args.length)
    throw formatError('not all arguments converted during string formatting');
  return output;
}

function convert(
  value: unknown,
  conversion: string,
  flags: string,
  width: number,
  precision: number | undefined,
  forceLeft: boolean,
): string {
  const left = forceLeft || flags.includes('-');
  switch (conversion) {
    case 's':
    case 'r':
    case 'a': {
      const text = conversion === 's' ? pythonStr(value) : pythonRepr(value);
      const cut = precision === undefined ? text : [...text].slice(0, precision).join('');
      return pad(cut, width, left, ' ');
    }
    case 'c':
      return pad(character(value), width, left, ' ');
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      const number = numeric(value, conversion);
      const type = conversion === 'i' || conversion === 'u' ? 'd' : conversion;
      const integral = ['d', 'o', 'x', 'X'];
      let digits = integral.includes(type)
        ? integerDigits(number, type as IntegerType, flags.includes('#'))
        : floatDigits(number, type as FloatType, precision, flags.includes('#'));
      if (precision !== undefined && integral.includes(type))
        digits = digits.padStart(precision, '0');
      const negative = number < 0 || (Object.is(number, -0) && !integral.includes(type));
      const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      if (!left && flags.includes('0') && Number.isFinite(number))
        return sign + digits.padStart(width - sign.length, '0');
      return pad(sign + digits, width, left, ' ');
    }
    default:
      throw formatError(`unsupported format character '${conversion}'`);
  }
}

function numeric(value: unknown, conversion: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number')
    throw formatError(
      `%${conversion} format: a real number is required, not ${pythonTypeName(value)}`,
    );
  if ('oxX'.includes(conversion) && !Number.isInteger(value))
    throw formatError(`%${conversion} format: an integer is required, not float`);
  return value;
}

function character(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0)
    return String.fromCodePoint(value);
  if (typeof value === 'string' && [...value].length === 1) return value;
  throw formatError('%c requires an int or a unicode character');
}

function pad(text: string, width: number, left: boolean, fill: string): string {
  const missing = width - [...text].length;
  if (missing <= 0) return text;
  return left ? text + fill.repeat(missing) : fill.repeat(missing) + text;
}

/** Python's type name of a JSON-like value, for messages. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      return value instanceof String ? 'str' : 'dict';
    default:
      return typeof value;
  }
}

function formatError(message: string): TaskflowError {
  return new TaskflowError('template', message);
}
